// Serves the compiled all-sync app (scenario 1). PORT from env; BENCH_ENABLE_ASYNC=0 listens with
// enableAsync false, which this app allows: every route is sync.
import { server } from "./.catzilla/server.js";

const port = Number(process.env.PORT ?? 8000);
const enableAsync = !["0", "false"].includes(process.env.BENCH_ENABLE_ASYNC ?? "1");
await server.listen({ port, host: "127.0.0.1", enableAsync });
console.log(`catzilla: listening on http://127.0.0.1:${server.port} (enableAsync ${enableAsync})`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
