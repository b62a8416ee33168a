// server.shutdown() through listen({ handleSignals: true }) on SIGTERM: requests already
// received are answered (async ones, one whose body is still arriving) with Connection:
// close, idle keep-alive connections close, the health route goes 503, exit 0.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
import { fresh, startApp, waitFor } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with true once the server closes the socket (EOF or reset), false after ms. */
function closedWithin(sock: import("node:net").Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    sock.once("close", () => {
      clearTimeout(t);
      resolve(true);
    });
    sock.resume();
  });
}

/** Does a connection to the port get refused? */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

describe("graceful shutdown (SIGTERM with handleSignals)", () => {
  it("answers in-flight async requests and a half-sent POST with Connection: close, closes idle keep-alive connections, exits 0", async () => {
    const app = await startApp();
    // An idle keep-alive connection (one request answered).
    const idle = await openSocket(app.port);
    const first = await exchangeOn(idle, [get("/thread")], { responses: 1 });
    expect(parseResponses(first.data).responses[0]?.status).toBe(200);
    // A slow async request in flight.
    const busy = await openSocket(app.port);
    const slow = exchangeOn(busy, [get("/slow/700")], { responses: 1, timeoutMs: 8000, idleMs: 4000 });
    // A POST whose head and part of its body have arrived.
    const post = await openSocket(app.port);
    const body = Buffer.from("0123456789");
    const posted = exchangeOn(
      post,
      [`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`, body.subarray(0, 4)],
      { responses: 1, timeoutMs: 8000, idleMs: 4000 },
    );
    await sleep(150);
    const t0 = Date.now();
    const code = app.stop();

    expect(await closedWithin(idle, 500)).toBe(true); // closed at once, not after the slow request
    expect(Date.now() - t0).toBeLessThan(600);
    await waitFor(() => refused(app.port), 2000, "the listener to close");

    post.write(body.subarray(4)); // the rest of the body, after shutdown began
    const p = parseResponses((await posted).data).responses[0];
    expect(p?.status).toBe(200);
    expect(p?.headers.connection).toBe("close");
    expect(JSON.parse(p!.body).bytes).toBe(10);

    const s = parseResponses((await slow).data).responses[0];
    expect(s?.status).toBe(200);
    expect(s?.headers.connection).toBe("close");
    expect(JSON.parse(s!.body)).toMatchObject({ slept: 700 });
    expect(await code).toBe(0);
  });

  it("health: 200 while serving (over the app's route at that path), 503 and Connection: close during shutdownDelayMs, then the listener closes", async () => {
    const app = await startApp({ SHUTDOWN_DELAY_MS: "1200" });
    const h = await fresh(app.port, "/healthz");
    expect(h.status).toBe(200);
    expect(h.body).toBe("ok\n");
    expect(h.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(h.headers["cache-control"]).toBe("no-store");
    expect((await fresh(app.port, "/healthz", "HEAD")).status).toBe(200);
    const bad = await fresh(app.port, "/healthz", "POST", "x");
    expect(bad.status).toBe(405);
    expect(bad.headers.allow).toBe("GET, HEAD");
    expect((await fresh(app.port, "/thread")).status).toBe(200); // still serving after the 405
    expect(app.stderr()).toContain("the health route answers /healthz before the app's routes: GET /healthz is never reached");

    const keep = await openSocket(app.port);
    await exchangeOn(keep, [get("/thread")], { responses: 1 });
    const t0 = Date.now();
    const code = app.stop();
    await sleep(150);
    const down = await fresh(app.port, "/healthz");
    expect(down.status).toBe(503);
    expect(down.body).toBe("draining\n");
    expect(down.headers.connection).toBe("close");
    const served = await fresh(app.port, "/thread"); // still accepting, but sends clients away
    expect(served.status).toBe(200);
    expect(served.headers.connection).toBe("close");
    const onKeep = await exchangeOn(keep, [get("/thread")], { responses: 1 });
    expect(parseResponses(onKeep.data).responses[0]?.headers.connection).toBe("close");
    expect(await closedWithin(keep, 1000)).toBe(true);

    await waitFor(() => refused(app.port), 3000, "the listener to close");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);
    expect(await code).toBe(0);
  });

  it("closeGraceMs bounds the drain: a request still running then is cut off, and the process exits 0", async () => {
    const app = await startApp({ CLOSE_GRACE_MS: "300" });
    const busy = await openSocket(app.port);
    const slow = exchangeOn(busy, [get("/slow/5000")], { timeoutMs: 8000, idleMs: 6000 });
    await sleep(100);
    const t0 = Date.now();
    expect(await app.stop()).toBe(0);
    const ex = await slow;
    expect(ex.closed).toBe(true);
    expect(ex.data).toBe("");
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it("a second SIGTERM during shutdown exits at once with code 1", async () => {
    const app = await startApp();
    const busy = await openSocket(app.port);
    void exchangeOn(busy, [get("/slow/5000")], { timeoutMs: 8000, idleMs: 6000 });
    await sleep(100);
    const t0 = Date.now();
    app.child.kill("SIGTERM");
    await sleep(100);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(app.stderr()).toContain("SIGTERM during shutdown: exiting now");
    busy.destroy();
  });
});
