// cors(): preflights, real responses, Vary, disallowed origins, over real sockets (test/fixtures/mw/app.ts, docs/cors.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, parseResponses, type RawResponse } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/mw/.catzilla");
});
afterAll(async () => {
  await app?.stop();
});

/** One request over a raw socket: the exact header lines come back. */
async function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const r = await exchange(app.port, [`${method} ${path} HTTP/1.1\r\nHost: t\r\n${lines}\r\n`], { responses: 1 });
  const [res] = parseResponses(r.data, method === "HEAD" ? [0] : []).responses;
  expect(res).toBeDefined();
  return res;
}
const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
  raw("OPTIONS", path, { Origin: origin, "Access-Control-Request-Method": "POST", ...extra });
const corsLines = (res: RawResponse) => res.rawHeaders.filter((l) => /^access-control-/i.test(l));

async function stillServes(): Promise<void> {
  const res = await fetch(app.url + "/cors/items");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual([1, 2]);
}

describe("preflight", () => {
  it("answers an allowed origin's preflight 204 with the allow headers, on a path with no OPTIONS route", async () => {
    const res = await preflight("/cors/items", "https://app.example", { "Access-Control-Request-Headers": "content-type, x-id" });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-methods"]).toBe("GET, HEAD, PUT, POST, DELETE, PATCH");
    expect(res.headers["access-control-allow-headers"]).toBe("content-type, x-id");
    expect(res.headers["access-control-max-age"]).toBe("600");
    expect(res.headers.vary).toBe("Origin, Access-Control-Request-Headers");
    expect(res.headers["content-length"]).toBeUndefined();
    await stillServes();
  });

  it("covers paths with parameters", async () => {
    const res = await preflight("/cors/items/42", "https://app.example");
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
  });

  it("gives a disallowed origin no CORS header (the browser then refuses)", async () => {
    const res = await preflight("/cors/items", "https://evil.example");
    expect(res.status).toBe(204);
    expect(corsLines(res)).toEqual([]);
    expect(res.headers.allow).toBe("GET, HEAD, OPTIONS, POST");
    await stillServes();
  });

  it("passes a non-preflight OPTIONS (no Access-Control-Request-Method) to the route: 204 with Allow", async () => {
    const res = await raw("OPTIONS", "/cors/items", { Origin: "https://app.example" });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe("GET, HEAD, OPTIONS, POST");
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(res.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("keeps the app's own OPTIONS route for non-preflight requests and answers preflights before it", async () => {
    const own = await raw("OPTIONS", "/cors/own");
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toEqual({ mine: true });
    const pre = await preflight("/cors/own", "https://app.example");
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("https://app.example");
  });

  it("a RegExp origin with fixed methods and allowHeaders", async () => {
    const ok = await preflight("/open/ping", "https://a.example", { "Access-Control-Request-Headers": "x-other" });
    expect(ok.status).toBe(204);
    expect(ok.headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(ok.headers["access-control-allow-methods"]).toBe("GET, POST");
    expect(ok.headers["access-control-allow-headers"]).toBe("x-token");
    expect(ok.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(ok.headers.vary).toBe("Origin");
    const bad = await preflight("/open/ping", "http://a.example");
    expect(corsLines(bad)).toEqual([]);
  });

  it("origin * (the default) answers any origin with * and no Vary", async () => {
    const res = await preflight("/star/x", "https://anyone.test");
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers.vary).toBeUndefined();
    const real = await raw("GET", "/star/x", { Origin: "https://anyone.test" });
    expect(real.headers["access-control-allow-origin"]).toBe("*");
    expect(real.body).toBe("x");
  });

  it("a method the path does not have is still C's 405, and a path outside every cors scope keeps its 405 for OPTIONS", async () => {
    const del = await raw("PUT", "/cors/items", { Origin: "https://app.example" });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("GET, HEAD, OPTIONS, POST");
    const outside = await preflight("/sync", "https://app.example");
    expect(outside.status).toBe(405);
    expect(corsLines(outside)).toEqual([]);
    await stillServes();
  });
});

describe("real responses", () => {
  it("an allowed origin gets Allow-Origin, credentials, expose headers and Vary: Origin", async () => {
    const res = await raw("GET", "/cors/items", { Origin: "https://app.example" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("[1,2]");
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-expose-headers"]).toBe("x-after");
    expect(res.headers.vary).toBe("Origin");
  });

  it("in an async route too", async () => {
    const res = await fetch(app.url + "/cors/items", {
      method: "POST",
      headers: { Origin: "https://app.example", "content-type": "application/json" },
      body: '{"n":1}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: { n: 1 } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("a disallowed origin, or none, gets no CORS header but still Vary: Origin", async () => {
    const evil = await raw("GET", "/cors/items", { Origin: "https://evil.example" });
    expect(evil.status).toBe(200);
    expect(corsLines(evil)).toEqual([]);
    expect(evil.headers.vary).toBe("Origin");
    const none = await raw("GET", "/cors/items");
    expect(corsLines(none)).toEqual([]);
  });
});
