// Serves the conformance subject on PORT (0: any free port) and prints {"port": N}.
import { server } from "./.catzilla/server.js";

await server.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
