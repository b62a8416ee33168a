// Serves the soak app. PORT from env (0 = any; the bound port is printed as JSON on the
// first line of stdout). SIGTERM/SIGINT: graceful close, then exit 0.
import { server } from "./.catzilla/server.js";

const port = Number(process.env.PORT ?? 0);
await server.listen({ port, host: "127.0.0.1", handlerTimeoutMs: Number(process.env.HANDLER_TIMEOUT_MS ?? 0) });
process.stdout.write(JSON.stringify({ port: server.port, pid: process.pid }) + "\n");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => {
      process.stdout.write(JSON.stringify({ closed: true }) + "\n");
      process.exit(0);
    });
  });
}
