// The route timeout: `listen({ handlerTimeoutMs })` answers a handler that never settles
// with 503 {"error":"Service Unavailable"}; every other request, and the connection, go on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileOrThrow, serve, type RunningApp } from "../helpers/app.js";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";

const OUT = "test/fixtures/timeout/.catzilla";
const UNAVAILABLE = '{"error":"Service Unavailable"}';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: RunningApp;
beforeAll(async () => {
  // Only this file serves this app, so it is compiled here rather than in global-setup.
  compileOrThrow(["test/fixtures/timeout/app.ts"], OUT);
  app = await serve(OUT, { handlerTimeoutMs: 200 });
});
afterAll(async () => {
  await app?.stop();
});

describe("handlerTimeoutMs: 200", () => {
  it.each(["/never", "/never-promise", "/never-maybe"])("%s is answered 503 once the timeout passes", async (path) => {
    const t0 = Date.now();
    const res = await fetch(app.url + path);
    const ms = Date.now() - t0;
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(UNAVAILABLE);
    expect(ms).toBeGreaterThanOrEqual(180);
    expect(ms).toBeLessThan(5000);
    expect(app.stderr()).toContain(`GET ${path} did not settle within 200 ms`);
  });

  it("handlers that settle in time are answered normally", async () => {
    expect(await (await fetch(app.url + "/async")).json()).toEqual({ ok: "async" });
    expect(await (await fetch(app.url + "/late/20")).json()).toEqual({ late: 20 });
    expect(await (await fetch(app.url + "/sync")).json()).toEqual({ ok: true });
  });

  it("the connection goes on: pipelined requests behind a timed-out one are answered in order, kept alive", async () => {
    const sock = await openSocket(app.port);
    try {
      const r = await exchangeOn(sock, [get("/never") + get("/sync") + get("/async")], {
        responses: 3,
        idleMs: 2000,
      });
      const { responses, rest } = parseResponses(r.data);
      expect(responses.map((x) => x.status)).toEqual([503, 200, 200]);
      expect(responses[0].body).toBe(UNAVAILABLE);
      expect(responses[0].headers.connection).toBeUndefined();
      expect(responses[2].body).toBe('{"ok":"async"}');
      expect(rest).toBe("");
      expect(r.closed).toBe(false);
      // The same connection serves another request, and a second timeout.
      const again = await exchangeOn(sock, [get("/sync") + get("/never-promise")], { responses: 2, idleMs: 2000 });
      expect(parseResponses(again.data).responses.map((x) => x.status)).toEqual([200, 503]);
      expect(again.closed).toBe(false);
    } finally {
      sock.destroy();
    }
  });

  it("other connections are served while a handler hangs", async () => {
    let hungAt = 0;
    const hung = fetch(app.url + "/never").then(async (res) => {
      hungAt = Date.now();
      return { status: res.status, body: await res.text() };
    });
    await sleep(20);
    const served: number[] = [];
    for (const path of ["/sync", "/async", "/sync", "/late/1"]) {
      const res = await fetch(app.url + path);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      served.push(Date.now());
    }
    expect(await hung).toEqual({ status: 503, body: UNAVAILABLE });
    // Every other request was answered before the hanging one timed out.
    for (const t of served) expect(t).toBeLessThanOrEqual(hungAt);
  });

  it("a handler still running after its 503 gets the answered error for its request, never later clients' bytes", async () => {
    const late = [1, 2, 3].map((k) => fetch(`${app.url}/reads-late/${k}`, { headers: { "X-Tag": `tag${k}` } }));
    await sleep(250); // answered 503 by now, still running
    // (/late/1 runs in JS, so each of these is a batch written over the shared arena; /sync is const, answered in C.)
    for (let k = 0; k < 20; k++) await (await fetch(`${app.url}/late/1?k=${k}`, { headers: { "X-Tag": "other" } })).text();
    expect((await Promise.all(late)).map((r) => r.status)).toEqual([503, 503, 503]);
    await sleep(250);
    const seen = (await (await fetch(`${app.url}/seen`)).json()) as string[];
    const error = "req.params read after the request was answered; copy what a background task needs before the handler returns";
    expect(seen.sort()).toEqual([1, 2, 3].map((k) => `tag${k}: catzilla: ${error}`));
  });

  it("a result or rejection that arrives after the 503 is dropped: one answer per request", async () => {
    const sock = await openSocket(app.port);
    try {
      const first = await exchangeOn(sock, [get("/late/400") + get("/late-reject/400")], { responses: 2, idleMs: 2000 });
      expect(parseResponses(first.data).responses.map((x) => [x.status, x.body])).toEqual([
        [503, UNAVAILABLE],
        [503, UNAVAILABLE],
      ]);
      await sleep(400); // both handlers settle now
      const next = await exchangeOn(sock, [get("/sync")], { idleMs: 400 });
      const { responses, rest } = parseResponses(next.data);
      expect(responses.map((x) => x.status)).toEqual([200]);
      expect(rest).toBe("");
      expect(next.closed).toBe(false);
      expect(app.stderr()).not.toContain("late boom");
    } finally {
      sock.destroy();
    }
  });

  it("a client that leaves while its handler hangs harms nothing (the timeout fires on a closed connection)", async () => {
    const sock = await openSocket(app.port);
    sock.write(get("/never") + get("/late/250"));
    await sleep(50);
    sock.destroy();
    await sleep(400); // the timeouts fire; their contexts are stale
    const res = await fetch(app.url + "/sync");
    expect(res.status).toBe(200);
    expect(app.child.exitCode).toBeNull();
  });

  it("close() during a hanging request: the 503 goes out with Connection: close and close resolves", async () => {
    const other = await serve(OUT, { handlerTimeoutMs: 200, closeGraceMs: 10_000 });
    try {
      const sock = await openSocket(other.port);
      const pending = exchangeOn(sock, [get("/never")], { idleMs: 3000, timeoutMs: 8000 }, true);
      await sleep(50);
      const t0 = Date.now();
      expect(await other.stop()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
      const r = await pending;
      const { responses } = parseResponses(r.data);
      expect(responses.map((x) => x.status)).toEqual([503]);
      expect(responses[0].headers.connection).toBe("close");
      expect(r.closed).toBe(true);
    } finally {
      await other.stop();
    }
  });
});

describe("without handlerTimeoutMs (the default: no limit)", () => {
  it("a never-settling handler stays pending; the connection's later requests wait behind it, others are served", async () => {
    const other = await serve(OUT, { closeGraceMs: 300 });
    try {
      const r = await exchange(other.port, [get("/never") + get("/sync")], { idleMs: 700, timeoutMs: 1500 });
      expect(r.data).toBe("");
      expect(r.closed).toBe(false);
      expect((await fetch(other.url + "/sync")).status).toBe(200);
      expect(other.stderr()).not.toContain("did not settle");
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
});
