// Serves the schema benchmark app (bench/schema/e2e.mjs compiles it with app.ts).
import { server } from "./.catzilla/server.js";
await server.listen({ port: Number(process.env.PORT ?? 8080), host: "127.0.0.1" });
console.log(`catzilla: listening on http://127.0.0.1:${server.port}`);
for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => void server.close().then(() => process.exit(0)));
