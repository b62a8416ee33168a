// Fastify baseline: the benchmark routes. PORT from env.
// Fastify appends "; charset=utf-8" to a JSON content type unless the reply has its own
// serializer, so the JSON routes set one (JSON.stringify, as the other servers use) to
// answer exactly the same bytes as every other benchmark server.
import Fastify from "fastify";

const JSON_CT = "application/json";
const TEXT_CT = "text/plain; charset=utf-8";
const stringify = JSON.stringify;
const app = Fastify({ logger: false });

app.get("/plaintext", (req, reply) => {
  reply.header("content-type", TEXT_CT);
  return "Hello, World!";
});
app.get("/json", (req, reply) => {
  reply.header("content-type", JSON_CT).serializer(stringify);
  return { message: "Hello, World!" };
});
app.get("/async", async (req, reply) => {
  reply.header("content-type", JSON_CT).serializer(stringify);
  return await Promise.resolve({ message: "Hello, World!" });
});
app.get("/user/:id", (req, reply) => {
  reply.header("content-type", JSON_CT).serializer(stringify);
  return { id: req.params.id };
});
app.setNotFoundHandler((req, reply) => {
  reply.code(404).header("content-type", TEXT_CT).send("Not Found");
});

const port = Number(process.env.PORT ?? 8080);
await app.listen({ port, host: "127.0.0.1" });
console.log(`fastify: listening on http://127.0.0.1:${port}`);
for (const s of ["SIGTERM", "SIGINT"]) process.once(s, () => process.exit(0));
