// Randomised abuse of the native server with a fixed seed: mutated requests split at
// random points, abrupt disconnects while responses are pending, late responds. The
// assertions are that the server keeps serving and that every connection and context is
// released. Run it under scripts/sanitize-native.sh to catch memory errors.
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { exchange, get, parseResponses } from "../helpers/raw.js";
// @ts-ignore -- plain ESM helper without types
import { addon, startServer } from "./driver.mjs";

type Server = ReturnType<typeof startServer>;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(0)));
});

/** xorshift32: reproducible runs. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(a: T[]) => a[Math.floor(next() * a.length)] };
}

const SEEDS = [
  get("/hello"),
  get("/users/12?q=1"),
  get("/slow?ms=3"),
  get("/slow?ms=-1"),
  get("/hang"),
  get("/const"),
  get("/headers", "X-A: 1\r\nX-B: two\r\n"),
  "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n",
  "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
  "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  "POST /async-echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
  "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n",
  "GET /misc?kind=close HTTP/1.1\r\nHost: t\r\n\r\n",
];
const JUNK = ["\r", "\n", "\r\n", " ", ":", "\0", "\x7f", "\xff", "0", "-1", "chunked", "Content-Length: 9\r\n", "Transfer-Encoding: chunked\r\n", "\r\n\r\n"];

function mutate(r: ReturnType<typeof rng>, s: string): string {
  const ops = r.int(4);
  for (let k = 0; k < ops; k++) {
    const at = r.int(s.length + 1);
    switch (r.int(5)) {
      case 0: // delete a span
        s = s.slice(0, at) + s.slice(at + 1 + r.int(8));
        break;
      case 1: // insert junk
        s = s.slice(0, at) + r.pick(JUNK) + s.slice(at);
        break;
      case 2: // flip a byte
        if (s.length > 0) s = s.slice(0, at) + String.fromCharCode(r.int(256)) + s.slice(at + 1);
        break;
      case 3: // truncate
        s = s.slice(0, at);
        break;
      default: // duplicate a span
        s = s.slice(0, at) + s.slice(at, at + r.int(40)) + s.slice(at);
    }
  }
  return s;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** One client: a stream of (mostly valid, some mutated) pipelined requests, split into
 * random chunks; sometimes it leaves early, sometimes with a reset. */
function client(port: number, r: ReturnType<typeof rng>): Promise<void> {
  return new Promise((resolve) => {
    const sock: Socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const n = 1 + r.int(6);
    let stream = "";
    for (let i = 0; i < n; i++) {
      const seed = r.pick(SEEDS);
      stream += r.next() < 0.35 ? mutate(r, seed) : seed;
    }
    const leave = r.int(4); // 0: reset early, 1: end early, 2-3: wait for the server
    const done = () => {
      clearTimeout(hard);
      sock.destroy();
      resolve();
    };
    const hard = setTimeout(done, 400 + r.int(300));
    sock.on("data", (d) => (data += d.toString("latin1")));
    sock.on("error", done);
    sock.on("close", done);
    sock.on("connect", async () => {
      let off = 0;
      while (off < stream.length && !sock.destroyed) {
        const len = 1 + r.int(Math.max(1, stream.length - off));
        sock.write(Buffer.from(stream.slice(off, off + len), "latin1"));
        off += len;
        if (r.next() < 0.3) await sleep(r.int(5));
      }
      if (leave === 0) {
        await sleep(r.int(10));
        sock.resetAndDestroy();
      } else if (leave === 1) {
        await sleep(r.int(10));
        sock.end();
      }
    });
  });
}

describe("randomised input", () => {
  it("survives mutated pipelined streams and abrupt disconnects, leaking no context", async () => {
    const logged: string[] = [];
    const s = startServer({
      limits: { maxHeaderBytes: 2048, maxBodyBytes: 4096, headersTimeoutMs: 150, keepAliveTimeoutMs: 150, maxPipelined: 4 },
      // The access log's records, req.ip lookups and C's log lines run through the same abuse.
      accessLog: true,
      peer: true,
      log: (line: string) => logged.push(line),
    });
    servers.push(s);
    let records = 0;
    const drain = () => {
      const b = addon.drainAccessLog(s.handle) as { recs: Int32Array; paths: Buffer } | undefined;
      if (b === undefined) return;
      records += b.recs.length / addon.constants.ALOG_STRIDE;
      const stride = addon.constants.ALOG_STRIDE;
      for (let k = 0; k < b.recs.length; k += stride) expect(b.recs[k + 14] + b.recs[k + 15]).toBeLessThanOrEqual(b.paths.length);
    };
    const drainer = setInterval(drain, 50);
    const r = rng(0xc47a111a);
    const rounds = Number(process.env.CATZILLA_FUZZ_ROUNDS ?? 12);
    for (let round = 0; round < rounds; round++) {
      const clients = Array.from({ length: 25 }, () => client(s.port, r));
      // Answer some hanging requests late, some never (until their connection goes).
      const late = (async () => {
        for (let k = 0; k < 10; k++) {
          await sleep(20);
          for (const p of s.pending.splice(0, r.int(s.pending.length + 1))) s.respondLate(p);
        }
      })();
      await Promise.all([...clients, late]);
    }
    // Everything answered or dropped: no connection and no context outlives its client.
    const t0 = Date.now();
    while (s.stats().connections !== 0 && Date.now() - t0 < 3000) await sleep(10);
    expect(s.stats().connections).toBe(0);
    for (const p of s.pending.splice(0)) expect(s.respondLate(p)).toBe(false);
    expect(s.stats().inflight).toBe(0);
    const ok = await exchange(s.port, [get("/hello")], { responses: 1 });
    expect(parseResponses(ok.data).responses[0]?.body).toBe("hello");
    clearInterval(drainer);
    drain();
    expect(records).toBeGreaterThan(100);
  }, 60_000);
});
