/**
 * A blocking route (`{ blocking: true }`, run on the worker pool) with a request schema and a
 * typed result gets what every other kind gets: invalid input is a 400 on the main thread and
 * never reaches the worker; the worker's handler reads the validated body (Dates revived),
 * the coerced query and the typed headers; its result is serialized by its type (fields the
 * type does not declare are not sent).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { exchange, parseResponses } from "../helpers/raw.js";
import { compileAndServe } from "./helpers.js";

let app: RunningApp;
let out: string;

beforeAll(async () => {
  ({ out, app } = await compileAndServe("blocking-schema"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const post = (body: string) =>
  fetch(`${app.url}/users`, { method: "POST", body, headers: { "content-type": "application/json" } });

describe("blocking routes with a schema", () => {
  it("the generated files: the route's check runs in dispatch, its serializer on the worker", () => {
    const dispatch = fs.readFileSync(path.join(out, "dispatch.js"), "utf8");
    expect(dispatch).toMatch(/if \(!rt\.accept\(i, req, V\.route\d+\)\) return;\n\s+return rt\.blocking\(i, req, \d+\);/);
    expect(dispatch).toContain('export const blockingSerializers = new URL("./serializers.js", import.meta.url).href;');
    const serializers = fs.readFileSync(path.join(out, "serializers.js"), "utf8");
    expect(serializers).toMatch(/export function out\d+\(v\)/);
  });

  it("a valid body reaches the worker validated, Dates revived, and the result is filtered by its type", async () => {
    const res = await post(JSON.stringify({ name: "Ada", email: "ada@example.com", born: "1815-12-10T00:00:00.000Z" }));
    expect(res.status, app.stderr()).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    // A string `born` would have thrown in toISOString() (500); without the filter,
    // passwordHash would be sent too.
    expect(await res.text()).toBe('{"id":1,"name":"Ada","email":"ada@example.com","born":"1815-12-10T00:00:00.000Z"}');
  });

  it("the worker's handler reads the query coerced to the declared types", async () => {
    const res = await fetch(`${app.url}/users?limit=5&verbose=true`);
    expect(await res.json()).toEqual({ limit: 5, limitType: "number", verbose: true, verboseType: "boolean" });
  });

  it("an invalid body is a 400 problem listing each failure, and the server serves the next request", async () => {
    const bad = await post(JSON.stringify({ name: "", email: "nope" }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await bad.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(["$.name", "$.email"]);
    const notJson = await post("{");
    expect(notJson.status).toBe(400);
    await notJson.text();
    const ok = await post(JSON.stringify({ name: "Bo", email: "bo@example.com" }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: 2, name: "Bo", email: "bo@example.com" });
  });

  it("an invalid query or header is a 400 naming it, over one keep-alive connection", async () => {
    const req = (target: string, extra = "") => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    const ex = await exchange(
      app.port,
      [req("/users?limit=0") + req("/users?limit=abc") + req("/tenant", "X-Tenant: 1.5\r\n") + req("/tenant", "X-Tenant: 42\r\n")],
      { responses: 4 },
    );
    const { responses } = parseResponses(ex.data);
    expect(responses.map((r) => r.status)).toEqual([400, 400, 400, 200]);
    expect(JSON.parse(responses[0].body).errors[0].path).toBe("query.limit");
    expect(JSON.parse(responses[1].body).errors[0].path).toBe("query.limit");
    expect(JSON.parse(responses[2].body).errors[0].path).toBe("headers.x-tenant");
    // Typed header (a number on the worker), and `extra` filtered out by the result type.
    expect(responses[3].body).toBe('{"tenant":42}');
    expect(ex.closed).toBe(false);
  });
});
