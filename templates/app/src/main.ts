// Production entry: `npm run build && npm start`. Stops gracefully on SIGTERM/SIGINT:
// requests already received are answered, then the process exits 0 (docs: deployment).
import { server } from "./.catzilla/server.js";

await server.listen({
  host: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 8000),
  // A readiness path answered in C: 200 while serving, 503 once shutdown starts.
  health: "/healthz",
  handleSignals: true,
});
console.log(`listening on http://${server.host}:${server.port}`);
