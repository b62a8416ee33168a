/**
 * Types are the schema, on the wire: a route's `Request<Path, { body, query, headers }>`
 * becomes generated validators; an invalid request is answered 400 problem+json listing
 * every failure, and the handler (whose calls are counted) never sees it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { compileAndServe } from "./helpers.js";

let app: RunningApp;
let out: string;

beforeAll(async () => {
  ({ out, app } = await compileAndServe("schema"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: { path: string; expected: string; message: string }[];
}

async function post(url: string, body: unknown): Promise<{ status: number; type: string | null; json: unknown }> {
  const res = await fetch(app.url + url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), json: await res.json() };
}

async function problem(url: string, body: unknown): Promise<Problem> {
  const r = await post(url, body);
  expect(r.status, JSON.stringify(r.json)).toBe(400);
  expect(r.type).toBe("application/problem+json");
  const p = r.json as Problem;
  expect(p).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
  return p;
}

const valid = { name: "Ada", email: "ada@example.com", age: 36, role: "admin", tags: ["x", "y"] };

const everythingValue = {
  id: "user_42",
  color: "red",
  level: 1,
  when: "2024-02-29T12:00:00Z",
  pair: ["a"],
  scores: { math: 1, art: 2.5 },
  extra: { on: true },
  page: { items: [{ n: 10 }], next: null },
  ids: ["123e4567-e89b-12d3-a456-426614174000"],
  maybe: null,
  either: 3,
};

describe("request bodies", () => {
  it("a valid body reaches the handler, typed and parsed once", async () => {
    const r = await post("/users", valid);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: "Ada", email: "ada@example.com", role: "admin" });
  });

  it("every failure is listed with its path, expected type and message", async () => {
    const p = await problem("/users", { name: "", email: "nope", age: 1.5, role: "root", tags: ["a", 2] });
    expect(p.errors).toEqual([
      { path: "$.name", expected: "string & MinLength<1> & MaxLength<80>", message: "must be at least 1 character long" },
      { path: "$.email", expected: 'string & Format<"email">', message: "must be an email address" },
      { path: "$.age", expected: "number & Integer & Minimum<0> & Maximum<150>", message: "must be an integer" },
      { path: "$.role", expected: "Role", message: 'must be one of "admin", "member"' },
      { path: "$.tags[1]", expected: "string", message: "must be a string" },
    ]);
  });

  it("missing, malformed and non-object bodies", async () => {
    const missing = await problem("/users", { name: "a", email: "a@b.co", role: "member" });
    expect(missing.errors).toEqual([{ path: "$.tags", expected: "string[]", message: "is required" }]);
    const bad = await problem("/users", "{not json");
    expect(bad.errors).toEqual([{ path: "$", expected: "NewUser", message: "the body is not valid JSON" }]);
    const arr = await problem("/users", [1]);
    expect(arr.errors[0]).toMatchObject({ path: "$", message: "must be an object" });
    const none = await fetch(app.url + "/users", { method: "POST" });
    expect(none.status).toBe(400);
    expect(((await none.json()) as Problem).errors[0].message).toBe("a JSON body is required");
  });

  it("lists at most 20 failures", async () => {
    const p = await problem("/users", { ...valid, tags: Array.from({ length: 50 }, (_, i) => i) });
    expect(p.errors).toHaveLength(20);
    expect(p.errors[19].path).toBe("$.tags[19]");
  });

  it("the handler never ran for the rejected ones", async () => {
    const r = await post("/users", { ...valid, name: "Bob" });
    expect((r.json as { id: number }).id).toBe(2); // only two valid posts so far
  });

  it("recursive types report nested paths", async () => {
    const tree = { label: "root", children: [{ label: "a", children: [] }, { label: 3, children: [{ label: "c" }] }] };
    const p = await problem("/tree", tree);
    expect(p.errors).toEqual([
      { path: "$.children[1].label", expected: "string", message: "must be a string" },
      { path: "$.children[1].children[0].children", expected: "Tree[]", message: "is required" },
    ]);
    const ok = await post("/tree", { label: "r", children: [{ label: "a", children: [] }] });
    expect(ok.status).toBe(200);
  });

  it("discriminated unions check the discriminant first and report one branch", async () => {
    expect((await post("/shape", { kind: "circle", radius: 2 })).status).toBe(200);
    expect((await post("/shape", { kind: "line", points: [[0, 0], [1, 1]] })).status).toBe(200);
    const wrongKind = await problem("/shape", { kind: "hexagon" });
    expect(wrongKind.errors).toEqual([
      {
        path: "$.kind",
        expected: '"circle" | "rect" | "poly" | "line"',
        message: 'must be one of "circle", "rect", "poly", "line"',
      },
    ]);
    const rect = await problem("/shape", { kind: "rect", width: 1 });
    expect(rect.errors).toEqual([{ path: "$.height", expected: "number", message: "is required" }]);
    const tuple = await problem("/shape", { kind: "poly", points: [[0, 0], [1]] });
    expect(tuple.errors).toEqual([
      { path: "$.points[1]", expected: "[number, number]", message: "must have exactly 2 items" },
    ]);
  });

  const everything = everythingValue;

  it("template literals, enums, Date, tuples, records, index signatures, generics, tags", async () => {
    expect((await post("/everything", everything)).status).toBe(200);
    const p = await problem("/everything", {
      ...everything,
      id: "user_x",
      color: "blue",
      level: 2,
      when: "2023-02-29T12:00:00Z",
      pair: ["a", 1, 2],
      scores: { math: "A" },
      extra: { "odd key": 1 },
      page: { items: [{ n: 7 }], next: 1 },
      code: "abcd",
      ids: ["123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"],
      maybe: "x",
      either: true,
    });
    expect(p.errors.map((e) => [e.path, e.message])).toEqual([
      ["$.id", "must have the form `user_${number}`"],
      ["$.color", 'must be one of "red", "green"'],
      ["$.level", "must be one of 0, 1"],
      ["$.when", "must be a date-time (RFC 3339)"],
      ["$.pair", "must have 1 to 2 items"],
      ["$.scores.math", "must be a number"],
      ['$.extra["odd key"]', "must be a boolean"],
      ["$.page.items[0].n", "must be a multiple of 5"],
      ["$.page.next", "must be string or null"],
      ["$.code", "must match ^[A-Z]{3}$"],
      ["$.ids", "must not contain the same item twice"],
      ["$.maybe", "must be number or null"],
      ["$.either", "must be string or number"],
    ]);
    const few = await problem("/everything", { ...everything, ids: [] });
    expect(few.errors).toEqual([
      {
        path: "$.ids",
        expected: 'string & Format<"uuid">[] & MinItems<1> & MaxItems<3> & UniqueItems',
        message: "must have at least 1 item",
      },
    ]);
  });

  it("Date members arrive as RFC 3339 strings and reach the handler as Dates", async () => {
    const r = await post("/when", { at: "2024-02-29T12:00:00+01:00", list: ["2020-01-01T00:00:00Z"], maybe: null });
    expect(r.json).toEqual({ dates: true, iso: "2024-02-29T11:00:00.000Z", maybe: null });
    const both = await post("/when", { at: "2024-02-29T12:00:00Z", list: [], maybe: "2021-06-01T00:00:00Z" });
    expect(both.json).toMatchObject({ dates: true, maybe: "2021-06-01T00:00:00.000Z" });
    const bad = await problem("/when", { at: "yesterday", list: ["2020-13-01T00:00:00Z"] });
    expect(bad.errors.map((e) => [e.path, e.expected])).toEqual([
      ["$.at", "Date"],
      ["$.list[0]", "Date"],
    ]);
  });

  it("formats: ipv4, ipv6, date-time, date, uri", async () => {
    const good = { v4: "10.0.0.1", v6: "::1", at: "2020-01-01T00:00:00.5+01:00", day: "2024-02-29", site: "https://x.org/a" };
    expect((await post("/ip", good)).status).toBe(200);
    const p = await problem("/ip", { v4: "256.0.0.1", v6: "1:::2", at: "2020-01-01", day: "2023-02-29", site: "no scheme" });
    expect(p.errors.map((e) => e.path)).toEqual(["$.v4", "$.v6", "$.at", "$.day", "$.site"]);
  });
});

describe("query and headers", () => {
  it("query values are coerced to the declared types before the handler sees them", async () => {
    const res = await fetch(`${app.url}/echo-query?limit=5&offset=1.5&active=true&sort=asc&other=x`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ query: { limit: 5, offset: 1.5, active: true, sort: "asc" } });
  });

  it("invalid query values are 400 with query.<name> paths", async () => {
    const res = await fetch(`${app.url}/users?limit=500&active=yes&sort=up&offset=abc`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const p = (await res.json()) as Problem;
    expect(p.errors).toEqual([
      { path: "query.limit", expected: "number & Integer & Minimum<1> & Maximum<100>", message: "must be at most 100" },
      { path: "query.offset", expected: "number", message: "must be a number" },
      { path: "query.active", expected: "boolean", message: "must be a boolean" },
      { path: "query.sort", expected: '"asc" | "desc"', message: 'must be one of "asc", "desc"' },
    ]);
  });

  it("headers are looked up case-insensitively, coerced and required as declared", async () => {
    const ok = await fetch(`${app.url}/trace`, { headers: { "X-Trace": "12", "user-agent": "t" } });
    expect(await ok.json()).toEqual({ trace: 12, agent: "t" });
    const missing = await fetch(`${app.url}/trace`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Problem).errors).toEqual([
      { path: "headers.x-trace", expected: "number & Integer", message: "is required" },
    ]);
    const bad = await fetch(`${app.url}/trace`, { headers: { "x-trace": "1.5" } });
    expect(((await bad.json()) as Problem).errors[0]).toMatchObject({ path: "headers.x-trace", message: "must be an integer" });
  });

  it("routes without a schema keep plain string queries", async () => {
    expect(await (await fetch(`${app.url}/plain?limit=5`)).json()).toEqual({ limit: "5" });
  });
});

describe("results serialized by their type", () => {
  it("fields the result type does not declare are not sent", async () => {
    const created = await post("/users", { ...valid, name: "Cy" });
    expect(created.status).toBe(200);
    expect(Object.keys(created.json as object)).toEqual(["id", "name", "email", "role"]); // no passwordHash
    const list = (await (await fetch(`${app.url}/users?limit=2`)).json()) as object[];
    expect(list).toHaveLength(2);
    for (const u of list) expect(Object.keys(u)).toEqual(["id", "name", "email", "role"]);
  });

  it("nested, recursive and discriminated result types filter at every level", async () => {
    const tree = { label: "r", secret: 1, children: [{ label: "a", children: [], secret: 2 }] };
    const r = await post("/tree", tree);
    expect(r.json).toEqual({ got: { label: "r", children: [{ label: "a", children: [] }] } });
    const shape = await post("/shape", { kind: "rect", width: 1, height: 2, color: "red" });
    expect(shape.json).toEqual({ got: { kind: "rect", width: 1, height: 2 } });
  });

  it("a result type with an index signature falls back to JSON.stringify", async () => {
    const r = await post("/everything", { ...everythingValue, unknownField: true });
    expect((r.json as { got: Record<string, unknown> }).got.unknownField).toBe(true);
  });
});

describe("openapi", () => {
  it("app.get('/openapi.json', openapi) serves the generated document", async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(fs.readFileSync(path.join(out, "openapi.json"), "utf8"));
  });
});

describe("generated validators", () => {
  it("are plain JS, one pair per type, reused across routes", () => {
    const js = fs.readFileSync(path.join(out, "validators.js"), "utf8");
    expect(js).not.toMatch(/\beval\b|new Function/);
    expect(js.match(/^function is_NewUser\(/gm)).toHaveLength(1);
    expect(js.match(/^function query_Paging\(/gm)).toHaveLength(1);
    expect(js).toMatch(/export const route1 = \{ query: query_Paging \}/);
    expect(js).toMatch(/export const route2 = \{ query: query_Paging \}/);
    const dispatch = fs.readFileSync(path.join(out, "dispatch.js"), "utf8");
    expect(dispatch).toContain("if (!rt.accept(i, req, V.route0)) return;");
  });
});
