/**
 * A serving worker thread (workers.ts starts them for listen({ workers: N })): imports the
 * compiled app's server.js, whose `server` is this thread's own, listens on the main
 * thread's port with SO_REUSEPORT, and answers the main thread's goAway and close.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Server } from "./server.js";
import type { FromWorker, ToWorker } from "./workers.js";

const { serverModule, options } = workerData as { serverModule: string; options: Record<string, unknown> };
const post = (m: FromWorker) => parentPort!.postMessage(m);

let server: Server & { goAway?(): void };
try {
  ({ server } = (await import(serverModule)) as { server: Server });
  await server.listen(options);
  post({ type: "ready", port: server.port });
} catch (err) {
  post({ type: "failed", message: String((err as Error)?.message ?? err) });
}

parentPort!.on("message", (m: ToWorker) => {
  if (m.type === "goAway") server?.goAway?.();
  else if (m.type === "close") {
    void server?.close().then(() => post({ type: "closed" }));
  }
});
