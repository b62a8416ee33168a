// Serves the compiled notes service: `npm run example:notes` compiles it and runs this file.
// Production settings: a readiness route answered in C, graceful shutdown on SIGTERM/SIGINT.
import { server } from "./.catzilla/server.js";

await server.listen({
  port: Number(process.env.PORT ?? 8000),
  host: process.env.HOST ?? "127.0.0.1",
  health: "/healthz",
  handleSignals: true,
});
console.log(`notes: listening on http://${server.host}:${server.port}`);
