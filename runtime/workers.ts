/**
 * listen({ workers: N }): the N - 1 worker threads that serve the app beside the main
 * thread's loop. Each imports the compiled app's server.js (so its route modules, dispatch
 * module and blocking pool are its own: module-level state is per worker) and listens on
 * the main thread's port with SO_REUSEPORT; the kernel spreads new connections across the
 * listeners. A worker that dies while serving is logged and replaced; shutdown and close
 * reach every worker (serve-worker.ts is the worker's side).
 *
 *   const fleet = await startFleet(serverJsUrl, { ...options, port }, 3);
 *   fleet.goAway();          // shutdown's first phase on every worker
 *   await fleet.close();     // each worker drains, then ends
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ServerLog } from "./log.js";
import type { ListenOptions } from "./server.js";

/** Messages between the main thread and a serving worker. */
export type ToWorker = { type: "goAway" } | { type: "close" };
export type FromWorker = { type: "ready"; port: number } | { type: "failed"; message: string } | { type: "closed" };

export interface Fleet {
  /** Worker threads serving (the main thread's loop not counted). */
  readonly size: number;
  /** Their thread ids (a replaced worker's new id). */
  threadIds(): number[];
  goAway(): void;
  /** Every worker closes its server (draining like the main one), then ends. */
  close(): Promise<void>;
}

/** The event loops `workers` asks for: "auto" = available parallelism; at least 1. */
export function loopCount(workers: ListenOptions["workers"]): number {
  if (workers === undefined) return 1;
  if (workers === "auto") return Math.max(1, availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) {
    throw new TypeError(`catzilla: listen: workers must be a positive integer or "auto" (got ${String(workers)})`);
  }
  return workers;
}

/**
 * The options a worker listens with: the main thread's, bound to its port with
 * SO_REUSEPORT, one loop, no signal handlers; values that cannot be sent to a thread
 * (functions, loggers) are left out, with a warning naming them.
 */
export function workerOptions(options: ListenOptions, port: number, log: ServerLog): ListenOptions {
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(options)) {
    try {
      out[k] = structuredClone(v);
    } catch {
      dropped.push(k);
    }
  }
  if (dropped.length > 0) {
    log.warn({}, `workers: listen option(s) ${dropped.join(", ")} cannot be sent to worker threads; workers use the defaults`);
  }
  return { ...out, port, workers: 1, reusePort: true, handleSignals: false };
}

/** How long to wait before replacing a worker that failed again, at most. */
const RESTART_MAX_MS = 10_000;

interface Member {
  worker: Worker;
  ready: boolean;
  closed: boolean;
}

/**
 * Starts `count` workers serving `serverModule` with `options` (see workerOptions); resolves
 * once every one listens, rejects (stopping those that started) when one cannot.
 */
export async function startFleet(serverModule: string, options: ListenOptions, count: number, log: ServerLog): Promise<Fleet> {
  const workerUrl = new URL("./serve-worker.js", import.meta.url);
  const members: Member[] = [];
  let closing = false;
  let running = false; // every first worker listens: from now on a dead one is replaced
  let failures = 0; // replacements in a row that died before listening

  const spawn = (index: number, first: (err?: Error) => void): Member => {
    const m: Member = { worker: new Worker(workerUrl, { workerData: { serverModule, options } }), ready: false, closed: false };
    const id = m.worker.threadId;
    let settled = false;
    let crash: Error | undefined;
    const settle = (err?: Error) => {
      if (!settled) {
        settled = true;
        first(err);
      }
    };
    m.worker.on("message", (msg: FromWorker) => {
      if (msg.type === "ready") {
        m.ready = true;
        failures = 0;
        settle();
      } else if (msg.type === "failed") {
        settle(new Error(`catzilla: worker ${id} could not listen: ${msg.message}`));
        void m.worker.terminate();
      } else if (msg.type === "closed") {
        m.closed = true;
      }
    });
    m.worker.on("error", (err) => {
      crash = err;
      if (!m.ready) settle(err);
    });
    m.worker.on("exit", (code) => {
      if (!m.ready) settle(new Error(`catzilla: worker ${id} exited with code ${code} before listening`));
      if (closing || !running || members[index] !== m) return;
      const why = crash !== undefined ? `crashed: ${String(crash.stack ?? crash)}` : `exited with code ${code}`;
      log.error({}, `worker ${id} ${why}; starting a replacement`);
      replace(index, m.ready ? 0 : Math.min(RESTART_MAX_MS, 100 * 2 ** failures++));
    });
    return m;
  };

  const replace = (index: number, delayMs: number): void => {
    const go = () => {
      if (closing) return;
      members[index] = spawn(index, (err) => {
        if (err !== undefined) log.error({}, `replacement worker failed to start: ${err.message}`);
        else log.info({}, `worker ${members[index]!.worker.threadId} serving (replacing a crashed one)`);
      });
    };
    if (delayMs > 0) setTimeout(go, delayMs).unref();
    else go();
  };

  const started = Array.from(
    { length: count },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        members[i] = spawn(i, (err) => (err ? reject(err) : resolve()));
      }),
  );
  const fleet: Fleet = {
    size: count,
    threadIds: () => members.filter((m) => m.ready).map((m) => m.worker.threadId),
    goAway() {
      for (const m of members) if (m.ready) m.worker.postMessage({ type: "goAway" } satisfies ToWorker);
    },
    async close() {
      closing = true;
      await Promise.all(members.map((m) => stopMember(m)));
    },
  };
  const results = await Promise.allSettled(started);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await fleet.close();
    throw failed.reason;
  }
  running = true;
  return fleet;
}

/** Asks a worker to close its server (it drains), then ends the thread. */
async function stopMember(m: Member): Promise<void> {
  if (m.worker.threadId === -1) return; // already exited
  const exited = new Promise<void>((resolve) => m.worker.once("exit", () => resolve()));
  if (m.ready && !m.closed) {
    const closed = new Promise<void>((resolve) => {
      const on = (msg: FromWorker) => {
        if (msg.type === "closed") {
          m.worker.off("message", on);
          resolve();
        }
      };
      m.worker.on("message", on);
    });
    m.worker.postMessage({ type: "close" } satisfies ToWorker);
    await Promise.race([closed, exited]);
  }
  await m.worker.terminate();
  await exited;
}
