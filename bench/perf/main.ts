// Serves bench/perf/app.ts (bench/perf/run.mjs compiles both).
import { server } from "./.catzilla/server.js";
await server.listen({ port: Number(process.env.PORT ?? 8080), host: "127.0.0.1" });
console.log(`catzilla: listening on http://127.0.0.1:${server.port}`);
for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => void server.close().then(() => process.exit(0)));
