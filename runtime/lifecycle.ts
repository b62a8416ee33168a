/**
 * listen({ handleSignals: true }): SIGTERM/SIGINT → graceful shutdown, logged through the
 * server's logger (runtime/log.ts) like its other lifecycle messages.
 */
import { isMainThread } from "node:worker_threads";
import type { ServerLog } from "./log.js";

/** The signals listen({ handleSignals: true }) handles. */
export const SHUTDOWN_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Calls `shutdown` on the first SIGTERM or SIGINT and exits 0 once it resolves (1 if it
 * rejects); a second signal exits at once with 1. Only on the main thread (a worker thread
 * gets no signals). Returns the function that removes the handlers.
 */
export function handleShutdownSignals(shutdown: () => Promise<void>, log: ServerLog): () => void {
  if (!isMainThread) return () => {};
  let started = false;
  const on = (signal: NodeJS.Signals): void => {
    if (started) {
      log.warn({}, `${signal} during shutdown: exiting now`);
      process.exit(1);
    }
    started = true;
    log.info({}, `${signal}: shutting down`);
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({}, `shutdown failed: ${String((err as Error)?.stack ?? err)}`);
        process.exit(1);
      },
    );
  };
  for (const s of SHUTDOWN_SIGNALS) process.on(s, on);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, on);
  };
}
