/**
 * The guides' examples run as the pages say: docs/routing.md, docs/handlers.md and
 * docs/limits.md. Each page's ```ts <file> blocks are written out, compiled with the real
 * compiler and served by the real native server; the requests of the page's tables are sent
 * over real sockets (raw TCP where the status line, headers or connection matter) and the
 * answers compared with what the page states.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { LIMIT_DEFAULTS } from "../../runtime/abi.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { docExamples, docPage } from "../helpers/doc-examples.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";
import { readRoutesJson, runCli, writeApp } from "./helpers.js";

const running: RunningApp[] = [];
afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
});

/** Writes a page's example files into a fresh directory, compiles `entries`; returns the directory. */
async function compilePage(page: string, files: string[], entries = ["app.ts"]): Promise<string> {
  const sources = docExamples(page);
  expect(Object.keys(sources)).toEqual(files);
  const dir = writeApp(`docs-${page.replace(/\W+/g, "-")}`, sources);
  const r = await compile({ entries, outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return dir;
}

async function serveDir(dir: string, options: Record<string, unknown> = {}): Promise<RunningApp> {
  const app = await serve(path.join(dir, ".catzilla"), options);
  running.push(app);
  return app;
}

/** One request on its own connection, raw: status, headers (lower-cased names), body. */
async function raw(port: number, request: string, noBody = false) {
  const ex = await exchange(port, [request], { responses: 1 });
  const { responses } = parseResponses(ex.data, noBody ? [0] : []);
  expect(responses.length, ex.data).toBe(1);
  return { ...responses[0], closed: ex.closed };
}

describe("docs/routing.md", () => {
  let app: RunningApp;
  let dir: string;

  it("its example compiles and answers every request of the page's table as stated", async () => {
    dir = await compilePage("routing.md", ["app.ts", "admin.ts"]);
    app = await serveDir(dir);
    const body = async (target: string, init?: RequestInit) => {
      const res = await fetch(app.url + target, init);
      return { status: res.status, text: await res.text() };
    };
    expect(await body("/")).toEqual({ status: 200, text: "home" });
    expect(await body("/users", { method: "POST", body: '{"name":"lin"}' })).toEqual({ status: 200, text: '{"created":"lin"}' });
    expect(await body("/users/1")).toEqual({ status: 200, text: '{"id":1,"name":"ada"}' });
    expect(await body("/users/me")).toEqual({ status: 200, text: '{"id":0,"name":"me"}' });
    expect(await body("/users/bob")).toEqual({ status: 200, text: '{"byName":"bob"}' });
    expect(await body("/users/a%20b")).toEqual({ status: 200, text: '{"byName":"a b"}' });
    expect(await body("/users/7")).toEqual({ status: 404, text: '{"error":"no user 7"}' });
    expect(await body("/feed/atom")).toEqual({ status: 200, text: '{"format":"atom"}' });
    expect((await body("/feed/xml")).status).toBe(404);
    expect(await body("/price/2.5")).toEqual({ status: 200, text: '{"doubled":5}' });
    expect(await body("/orders/abc")).toEqual({
      status: 400,
      text: '{"error":"Bad Request","message":"Path parameter \'id\' must be an integer.","param":"id","expected":"int"}',
    });
    expect(await body("/orders/12")).toEqual({ status: 200, text: '{"order":12}' });
    expect(await body("/files/a/b.txt")).toEqual({ status: 200, text: '{"file":"a/b.txt"}' });
    expect(await body("/files/")).toEqual({ status: 200, text: '{"file":""}' });
    expect(await body("/files/my%20notes.txt")).toEqual({ status: 200, text: '{"file":"my notes.txt"}' });
    expect(await body("/files/readme")).toEqual({ status: 200, text: "the readme" });
    expect(await body("/cache", { method: "PURGE" })).toEqual({ status: 200, text: '{"purged":true}' });
    expect(await body("/api")).toEqual({ status: 200, text: "api root" });
    expect(await body("/api/v1/ping")).toEqual({ status: 200, text: "pong" });
    expect(await body("/admin/stats")).toEqual({ status: 200, text: '{"users":2}' });
    expect(await body("/admin/users/2", { method: "DELETE" })).toEqual({ status: 200, text: '{"deleted":2}' });
    expect(await body("/nope")).toEqual({ status: 404, text: '{"error":"Not Found"}' });
    // Query strings do not take part in matching; trailing slashes do.
    expect(await body("/users/1?x=1")).toEqual({ status: 200, text: '{"id":1,"name":"ada"}' });
    expect((await body("/users/1/")).status).toBe(404);
  });

  it("405 carries Allow, HEAD answers a GET route without a body, OPTIONS * is 204, and the connection stays open", async () => {
    const ex = await exchange(
      app.port,
      [
        "DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          "HEAD /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n" +
          "OPTIONS /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          get("/users/2"),
      ],
      { responses: 5 },
    );
    const { responses, rest } = parseResponses(ex.data, [1]);
    expect(rest).toBe("");
    expect(responses.map((r) => r.status)).toEqual([405, 200, 204, 405, 200]);
    expect(responses[0].headers.allow).toBe("GET, HEAD");
    expect(responses[0].body).toBe('{"error":"Method Not Allowed"}');
    expect(responses[1].headers["content-type"]).toBe("application/json");
    expect(responses[1].headers["content-length"]).toBe(String('{"id":1,"name":"ada"}'.length));
    expect(responses[4].body).toBe('{"id":2,"name":"grace"}');
    expect(ex.closed).toBe(false);
  });

  it("routes.json records each parameter's type, as the page says", () => {
    const routes = readRoutesJson(path.join(dir, ".catzilla")).routes;
    const byPath = (p: string) => routes.find((r) => r.path === p)!;
    expect(byPath("/users/:id(int)").paramTypes).toEqual([{ type: "int" }]);
    expect(byPath("/feed/:format(rss|atom)").paramTypes).toEqual([{ type: "enum", values: ["rss", "atom"] }]);
    expect(byPath("/admin/users/:id(int)").method).toBe("DELETE");
    expect(byPath("/cache").method).toBe("PURGE");
  });
});

describe("docs/handlers.md", () => {
  let dir: string;
  let app: RunningApp;

  it("the CLI prints the kinds the page shows, and routes.json and dispatch.js agree", async () => {
    const sources = docExamples("handlers.md");
    expect(Object.keys(sources)).toEqual(["app.ts"]);
    dir = writeApp("docs-handlers", sources);
    const cli = runCli(["app.ts", "--out", ".catzilla"], dir);
    expect(cli.status, cli.stderr).toBe(0);
    const printed = (cli.stdout + cli.stderr).split("\n");
    const page = docPage("handlers.md");
    const quoted = /```text\n([\s\S]*?)```/.exec(page)![1].trimEnd().split("\n");
    const routeLines = quoted.filter((l) => l.startsWith("  "));
    expect(routeLines.length).toBe(14);
    for (const l of routeLines) expect(printed, l).toContain(l);
    for (const l of quoted.filter((q) => !q.startsWith("  "))) {
      expect(printed.some((p) => p.startsWith(l.replace(/ …$/, ""))), l).toBe(true);
    }
    const kinds = Object.fromEntries(
      readRoutesJson(path.join(dir, ".catzilla")).routes.map((r) => [`${r.method} ${r.path}`, r.kind]),
    );
    for (const l of routeLines) {
      const [method, p, kind] = l.trim().split(/\s+/);
      expect(kinds[`${method} ${p}`], l).toBe(kind);
    }
    const dispatch = fs.readFileSync(path.join(dir, ".catzilla", "dispatch.js"), "utf8");
    expect(dispatch).toMatch(/case \d+: \/\/ GET \/users\/:id\(int\) \(sync\)\n\s+return rt\.sync\(/);
    expect(dispatch).toMatch(/case \d+: \/\/ GET \/slow \(async\)\n\s+return rt\.async\(/);
    expect(dispatch).toMatch(/case \d+: \/\/ GET \/loose \(maybe\)\n\s+return rt\.maybe\(/);
    expect(dispatch).toMatch(/case \d+: \/\/ GET \/hash\/:word \(blocking\)\n\s+return rt\.blocking\(/);
    expect(dispatch).not.toContain("GET /version (const)");
  }, 120_000);

  it("its routes answer as the page's table says", async () => {
    app = await serveDir(dir);
    const call = async (target: string, init?: RequestInit) => {
      const res = await fetch(app.url + target, { redirect: "manual", ...init });
      return { status: res.status, type: res.headers.get("content-type"), location: res.headers.get("location"), text: await res.text() };
    };
    expect(await call("/version")).toMatchObject({ status: 200, text: '{"name":"demo","version":"1.0.0"}' });
    expect(await call("/users/1")).toMatchObject({ status: 200, text: '{"id":1,"name":"ada"}' });
    expect(await call("/users/2")).toMatchObject({ status: 404, text: '{"error":"no such user"}' });
    expect(await call("/slow")).toMatchObject({ status: 200, text: '{"waited":5}' });
    expect(await call("/echo", { method: "POST", body: "[1,2]" })).toMatchObject({ status: 200, text: "[1,2]" });
    expect(await call("/loose")).toMatchObject({ status: 200, text: "now" });
    expect(await call("/loose?wait=1")).toMatchObject({ status: 200, text: "later" });
    const hash = await call("/hash/cat");
    expect(hash.status).toBe(200);
    const { pbkdf2Sync } = await import("node:crypto");
    expect(JSON.parse(hash.text)).toEqual({ hash: pbkdf2Sync("cat", "salt", 10_000, 16, "sha256").toString("hex") });
    expect(await call("/text")).toMatchObject({ status: 200, type: "text/plain; charset=utf-8", text: "plain text" });
    expect(await call("/bytes")).toMatchObject({ status: 200, type: "application/octet-stream", text: "hi" });
    expect(await call("/nothing")).toMatchObject({ status: 204, text: "" });
    expect(await call("/created", { method: "POST" })).toMatchObject({ status: 201, location: "/users/2", text: '{"id":2}' });
    expect(await call("/page")).toMatchObject({ status: 200, type: "text/html; charset=utf-8", text: "<h1>Hello</h1>" });
    expect(await call("/teapot")).toMatchObject({ status: 418, text: "short and stout" });
    expect(await call("/logo.svg")).toMatchObject({ status: 200, type: "image/svg+xml" });
    expect(await call("/old")).toMatchObject({ status: 301, location: "/page", text: "" });
    // A bad request in between leaves the server serving.
    expect((await raw(app.port, "GET /version HTTP/1.1\r\n\r\n")).status).toBe(400);
    expect(await call("/users/1")).toMatchObject({ status: 200 });
  }, 60_000);

  it("listen({ enableAsync: false }) refuses the app, naming its async and maybe routes", async () => {
    const { serveError } = await import("../helpers/app.js");
    const message = await serveError(path.join(dir, ".catzilla"), { enableAsync: false });
    expect(message).toContain("GET /slow");
    expect(message).toContain("POST /echo");
    expect(message).toContain("GET /loose");
    expect(message).not.toContain("GET /users");
  });
});

describe("docs/limits.md", () => {
  let port: number;

  it("its options table states the defaults the server enforces", () => {
    const page = docPage("limits.md");
    const units: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024 };
    const stated = (name: string): number => {
      const row = new RegExp("^\\| `" + name + "` \\| ([^|]+) \\|", "m").exec(page);
      expect(row, `limits.md has a row for ${name}`).not.toBeNull();
      const m = /^(\d+(?: \d{3})*)(?: (KiB|MiB))?/.exec(row![1].trim());
      expect(m, `${name}: "${row![1]}" is a number`).not.toBeNull();
      return Number(m![1].replace(/ /g, "")) * (m![2] ? units[m![2]] : 1);
    };
    const names = [
      "maxHeaderBytes", "maxUrlBytes", "maxHeaderCount", "maxBodyBytes", "headersTimeoutMs",
      "requestTimeoutMs", "keepAliveTimeoutMs", "maxConnections", "maxPipelined", "sendTimeoutMs",
    ] as const;
    for (const name of names) expect(stated(name), name).toBe(LIMIT_DEFAULTS[name]);
    // Any other limit C reports a default for that the page lists must agree too.
    for (const [name, value] of Object.entries(LIMIT_DEFAULTS)) {
      if (page.includes("| `" + name + "` |")) expect(stated(name), name).toBe(value);
    }
    expect(stated("handlerTimeoutMs")).toBe(0);
    for (const name of ["backlog", "closeGraceMs", "enableAsync", "handlerTimeoutMs"]) {
      expect(page, name).toContain("| `" + name + "` |");
    }
  });

  it("its example starts with the page's options", async () => {
    const dir = await compilePage("limits.md", ["app.ts", "main.ts"], ["app.ts", "main.ts"]);
    const child = spawn(process.execPath, ["main.js"], { cwd: dir, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    running.push({
      port: 0,
      url: "",
      child,
      stderr: () => stderr,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill("SIGTERM");
        await once(child, "exit");
        return child.exitCode;
      },
    });
    const [line] = (await Promise.race([
      once(createInterface({ input: child.stdout! }), "line"),
      once(child, "exit").then(() => [`exited: ${stderr}`]),
    ])) as [string];
    const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
    expect(m, line).not.toBeNull();
    port = Number(m![1]);
  }, 120_000);

  /** A rejection: the status and body the page states, Connection: close, and the server still serves. */
  async function rejected(request: string | Buffer, status: number, error: string, idleMs?: number) {
    const ex = await exchange(port, [request], { responses: 1, idleMs });
    const { responses } = parseResponses(ex.data);
    expect(responses[0]?.status, ex.data.slice(0, 200)).toBe(status);
    expect(responses[0].body).toBe(JSON.stringify({ error }));
    expect(responses[0].headers.connection).toBe("close");
    expect(ex.closed).toBe(true);
    const next = await raw(port, get("/"));
    expect([next.status, next.body]).toEqual([200, "ok"]);
  }

  it("a header block over maxHeaderBytes is 431", async () => {
    await rejected(get("/", `X-Big: ${"a".repeat(4 * 1024)}\r\n`), 431, "Request Header Fields Too Large");
    // Just under the limit is served.
    expect((await raw(port, get("/", `X-Big: ${"a".repeat(3 * 1024)}\r\n`))).status).toBe(200);
  });

  it("a URL over maxUrlBytes is 414", async () => {
    await rejected(get("/?q=" + "a".repeat(1024)), 414, "URI Too Long");
    expect((await raw(port, get("/?q=" + "a".repeat(1000)))).status).toBe(200);
  });

  it("more than maxHeaderCount headers is 431", async () => {
    const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}\r\n`).join("");
    await rejected(get("/", headers(20)), 431, "Request Header Fields Too Large"); // with Host: 21
    expect((await raw(port, get("/", headers(19)))).status).toBe(200);
  });

  it("a body over maxBodyBytes is 413, by Content-Length or while chunked; one under it is served", async () => {
    await rejected("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n", 413, "Payload Too Large");
    const chunk = "a".repeat(16 * 1024);
    const chunked = Array.from({ length: 5 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("") + "0\r\n\r\n";
    await rejected(`POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`, 413, "Payload Too Large");
    const ok = await fetch(`http://127.0.0.1:${port}/upload`, { method: "POST", body: "b".repeat(60_000) });
    expect(await ok.json()).toEqual({ bytes: 60_000 });
  });

  it("headers still incomplete after headersTimeoutMs is 408", async () => {
    const t = performance.now();
    await rejected("GET / HTTP/1.1\r\nHost: t\r\n", 408, "Request Timeout", 3_000);
    expect(performance.now() - t).toBeGreaterThan(900);
  }, 15_000);

  it("an async handler past handlerTimeoutMs is answered 503", async () => {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/slow`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('{"error":"Service Unavailable"}');
    expect(performance.now() - t).toBeLessThan(900);
    expect((await raw(port, get("/"))).body).toBe("ok");
    // An ordinary response: the connection stays open for the next request.
    const ex = await exchange(port, [get("/slow") + get("/")], { responses: 2 });
    const { responses } = parseResponses(ex.data);
    expect(responses.map((r) => r.status)).toEqual([503, 200]);
    expect(responses[0].headers.connection).toBeUndefined();
  });

  it("malformed requests get the page's statuses, and the server serves the next one", async () => {
    await rejected("GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", 400, "Bad Request");
    await rejected("GET / HTTP/1.1\r\n\r\n", 400, "Bad Request");
    await rejected("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 400, "Bad Request");
    await rejected("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "Not Implemented");
    await rejected("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: something\r\nContent-Length: 1\r\n\r\na", 417, "Expectation Failed");
  });

  it("an option that is not a non-negative integer makes listen() reject with a TypeError naming it", async () => {
    const { serveError } = await import("../helpers/app.js");
    const dir = await compilePage("limits.md", ["app.ts", "main.ts"]);
    const message = await serveError(path.join(dir, ".catzilla"), { maxBodyBytes: -1 });
    expect(message).toMatch(/maxBodyBytes must be a non-negative integer/);
  }, 120_000);
});

describe("README", () => {
  it("its Docs section links every page under docs/", () => {
    const readme = fs.readFileSync(path.join(path.dirname(path.dirname(import.meta.dirname)), "README.md"), "utf8");
    const section = /^## Docs\n([\s\S]*?)^## /m.exec(readme);
    expect(section, "README has a ## Docs section").not.toBeNull();
    const dir = path.join(path.dirname(path.dirname(import.meta.dirname)), "docs");
    for (const page of fs.readdirSync(dir).filter((f) => f.endsWith(".md"))) {
      expect(section![1], page).toContain(`](docs/${page})`);
    }
  });
});
