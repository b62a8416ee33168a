// listen({ workers }): N event loops on worker threads sharing the port through SO_REUSEPORT;
// reusePort for a second process on the same port; a crashed worker replaced.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { ROOT, serveError } from "../helpers/app.js";
import { exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
import { fresh, startApp, waitFor } from "./helpers.js";

const OUT = "test/fixtures/deploy/.catzilla";

/** A keep-alive connection and the thread that serves it (its first request asks). */
async function connectionTo(port: number): Promise<{ sock: Socket; thread: number }> {
  const sock = await openSocket(port);
  const ex = await exchangeOn(sock, [get("/thread")], { responses: 1 });
  const [r] = parseResponses(ex.data).responses;
  return { sock, thread: JSON.parse(r!.body).thread as number };
}

/** Keep-alive connections until one is served by the main thread and one by a worker. */
async function oneOfEach(port: number): Promise<{ main: Socket; worker: Socket; workerThread: number }> {
  let main: Socket | undefined;
  let worker: { sock: Socket; thread: number } | undefined;
  for (let i = 0; i < 64 && (main === undefined || worker === undefined); i++) {
    const c = await connectionTo(port);
    if (c.thread === 0 && main === undefined) main = c.sock;
    else if (c.thread !== 0 && worker === undefined) worker = c;
    else c.sock.destroy();
  }
  if (main === undefined || worker === undefined) throw new Error("the kernel never picked both listeners");
  return { main, worker: worker.sock, workerThread: worker.thread };
}

describe("listen({ workers })", () => {
  it("workers: 2 serves on two event loops sharing one port, each with its own module state", async () => {
    const app = await startApp({ WORKERS: "2" });
    try {
      expect(app.workers).toBe(2);
      const served = new Map<number, number>(); // thread → its own counter's highest value
      const n = 60;
      for (let i = 0; i < n; i++) {
        const r = await fresh(app.port, "/thread");
        expect(r.status).toBe(200);
        const { thread, served: count, pid } = JSON.parse(r.body);
        expect(pid).toBe(app.pid);
        served.set(thread, Math.max(served.get(thread) ?? 0, count));
      }
      expect(served.size).toBe(2);
      expect(served.has(0)).toBe(true);
      // Each thread counts only what it answered: the counters add up to the requests sent.
      expect([...served.values()].reduce((a, b) => a + b, 0)).toBe(n);
    } finally {
      await app.stop();
    }
  });

  it('workers: "auto" starts one loop per available core', async () => {
    const app = await startApp({ WORKERS: "auto" });
    try {
      expect(app.workers).toBe(availableParallelism());
      expect((await fresh(app.port, "/thread")).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it("close drains every worker: in-flight requests on each loop are answered with Connection: close", async () => {
    const app = await startApp({ WORKERS: "2" });
    const { main, worker } = await oneOfEach(app.port);
    const onMain = exchangeOn(main, [get("/slow/600")], { responses: 1, timeoutMs: 8000, idleMs: 3000 });
    const onWorker = exchangeOn(worker, [get("/slow/600")], { responses: 1, timeoutMs: 8000, idleMs: 3000 });
    await new Promise((r) => setTimeout(r, 150));
    const code = app.stop();
    for (const ex of await Promise.all([onMain, onWorker])) {
      const [r] = parseResponses(ex.data).responses;
      expect(r?.status).toBe(200);
      expect(r?.headers.connection).toBe("close");
      expect(JSON.parse(r!.body).slept).toBe(600);
    }
    expect(await code).toBe(0);
  });

  it("a worker that crashes is logged and replaced; the server keeps answering", async () => {
    const app = await startApp({ WORKERS: "2" });
    try {
      const { main, worker, workerThread } = await oneOfEach(app.port);
      main.destroy();
      const ex = await exchangeOn(worker, [get("/crash")], { responses: 1 });
      expect(JSON.parse(parseResponses(ex.data).responses[0]!.body)).toEqual({ thread: workerThread, crashing: true });
      worker.destroy();
      await waitFor(() => /worker \d+ crashed: Error: crash on purpose/.test(app.stderr()), 10_000, "the crash log");
      expect(app.stderr()).toContain("starting a replacement");
      // The replacement listens: fresh connections reach a new worker thread.
      const threads = new Set<number>();
      await waitFor(
        async () => {
          const r = await fresh(app.port, "/thread");
          expect(r.status).toBe(200);
          threads.add(JSON.parse(r.body).thread);
          return [...threads].some((t) => t !== 0 && t !== workerThread);
        },
        10_000,
        "a replacement worker",
      );
      for (let i = 0; i < 20; i++) expect((await fresh(app.port, "/thread")).status).toBe(200);
      // The main thread refuses the crash route and keeps serving.
      expect(app.child.exitCode).toBe(null);
    } finally {
      const code = await app.stop();
      expect(code, app.stderr()).toBe(0);
    }
  });

  it("shutdownDelayMs: every loop's health route answers 503 before the listeners close", async () => {
    const app = await startApp({ WORKERS: "2", SHUTDOWN_DELAY_MS: "1500" });
    const code = app.stop();
    await new Promise((r) => setTimeout(r, 200));
    const threads = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const h = await fresh(app.port, "/healthz");
      expect(h.status).toBe(503);
      expect(h.headers.connection).toBe("close");
      const t = await fresh(app.port, "/thread");
      expect(t.status).toBe(200);
      threads.add(JSON.parse(t.body).thread);
    }
    expect(threads.size).toBe(2);
    expect(await code).toBe(0);
  });

  it("reusePort lets a second process bind the same port (both serve); without it the port is in use", async () => {
    const a = await startApp({ REUSE_PORT: "1" });
    const b = await startApp({ REUSE_PORT: "1", PORT: String(a.port) });
    try {
      expect(b.port).toBe(a.port);
      const pids = new Set<number>();
      for (let i = 0; i < 40 && pids.size < 2; i++) pids.add(JSON.parse((await fresh(a.port, "/thread")).body).pid);
      expect(pids).toEqual(new Set([a.pid, b.pid]));
      await expect(startApp({ PORT: String(a.port) })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  for (const mode of ["constant", "enotsup"]) {
    it(`without SO_REUSEPORT (${mode}) it warns and serves on one loop`, async () => {
      const app = await startApp({
        WORKERS: "2",
        NO_REUSEPORT: mode,
        CATZILLA_NATIVE: join(ROOT, "test", "fixtures", "deploy", "no-reuseport.cjs"),
        CZ_REAL_NATIVE: process.env.CATZILLA_NATIVE ?? "",
      });
      try {
        expect(app.workers).toBe(1);
        expect(app.stderr()).toContain("SO_REUSEPORT is not available on this platform: serving on one event loop");
        for (let i = 0; i < 5; i++) expect(JSON.parse((await fresh(app.port, "/thread")).body).thread).toBe(0);
      } finally {
        expect(await app.stop()).toBe(0);
      }
    });
  }

  it("a worker that cannot load the app fails listen (the main loop does not serve alone)", async () => {
    const err = await startApp({ WORKERS: "2", FAIL_WORKER_IMPORT: "1" }).then(
      (app) => app.stop().then(() => "started"),
      (e: Error) => e.message,
    );
    expect(err).toMatch(/worker \d+ could not listen: worker import fails on purpose/);
  });

  it("bad workers and health values are refused at listen", async () => {
    expect(await serveError(OUT, { workers: 0 })).toMatch(/workers must be a positive integer or "auto"/);
    expect(await serveError(OUT, { workers: 1.5 })).toMatch(/workers must be a positive integer/);
    expect(await serveError(OUT, { health: "healthz" })).toMatch(/health must be a path starting with "\/"/);
    expect(await serveError(OUT, { health: "/h?x" })).toMatch(/health must be a path/);
  });
});
