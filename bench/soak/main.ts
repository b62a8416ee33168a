// Serves the soak app. PORT from env (0 = any; the bound port is printed as JSON on the
// first line of stdout). SIGTERM/SIGINT: graceful close, then exit 0.
import { server } from "./.catzilla/server.js";

const port = Number(process.env.PORT ?? 0);
// SOAK_ACCESS_LOG=1: the access log on (JSON lines on stderr), as scripts/valgrind-native.sh runs it.
await server.listen({
  port,
  host: "127.0.0.1",
  handlerTimeoutMs: Number(process.env.HANDLER_TIMEOUT_MS ?? 0),
  accessLog: process.env.SOAK_ACCESS_LOG === "1",
});
process.stdout.write(JSON.stringify({ port: server.port, pid: process.pid }) + "\n");

// SOAK_MEMLOG=<file>: one JSON line of process.memoryUsage() per second, so a change in RSS
// can be told apart: V8's heap (heapTotal), buffers (external, arrayBuffers) or native memory.
if (process.env.SOAK_MEMLOG) {
  const { appendFileSync } = await import("node:fs");
  const v8 = await import("node:v8");
  const file = process.env.SOAK_MEMLOG;
  const t0 = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    // V8's spaces as committed (space_size) and live (space_used_size), bytes.
    const spaces: Record<string, [number, number]> = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = [s.space_size, s.space_used_size];
    appendFileSync(file, JSON.stringify({ t: (Date.now() - t0) / 1000, ...m, spaces }) + "\n");
  }, 1000).unref();
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => {
      process.stdout.write(JSON.stringify({ closed: true }) + "\n");
      process.exit(0);
    });
  });
}
