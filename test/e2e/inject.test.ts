/**
 * server.inject(): requests through the real C parser, limits, matcher and dispatch over a
 * socketpair, without a port. The app is compiled with catzilla-compile and its generated
 * server.js imported here (inject runs in the caller's process, as in a user's tests).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { copyFixture, readRoutesJson } from "../compiler/helpers.js";
import type { InjectOptions, InjectResponse, ListenOptions, Server } from "../../runtime/server.js";

let server: Server;
let kinds: Record<string, string>;

beforeAll(async () => {
  const dir = copyFixture("inject");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.ok).toBe(true);
  kinds = Object.fromEntries(readRoutesJson(path.join(dir, ".catzilla")).routes.map((x) => [x.path, x.kind]));
  ({ server } = (await import(pathToFileURL(path.join(dir, ".catzilla", "server.js")).href)) as { server: Server });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const inject = (o: InjectOptions): Promise<InjectResponse> => server.inject(o);

function openFds(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

describe("server.inject() before listen", () => {
  it("serves sync, async and const routes without binding a port", async () => {
    expect([kinds["/sync"], kinds["/async"], kinds["/const"]]).toEqual(["sync", "async", "const"]);
    const sync = await inject({ method: "GET", url: "/sync" });
    expect(sync.status).toBe(200);
    expect(sync.statusMessage).toBe("OK");
    expect(sync.headers["content-type"]).toMatch(/^application\/json/);
    expect(sync.json()).toEqual({ kind: "sync", path: "/sync" });
    expect((await inject({ url: "/async" })).json()).toEqual({ kind: "async" });
    const c = await inject({ method: "GET", url: "/const" });
    expect(c.json()).toEqual({ kind: "const" });
    expect(c.text()).toBe('{"kind":"const"}');
    expect(server.listening).toBe(false);
    expect(server.port).toBe(0);
  });

  it("404 and 405 come from C", async () => {
    const nf = await inject({ method: "GET", url: "/nope" });
    expect(nf.status).toBe(404);
    const na = await inject({ method: "DELETE", url: "/sync" });
    expect(na.status).toBe(405);
    expect(na.headers.allow).toMatch(/GET/);
  });

  it("params, query, headers and a text body reach the handler", async () => {
    expect((await inject({ method: "GET", url: "/users/42" })).json()).toEqual({ id: "42" });
    expect((await inject({ method: "GET", url: "/query?q=x%20y&a=1&a=2" })).json()).toEqual({ q: "x y", all: ["1", "2"] });
    expect((await inject({ method: "GET", url: "/headers", headers: { "X-Tag": "t1" } })).json()).toEqual({
      tag: "t1",
      host: "localhost:80",
    });
    expect((await inject({ url: "/headers", headers: { host: "example.com" } })).json()).toMatchObject({ host: "example.com" });
    const t = await inject({ method: "POST", url: "/echo-text", body: "héllo" });
    expect(t.status).toBe(200);
    expect(t.text()).toBe("héllo");
  });

  it("a JSON body: objects are serialised with content-type application/json", async () => {
    const r = await inject({ method: "POST", url: "/echo", body: { a: [1, "two"], b: null } });
    expect(r.json()).toEqual({ got: { a: [1, "two"], b: null }, type: "application/json" });
    const bytes = await inject({ method: "POST", url: "/echo-bytes", body: new Uint8Array([7, 0, 255]) });
    expect(bytes.json()).toEqual({ length: 3, first: 7, last: 255 });
  });

  it("repeated response headers are arrays; a large body arrives whole", async () => {
    const r = await inject({ method: "GET", url: "/cookies" });
    expect(r.status).toBe(201);
    expect(r.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(r.headers["x-one"]).toBe("1");
    const big = await inject({ url: "/big" });
    expect(big.body.length).toBe(300 * 1024);
    expect(big.text()).toBe("z".repeat(300 * 1024));
    const head = await inject({ method: "HEAD", url: "/sync" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("a body over the default maxBodyBytes (1 MiB) is answered 413 by C", async () => {
    const r = await inject({ method: "POST", url: "/echo-bytes", body: Buffer.alloc(1024 * 1024 + 1, 1) });
    expect(r.status).toBe(413);
    // Exactly the limit passes.
    const ok = await inject({ method: "POST", url: "/echo-bytes", body: Buffer.alloc(1024 * 1024, 1) });
    expect(ok.json()).toEqual({ length: 1024 * 1024, first: 1, last: 1 });
  });

  it("a malformed request header is answered 400 by the parser", async () => {
    const r = await inject({ method: "GET", url: "/sync", headers: { "bad header": "x" } });
    expect(r.status).toBe(400);
    const ctl = await inject({ method: "GET", url: "/sync", headers: { "x-ctl": "a\u0001b" } });
    expect(ctl.status).toBe(400);
  });

  it("rejects bad options before sending anything", async () => {
    await expect(inject({ method: "GET" } as InjectOptions)).rejects.toThrow(/url/);
    await expect(server.inject(undefined as unknown as InjectOptions)).rejects.toThrow(/options/);
  });

  it("many injects, concurrent and in sequence, leave the fd count flat", async () => {
    await inject({ url: "/sync" }); // warm-up: lazily opened fds
    const before = openFds();
    for (let round = 0; round < 10; round++) {
      const rs = await Promise.all(
        Array.from({ length: 20 }, (_, k) => inject({ url: k % 2 ? "/async" : `/users/${k}` })),
      );
      for (const r of rs) expect(r.status).toBe(200);
      // Ones the server answers early and closes (413 mid-upload, 400) are released too.
      expect((await inject({ method: "POST", url: "/echo-bytes", body: Buffer.alloc(1024 * 1024 + 10) })).status).toBe(413);
      expect((await inject({ url: "/sync", headers: { "bad header": "x" } })).status).toBe(400);
    }
    for (let i = 0; i < 100; i++) expect((await inject({ url: "/const" })).status).toBe(200);
    // Socket closes finish on the next loop turns.
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBe(before);
  });
});

describe("server.inject() with listen and close", () => {
  it("listen after inject() binds the same server; options it cannot apply are refused", async () => {
    await expect(server.listen({ port: 0, maxBodyBytes: 10 } as ListenOptions)).rejects.toThrow(
      /listen after inject\(\) cannot change maxBodyBytes/,
    );
    expect(server.listening).toBe(false);
    await server.listen({ port: 0, host: "127.0.0.1" });
    expect(server.listening).toBe(true);
    await expect(server.listen({ port: 0 })).rejects.toThrow(/already listening/);
    const viaInject = await inject({ url: "/users/7" });
    const viaTcp = await fetch(`http://127.0.0.1:${server.port}/users/7`);
    expect(viaInject.json()).toEqual(await viaTcp.json());
  });

  it("after close() inject rejects with a clear error, and the port is released", async () => {
    const port = server.port;
    await server.close();
    expect(server.listening).toBe(false);
    await expect(inject({ url: "/sync" })).rejects.toThrow(/inject after server\.close\(\)/);
    await expect(fetch(`http://127.0.0.1:${port}/sync`)).rejects.toThrow();
  });

  it("inject while listening with listen options: the limits apply to injected requests", async () => {
    const first = server.listen({ port: 0, maxBodyBytes: 8, maxUrlBytes: 64 });
    // A second listen() while the first is starting is refused, not taken for inject()'s server.
    await expect(server.listen({ port: 0 })).rejects.toThrow(/already listening/);
    await first;
    expect((await inject({ method: "POST", url: "/echo-text", body: "12345678" })).text()).toBe("12345678");
    expect((await inject({ method: "POST", url: "/echo-text", body: "123456789" })).status).toBe(413);
    expect((await inject({ url: "/users/" + "x".repeat(100) })).status).toBe(414);
    expect((await fetch(`http://127.0.0.1:${server.port}/sync`)).status).toBe(200);
  });

  it("close() lets an injected request in flight finish; inject while closing rejects", async () => {
    const slow = inject({ url: "/slow/200" });
    await new Promise((r) => setTimeout(r, 50)); // dispatched: its handler sleeps
    const t0 = performance.now();
    const closing = server.close();
    await expect(inject({ url: "/sync" })).rejects.toThrow(/closing/);
    expect((await slow).json()).toEqual({ slept: 200 });
    await closing;
    expect(performance.now() - t0).toBeGreaterThan(100); // close waited for it
    expect(server.listening).toBe(false);
  });
});
