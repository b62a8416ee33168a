/**
 * The server's own lifecycle messages (workers starting, crashing and being replaced,
 * shutdown and drain, a missing SO_REUSEPORT) and the opt-in signal handlers. Every such
 * message goes through `lifecycleLog`, the one place a logger routes them: by default
 * warnings and errors are lines on stderr and info is dropped; `setLifecycleLog` swaps
 * the sink (a pino-compatible logger has info/warn/error taking a message string).
 */
import { isMainThread } from "node:worker_threads";

export interface LifecycleSink {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const stderrSink: LifecycleSink = {
  info() {},
  warn: (msg) => console.error(`catzilla: ${msg}`),
  error: (msg) => console.error(`catzilla: ${msg}`),
};

let sink: LifecycleSink = stderrSink;

/** Routes the lifecycle messages to `next` (undefined: back to the stderr default). */
export function setLifecycleLog(next: LifecycleSink | undefined): void {
  sink = next ?? stderrSink;
}

export const lifecycleLog: LifecycleSink = {
  info: (msg) => sink.info(msg),
  warn: (msg) => sink.warn(msg),
  error: (msg) => sink.error(msg),
};

/** The signals listen({ handleSignals: true }) handles. */
export const SHUTDOWN_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Calls `shutdown` on the first SIGTERM or SIGINT and exits 0 once it resolves (1 if it
 * rejects); a second signal exits at once with 1. Only on the main thread (a worker thread
 * gets no signals). Returns the function that removes the handlers.
 */
export function handleShutdownSignals(shutdown: () => Promise<void>): () => void {
  if (!isMainThread) return () => {};
  let started = false;
  const on = (signal: NodeJS.Signals): void => {
    if (started) {
      lifecycleLog.warn(`${signal} during shutdown: exiting now`);
      process.exit(1);
    }
    started = true;
    lifecycleLog.info(`${signal}: shutting down`);
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        lifecycleLog.error(`shutdown failed: ${String((err as Error)?.stack ?? err)}`);
        process.exit(1);
      },
    );
  };
  for (const s of SHUTDOWN_SIGNALS) process.on(s, on);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, on);
  };
}
