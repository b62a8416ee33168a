// bench/perf/app.ts's four routes on the other servers, doing the same work:
//   GET  /json    {"message":"Hello, World!"}
//   POST /body    parse the 1 KB JSON body, answer {"id":orderId,"count":items.length}
//   GET  /users   100 stored users (with a passwordHash) filtered to User's 5 fields
//   POST /users   validate a 10-field NewUser, answer the new User (5 fields)
// SERVER=node-http (JSON.parse / JSON.stringify, no validation, no filtering), SERVER=fastify
// (JSON schemas from the compiled app's openapi.json: ajv in, fast-json-stringify out), or under
// bun: Bun.serve with the equivalent checks written by hand. PORT from env.
import * as fs from "node:fs";
import * as http from "node:http";

const port = Number(process.env.PORT ?? 8080);
const which = typeof Bun !== "undefined" ? "bun" : process.env.SERVER;
const stored = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  name: `User ${i + 1}`,
  email: `user${i + 1}@example.com`,
  role: i % 3 === 0 ? "admin" : i % 3 === 1 ? "member" : "guest",
  active: i % 2 === 0,
  passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
}));
let next = 1;
const created = (u) => ({ id: next++, name: u.name, email: u.email, role: u.role, active: u.active });
const pickUser = (u) => ({ id: u.id, name: u.name, email: u.email, role: u.role, active: u.active });
const order = (o) => ({ id: o.orderId, count: o.items.length });
const hello = () => ({ message: "Hello, World!" });
const JSON_H = { "content-type": "application/json" };

if (which === "fastify") {
  const { default: Fastify } = await import("fastify");
  const doc = JSON.parse(fs.readFileSync(new URL("../.tmp/perf/.catzilla/openapi.json", import.meta.url), "utf8"));
  const app = Fastify({ logger: false });
  app.addSchema({ $id: "defs", $defs: JSON.parse(JSON.stringify(doc.components.schemas).replaceAll("#/components/schemas/", "defs#/$defs/")) });
  // Fastify appends "; charset=utf-8" unless the reply's serializer is set: the other servers
  // answer plain application/json.
  const plain = (reply, v) => reply.type("application/json").serializer(JSON.stringify).send(v);
  app.get("/json", (_req, reply) => plain(reply, hello()));
  app.post("/body", async (req, reply) => plain(reply, order(req.body)));
  app.post("/users", { schema: { body: { $ref: "defs#/$defs/NewUser" }, response: { 200: { $ref: "defs#/$defs/User" } } } }, (req) => created(req.body));
  app.get("/users", { schema: { response: { 200: { type: "array", items: { $ref: "defs#/$defs/User" } } } } }, () => stored);
  await app.listen({ port, host: "127.0.0.1" });
} else if (which === "node-http") {
  const srv = http.createServer((req, res) => {
    if (req.method === "GET") {
      const v = req.url === "/json" ? hello() : stored;
      return res.writeHead(200, JSON_H).end(JSON.stringify(v));
    }
    let body = "";
    req.setEncoding("utf8").on("data", (d) => (body += d));
    req.on("end", () => {
      const v = JSON.parse(body);
      res.writeHead(200, JSON_H).end(JSON.stringify(req.url === "/body" ? order(v) : created(v)));
    });
  });
  await new Promise((resolve) => srv.listen(port, "127.0.0.1", resolve));
} else if (which === "bun") {
  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  const valid = (u) =>
    typeof u === "object" && u !== null &&
    typeof u.name === "string" && u.name.length >= 1 && u.name.length <= 80 &&
    typeof u.email === "string" && EMAIL.test(u.email) &&
    Number.isInteger(u.age) && u.age >= 0 && u.age <= 150 &&
    (u.role === "admin" || u.role === "member" || u.role === "guest") &&
    Array.isArray(u.tags) && u.tags.every((t) => typeof t === "string") &&
    typeof u.active === "boolean" &&
    typeof u.score === "number" && u.score >= 0 &&
    typeof u.country === "string" && u.country.length === 2 &&
    (u.bio === undefined || (typeof u.bio === "string" && u.bio.length <= 500)) &&
    (u.website === undefined || (typeof u.website === "string" && /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(u.website)));
  const json = (v, status = 200) => new Response(JSON.stringify(v), { status, headers: JSON_H });
  Bun.serve({
    port,
    hostname: "127.0.0.1",
    routes: {
      "/json": { GET: () => json(hello()) },
      "/body": { POST: async (req) => json(order(await req.json())) },
      "/users": {
        GET: () => json(stored.map(pickUser)),
        POST: async (req) => {
          const u = await req.json();
          return valid(u) ? json(created(u)) : json({ error: "invalid" }, 400);
        },
      },
    },
    fetch: () => new Response("Not Found", { status: 404 }),
  });
} else throw new Error(`SERVER=${which}?`);
console.log(`${which}: listening on http://127.0.0.1:${port}`);
for (const s of ["SIGTERM", "SIGINT"]) process.once(s, () => process.exit(0));
