#!/usr/bin/env node
// The JS half of the hot path, measured without the network, in requests per CPU-second: the runtime's batch loop is
// fed batches of requests written into reqMeta/reqData as the C side writes them, through a
// stand-in addon (fake-native.cjs). What it times is what the runtime does per request
// (Request, dispatch, handler, encoding, async answers), which wrk's figures bury under
// syscalls and the shared machine's noise.
//
//   node bench/hotpath/run.mjs [--root DIR] [--batch 16] [--ms 1500] [--reps 5]
//   node bench/hotpath/run.mjs --app perf --routes body
//
// --root: a package root whose bench/app/.catzilla/server.js to load (default: this
// checkout; bench/lib/checkout.mjs builds other commits under bench/.tmp/base/<sha>).
// --app perf: bench/perf's app instead (compiled inside --root first, bench/perf/compile.mjs),
// whose `body` case is POST /body with bench/perf/body-1k.json in the arena beside its head
// (CZ_REQF_BODY_ARENA), as C writes a buffered body that fits.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values: opt } = parseArgs({
  options: {
    root: { type: "string", default: join(here, "..", "..") },
    batch: { type: "string", default: "16" },
    ms: { type: "string", default: "1500" },
    reps: { type: "string", default: "5" },
    routes: { type: "string" },
    app: { type: "string", default: "bench" },
  },
});
if (opt.app !== "bench" && opt.app !== "perf") throw new Error(`--app bench or perf, not ${opt.app}`);
const perf = opt.app === "perf";
opt.routes ??= perf ? "body" : "json,async,user";
const fakePath = join(here, "fake-native.cjs");
process.env.CATZILLA_NATIVE = fakePath;
const fake = createRequire(import.meta.url)(fakePath);
const appOut = perf
  ? join((await import("../perf/compile.mjs")).compilePerfApp(opt.root), ".catzilla")
  : join(opt.root, "bench", "app", ".catzilla");
const { server } = await import(pathToFileURL(join(appOut, "server.js")).href);
await server.listen({ port: 0 });
const { dispatch, reqMeta, reqData, hold, release } = fake.state.opts;
const { default: routesJson } = await import(pathToFileURL(join(appOut, "routes.json")).href, {
  with: { type: "json" },
});
const idOf = (path, method = "GET") => routesJson.routes.find((r) => r.path === path && r.method === method)?.id;

// reqMeta slots (docs/internals.md); the harness must not depend on the runtime's modules,
// whose layout is what it compares.
const STRIDE = 48;
const [ROUTE, CTX, GEN, METHOD, URL_OFF, URL_LEN, PATH_LEN, HDR_OFF, HDR_LEN, HDR_COUNT, FLAGS, NPARAMS, PARAMS, TABLE] =
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 44];
const [BODY_OFF, BODY_LEN] = [46, 47];
// llhttp's method numbers; flags KEEP_ALIVE, and BODY | BODY_ARENA for a body beside its head.
const GET = 1;
const POST = 3;
const KEEP_ALIVE = 1;
const BODY_IN_ARENA = 4 | 8;

/**
 * Writes a batch of n requests for `url` (params: [start, len] within the url); `body`, a
 * latin1 string of its bytes, goes right after the head.
 */
function fill(n, route, url, params = [], headers = false, body = undefined) {
  let off = 0;
  for (let i = 0; i < n; i++) {
    const b = i * STRIDE;
    reqData.latin1Write(url, off);
    reqMeta[b + ROUTE] = route;
    reqMeta[b + CTX] = i;
    reqMeta[b + GEN] = 1;
    reqMeta[b + METHOD] = body === undefined ? GET : POST;
    reqMeta[b + URL_OFF] = off;
    reqMeta[b + URL_LEN] = url.length;
    reqMeta[b + PATH_LEN] = url.length;
    // A route that reads headers gets an empty header block (copied, as C does for it).
    reqMeta[b + HDR_OFF] = headers ? off + url.length : -1;
    reqMeta[b + HDR_LEN] = 0;
    reqMeta[b + HDR_COUNT] = 0;
    reqMeta[b + FLAGS] = body === undefined ? KEEP_ALIVE : KEEP_ALIVE | BODY_IN_ARENA;
    reqMeta[b + NPARAMS] = params.length;
    params.forEach(([s, l], k) => {
      reqMeta[b + PARAMS + 2 * k] = s;
      reqMeta[b + PARAMS + 2 * k + 1] = l;
    });
    reqMeta[b + TABLE] = 0;
    off += url.length;
    if (body !== undefined) {
      reqData.latin1Write(body, off);
      reqMeta[b + BODY_OFF] = off;
      reqMeta[b + BODY_LEN] = body.length;
      off += body.length;
    }
  }
}

const CASES = perf ? {
  body: { url: "/body", route: idOf("/body", "POST"), async: true, body: readFileSync(join(here, "..", "perf", "body-1k.json"), "latin1") },
} : {
  json: { url: "/json", route: idOf("/json") },
  async: { url: "/async", route: idOf("/async"), async: true },
  user: { url: "/user/123", route: idOf("/user/:id"), params: [[6, 3]] },
  // /json behind three sync middleware (bench/middleware.mjs); absent from older bench apps.
  mw3: { url: "/mw3/json", route: idOf("/mw3/json") },
  mw3h: { url: "/mw3h/json", route: idOf("/mw3h/json"), headers: true },
};
const n = Number(opt.batch);
const DRAIN = 8;
let released = 0;
const turn = () => new Promise((r) => setImmediate(r));

/** CPU time this process used so far, µs (all its threads: GC and compiler threads count). */
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Requests per CPU-second over about `ms` of wall time. CPU time, not wall time: on a
 * shared machine the process is descheduled for a varying share of the run, which wall
 * time would count as cost.
 */
async function measure(c, ms) {
  fill(n, c.route, c.url, c.params, c.headers, c.body);
  let reqs = 0;
  const cpu0 = cpuNow();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 64; k++) {
      // What C does before it writes the next batch. Counted: every async request should have
      // been answered in its own batch's checkpoint, as in the real server, or the figures
      // would include copies the server does not make.
      if (hold[0] !== 0) (released++, release());
      dispatch(n, undefined);
      // An async batch is answered in the microtask checkpoint after it (C's callback scope
      // drains it before the next read): a few turns of the microtask queue.
      if (c.async) for (let j = 0; j < DRAIN; j++) await null;
      // ...and then reads the batch's results and clears hold[1] (HOLD_OPEN), as the binding does.
      if (hold.length > 1) hold[1] = 0;
      reqs += n;
    }
    if (c.async) await turn();
    t = performance.now();
  }
  return (reqs / (cpuNow() - cpu0)) * 1e6;
}

const names = opt.routes.split(",");
for (const r of names) if (!CASES[r]) throw new Error(`unknown route ${r} for --app ${opt.app} (${Object.keys(CASES).join(", ")})`);
for (const name of names) await measure(CASES[name], 300); // warm-up (and JIT)
const results = {};
for (let rep = 0; rep < Number(opt.reps); rep++) {
  for (const name of names) (results[name] ??= []).push(await measure(CASES[name], Number(opt.ms)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = Object.fromEntries(names.map((k) => [k, Math.round(median(results[k]))]));
console.log(JSON.stringify({ ...out, released }));
await server.close();
