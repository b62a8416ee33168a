// listen() and close(): ports, enableAsync, graceful shutdown.
import { describe, expect, it } from "vitest";
import { serve, serveError } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

describe("listen", () => {
  it("port 0 picks a free port and server.port reports it", async () => {
    const a = await serve("test/fixtures/allsync/.catzilla");
    const b = await serve("test/fixtures/allsync/.catzilla");
    try {
      expect(a.port).toBeGreaterThan(0);
      expect(b.port).not.toBe(a.port);
      expect(await (await fetch(a.url + "/a")).json()).toEqual({ a: 1 });
      expect(await (await fetch(b.url + "/b/zz")).text()).toBe("zz");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("enableAsync: false rejects an app with async or maybe routes, naming each", async () => {
    const msg = await serveError("test/fixtures/e2e/.catzilla", { enableAsync: false });
    expect(msg).toMatch(/enableAsync is false/);
    expect(msg).toContain("GET /async (async");
    expect(msg).toContain("GET /maybe/:mode (maybe");
    expect(msg).not.toContain("GET /sync ");
  });

  it("enableAsync: false serves an all-sync app normally", async () => {
    const a = await serve("test/fixtures/allsync/.catzilla", { enableAsync: false });
    try {
      expect(await (await fetch(a.url + "/a")).json()).toEqual({ a: 1 });
    } finally {
      await a.stop();
    }
  });

  it("a port in use is a clear error", async () => {
    const a = await serve("test/fixtures/allsync/.catzilla");
    try {
      const msg = await serveError("test/fixtures/allsync/.catzilla", { port: a.port });
      expect(msg).toMatch(/EADDRINUSE/);
    } finally {
      await a.stop();
    }
  });
});

describe("close", () => {
  it("lets an in-flight request finish, then exits", async () => {
    const a = await serve("test/fixtures/e2e/.catzilla");
    const pending = exchange(a.port, [get("/slow/200")], { responses: 1, timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    const code = await a.stop();
    const r = await pending;
    const [res] = parseResponses(r.data).responses;
    expect(res?.status).toBe(200);
    expect(res?.body).toBe('{"slept":200}');
    expect(code).toBe(0);
  });
});
