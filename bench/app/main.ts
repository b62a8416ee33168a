// Serves the compiled benchmark app. PORT from env; BENCH_ENABLE_ASYNC=0 listens with
// enableAsync false (the all-sync app of scenario 1; this app itself has async routes);
// WORKERS=N (or auto) serves on N event loops (bench/workers.mjs).
// BENCH_ACCESS_LOG=<file> turns the access log on, written to that file by pino or, with
// BENCH_ACCESS_LOGGER=json, by catzilla's JSON-lines logger (bench/access-log.mjs).
import { createWriteStream } from "node:fs";
import pino from "pino";
import { jsonLogger } from "catzilla";
import { server } from "./.catzilla/server.js";

const port = Number(process.env.PORT ?? 8000);
const enableAsync = !["0", "false"].includes(process.env.BENCH_ENABLE_ASYNC ?? "1");
const accessFile = process.env.BENCH_ACCESS_LOG;
const accessLog = !accessFile
  ? false
  : process.env.BENCH_ACCESS_LOGGER === "json"
    ? jsonLogger({ write: ((out) => (line: string) => void out.write(line))(createWriteStream(accessFile, { flags: "a" })) })
    : pino(pino.destination({ dest: accessFile, sync: false }));
const workers = process.env.WORKERS === "auto" ? "auto" : Number(process.env.WORKERS ?? 1);
await server.listen({ port, host: "127.0.0.1", enableAsync, accessLog, workers });
console.log(`catzilla: listening on http://127.0.0.1:${server.port} (enableAsync ${enableAsync})`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
