// Child-process host for a compiled app: `node serve.mjs <out-dir> [listen-options-json]`.
// Prints one JSON line on stdout: {"port": N} once listening, or {"error": "..."}.
// On SIGTERM it closes the server (graceful) and prints {"closed": true} before exiting.
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";

const [outDir, optionsJson] = process.argv.slice(2);
const options = { host: "127.0.0.1", port: 0, ...(optionsJson ? JSON.parse(optionsJson) : {}) };
let server;
try {
  ({ server } = await import(pathToFileURL(join(resolve(outDir), "server.js")).href));
  await server.listen(options);
} catch (err) {
  process.stdout.write(JSON.stringify({ error: String(err?.message ?? err) }) + "\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
process.once("SIGTERM", () => {
  server.close().then(() => {
    process.stdout.write(JSON.stringify({ closed: true }) + "\n");
    process.exit(0);
  });
});
