// The soak app (bench/soak.mjs, scripts/valgrind-native.sh): every path a long-running
// server takes — sync, const, async (microtask and timer), request bodies, 404/405 from C,
// thrown, rejected and unserialisable results — so a leak on any of them shows in RSS.
import { Catzilla, HttpError, json, sse, stream } from "catzilla";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// Called per request so the compiler cannot turn these routes into const routes.
const kind = (k: string): string => k;

export const app = new Catzilla();

// sync
app.get("/sync", () => ({ ok: true, kind: kind("sync") }));
app.get("/user/:id", (req) => ({ id: req.params.id }));
app.get("/text", () => kind("hello, soak"));
app.get("/query", (req) => ({ a: req.query.a ?? null, b: req.searchParams.get("b") }));
app.get("/headers", (req) => ({ ua: req.headers.get("x-soak") }));
app.get("/const", () => ({ message: "Hello, World!" }));

// async
app.get("/async", async () => {
  const v = await Promise.resolve(1);
  return { ok: true, kind: "async", v };
});
app.get("/async-timer", async () => {
  await sleep(0);
  return json({ ok: true, kind: "timer" }, { status: 201, headers: { "X-Soak": "1" } });
});
app.post("/echo", async (req) => ({ got: await req.json() }));
app.get("/async-user/:id", async (req) => ({ id: req.params.id, kind: "async" }));

// failures: 500 (logged), 418 (an answer, not logged)
app.get("/throw", () => {
  throw new Error("soak: sync throw");
});
app.get("/reject", async () => {
  await Promise.resolve();
  throw new Error("soak: async reject");
});
app.get("/teapot", () => {
  throw new HttpError(418, "I'm a teapot");
});
app.get("/bigint", () => ({ n: 1n }));

// Used by scripts/valgrind-native.sh's load (bench/soak/load.mjs), not by the wrk mix:
// a pending async handler to disconnect from, one that never settles (handlerTimeoutMs),
// and a body too large for the batch arena.
app.get("/slow/:ms", async (req) => {
  await sleep(Number(req.params.ms));
  return { slept: Number(req.params.ms) };
});
app.get("/never", async () => {
  await new Promise<void>(() => {});
});
app.get("/large", () => kind("z").repeat(1536 * 1024));

// Static files, served by C (docs/static.md): the repository's docs/, relative to the
// working directory the soak and valgrind runs start the server in (the package root).
app.static("/static", "docs");
// Streamed responses (valgrind's load): n parts of 1000 bytes, one per loop turn; an event
// feed that runs until its client goes (heartbeats every 5 ms meanwhile).
async function* parts(n: number) {
  for (let i = 0; i < n; i++) {
    await sleep(0);
    yield kind("p").repeat(1000);
  }
}
app.get("/stream/:n", (req) => stream(parts(Number(req.params.n))));
async function* feed(signal: AbortSignal) {
  for (let i = 0; !signal.aborted; i++) {
    await sleep(2);
    yield { id: i, data: { i } };
  }
}
app.get("/feed", (req) => sse(feed(req.signal), { heartbeatMs: 5 }));
// Bodies read as they arrive (req.stream(), req.formData()): streamed to JS with backpressure.
app.post(
  "/upload",
  async (req) => {
    let bytes = 0;
    for await (const c of req.stream()) bytes += c.length;
    return { bytes };
  },
  { maxBodyBytes: 256 * 1024 },
);
app.post("/form", async (req) => Object.fromEntries(await req.formData()));
