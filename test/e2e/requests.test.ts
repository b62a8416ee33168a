// What a handler sees of the request: method, path, params, query, headers, body.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, parseResponses } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla");
});
afterAll(async () => {
  await app?.stop();
});

const getJson = async (path: string, init?: RequestInit) => {
  const res = await fetch(app.url + path, init);
  return { status: res.status, body: await res.json() };
};

describe("request", () => {
  it("path params, percent-decoded", async () => {
    expect(await getJson("/users/42")).toEqual({ status: 200, body: { id: "42" } });
    expect((await getJson("/users/a%20b")).body).toEqual({ id: "a b" });
    expect((await getJson("/users/7/posts/x")).body).toEqual({ id: "7", post: "x" });
  });

  it("a trailing wildcard captures the rest of the path", async () => {
    expect((await getJson("/files/a/b/c.txt")).body).toEqual({ rest: "a/b/c.txt" });
    expect((await getJson("/files/")).body).toEqual({ rest: "" });
  });

  it("query string, lazily parsed", async () => {
    const { body } = await getJson("/query?a=1&b=two&a=3&c=%C3%A9");
    expect(body).toEqual({ query: { a: "3", b: "two", c: "é" }, all: ["1", "3"] });
    expect((await getJson("/query")).body).toEqual({ query: {}, all: [] });
  });

  it("an async handler reads its own request after later batches reused the arena", async () => {
    // 24 pending handlers, then a stream of other requests (each a new batch over the same
    // arena) before any of them reads its request.
    const late = Array.from({ length: 24 }, (_, i) =>
      getJson(`/late/${i}?q=q${i}`, { headers: { "X-Tag": `tag-${i}-${"x".repeat(i * 10)}` } }),
    );
    await new Promise((r) => setTimeout(r, 5));
    for (let k = 0; k < 30; k++) await getJson(`/users/other-${k}?q=zzz`);
    const got = await Promise.all(late);
    got.forEach((g, i) => {
      expect(g).toEqual({
        status: 200,
        body: { id: String(i), path: `/late/${i}`, q: `q${i}`, tag: `tag-${i}-${"x".repeat(i * 10)}`, m: "GET" },
      });
    });
  });

  it("reading a request after it was answered is a clear error, not another request's bytes", async () => {
    expect(await (await fetch(app.url + "/bg/7")).text()).toBe("answered");
    await getJson("/users/someone-else"); // a later batch reuses the arena
    await new Promise((r) => setTimeout(r, 150));
    expect(await (await fetch(app.url + "/bg-result")).text()).toBe(
      "catzilla: req.params read after the request was answered; copy what a background task needs before the handler returns",
    );
  });

  it("headers: case-insensitive lookup", async () => {
    const { body } = await getJson("/headers", { headers: { "X-Custom": "Value 1" } });
    expect(body).toEqual({ custom: "Value 1", lower: "Value 1", missing: null, has: true });
  });

  it("method, path and url", async () => {
    expect((await getJson("/whoami?x=1")).body).toEqual({ method: "GET", path: "/whoami", url: "/whoami?x=1" });
  });

  it("JSON, text and bytes bodies", async () => {
    const echo = await getJson("/echo", { method: "POST", body: JSON.stringify({ a: [1, 2] }) });
    expect(echo.body).toEqual({ got: { a: [1, 2] } });
    const t = await fetch(app.url + "/echo-text", { method: "POST", body: "héllo" });
    expect(await t.text()).toBe("héllo");
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    const b = await getJson("/echo-bytes", { method: "POST", body: bytes });
    expect(b.body).toEqual({ length: 100_000, first: 0, last: (100_000 - 1) % 256 });
  });

  it("a malformed JSON body is a 400 from req.json()", async () => {
    const r = await getJson("/echo", { method: "POST", body: "{nope" });
    expect(r).toEqual({ status: 400, body: { error: "Invalid JSON body" } });
  });

  it("an empty body: text() is empty, bytes() has length 0", async () => {
    const b = await getJson("/echo-bytes", { method: "POST" });
    expect(b.body).toEqual({ length: 0, first: null, last: null });
  });

  it("put, patch, delete, options and a generic route()", async () => {
    expect((await getJson("/items/9", { method: "PUT", body: "v" })).body).toEqual({ put: "9", body: "v" });
    expect((await getJson("/items/9", { method: "PATCH" })).body).toEqual({ patch: "9" });
    expect((await getJson("/items/9", { method: "DELETE" })).body).toEqual({ deleted: "9" });
    const opt = await fetch(app.url + "/items/9", { method: "OPTIONS" });
    expect(opt.headers.get("allow")).toBe("GET, PUT, PATCH, DELETE");
    const r = await exchange(app.port, ["PROPFIND /dav HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"], {
      responses: 1,
    });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ dav: true });
  });

  it("a chunked request body", async () => {
    const req =
      "POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
    const r = await exchange(app.port, [req], { responses: 1 });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(200);
    expect(res.body).toBe("hello, world");
  });
});
