// A rolling restart behind a real nginx loses nothing: two Catzilla processes upstream, a
// bounded load through nginx (GETs, slow async requests, POST bodies), and each process
// replaced in turn the way a zero-downtime deploy does it on one host: the new process
// binds the same port with SO_REUSEPORT, then the old one gets SIGTERM and drains.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/app.js";
import { startApp, type AppProcess } from "./helpers.js";
import { freePort, startNginx } from "../../bench/lib/nginx.mjs";

const DIR = join(ROOT, "test", ".tmp", `nginx-drain-${process.pid}`);
const CONCURRENCY = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  sent: number;
  answered: number;
  failed: number;
  byKind: Record<string, number>;
  failures: string[];
}

/** Keeps CONCURRENCY request loops running through nginx until stopped; checks every answer. */
function load(port: number, pids: Set<number>) {
  const counts: Counts = { sent: 0, answered: 0, failed: 0, byKind: { get: 0, slow: 0, post: 0 }, failures: [] };
  let running = true;
  let seed = 1;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const base = `http://127.0.0.1:${port}`;

  const one = async (): Promise<void> => {
    const kind = ["get", "slow", "post"][rand(3)]!;
    counts.sent++;
    counts.byKind[kind]!++;
    try {
      if (kind === "get") {
        const res = await fetch(`${base}/thread`);
        const j = (await res.json()) as { pid: number };
        if (res.status !== 200) throw new Error(`GET /thread → ${res.status}`);
        pids.add(j.pid);
      } else if (kind === "slow") {
        const ms = 50 + rand(300);
        const res = await fetch(`${base}/slow/${ms}`);
        const j = (await res.json()) as { slept: number };
        if (res.status !== 200 || j.slept !== ms) throw new Error(`GET /slow/${ms} → ${res.status} ${JSON.stringify(j)}`);
      } else {
        const body = Buffer.alloc(1 + rand(48 * 1024), rand(256));
        const sum = body.reduce((a, b) => (a + b) % 65521, 0);
        const res = await fetch(`${base}/echo`, { method: "POST", body });
        const j = (await res.json()) as { bytes: number; sum: number };
        if (res.status !== 200 || j.bytes !== body.length || j.sum !== sum) {
          throw new Error(`POST /echo → ${res.status} ${JSON.stringify(j)}`);
        }
      }
      counts.answered++;
    } catch (err) {
      counts.failed++;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      counts.failures.push(`${kind}: ${e.message} ${e.cause?.code ?? e.cause?.message ?? ""}`);
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (running) await one();
  });
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

// T_GRACE=0 T_DELAY=0 turns the drain off (cut in-flight requests at SIGTERM): nginx then
// retries them elsewhere, the client still sees no failure, and the handled-once check fails.
const ENV = { REUSE_PORT: "1", SHUTDOWN_DELAY_MS: "300", CLOSE_GRACE_MS: process.env.T_GRACE ?? "10000", SHUTDOWN_DELAY_MS: process.env.T_DELAY ?? "300" };

describe("behind nginx", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it("a rolling restart of both upstreams (SIGTERM, new process on the same port) fails no request", async () => {
    mkdirSync(DIR, { recursive: true });
    const ports = [await freePort(), await freePort()];
    const apps: AppProcess[] = [];
    for (const port of ports) {
      const app = await startApp({ ...ENV, PORT: String(port) });
      cleanup.push(() => app.stop(2000));
      apps.push(app);
    }
    const nginx = await startNginx(join(DIR, "nginx"), ports);
    cleanup.push(() => nginx.stop());

    const pids = new Set<number>();
    const t0 = Date.now();
    const running = load(nginx.port, pids);
    await sleep(1000);
    const exits: (number | null)[] = [];
    const fresh: AppProcess[] = [];
    for (let i = 0; i < apps.length; i++) {
      // The new process binds the port beside the old one, then the old one drains.
      const next = await startApp({ ...ENV, PORT: String(ports[i]) });
      cleanup.push(() => next.stop(2000));
      fresh.push(next);
      exits.push(await apps[i]!.stop());
      await sleep(700);
    }
    await running.stop();
    const seconds = (Date.now() - t0) / 1000;
    for (const app of fresh) exits.push(await app.stop());
    // What each process's handlers started (printed at exit): a request cut off by a
    // careless shutdown and retried by nginx would be counted twice.
    const handled = [...apps, ...fresh]
      .map((a) => a.lines.map((l) => JSON.parse(l) as { handled?: number }).find((j) => j.handled !== undefined)?.handled ?? NaN)
      .reduce((a, b) => a + b, 0);

    const { counts } = running;
    const log = nginx.accessLog();
    const retried = log.filter((l) => /^\d+ "[^"]*, /.test(l)).length;
    const figures = {
      sent: counts.sent,
      answered: counts.answered,
      failed: counts.failed,
      byKind: counts.byKind,
      handledByApps: handled,
      retriedByNginx: retried,
      non200AtNginx: log.filter((l) => !l.startsWith("200 ")).length,
      seconds: Number(seconds.toFixed(1)),
      restarts: apps.length,
    };
    writeFileSync(join(ROOT, "test", ".tmp", "nginx-drain.json"), JSON.stringify(figures, null, 2) + "\n");
    console.log(`nginx rolling restart: ${JSON.stringify(figures)}`);

    expect(counts.failures, nginx.errorLog()).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(counts.answered).toBe(counts.sent);
    expect(counts.sent).toBeGreaterThan(100);
    expect(figures.non200AtNginx).toBe(0);
    // Every slow and POST request ran exactly once: none was cut off and retried.
    expect(handled).toBe(counts.byKind.slow! + counts.byKind.post!);
    // Each process drained and exited 0; the new ones took over.
    expect(exits).toEqual([0, 0, 0, 0]);
    for (const app of [...apps, ...fresh]) expect(pids.has(app.pid), `pid ${app.pid} served`).toBe(true);
  });
});
