// A minimal JS half of the boundary, for testing the native server on its own: compiles
// test/native/routes.fixture.c, loads the addon, allocates the arenas and implements
// dispatch/respond the way docs/internals.md describes (without runtime/ or compiler/).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
const require = createRequire(import.meta.url);
// CATZILLA_NATIVE: another build of the addon (scripts/sanitize-native.sh points it at
// the AddressSanitizer one), as runtime/native.ts honours it too.
export const addon = require(process.env.CATZILLA_NATIVE ?? join(root, "build", "Release", "catzilla.node"));
const { BATCH_MAX, REQ_STRIDE, RES_STRIDE, REQ_BODY_OFF } = addon.constants;

export const FINGERPRINT = "fixture-v1";
const tmp = join(root, "test", ".tmp");

/** Compiles the fixture (with extra -D flags for the refusal tests); cached by mtime. */
export function buildFixture(name = "routes.fixture", defines = []) {
  mkdirSync(tmp, { recursive: true });
  const src = join(here, "routes.fixture.c");
  const out = join(tmp, `${name}.so`);
  const header = join(root, "native", "include", "catzilla_routes.h");
  const newest = Math.max(statSync(src).mtimeMs, statSync(header).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    execFileSync("cc", [
      "-O2", "-shared", "-fPIC", "-I", join(root, "native", "include"),
      ...defines.map((d) => `-D${d}`), "-o", out, src,
    ]);
  }
  return out;
}

/** Builds a shared object from C source text (e.g. one without the table symbol). */
export function buildSo(name, source) {
  mkdirSync(tmp, { recursive: true });
  const src = join(tmp, `${name}.c`);
  const out = join(tmp, `${name}.so`);
  execFileSync("sh", ["-c", `cat > '${src}'`], { input: source });
  execFileSync("cc", ["-O2", "-shared", "-fPIC", "-I", join(root, "native", "include"), "-o", out, src]);
  return out;
}

/** The arenas, sized as docs/internals.md says (smaller reqData on request). */
export function makeArenas({ reqDataSize = 256 * 1024, resDataSize = 1 << 20 } = {}) {
  return {
    reqMeta: new Int32Array(BATCH_MAX * REQ_STRIDE),
    reqData: Buffer.alloc(reqDataSize),
    resMeta: new Int32Array(BATCH_MAX * RES_STRIDE),
    resData: Buffer.alloc(resDataSize),
    asyncData: Buffer.alloc(64 * 1024),
  };
}

/** Reads request i of the current batch out of the arenas. */
function readRequest(a, i, bodies) {
  const b = i * REQ_STRIDE;
  const m = a.reqMeta;
  const urlOff = m[b + 4];
  const url = a.reqData.latin1Slice(urlOff, urlOff + m[b + 5]);
  const path = url.slice(0, m[b + 6]);
  const query = url.slice(m[b + 6] + 1);
  const params = [];
  for (let k = 0; k < m[b + 11]; k++) {
    const off = m[b + 12 + 2 * k];
    const len = m[b + 13 + 2 * k];
    params.push(url.slice(off, off + len));
  }
  let headers;
  if (m[b + 7] >= 0) {
    const parts = a.reqData.latin1Slice(m[b + 7], m[b + 7] + m[b + 8]).split("\0");
    headers = [];
    for (let k = 0; k + 1 < parts.length; k += 2) headers.push([parts[k], parts[k + 1]]);
  }
  const flags = m[b + 10];
  return {
    route: m[b], ctx: m[b + 1], gen: m[b + 2], method: m[b + 3], url, path, query, params,
    headers, hdrCount: m[b + 9], flags,
    // flags bit3: the body is in reqData at slots REQ_BODY_OFF (offset) and the next (length), else bodies[i].
    body:
      flags & 8
        ? Buffer.from(a.reqData.subarray(m[b + REQ_BODY_OFF], m[b + REQ_BODY_OFF] + m[b + REQ_BODY_OFF + 1]))
        : flags & 4
          ? bodies[i]
          : undefined,
    bodyInArena: (flags & 8) !== 0,
  };
}

const enc = (s) => (typeof s === "string" ? Buffer.from(s, "latin1") : s);

/** Encodes a handler result as (head, body) strings/bytes. */
function encode(res) {
  let head = "";
  for (const [k, v] of res.headers ?? []) head += `${k}: ${v}\r\n`;
  return { status: res.status, head: enc(head), body: enc(res.body ?? ""), close: !!res.close };
}

const json = (status, obj, extra = []) => ({
  status, headers: [["Content-Type", "application/json"], ...extra], body: JSON.stringify(obj),
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server on 127.0.0.1:0 (or opts.host). Handlers follow the fixture's route ids.
 * Returns { port, handle, batches, pending, stats(), close(graceMs), respondLate() }.
 * opts.accessLog / opts.log go to createServer; opts.peer asks peer() for every request.
 */
export function startServer(opts = {}) {
  const a = makeArenas(opts);
  const batches = []; // n of each dispatch call
  const bodies = []; // per request with a body: { len, arena } (read from reqData or bodies[i])
  const pending = []; // requests to /hang, waiting for the test
  let server;

  const respondAsync = (req, res) => {
    const { status, head, body, close } = encode(res);
    const flags = close ? 2 : 0;
    head.copy(a.asyncData, 0);
    if (head.length + body.length <= a.asyncData.length) {
      body.copy(a.asyncData, head.length);
      return addon.respond(server, req.ctx, req.gen, status, flags, head.length, body.length);
    }
    return addon.respond(server, req.ctx, req.gen, status, flags | 1, head.length, body.length, body);
  };

  const handlers = {
    0: () => ({ status: 200, headers: [["Content-Type", "text/plain"]], body: "hello" }),
    1: (req) => json(200, { route: 1, id: req.params[0], query: req.query }),
    2: (req) => {
      const h = Object.fromEntries(req.headers);
      return {
        status: 200,
        headers: [
          ["Content-Type", h["content-type"] ?? "application/octet-stream"],
          ["X-Got-Test", h["x-test"] ?? ""],
        ],
        body: req.body ?? Buffer.alloc(0),
      };
    },
    3: (req) => json(200, { route: 3, rest: req.params[0] }),
    4: async (req) => {
      const ms = Number(new URLSearchParams(req.query).get("ms") ?? 0);
      if (ms >= 0) await sleep(ms);
      else await Promise.resolve(); // settles in the microtask checkpoint of the batch
      return json(200, { route: 4, ms, q: req.query });
    },
    6: (req) => json(200, { route: 6, id: req.params[0], bodyLen: req.body?.length ?? 0 }),
    7: (req) => json(200, { route: 7, len: req.body?.length ?? 0 }),
    8: (req) => json(200, { headers: req.headers, count: req.hdrCount }),
    9: (req) => new Promise((resolve) => pending.push({ req, resolve })),
    10: (req) => {
      const kind = new URLSearchParams(req.query).get("kind");
      switch (kind) {
        case "throw":
          throw new Error("boom (expected by the test)");
        case "big":
          return { status: 200, headers: [["Content-Type", "application/octet-stream"]], body: Buffer.alloc(3 << 20, 120) };
        case "mid": // long enough to be queued as a body source, short enough for resData
          return { status: 200, headers: [["Content-Type", "application/octet-stream"]], body: Buffer.alloc(200 << 10, 109) };
        case "close":
          return { status: 200, headers: [], body: "bye", close: true };
        case "204":
          return { status: 204, headers: [], body: "" };
        case "304":
          return { status: 304, headers: [["ETag", '"x"']], body: "" };
        case "badstatus":
          return { status: 42, headers: [], body: "" };
        default:
          return json(200, { route: 10, kind, method: req.method, flags: req.flags });
      }
    },
    11: async (req) => {
      await sleep(1);
      return { status: 200, headers: [["Content-Type", "text/plain"]], body: req.body ?? "" };
    },
    12: (req) => json(200, { route: 12, params: req.params }),
  };

  const dispatch = (n, given) => {
    batches.push(n);
    let off = 0;
    let large;
    for (let i = 0; i < n; i++) {
      const req = readRequest(a, i, given);
      if (req.flags & 4) bodies.push({ len: req.body.length, arena: req.bodyInArena });
      const r = i * RES_STRIDE;
      // opts.peer: every request asks C for its connection's address (req.ip).
      if (opts.peer) req.ip = addon.peer(server, req.ctx, req.gen);
      const out = handlers[req.route](req); // a throw escapes: tests the 500 path in C
      if (out instanceof Promise) {
        a.resMeta[r] = 0;
        out.then((res) => respondAsync(req, res));
        continue;
      }
      const { status, head, body, close } = encode(out);
      a.resMeta[r] = status;
      a.resMeta[r + 1] = close ? 2 : 0;
      head.copy(a.resData, off);
      a.resMeta[r + 2] = off;
      a.resMeta[r + 3] = head.length;
      off += head.length;
      if (off + body.length <= a.resData.length) {
        body.copy(a.resData, off);
        a.resMeta[r + 4] = off;
        a.resMeta[r + 5] = body.length;
        off += body.length;
      } else {
        large ??= [];
        large[i] = body;
        a.resMeta[r + 1] |= 1;
        a.resMeta[r + 4] = 0;
        a.resMeta[r + 5] = body.length;
      }
    }
    return large;
  };

  server = addon.createServer({
    table: opts.table ?? buildFixture(),
    fingerprint: opts.fingerprint ?? FINGERPRINT,
    dispatch,
    ...a,
    limits: opts.limits,
    accessLog: opts.accessLog,
    log: opts.log,
  });
  let port;
  try {
    port = addon.listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0, 511);
  } catch (e) {
    addon.close(server, 0, () => {});
    throw e;
  }
  let closed;
  return {
    port,
    handle: server,
    batches,
    bodies,
    pending,
    stats: () => addon.stats(server),
    /** Late answer to a pending /hang request; returns what respond() returned. */
    respondLate: (p, body = "late") =>
      respondAsync(p.req, { status: 200, headers: [["Content-Type", "text/plain"]], body }),
    close(graceMs = 0) {
      closed ??= new Promise((resolve) => {
        if (!addon.close(server, graceMs, resolve)) resolve();
      });
      return closed;
    },
  };
}
