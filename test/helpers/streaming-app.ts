/**
 * The app the streaming tests serve (test/e2e/streaming.test.ts, test/e2e/sse.test.ts,
 * test/conformance/streaming.test.ts): streamed results of every source kind, producers
 * that count their pulls and their stops (GET /stats), and sse() feeds. Plus helpers to
 * read a chunked body off a raw socket.
 */
import * as path from "node:path";
import { expect } from "vitest";
import { compile } from "../../compiler/index.js";
import { writeApp } from "../compiler/helpers.js";
import { serve, type RunningApp } from "./app.js";

export const CHUNK_KIB = 64;

export const STREAMING_APP = `
import { Catzilla, stream, sse } from "catzilla";
import { Readable } from "node:stream";
export const app = new Catzilla();

const fresh = () => ({ pulls: 0, started: 0, returned: 0, aborted: 0, webPulls: 0, cancelled: 0,
  nodePulls: 0, destroyed: 0, quietReturned: 0, quietAborted: 0, timedOut: 0, gone: 0, headPulls: 0 });
let stats = fresh();
const CHUNK = "x".repeat(${CHUNK_KIB} * 1024);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function* count(n: number) { for (let i = 0; i < n; i++) yield \`\${i}\\n\`; }
async function* slowly(parts: string[], ms: number) { for (const p of parts) { await sleep(ms); yield p; } }

app.get("/count", (req) => stream(count(Number(req.query.n ?? "5"))));
app.get("/direct", () => count(3));
app.get("/async", async () => {
  await sleep(5);
  return stream(count(2), { status: 201, headers: { "X-Stream": "yes", "Content-Length": "99" }, contentType: "text/plain; charset=utf-8" });
});
app.get("/bytes", () => stream((async function* () {
  yield new Uint8Array([104, 105]); yield Buffer.from("!"); yield ""; yield "\\u00e9";
})()));
app.get("/web", () => new ReadableStream<string | Uint8Array>({ start(c) { c.enqueue("we"); c.enqueue(new TextEncoder().encode("b")); c.close(); } }));
app.get("/node", () => Readable.from(["no", Buffer.from("de")]));
app.get("/slow", () => stream(slowly(["a", "b", "c"], 40)));
app.get("/echo/:id", (req) => ({ id: req.params.id }));

app.get("/flood", (req) => {
  stats.started++;
  req.signal.addEventListener("abort", () => stats.aborted++);
  return stream((async function* () {
    try { for (;;) { stats.pulls++; yield CHUNK; } } finally { stats.returned++; }
  })());
});
app.get("/head-probe", () => stream((async function* () { stats.headPulls++; yield "never for HEAD"; })()));
app.get("/web-flood", () => new ReadableStream<string>(
  { pull(c) { stats.webPulls++; c.enqueue(CHUNK); }, cancel() { stats.cancelled++; } },
  { highWaterMark: 0 }));
app.get("/node-flood", () => new Readable({
  read() { stats.nodePulls++; this.push(CHUNK); },
  destroy(err, cb) { stats.destroyed++; cb(err); },
}));
app.get("/throw", () => stream((async function* () { yield "one\\n"; await sleep(10); throw new Error("boom mid-stream"); })()));
app.get("/bad-chunk", () => stream((async function* () { yield "ok"; yield 42 as unknown as string; })()));
app.get("/big", (req) => {
  const chunk = Buffer.alloc(256 * 1024, 97);
  const n = Number(req.query.mb) * 4;
  return stream((async function* () { for (let i = 0; i < n; i++) yield chunk; })());
});
app.get("/wait-signal", async (req) => {
  await new Promise((r) => req.signal.addEventListener("abort", r));
  if ((req.signal.reason as DOMException).name === "TimeoutError") stats.timedOut++;
  if ((req.signal.reason as DOMException).name === "AbortError") stats.gone++;
  return "late";
});
app.get("/signal-sync", (req) => ({ aborted: req.signal.aborted }));

async function* events(n: number) {
  yield { event: "greeting", id: 1, data: "hello\\nworld" };
  yield { data: { n: 1, list: [1, 2] }, retry: 500 };
  yield "plain";
  for (let i = 0; i < n; i++) yield { id: \`e\${i}\`, data: String(i) };
}
app.get("/events", (req) => sse(events(Number(req.query.n ?? "1")), { heartbeatMs: 60_000 }));
app.get("/quiet", (req) => {
  req.signal.addEventListener("abort", () => stats.quietAborted++);
  // An async generator can only stop where it yields or returns: this one waits on the
  // signal, as a real feed would, so the client's leaving ends it.
  return sse((async function* () {
    try {
      await new Promise((r) => req.signal.addEventListener("abort", r));
      if (!req.signal.aborted) yield { data: "never" };
    } finally { stats.quietReturned++; }
  })(), { heartbeatMs: 50 });
});
app.get("/quiet-it", () => {
  // A hand-written iterator: return() is what must be called when the client goes.
  const it: AsyncIterableIterator<{ data: string }> = {
    [Symbol.asyncIterator]() { return it; },
    next: () => new Promise(() => {}),
    return: async () => { stats.quietReturned++; return { done: true, value: undefined }; },
  };
  return sse(it, { heartbeatMs: 40 });
});
app.get("/sse-bad", () => sse((async function* () { yield { data: "first" }; yield { event: "a\\nb", data: "x" }; })()));

app.get("/stats", () => ({ ...stats }));
app.get("/rss", () => ({ rss: process.memoryUsage().rss }));
app.post("/reset", (req) => { stats = fresh(); return req.method; });
`;

/** Compiles the app; returns its out dir. */
export async function compileStreamingApp(label: string): Promise<string> {
  const dir = writeApp(label, { "app.ts": STREAMING_APP });
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return path.join(dir, ".catzilla");
}

export async function startStreamingApp(label: string, options: Record<string, unknown> = {}): Promise<RunningApp> {
  return serve(await compileStreamingApp(label), options);
}

export type Stats = Record<string, number>;

export async function stats(app: RunningApp): Promise<Stats> {
  return (await (await fetch(`${app.url}/stats`)).json()) as Stats;
}

export async function reset(app: RunningApp): Promise<void> {
  expect((await fetch(`${app.url}/reset`, { method: "POST" })).status).toBe(200);
}

/** Polls `f` until it returns true (or fails the test after `ms`). */
export async function until(f: () => Promise<boolean>, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Chunked {
  /** The decoded body so far. */
  body: string;
  /** The chunk sizes in order (the last-chunk excluded). */
  sizes: number[];
  /** The zero-size last chunk and the final CRLF arrived. */
  complete: boolean;
  /** Bytes after the end of the message. */
  rest: string;
}

/** Decodes a chunked body (latin1 string), strictly: any framing error throws. */
export function decodeChunked(data: string): Chunked {
  let at = 0;
  let body = "";
  const sizes: number[] = [];
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) return { body, sizes, complete: false, rest: "" };
    const line = data.slice(at, eol);
    if (!/^[0-9a-f]+$/.test(line)) throw new Error(`bad chunk-size line ${JSON.stringify(line)}`);
    const n = parseInt(line, 16);
    if (n === 0) {
      if (data.length < eol + 4) return { body, sizes, complete: false, rest: "" };
      if (data.slice(eol + 2, eol + 4) !== "\r\n") throw new Error("no CRLF after the last chunk");
      return { body, sizes, complete: true, rest: data.slice(eol + 4) };
    }
    if (data.length < eol + 2 + n + 2) return { body, sizes, complete: false, rest: "" };
    body += data.slice(eol + 2, eol + 2 + n);
    if (data.slice(eol + 2 + n, eol + 4 + n) !== "\r\n") throw new Error("no CRLF after chunk data");
    sizes.push(n);
    at = eol + 4 + n;
  }
}

/** Splits a raw response into its head (status line, lower-cased headers) and the rest. */
export function splitHead(data: string): { status: number; version: string; headers: Record<string, string>; rest: string } | null {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = data.slice(0, end).split("\r\n");
  const m = /^(HTTP\/1\.[01]) (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`bad status line ${lines[0]}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    const k = l.slice(0, i).toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${l.slice(i + 1).trim()}` : l.slice(i + 1).trim();
  }
  return { status: Number(m[2]), version: m[1], headers, rest: data.slice(end + 4) };
}
