// Middleware, onError and notFound over real sockets: test/fixtures/mw/app.ts (docs/middleware.md, docs/errors.md).
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

const OUT = "test/fixtures/mw/.catzilla";
let app: RunningApp;
beforeAll(async () => {
  app = await serve(OUT);
});
afterAll(async () => {
  await app?.stop();
});

const req = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  fetch(app.url + path, { ...init, headers });
/** The server still answers a plain request after whatever came before. */
async function stillServes(): Promise<void> {
  const res = await req("/sync");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ trail: ["a", "b", "h"] });
}

describe("middleware order", () => {
  it("runs app middleware outer → inner before the handler, and their after-next code inner → outer", async () => {
    const res = await req("/sync");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ trail: ["a", "b", "h"] });
    expect(res.headers.get("x-after")).toBe("a");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("applies app.use to a route registered before it", async () => {
    const res = await req("/early");
    expect(await res.json()).toEqual({ trail: ["a", "b", "h"] });
  });

  it("puts a group's middleware inside the app's, nested groups outer → inner, and a route's own last", async () => {
    const deep = await req("/api/v1/deep");
    expect(await deep.json()).toEqual({ trail: ["a", "b", "api", "v1", "h"] });
    // Raw lines: the innermost layer's after-next code runs first.
    const raw = await exchange(app.port, [get("/api/v1/deep")], { responses: 1 });
    const [r] = parseResponses(raw.data).responses;
    expect(r.rawHeaders.filter((l) => l.startsWith("x-after"))).toEqual(["x-after: v1", "x-after: api", "x-after: a"]);
    const own = await req("/own");
    expect(await own.json()).toEqual({ trail: ["a", "b", "own", "h"] });
    expect(own.headers.get("x-own")).toBe("1");
  });

  it("keeps a group's middleware to the group's routes, not to other routes under its prefix", async () => {
    const res = await req("/api/direct");
    expect(await res.json()).toEqual({ trail: ["a", "b", "h"] });
    expect(res.headers.get("x-after")).toBe("a");
  });
});

describe("middleware results", () => {
  it("short-circuits without calling next(): its answer is sent and the handler never runs", async () => {
    const res = await req("/blocked", { "x-mw": "block" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ blocked: true });
    expect(res.headers.get("x-after")).toBe("a"); // the outer layer still wraps it
    expect(await (await req("/blocked-calls")).json()).toEqual({ calls: 0 });
    expect(await (await req("/blocked")).text()).toBe("reached");
  });

  it("changes the status after next(), in a sync and in an async route", async () => {
    const sync = await req("/sync", { "x-status": "201" });
    expect(sync.status).toBe(201);
    expect(await sync.json()).toEqual({ trail: ["a", "b", "h"] });
    const async_ = await req("/async", { "x-status": "203" });
    expect(async_.status).toBe(203);
    expect(await async_.json()).toEqual({ trail: ["a", "b", "h"] });
    expect(async_.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("wraps a blocking route (handler on the worker pool) too, and can short-circuit it", async () => {
    const res = await req("/cpu");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cpu: true });
    expect(res.headers.get("x-after")).toBe("a");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    const blocked = await req("/cpu", { "x-mw": "block" });
    expect(blocked.status).toBe(403);
  });

  it("an async middleware reads the inner response after await next() and changes it", async () => {
    const res = await req("/timed");
    expect(res.status).toBe(202);
    expect(res.headers.get("x-inner-status")).toBe("200");
    expect(await res.json()).toEqual({ trail: ["a", "b", "t", "h"] });
  });
});

describe("errors", () => {
  it("a plain Error thrown by a middleware goes to onError", async () => {
    const res = await req("/sync", { "x-mw": "plain" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ handled: "error", message: "middleware boom", path: "/sync" });
    await stillServes();
  });

  it("an HttpError thrown by a middleware keeps its status and body (onError is for the other errors)", async () => {
    for (const path of ["/async", "/sync"]) {
      const res = await req(path, { "x-mw": "http" });
      expect(res.status).toBe(418);
      expect(await res.json()).toEqual({ error: "teapot from middleware" });
      // next() gave the outer layer the error's answer: its after-next code still ran.
      expect(res.headers.get("x-after")).toBe("a");
    }
    expect(app.stderr()).not.toContain("teapot");
    await stillServes();
  });

  it("a handler's throw goes to onError; a group's onError wins inside the group", async () => {
    const top = await req("/throw");
    expect(top.status).toBe(500);
    expect(await top.json()).toEqual({ handled: "error", message: "handler boom", path: "/throw" });
    expect(top.headers.get("x-after")).toBe("a");
    expect(top.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    const api = await req("/api/fail");
    expect(api.status).toBe(502);
    expect(await api.json()).toEqual({ api: "error" });
  });

  it("a malformed JSON body (HttpError 400 from req.json()) stays a 400 with an onError", async () => {
    const res = await req("/json", { "content-type": "application/json" }, { method: "POST", body: '{"a":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Invalid JSON body" });
    const ok = await req("/json", { "content-type": "application/json" }, { method: "POST", body: '{"a":1}' });
    expect(await ok.json()).toEqual({ got: { a: 1 } });
  });

  it("a throw inside onError falls back to the plain 500, and the server goes on", async () => {
    const res = await req("/throw", { "x-onerror": "throw" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "Internal Server Error" });
    await new Promise((r) => setTimeout(r, 50));
    expect(app.stderr()).toContain("onError itself failed");
    await stillServes();
  });
});

describe("notFound", () => {
  it("answers an unmatched path with the app's handler (a plain value is a 404), inside the app's middleware", async () => {
    const res = await req("/nope/x?y=1");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ missing: "/nope/x" });
    expect(res.headers.get("x-after")).toBe("a");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("the group's handler takes the paths under its prefix (longest prefix wins), with the group's middleware", async () => {
    const res = await req("/api/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ apiMissing: "/api/nope" });
    expect(res.headers.get("x-after")).toBe("api, a");
    const exact = await req("/api");
    expect(await exact.json()).toEqual({ apiMissing: "/api" });
    // "/apix" is not under "/api".
    expect(await (await req("/apix")).json()).toEqual({ missing: "/apix" });
  });

  it("a path that exists for other methods is still C's 405, not notFound", async () => {
    const r = await exchange(app.port, [`DELETE /sync HTTP/1.1\r\nHost: t\r\n\r\n`], { responses: 1 });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
    expect(res.body).toBe('{"error":"Method Not Allowed"}');
    expect(res.headers["x-after"]).toBeUndefined();
    await stillServes();
  });

  it("pipelined: middleware, short-circuit, notFound and 405 answer in order on one connection", async () => {
    const r = await exchange(
      app.port,
      [get("/sync") + get("/blocked", "x-mw: block\r\n") + get("/missing") + `DELETE /sync HTTP/1.1\r\nHost: t\r\n\r\n` + get("/async")],
      { responses: 5 },
    );
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([200, 403, 404, 405, 200]);
    expect(JSON.parse(responses[2].body)).toEqual({ missing: "/missing" });
    expect(r.closed).toBe(false);
  });
});

describe("what the compiler wrote", () => {
  const routes = () =>
    (JSON.parse(fs.readFileSync(`${OUT}/routes.json`, "utf8")) as { routes: Record<string, unknown>[] }).routes;
  const find = (method: string, path: string) => routes().find((r) => r.method === method && r.path === path)!;
  const dispatch = () => fs.readFileSync(`${OUT}/dispatch.js`, "utf8");

  it("a chain of sync middleware around a sync handler stays sync: composed sync, called with rt.sync (no promise)", () => {
    const r = find("GET", "/sync");
    expect(r.kind).toBe("sync");
    expect(r.middleware).toEqual([
      { label: "layer(…)", source: "app.ts:29:9", kind: "sync" },
      { label: "(inline)", source: "app.ts:30:9", kind: "sync" },
    ]);
    const id = r.id as number;
    // The route's serializer (its result type filters the answer) rides along inside the chain.
    expect(dispatch()).toMatch(new RegExp(`const h${id} = rt\\.compose\\(${id}, "sync", handlers\\[${id}\\](, O\\.out${id})?\\);`));
    expect(dispatch()).toContain(`return rt.sync(i, req, h${id}(req));`);
  });

  it("an async middleware makes the route async; an async handler too", () => {
    const timed = find("GET", "/timed");
    expect(timed.kind).toBe("async");
    expect((timed.middleware as unknown[]).at(-1)).toEqual({ label: "timing", source: "app.ts:83:65", kind: "async" });
    expect(dispatch()).toMatch(new RegExp(`rt\\.compose\\(${timed.id}, "async", handlers\\[${timed.id}\\](, O\\.out${timed.id})?\\)`));
    expect(dispatch()).toContain(`return rt.async(i, req, h${timed.id}(req));`);
    expect(find("GET", "/async").kind).toBe("async");
  });

  it("lists notFound handlers with their chain, and the group's middleware on its routes", () => {
    const nf = find("*", "/api");
    expect(nf).toMatchObject({ notFound: true, kind: "sync" });
    expect(nf.middleware).toHaveLength(3);
    expect(find("GET", "/api/v1/deep").middleware).toHaveLength(4);
    expect(find("*", "/")).toMatchObject({ notFound: true });
  });
});
