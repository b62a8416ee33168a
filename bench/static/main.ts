// Serves the compiled static benchmark app on PORT (bench/static/run.mjs).
import { server } from "./.catzilla/server.js";

await server.listen({ port: Number(process.env.PORT ?? 8000), host: "127.0.0.1" });
console.log(`catzilla: listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
