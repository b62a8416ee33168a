// What each kind of handler result becomes on the wire (fetch client).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla");
});
afterAll(async () => {
  await app?.stop();
});

async function get(path: string, init?: RequestInit) {
  const res = await fetch(app.url + path, init);
  return { res, body: await res.text() };
}

describe("handler results", () => {
  it("an object is 200 JSON with Date and Content-Length", async () => {
    const { res, body } = await get("/sync");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(body).toBe('{"type":"sync"}');
    expect(res.headers.get("content-length")).toBe(String(body.length));
    expect(new Date(res.headers.get("date")!).getTime()).toBeGreaterThan(Date.now() - 120_000);
  });

  it("an async object is 200 JSON", async () => {
    const { res, body } = await get("/async");
    expect(res.status).toBe(200);
    expect(JSON.parse(body)).toEqual({ type: "async" });
  });

  it("a string is text/plain utf-8", async () => {
    const { res, body } = await get("/text");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(body).toBe("hello, world");
    const a = await get("/async-text");
    expect(a.body).toBe("async text");
  });

  it("a Uint8Array is application/octet-stream", async () => {
    const res = await fetch(app.url + "/bytes");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it("undefined is 204 with no body, sync or async", async () => {
    for (const path of ["/empty", "/async-empty"]) {
      const { res, body } = await get(path);
      expect(res.status).toBe(204);
      expect(body).toBe("");
      expect(res.headers.get("content-type")).toBeNull();
    }
  });

  it("json() with status and headers; framing headers from the handler are ignored", async () => {
    const { res, body } = await get("/created");
    expect(res.status).toBe(201);
    expect(res.headers.get("x-test")).toBe("yes");
    expect(body).toBe('{"created":true}');
    expect(res.headers.get("content-length")).toBe(String(body.length));
  });

  it("html(), text() with status, redirect()", async () => {
    const page = await get("/page");
    expect(page.res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.body).toBe("<h1>hi</h1>");
    const tea = await get("/plain");
    expect(tea.res.status).toBe(418);
    expect(tea.body).toBe("teapot");
    const go = await fetch(app.url + "/go", { redirect: "manual" });
    expect(go.status).toBe(307);
    expect(go.headers.get("location")).toBe("/sync");
  });

  it("arrays and unicode are JSON, Content-Length counts bytes", async () => {
    expect((await get("/array")).body).toBe("[1,2,3]");
    const res = await fetch(app.url + "/unicode");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Number(res.headers.get("content-length"))).toBe(bytes.length);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ s: "héllo ✓ 🐱" });
  });

  it("bodies larger than the response arena arrive whole", async () => {
    const big = await get("/large");
    expect(big.body.length).toBe(3 * 1024 * 1024);
    expect(big.body).toBe("x".repeat(3 * 1024 * 1024));
    const asyncBig = await get("/async-large");
    expect(asyncBig.body).toBe("y".repeat(200 * 1024));
  });

  it("a promise from an imported function is awaited", async () => {
    expect(JSON.parse((await get("/imported")).body)).toEqual({ answer: 42 });
  });

  it("a maybe route handles both a value and a promise", async () => {
    expect(JSON.parse((await get("/maybe/sync")).body)).toEqual({ maybe: "sync" });
    expect(JSON.parse((await get("/maybe/async")).body)).toEqual({ maybe: "async" });
  });
});
