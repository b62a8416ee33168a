// `npm test` builds the app and runs this with node:test. server.inject() sends each
// request through the real server (C parser, limits, route table, your handlers) without
// binding a port.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { server } from "./.catzilla/server.js";

after(() => server.close());

test("GET / answers JSON", async () => {
  const res = await server.inject({ url: "/" });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { name: "{{name}}", ok: true });
});

test("GET /users/:id(int) gets a number; other segments are 404", async () => {
  assert.deepEqual((await server.inject({ url: "/users/42" })).json(), { id: 42 });
  assert.equal((await server.inject({ url: "/users/abc" })).status, 404);
});

test("POST /echo answers 201 with the body it read", async () => {
  const res = await server.inject({ method: "POST", url: "/echo", body: { hello: "world" } });
  assert.equal(res.status, 201);
  assert.deepEqual(res.json(), { received: { hello: "world" } });
});

test("a wrong method is 405, answered before any handler runs", async () => {
  assert.equal((await server.inject({ method: "DELETE", url: "/" })).status, 405);
});
