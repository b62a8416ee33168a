// The same two routes as bench/schema/app.ts on the other servers, doing the same work:
//   POST /users  validate a 10-field NewUser, answer the new User (5 fields)
//   GET  /users  100 stored users (with a passwordHash) filtered to User's 5 fields
// SERVER=fastify (JSON schemas from the app's openapi.json: ajv in, fast-json-stringify out),
// SERVER=node-http (JSON.parse / JSON.stringify, no validation, no filtering), or run with
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
const JSON_H = { "content-type": "application/json" };

if (which === "fastify") {
  const { default: Fastify } = await import("fastify");
  const doc = JSON.parse(fs.readFileSync(new URL("../.tmp/schema/.catzilla/openapi.json", import.meta.url), "utf8"));
  const app = Fastify({ logger: false });
  app.addSchema({ $id: "defs", $defs: JSON.parse(JSON.stringify(doc.components.schemas).replaceAll("#/components/schemas/", "defs#/$defs/")) });
  app.post("/users", { schema: { body: { $ref: "defs#/$defs/NewUser" }, response: { 200: { $ref: "defs#/$defs/User" } } } }, (req) => created(req.body));
  app.get("/users", { schema: { response: { 200: { type: "array", items: { $ref: "defs#/$defs/User" } } } } }, () => stored);
  await app.listen({ port, host: "127.0.0.1" });
} else if (which === "node-http") {
  const srv = http.createServer((req, res) => {
      if (req.method === "GET") return res.writeHead(200, JSON_H).end(JSON.stringify(stored));
      let body = "";
      req.setEncoding("utf8").on("data", (d) => (body += d));
      req.on("end", () => res.writeHead(200, JSON_H).end(JSON.stringify(created(JSON.parse(body)))));
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
  Bun.serve({
    port,
    hostname: "127.0.0.1",
    routes: {
      "/users": {
        GET: () => new Response(JSON.stringify(stored.map(pickUser)), { headers: JSON_H }),
        POST: async (req) => {
          const u = await req.json();
          if (!valid(u)) return new Response('{"error":"invalid"}', { status: 400, headers: JSON_H });
          return new Response(JSON.stringify(created(u)), { headers: JSON_H });
        },
      },
    },
    fetch: () => new Response("Not Found", { status: 404 }),
  });
} else throw new Error(`SERVER=${which}?`);
console.log(`${which}: listening on http://127.0.0.1:${port}`);
for (const s of ["SIGTERM", "SIGINT"]) process.once(s, () => process.exit(0));
