// The week-2 deliverable: sync and async handlers side by side.
import { Catzilla, json, HttpError } from "catzilla";
import { getUser, type User } from "./users.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const app = new Catzilla();

// Sync: answered in the same turn the request arrived.
app.get("/sync", () => ({ type: "sync" }));

// Slow async: awaits 100 ms; other requests keep flowing meanwhile.
app.get("/slow", async () => {
  await sleep(100);
  return { type: "slow", waited: 100 };
});

// Mixed: sync work, then awaited work, then sync work again.
app.get("/mixed/:n", async (req) => {
  const n = Number(req.params.n);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new HttpError(400, "n must be an integer 0..1000");
  const squares = Array.from({ length: n }, (_, i) => i * i);
  await sleep(5);
  return { n, sum: squares.reduce((a, b) => a + b, 0) };
});

// A param route whose handler is imported and returns a promise: classified async by its type.
app.get("/users/:id", (req) => getUser(req.params.id));

// A POST with a JSON body.
app.post("/users/:id", async (req) => {
  const body = await req.json<Partial<User>>();
  return json({ id: req.params.id, ...body, saved: true }, { status: 201 });
});
