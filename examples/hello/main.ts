// Serves the compiled app: `npm run example:hello` compiles it and runs this file.
import { server } from "./.catzilla/server.js";

const port = Number(process.env.PORT ?? 8000);
await server.listen({ port, host: process.env.HOST ?? "127.0.0.1" });
console.log(`catzilla: listening on http://${server.host}:${server.port}`);

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then exit.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
