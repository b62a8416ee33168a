#!/usr/bin/env node
// A short, mixed, hostile load for a soak-app server (scripts/valgrind-native.sh):
//   node bench/soak/load.mjs <port> [rounds=100] [concurrency=8]
// Each round, over raw sockets: 26 keep-alive requests one at a time (sync, const, async,
// POST bodies, 404, 405, throw, reject, BigInt, HttpError, static files), 16 pipelined in one write, a
// large response, HTTP/1.0, Connection: close, the route timeout (/never, when the server
// has handlerTimeoutMs), oversize headers (431), a malformed request (400), a body over the
// limit (413), and disconnects: mid-headers, mid-body, while an async handler is pending,
// with pipelined requests pending. Prints one JSON line of counts; exit 1 when a response
// was missing or wrong.
import net from "node:net";

const [port, rounds = "100", concurrency = "8"] = process.argv.slice(2).map(String);
if (!port) {
  console.error("usage: load.mjs <port> [rounds] [concurrency]");
  process.exit(2);
}
const PORT = Number(port);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const req = (method, path, { headers = {}, body, version = "1.1" } = {}) => {
  let s = `${method} ${path} HTTP/${version}\r\nHost: t\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  if (body !== undefined) s += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return s + "\r\n" + (body ?? "");
};
const J = '{"a":1,"b":[1,2,3],"s":"soak"}';
// [request bytes, expected status]
const MIX = [
  [req("GET", "/sync"), 200],
  [req("GET", "/user/42"), 200],
  [req("GET", "/text"), 200],
  [req("GET", "/query?a=1&b=two"), 200],
  [req("GET", "/headers", { headers: { "X-Soak": "yes" } }), 200],
  [req("GET", "/const"), 200],
  [req("GET", "/async"), 200],
  [req("GET", "/async-timer"), 201],
  [req("GET", "/async-user/7"), 200],
  [req("GET", "/slow/2"), 200],
  [req("POST", "/echo", { body: J }), 200],
  [req("POST", "/echo", { body: "{not json" }), 400],
  [req("GET", "/missing"), 404],
  [req("GET", "/user/1/extra"), 404],
  [req("DELETE", "/sync"), 405],
  [req("HEAD", "/sync"), 200],
  [req("GET", "/throw"), 500],
  [req("GET", "/reject"), 500],
  [req("GET", "/bigint"), 500],
  [req("GET", "/teapot"), 418],
  // static files (C alone): a file, a range, a conditional miss, HEAD, a traversal, a 405
  [req("GET", "/static/static.md"), 200],
  [req("GET", "/static/internals.md", { headers: { Range: "bytes=10-99" } }), 206],
  [req("GET", "/static/static.md", { headers: { "If-None-Match": '"x"', Range: "bytes=-5" } }), 206],
  [req("HEAD", "/static/internals.md"), 200],
  [req("GET", "/static/%2e%2e/package.json"), 404],
  [req("POST", "/static/static.md"), 405],
];

const counts = { requests: 0, responses: 0, statuses: {}, disconnects: 0, problems: [] };
const problem = (what) => {
  if (counts.problems.length < 20) counts.problems.push(what);
};

/** Parses complete responses (Content-Length framing; HEAD responses have no body). */
function parse(data, heads = new Set()) {
  const out = [];
  let rest = data;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.subarray(0, end).toString("latin1");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) break;
    const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
    const status = Number(m[1]);
    const len = heads.has(out.length) || status === 204 || status === 304 || status < 200 ? 0 : Number(cl?.[1] ?? 0);
    if (rest.length < end + 4 + len) break;
    out.push({ status, head, close: /\r\nconnection: *close/i.test(head) });
    rest = rest.subarray(end + 4 + len);
  }
  return out;
}

/** Opens a connection, sends `chunks`, resolves with the responses once `want` arrived or the server closed. */
function talk(chunks, want, { heads, timeoutMs = 60_000, destroyAfterMs } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port: PORT });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses: parse(buf, heads), closed, raw: buf.toString("latin1") });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (want !== undefined && parse(buf, heads).length >= want) finish(false);
    });
    sock.on("close", () => finish(true));
    sock.on("error", () => finish(true));
    sock.on("connect", async () => {
      for (const c of chunks) {
        if (done) return;
        sock.write(c);
        await sleep(1);
      }
      if (destroyAfterMs !== undefined) {
        await sleep(destroyAfterMs);
        counts.disconnects++;
        finish(true);
      }
    });
  });
}

function expectStatuses(name, got, want) {
  counts.requests += want.length;
  counts.responses += got.length;
  for (const r of got) counts.statuses[r.status] = (counts.statuses[r.status] ?? 0) + 1;
  const g = got.map((r) => r.status).join(",");
  if (g !== want.join(",")) problem(`${name}: got [${g}], want [${want.join(",")}]`);
}

/** Keep-alive, one request at a time on one connection. */
async function keepAlive() {
  const sock = net.connect({ host: "127.0.0.1", port: PORT });
  await new Promise((r, j) => sock.once("connect", r).once("error", j));
  let buf = Buffer.alloc(0);
  let waiter;
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    waiter?.();
  });
  sock.on("close", () => waiter?.());
  const got = [];
  for (let i = 0; i < MIX.length; i++) {
    const heads = new Set(MIX[i][0].startsWith("HEAD") ? [0] : []);
    sock.write(MIX[i][0]);
    const deadline = Date.now() + 60_000;
    while (parse(buf, heads).length < 1 && !sock.destroyed && Date.now() < deadline) {
      await new Promise((r) => {
        waiter = r;
        setTimeout(r, 1000);
      });
    }
    const [r] = parse(buf, heads);
    if (!r) break;
    got.push(r);
    const end = buf.indexOf("\r\n\r\n");
    const cl = heads.has(0) ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(r.head)?.[1] ?? 0);
    buf = buf.subarray(end + 4 + cl);
  }
  sock.destroy();
  expectStatuses("keep-alive", got, MIX.map((m) => m[1]));
}

async function round(withTimeout) {
  await keepAlive();
  // Pipelined: 16 requests in one write.
  const pipe = MIX.slice(0, 16);
  const heads = new Set(pipe.flatMap((m, i) => (m[0].startsWith("HEAD") ? [i] : [])));
  expectStatuses("pipelined", (await talk([pipe.map((m) => m[0]).join("")], 16, { heads })).responses, pipe.map((m) => m[1]));
  expectStatuses("large", (await talk([req("GET", "/large")], 1)).responses, [200]);
  expectStatuses("http/1.0", (await talk([req("GET", "/sync", { version: "1.0" })], 1)).responses, [200]);
  expectStatuses("close", (await talk([req("GET", "/async", { headers: { Connection: "close" } })], 1)).responses, [200]);
  if (withTimeout) expectStatuses("timeout", (await talk([req("GET", "/never") + req("GET", "/sync")], 2)).responses, [503, 200]);
  // Rejections: the right status, then the connection closes.
  expectStatuses("431", (await talk([req("GET", "/sync", { headers: { "X-Big": "b".repeat(20_000) } })])).responses, [431]);
  expectStatuses("400", (await talk(["GET /sync HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n"])).responses, [400]);
  expectStatuses("413", (await talk([`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n` + "x".repeat(4096)])).responses, [413]);
  // Disconnects: mid-headers, mid-body, async pending, pipelined pending.
  await talk(["GET /sync HTTP/1.1\r\nHo"], undefined, { destroyAfterMs: 2 });
  await talk([`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"a":`], undefined, { destroyAfterMs: 2 });
  await talk([req("GET", "/slow/30")], undefined, { destroyAfterMs: 5 });
  await talk([req("GET", "/slow/20") + req("GET", "/sync") + req("GET", "/async") + req("POST", "/echo", { body: J })], undefined, { destroyAfterMs: 0 });
  if (withTimeout) await talk([req("GET", "/never")], undefined, { destroyAfterMs: 5 });
  // Streams: a whole one (closed after its last chunk), one behind another in a pipeline
  // (only the heads are counted: the bodies are chunked), and clients that leave mid-stream.
  const t0s = Date.now();
  const st = await talk([req("GET", "/stream/20", { headers: { Connection: "close" } })], undefined, { raw: true });
  expectStatuses(`stream (closed ${st.closed}, ${Date.now() - t0s} ms, ${JSON.stringify(st.raw.slice(0, 120))})`, st.responses, [200]);
  await talk([req("GET", "/stream/5") + req("GET", "/sync") + req("GET", "/stream/3")], undefined, { destroyAfterMs: 30 });
  await talk([req("GET", "/stream/100000")], undefined, { destroyAfterMs: 10 });
  await talk([req("GET", "/feed")], undefined, { destroyAfterMs: 15 });
  counts.requests += withTimeout ? 8 : 7;
  counts.requests += 5;
  // Streamed bodies: Content-Length and chunked with a pipelined request behind, a form, a
  // chunked body past the route's maxBodyBytes (413 mid-stream), a client gone mid-body.
  const up = (body) => req("POST", "/upload", { body });
  const chunked = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const big = (64 * 1024).toString(16) + "\r\n" + "c".repeat(64 * 1024) + "\r\n";
  expectStatuses(
    "streamed",
    (await talk([up("x".repeat(70_000)) + chunked + "5\r\nhello\r\n0\r\n\r\n" + req("GET", "/sync")], 3)).responses,
    [200, 200, 200],
  );
  expectStatuses(
    "form",
    (await talk(["POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2"], 1))
      .responses,
    [200],
  );
  expectStatuses("streamed 413", (await talk([chunked, ...Array(6).fill(big)])).responses, [413]);
  await talk([chunked + "3\r\nabc\r\n"], undefined, { destroyAfterMs: 3 });
  counts.requests += 1;
}

const withTimeout = process.env.LOAD_TIMEOUT_ROUTE === "1";
let next = 0;
const total = Number(rounds);
const t0 = Date.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < total) {
      next++;
      await round(withTimeout);
    }
  }),
);
const ok = counts.problems.length === 0;
console.log(JSON.stringify({ ok, rounds: total, ms: Date.now() - t0, ...counts }));
process.exit(ok ? 0 : 1);
