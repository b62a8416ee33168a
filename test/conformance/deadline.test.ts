// The whole-request deadline (`listen({ requestTimeoutMs })`, default 300 000 like Node's
// requestTimeout): a body sent one byte at a time restarts the between-reads timer on
// every byte, so only a deadline on the whole request stops it. It runs from the
// request's first byte to its last, per request: a long-lived keep-alive connection whose
// requests each finish in time is never cut.
import { afterAll, beforeAll, describe, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
import { stillServes } from "./helpers.js";

const DEADLINE_MS = 1500;
/** Far below the deadline and the headers timeout, so only the deadline can end a drip. */
const DRIP_MS = 150;
/** Scheduling on a loaded 2-core machine. */
const LATE_MS = 1500;

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", { requestTimeoutMs: DEADLINE_MS, headersTimeoutMs: 1000 });
});
afterAll(async () => {
  await app?.stop();
});

/** Drips `bytes` one per DRIP_MS after `head` and reports what came back and when. */
async function drip(head: string, bytes: string) {
  const t0 = Date.now();
  const r = await exchange(app.port, [head, ...bytes.split("")], {
    gapMs: DRIP_MS,
    idleMs: DEADLINE_MS + LATE_MS,
    timeoutMs: DEADLINE_MS + 2 * LATE_MS,
  });
  return { ...r, ms: Date.now() - t0, statuses: parseResponses(r.data).responses.map((x) => x.status) };
}

// The cases only wait on timers and sockets: they run side by side.
describe("requestTimeoutMs", () => {
  it.concurrent("a Content-Length body dripped one byte at a time → 408 at the deadline, closed", async ({ expect }) => {
    const r = await drip("POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n", "x".repeat(100));
    expect(r.statuses).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(r.ms).toBeLessThan(DEADLINE_MS + LATE_MS);
    await stillServes(expect, app.port);
  });

  it.concurrent("a chunked body dripped one chunk at a time → 408 at the deadline, closed", async ({ expect }) => {
    const head = "POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    const t0 = Date.now();
    const chunks = Array.from({ length: 60 }, () => "1\r\nx\r\n");
    const r = await exchange(app.port, [head, ...chunks], { gapMs: DRIP_MS, idleMs: DEADLINE_MS + LATE_MS, timeoutMs: DEADLINE_MS + 2 * LATE_MS });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS + LATE_MS);
  });

  it.concurrent("headers dripped one line at a time end at the deadline at the latest", async ({ expect }) => {
    const lines = Array.from({ length: 40 }, (_, i) => `X-Drip-${i}: 1\r\n`);
    const t0 = Date.now();
    const r = await exchange(app.port, ["GET /sync HTTP/1.1\r\nHost: t\r\n", ...lines], {
      gapMs: DRIP_MS,
      idleMs: DEADLINE_MS + LATE_MS,
      timeoutMs: DEADLINE_MS + 2 * LATE_MS,
    });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS + LATE_MS);
  });

  it.concurrent("a body that ends before the deadline is served", async ({ expect }) => {
    const r = await exchange(app.port, ["POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n", "a", "b", "c"], {
      gapMs: DRIP_MS,
      responses: 1,
    });
    const [res] = parseResponses(r.data).responses;
    expect(res?.status).toBe(200);
    expect(res?.body).toBe("abc");
    expect(r.closed).toBe(false);
  });

  it.concurrent("the deadline is per request: a keep-alive connection outlives it", async ({ expect }) => {
    const sock = await openSocket(app.port);
    try {
      const first = await exchangeOn(sock, [get("/sync")], { responses: 1 });
      expect(parseResponses(first.data).responses[0]?.status).toBe(200);
      await new Promise((r) => setTimeout(r, DEADLINE_MS - 300));
      // This request starts near the end of the first one's deadline and ends after it.
      const second = await exchangeOn(
        sock,
        ["POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n", "a", "b", "c", "d"],
        { gapMs: DRIP_MS, responses: 1 },
      );
      const [res] = parseResponses(second.data).responses;
      expect(res?.status).toBe(200);
      expect(res?.body).toBe("abcd");
      expect(second.closed).toBe(false);
    } finally {
      sock.destroy();
    }
  });
});
