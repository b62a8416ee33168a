// sendTimeoutMs: a client that pipelines requests for large responses and never reads them
// is disconnected once the server's write has made no progress for that long; other
// clients are served meanwhile. With the option off, the connection is held (and every
// response is delivered once the client reads).
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, openSocket, parseResponses } from "../helpers/raw.js";

const FIXTURE = "test/fixtures/e2e/.catzilla";
const N = 12; // × 3 MiB (/large): far more than loopback socket buffers hold
const LARGE = 3 * 1024 * 1024;
const STATUS_LINE = Buffer.from("HTTP/1.1 200 OK\r\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** Connects, pipelines N GET /large and reads nothing: the socket is paused at once. */
async function stalledClient(port: number): Promise<Socket> {
  const sock = await openSocket(port);
  sock.pause();
  sock.on("error", () => {}); // a reset from the server is an outcome here, not a failure
  sock.write(Array.from({ length: N }, () => get("/large")).join(""));
  return sock;
}

/** Starts reading: resolves when the server closes, or once it has been silent for idleMs. */
function drain(sock: Socket, idleMs = 1000): Promise<{ data: Buffer; closed: boolean; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(idle);
      clearTimeout(hard);
      sock.removeAllListeners("data");
      sock.removeAllListeners("close");
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed, ms: Date.now() - t0 });
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), idleMs);
    };
    const hard = setTimeout(() => finish(false), 20_000);
    if (sock.destroyed) return finish(true);
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    sock.once("close", () => finish(true));
    arm();
    sock.resume();
  });
}

function count(data: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + needle.length)) n++;
  return n;
}

async function servesOthers(port: number) {
  const r = await exchange(port, [get("/sync")], { responses: 1 });
  expect(parseResponses(r.data).responses[0]?.body).toBe('{"type":"sync"}');
}

describe("sendTimeoutMs", () => {
  it("300: a client that never reads is disconnected; others are served meanwhile", async () => {
    app = await serve(FIXTURE, { sendTimeoutMs: 300 });
    const sock = await stalledClient(app.port);
    await sleep(150);
    await servesOthers(app.port);
    // Kernel buffers may take a few more bytes at first (progress restarts the timer), so
    // allow several periods; the server must have given up well before 2 s.
    await sleep(1850);
    const r = await drain(sock);
    expect(r.closed).toBe(true);
    // Only what sat in socket buffers when the server closed: far from every response.
    expect(r.data.length).toBeLessThan(N * LARGE);
    expect(count(r.data, STATUS_LINE)).toBeLessThan(N);
    expect(r.ms).toBeLessThan(5000);
    await servesOthers(app.port);
    // Nothing logged but the server's start line (info, level 30).
    expect(app.stderr().split("\n").filter((l) => l !== "" && !l.startsWith('{"level":30,'))).toEqual([]);
  });

  it("0 (off): the same client is held past that time, and gets every response once it reads", async () => {
    app = await serve(FIXTURE, { sendTimeoutMs: 0 });
    const sock = await stalledClient(app.port);
    await sleep(150);
    await servesOthers(app.port);
    await sleep(1850);
    expect(sock.destroyed).toBe(false);
    const r = await drain(sock);
    expect(r.closed).toBe(false); // keep-alive: still open once everything arrived
    expect(count(r.data, STATUS_LINE)).toBe(N);
    expect(r.data.length).toBeGreaterThan(N * LARGE);
    await servesOthers(app.port);
  });

  it("a slow reader that keeps making progress is not cut off", async () => {
    // 1 s rather than 300 ms: the transfer still takes several periods (~5 s), and this test
    // process may itself stall for a few hundred ms while other test files load the machine.
    app = await serve(FIXTURE, { sendTimeoutMs: 1000 });
    const sock = await openSocket(app.port);
    sock.on("error", () => {});
    const chunks: Buffer[] = [];
    let closed = false;
    sock.on("close", () => (closed = true));
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      // Read 64 KiB or so every 50 ms: well under the timeout between bits of progress.
      sock.pause();
      setTimeout(() => sock.resume(), 50);
    });
    sock.write(get("/large") + get("/large"));
    const t0 = Date.now();
    // Until both responses are complete (heads and 3 MiB bodies), the server closes, or 20 s.
    const complete = () => parseResponses(Buffer.concat(chunks).toString("latin1")).responses.length === 2;
    while (!complete()) {
      if (closed || Date.now() - t0 > 20_000) break;
      await sleep(100);
    }
    expect(closed).toBe(false);
    const data = Buffer.concat(chunks);
    expect(count(data, STATUS_LINE)).toBe(2);
    expect(data.length).toBeGreaterThan(2 * LARGE);
    sock.destroy();
  });
});
