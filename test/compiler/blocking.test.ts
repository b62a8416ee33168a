/**
 * Blocking work: CZ2003 for sync handlers calling known blocking Node APIs (resolved by the
 * type checker, not by name), the `{ blocking: true }` route option (kind "blocking", a
 * dispatch case calling rt.blocking, server.js naming the modules workers import), and the
 * worker pool itself (runtime/blocking.ts) running the compiled app's handlers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import * as abi from "../../runtime/abi.js";
import type { BlockingPool } from "../../runtime/blocking.js";
import type { RequestCopy } from "../../runtime/request.js";
import { copyFixture, readRoutesJson, ROOT, type RoutesJson, writeApp } from "./helpers.js";

let dir: string;
let result: CompileResult;
let json: RoutesJson;

beforeAll(async () => {
  dir = copyFixture("blocking");
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

describe("CZ2003: blocking calls in sync handlers", () => {
  it("warns once per call, at the call, naming the API; nothing else", () => {
    expect(result.ok).toBe(true);
    const src = fs.readFileSync(path.join(dir, "app.ts"), "utf8").split("\n");
    const warnings = result.diagnostics.map((d) => {
      const line = src[d.span!.line - 1];
      return `${d.code} ${d.message.match(/calls (\S+),/)?.[1]} ${line.slice(d.span!.col - 1, d.span!.col + 9)}`;
    });
    expect(warnings).toEqual([
      "CZ2003 fs.readFileSync rf(req.pat",
      "CZ2003 fs.existsSync fs.existsS",
      "CZ2003 child_process.execSync cp.execSyn",
      "CZ2003 crypto.pbkdf2Sync pbkdf2Sync",
      "CZ2003 zlib.gzipSync gzipSync(r",
      "CZ2003 Atomics.wait Atomics.wa",
      "CZ2003 fs.statSync fs.statSyn",
    ]);
    expect(result.diagnostics[0].message).toContain("Pass `{ blocking: true }`");
    expect(result.diagnostics[0].frame).toBeTruthy();
  });

  it("{ blocking: true } makes the kind blocking (sync or async handler alike)", () => {
    const kind = (p: string) => json.routes.find((r) => r.path === p)!.kind;
    expect(kind("/marked")).toBe("blocking");
    expect(kind("/cpu/:ms(int)")).toBe("blocking");
    expect(kind("/echo/:id")).toBe("blocking");
    expect(kind("/read")).toBe("sync");
    expect(kind("/async-handler")).toBe("async");
  });

  it("dispatch.js hands blocking routes to rt.blocking(i, req, routeId); server.js names the worker modules", () => {
    const d = fs.readFileSync(path.join(dir, ".catzilla", "dispatch.js"), "utf8");
    const id = json.routes.find((r) => r.path === "/marked")!.id;
    expect(d).toContain(`case ${id}: // GET /marked (blocking)\n        return rt.blocking(i, req, ${id});`);
    const s = fs.readFileSync(path.join(dir, ".catzilla", "server.js"), "utf8");
    expect(s).toContain('{\n  blockingModules: [new URL("../app.js", import.meta.url).href],\n  openapi: new URL("./openapi.json", import.meta.url),\n}');
  });
});

describe("CZ1013", () => {
  it("a blocking route in a module that imports the generated server is an error; nothing is written", async () => {
    const d = writeApp("blocking-main", {
      "main.ts": `import { Catzilla } from "catzilla";
import { server } from "./.catzilla/server.js";
export const app = new Catzilla();
app.get("/b", () => "b", { blocking: true });
app.get("/s", (req) => req.path);
await server.listen();
`,
    });
    const r = await compile({ entries: ["main.ts"], outDir: ".catzilla", cwd: d, cc: false });
    expect(r.diagnostics.map((x) => `${x.code} ${x.span!.line}:${x.span!.col}`)).toEqual(["CZ1013 4:1"]);
    expect(r.ok).toBe(false);
    expect(fs.existsSync(path.join(d, ".catzilla"))).toBe(false);
    // The link pass reports it, before anything is emitted; the routes are still listed.
    expect(Object.keys(r.timings)).toEqual(["program", "discover", "typecheck", "analyze", "plan", "link", "total"]);
    expect(r.routes.map((x) => `${x.method} ${x.path} ${x.kind}`)).toEqual(["GET /b blocking", "GET /s sync"]);
  });
});

describe("the modules the workers import (the link pass)", () => {
  it("entries that do not import the server, and every module registering a route, once each, sorted", async () => {
    const d = writeApp("blocking-link", {
      "main.ts": `import { server } from "./.catzilla/server.js";
import { app } from "./app.js";
app.get("/main", () => "main"); // not blocking: fine in a module that imports the server
await server.listen();
`,
      "app.ts": `import { Catzilla } from "catzilla";
export const app = new Catzilla();
import "./routes/z.js";
import "./routes/a.js";
`,
      "routes/z.ts": `import { app } from "../app.js";
app.get("/z", () => "z", { blocking: true });
app.get("/z2", () => "z2", { blocking: true });
`,
      "routes/a.ts": `import { app } from "../app.js";
app.get("/a", (req) => req.path);
`,
    });
    const r = await compile({ entries: ["main.ts", "app.ts"], outDir: ".catzilla", cwd: d, cc: false });
    expect(r.diagnostics).toEqual([]);
    const s = fs.readFileSync(path.join(d, ".catzilla", "server.js"), "utf8");
    expect(s).toContain('import "../app.js";');
    expect(s).not.toContain("main.js");
    const workers = [...s.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)].map((m) => m[1]);
    expect(workers).toEqual(["../app.js", "../routes/a.js", "../routes/z.js"]);
  });
});

describe("the blocking pool", () => {
  let pool: BlockingPool;
  const idOf = (p: string) => json.routes.find((r) => r.path === p)!.id;

  beforeAll(async () => {
    const { createBlockingPool } = await import(pathToFileURL(path.join(ROOT, "dist/runtime/blocking.js")).href);
    const dispatch = await import(pathToFileURL(path.join(dir, ".catzilla", "dispatch.js")).href);
    const routes = dispatch.routes.filter((r: { kind: string }) => r.kind === "blocking");
    pool = createBlockingPool([pathToFileURL(path.join(dir, "app.js")).href], routes, 2);
  });
  afterAll(async () => {
    await pool?.close();
  });

  /**
   * The copy of a request the server hands the pool, built as C and Request.detach lay it
   * out: the URL, then the header block (`name\0value\0…`), as one latin1 string; the meta
   * slots with offsets into it; each param value's span, found in order in the path.
   */
  const req = (
    url: string,
    o: { method?: string; params?: string[]; headers?: [string, string][]; body?: Buffer } = {},
  ): RequestCopy => {
    const headers = o.headers ?? [];
    const block = headers.map(([k, v]) => `${k}\0${v}\0`).join("");
    const meta = new Int32Array(abi.REQ_PARAMS + 2 * (o.params?.length ?? 0));
    const q = url.indexOf("?");
    meta[abi.REQ_METHOD] = abi.METHOD_NAMES.indexOf(o.method ?? "GET");
    meta[abi.REQ_URL_OFF] = 0;
    meta[abi.REQ_URL_LEN] = url.length;
    meta[abi.REQ_PATH_LEN] = q < 0 ? url.length : q;
    meta[abi.REQ_HDR_OFF] = headers.length > 0 ? url.length : -1;
    meta[abi.REQ_HDR_LEN] = block.length;
    meta[abi.REQ_HDR_COUNT] = headers.length;
    meta[abi.REQ_NPARAMS] = o.params?.length ?? 0;
    let from = 0;
    o.params?.forEach((value, k) => {
      const at = url.indexOf(value, from);
      meta[abi.REQ_PARAMS + 2 * k] = at;
      meta[abi.REQ_PARAMS + 2 * k + 1] = value.length;
      from = at + value.length;
    });
    return { meta, bytes: url + block, body: o.body };
  };

  it("runs a handler on the request's copy: params (typed ones converted), query, headers, body", async () => {
    const r = await pool.run(
      idOf("/echo/:id"),
      req("/echo/7?q=x", {
        method: "POST",
        params: ["7"],
        headers: [["x-test", "yes"]],
        body: Buffer.from("hello"),
      }),
    );
    expect(r.status).toBe(200);
    expect(r.head).toBe("Content-Type: application/json\r\n");
    expect(JSON.parse(Buffer.from(r.body).toString())).toEqual({
      id: "7",
      q: "x",
      h: "yes",
      body: "hello",
      method: "POST",
      url: "/echo/7?q=x",
    });
    const cpu = await pool.run(idOf("/cpu/:ms(int)"), req("/cpu/1", { params: ["1"] }));
    expect(JSON.parse(Buffer.from(cpu.body).toString())).toEqual({ spun: true, ms: 1 });
  });

  it("the worker's request is the server's Request: a malformed JSON body is its 400, params and body as on the main thread", async () => {
    const bad = await pool.run(idOf("/parse"), req("/parse", { method: "POST", body: Buffer.from("{nope") }));
    expect(bad.status).toBe(400);
    expect(Buffer.from(bad.body).toString()).toBe('{"error":"Invalid JSON body"}');
    const ok = await pool.run(idOf("/parse"), req("/parse", { method: "POST", body: Buffer.from('{"a":[1]}') }));
    expect(JSON.parse(Buffer.from(ok.body).toString())).toEqual({ parsed: { a: [1] } });
    // Headers the compiler did not see the handler read were not captured: as loud as on the main thread.
    const noHeaders = await pool.run(idOf("/echo/:id"), req("/echo/%41", { method: "POST", params: ["%41"] }));
    expect(noHeaders.status).toBe(500);
  });

  it("a throwing handler is a 500 with the runtime's error body", async () => {
    const r = await pool.run(idOf("/fails"), req("/fails"));
    expect(r.status).toBe(500);
    expect(Buffer.from(r.body).toString()).toBe('{"error":"Internal Server Error"}');
  });

  it("CPU-bound handlers run off the main thread: its timers keep firing on time", async () => {
    let ticks = 0;
    let worstGap = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, () => pool.run(idOf("/cpu/:ms(int)"), req("/cpu/50", { params: ["50"] }))),
    );
    clearInterval(timer);
    expect(Date.now() - started).toBeGreaterThanOrEqual((8 * 50) / 2 - 5); // 2 workers, 8 × 50 ms
    expect(ticks).toBeGreaterThan(10);
    expect(worstGap).toBeLessThan(45); // a 50 ms handler on the main thread would block a tick for 50 ms
  });

  it("a route the worker cannot bind fails every run with the reason (no respawn loop)", async () => {
    const { createBlockingPool } = await import(pathToFileURL(path.join(ROOT, "dist/runtime/blocking.js")).href);
    const p: BlockingPool = createBlockingPool(
      [pathToFileURL(path.join(dir, "app.js")).href],
      [{ id: 0, method: "GET", path: "/not-registered" }],
      1,
    );
    try {
      await expect(p.run(0, req("/x"))).rejects.toThrow(
        /blocking pool cannot start: catzilla: blocking route GET \/not-registered is not registered in the worker/,
      );
      await expect(p.run(0, req("/x"))).rejects.toThrow(/cannot start/);
    } finally {
      await p.close();
    }
  });

  it("close() rejects new work", async () => {
    const { createBlockingPool } = await import(pathToFileURL(path.join(ROOT, "dist/runtime/blocking.js")).href);
    const p: BlockingPool = createBlockingPool([pathToFileURL(path.join(dir, "app.js")).href], [], 1);
    await p.close();
    await expect(p.run(0, req("/x"))).rejects.toThrow(/closed/);
  });
});
