// node:http baseline: the benchmark routes on Node's own HTTP server. PORT from env.
import http from "node:http";

const JSON_CT = "application/json";
const TEXT_CT = "text/plain; charset=utf-8";

function send(res, status, type, body) {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = req.url;
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  if (path === "/json") return send(res, 200, JSON_CT, JSON.stringify({ message: "Hello, World!" }));
  if (path === "/plaintext") return send(res, 200, TEXT_CT, "Hello, World!");
  if (path === "/async") {
    return Promise.resolve({ message: "Hello, World!" }).then((data) => send(res, 200, JSON_CT, JSON.stringify(data)));
  }
  if (path.startsWith("/user/") && path.length > 6 && path.indexOf("/", 6) === -1) {
    return send(res, 200, JSON_CT, JSON.stringify({ id: decodeURIComponent(path.slice(6)) }));
  }
  send(res, 404, TEXT_CT, "Not Found");
});

const port = Number(process.env.PORT ?? 8080);
server.listen(port, "127.0.0.1", () => console.log(`node-http: listening on http://127.0.0.1:${port}`));
for (const s of ["SIGTERM", "SIGINT"]) process.once(s, () => process.exit(0));
