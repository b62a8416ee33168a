/**
 * A route's request schema is checked after its middleware (runtime/chain.ts `checked`):
 * an auth middleware answers 401 before a body is judged, the 400 problem goes back out
 * through the middleware (CORS and other headers on it), and a sync chain stays sync.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { compileAndServe } from "../compiler/helpers.js";

let app: RunningApp;
let out: string;

beforeAll(async () => {
  ({ out, app } = await compileAndServe("mw-schema"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const JSON_H = { "content-type": "application/json", origin: "https://a.example" };
const handled = async () => ((await (await fetch(`${app.url}/handled`)).json()) as { handled: number }).handled;

describe("request schemas behind middleware", () => {
  it("the generated chain checks innermost; a sync chain stays sync", () => {
    const dispatch = fs.readFileSync(path.join(out, "dispatch.js"), "utf8");
    expect(dispatch).not.toContain("rt.accept(");
    expect(dispatch).toMatch(/rt\.compose\(\d+, "sync", handlers\[\d+\], undefined, V\.route\d+\);/);
    // The typed form's chain is async (its body is parsed before the check), and not rt.form.
    expect(dispatch).not.toContain("rt.form(");
  });

  it("auth answers 401 before an invalid body is judged; the handler never runs", async () => {
    const before = await handled();
    const res = await fetch(`${app.url}/private/notes`, { method: "POST", headers: JSON_H, body: '{"title":""}' });
    expect(res.status).toBe(401);
    expect(res.headers.get("x-chain")).toBe("stamped");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await handled()).toBe(before);
  });

  it("past auth, an invalid body is the 400 problem, with the outer middleware's headers", async () => {
    const before = await handled();
    const res = await fetch(`${app.url}/private/notes`, {
      method: "POST",
      headers: { ...JSON_H, "x-token": "ok" },
      body: '{"title":"","stars":1.5}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-chain")).toBe("stamped");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(["$.title", "$.stars"]);
    expect(await handled()).toBe(before);
  });

  it("a valid body reaches the handler through the chain", async () => {
    const res = await fetch(`${app.url}/private/notes`, {
      method: "POST",
      headers: { ...JSON_H, "x-token": "ok" },
      body: '{"title":"hi","stars":3}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ saved: "hi", stars: 3 });
  });

  it("a query check in a sync chain: 401, then 400 with headers, then the coerced value", async () => {
    expect((await fetch(`${app.url}/private/page?n=x`)).status).toBe(401);
    const bad = await fetch(`${app.url}/private/page?n=x`, { headers: { "x-token": "ok" } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-chain")).toBe("stamped");
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0].path).toBe("query.n");
    const ok = await fetch(`${app.url}/private/page?n=7`, { headers: { "x-token": "ok" } });
    expect(await ok.json()).toEqual({ n: 7, type: "number" });
  });

  it("a typed form: 401 first, then the 400 with headers, then the checked form", async () => {
    const form = (title: string) => new URLSearchParams({ title, stars: "2" });
    expect((await fetch(`${app.url}/private/form`, { method: "POST", body: form("") })).status).toBe(401);
    const bad = await fetch(`${app.url}/private/form`, { method: "POST", headers: { "x-token": "ok" }, body: form("") });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-chain")).toBe("stamped");
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0].path).toBe("$.title");
    const ok = await fetch(`${app.url}/private/form`, { method: "POST", headers: { "x-token": "ok" }, body: form("t") });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ saved: "t", stars: 2 });
  });

  it("after an async middleware's await, the request is still checked and read whole", async () => {
    const bad = await fetch(`${app.url}/later?n=1.5`, { method: "POST", headers: JSON_H, body: "{}" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-later")).toBe("1");
    expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["query.n", "$.title", "$.stars"]);
    const ok = await fetch(`${app.url}/later?n=4`, { method: "POST", headers: JSON_H, body: '{"title":"x","stars":1}' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ saved: "x", n: 4 });
    // The server goes on.
    expect((await fetch(`${app.url}/handled`)).status).toBe(200);
  });
});
