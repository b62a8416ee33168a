// The routes. `npm run dev` serves them and swaps in every save; `npm run build` compiles
// them (with main.ts and the tests) for `npm start`.
import { Catzilla, json } from "catzilla";

export const app = new Catzilla();

// A sync handler: the compiler sees it returns a plain value, so the response is written in
// the same turn the request arrived.
app.get("/", () => ({ name: "{{name}}", ok: true }));

// Typed path parameters are checked in C before the handler runs: /users/7 matches, and
// req.params.id is a number.
app.get("/users/:id(int)", (req) => ({ id: req.params.id }));

// An async handler: anything awaited (a database, a file, another service) goes here.
app.post("/echo", async (req) => {
  const body: unknown = await req.json();
  return json({ received: body }, { status: 201 });
});
