/**
 * The blocking pool: worker threads that run `{ blocking: true }` routes, so a handler that
 * calls readFileSync, execSync, pbkdf2Sync or burns CPU cannot stall the event loop every
 * connection shares. Each worker imports the app's route modules (the generated server.js
 * lists them), binds the blocking routes as the server binds every route (bind.ts), and
 * runs each job on a Request rebuilt from the request's copy (request.ts, RequestCopy),
 * answering with the response encoded by the runtime's own encoder.
 *
 * A route whose result type is precise is serialized on the worker by its generated
 * serializer (serializers.js `out<id>`, imported from `serializersUrl`), as on the main thread.
 *
 *   const pool = createBlockingPool(moduleUrls, blockingRoutes);
 *   const { status, head, body } = await pool.run(routeId, requestCopy);
 *   await pool.close();
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RequestCopy } from "./request.js";

/** The encoded response: status, extra header lines (`Name: value\r\n`…), body bytes. */
export interface BlockingResponse {
  status: number;
  head: string;
  body: Uint8Array;
  /** The handler failed (serialized as log.ts serializeError): the main thread logs it. */
  error?: Record<string, unknown>;
}

export interface BlockingRoute {
  id: number;
  method: string;
  path: string;
  params?: readonly string[];
  /** Per param: "string" | "int" | "number" | "enum" (dispatch.js routes[i].paramTypes). */
  paramTypes?: readonly string[];
}

/** What each worker starts from. */
export interface BlockingWorkerData {
  moduleUrls: string[];
  routes: BlockingRoute[];
  /** The generated serializers.js, when a blocking route's result is serialized by its type. */
  serializersUrl?: string;
}

export interface BlockingPool {
  readonly size: number;
  run(routeId: number, req: RequestCopy): Promise<BlockingResponse>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inflight: Map<number, { resolve(r: BlockingResponse): void; reject(e: Error): void }>;
}

/** `size` defaults to availableParallelism() - 1, at least 1. */
export function createBlockingPool(
  moduleUrls: readonly string[],
  routes: readonly BlockingRoute[],
  size = Math.max(1, availableParallelism() - 1),
  serializersUrl?: string,
): BlockingPool {
  const workerUrl = new URL("./blocking-worker.js", import.meta.url);
  const data: BlockingWorkerData = { moduleUrls: [...moduleUrls], routes: routes.map((r) => ({ ...r })), serializersUrl };
  let nextJob = 1;
  let closed = false;
  /** Set when a worker fails before it is ready (e.g. a route module throws): every run rejects with it. */
  let broken: Error | undefined;
  const slots: Slot[] = [];

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(workerUrl, { workerData: data }), ready: false, inflight: new Map() };
    slot.worker.unref();
    slot.worker.on("message", (m: { job: number; ready?: boolean } & BlockingResponse) => {
      if (m.ready) {
        slot.ready = true;
        return;
      }
      const p = slot.inflight.get(m.job);
      slot.inflight.delete(m.job);
      p?.resolve({ status: m.status, head: m.head, body: m.body, error: m.error });
    });
    const fail = (err: Error) => {
      if (!slot.ready) broken ??= new Error(`catzilla: the blocking pool cannot start: ${err.message}`);
      for (const p of slot.inflight.values()) p.reject(broken ?? err);
      slot.inflight.clear();
      const i = slots.indexOf(slot);
      if (i >= 0 && !closed && !broken) slots[i] = spawn(); // a worker that crashed after starting is replaced
    };
    slot.worker.on("error", fail);
    slot.worker.on("exit", (code) => {
      if (!closed) fail(new Error(`catzilla: blocking worker exited with code ${code}`));
    });
    return slot;
  };
  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    size,
    run(routeId, req) {
      if (closed) return Promise.reject(new Error("catzilla: the blocking pool is closed"));
      if (broken) return Promise.reject(broken);
      let slot = slots[0];
      for (const s of slots) if (s.inflight.size < slot.inflight.size) slot = s;
      const job = nextJob++;
      return new Promise<BlockingResponse>((resolve, reject) => {
        slot.inflight.set(job, { resolve, reject });
        slot.worker.postMessage({ job, route: routeId, req });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = new Error("catzilla: the blocking pool is closed");
      for (const s of slots) for (const p of s.inflight.values()) p.reject(err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
