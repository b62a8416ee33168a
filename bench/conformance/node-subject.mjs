// The node:http subject of the conformance measurements, with the same answers as the
// Catzilla subject (app/app.ts): GET /sync → {"type":"sync"}, anything else echoes the
// request body (h1spec's own subject does the same). Prints {"port": N} once listening.
import http from "node:http";

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/sync") {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 15 });
    return res.end('{"type":"sync"}');
  }
  const parts = [];
  req.on("data", (d) => parts.push(d));
  req.on("end", () => {
    const body = Buffer.concat(parts);
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
    res.end(body);
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, llhttp: process.versions.llhttp }) + "\n");
});
process.once("SIGTERM", () => process.exit(0));
