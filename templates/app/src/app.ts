// The routes. `npm run dev` serves them and swaps in every save; `npm run build` compiles
// them (with main.ts and the tests) for `npm start`.
import { Catzilla, json } from "catzilla";

export const app = new Catzilla();

// The compiler decides each handler's kind from its type, and the build lists it. This one
// always returns the same value: it is answered from bytes computed at build time ("const").
app.get("/", () => ({ name: "{{name}}", ok: true }));

// A sync handler: it returns a plain value, written in the same turn the request arrived.
// Typed path parameters are checked in C first: /users/7 matches, /users/abc is a 404.
app.get("/users/:id(int)", (req) => ({ id: req.params.id }));

// An async handler: whatever it awaits (a database, a file, another service) goes here.
app.post("/echo", async (req) => {
  const body: unknown = await req.json();
  return json({ received: body }, { status: 201 });
});
