// Bun.serve baseline (run with the `bun` binary): the benchmark routes. PORT from env.
const JSON_H = { "Content-Type": "application/json" };
const TEXT_H = { "Content-Type": "text/plain; charset=utf-8" };

const server = Bun.serve({
  port: Number(process.env.PORT ?? 8080),
  hostname: "127.0.0.1",
  routes: {
    "/plaintext": () => new Response("Hello, World!", { headers: TEXT_H }),
    "/json": () => new Response(JSON.stringify({ message: "Hello, World!" }), { headers: JSON_H }),
    "/async": async () => {
      const data = await Promise.resolve({ message: "Hello, World!" });
      return new Response(JSON.stringify(data), { headers: JSON_H });
    },
    "/user/:id": (req) => new Response(JSON.stringify({ id: req.params.id }), { headers: JSON_H }),
  },
  fetch: () => new Response("Not Found", { status: 404, headers: TEXT_H }),
});
console.log(`bun: listening on http://127.0.0.1:${server.port}`);
for (const s of ["SIGTERM", "SIGINT"]) process.once(s, () => process.exit(0));
