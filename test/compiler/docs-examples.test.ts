/**
 * The docs' examples compile: every ```ts block headed with a file name (```ts app.ts) in
 * docs/validation.md, docs/openapi.md, docs/cookies.md, docs/errors.md, docs/middleware.md,
 * docs/cors.md, docs/static.md, docs/streaming.md, docs/bodies.md, docs/testing.md, docs/logging.md and
 * docs/deployment.md is written out with the others of its page and compiled; all but the
 * OpenAPI one are also served and exercised (the testing example's test file runs with
 * `node --test`; the logging example's main.js runs as is).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange } from "../helpers/raw.js";
import { loadOpenApiValidator } from "../helpers/openapi-validator.js";
import { fresh, startApp } from "../deploy/helpers.js";
import { ROOT, writeApp } from "./helpers.js";

/** name → source of each ```ts <name> block of a page. */
export function examples(page: string): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, "docs", page), "utf8");
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/```ts ([\w./-]+)\n([\s\S]*?)```/g)) out[m[1]] = m[2];
  return out;
}

let running: RunningApp | undefined;
afterAll(async () => {
  await running?.stop();
});

describe("docs/validation.md", () => {
  it("its example compiles and behaves as the page says", async () => {
    const files = examples("validation.md");
    // forms.ts (form bodies) is compiled and served by test/e2e/form-schema.test.ts.
    expect(Object.keys(files)).toEqual(["app.ts", "forms.ts"]);
    const dir = writeApp("docs-validation", files);
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics).toEqual([]);
    running = await serve(path.join(dir, ".catzilla"));
    const post = (body: unknown) =>
      fetch(`${running!.url}/users`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    const bad = await post({ name: "A", email: "nope", role: "member", tags: ["x", 2] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["$.email", "$.tags[1]"]);
    const ok = await post({ name: "A", email: "a@b.co", role: "member", tags: [] });
    expect(await ok.json()).toEqual({ id: 1, name: "A", email: "a@b.co", role: "member" });
    expect(await (await fetch(`${running.url}/users?limit=1`)).json()).toEqual([{ id: 1, name: "A", email: "a@b.co", role: "member" }]);
    expect((await fetch(`${running.url}/users?limit=0`)).status).toBe(400);
    const me = await fetch(`${running.url}/me`, { headers: { "x-user-id": "1" } });
    expect(((await me.json()) as { name: string }).name).toBe("A");
  });
});

describe("docs/openapi.md", () => {
  it("its example compiles to a valid OpenAPI 3.1 document with the parts the page lists", async () => {
    const files = examples("openapi.md");
    const dir = writeApp("docs-openapi", files);
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(r.diagnostics).toEqual([]);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, ".catzilla", "openapi.json"), "utf8"));
    const Validator = await loadOpenApiValidator();
    const v = new Validator();
    expect(await v.validate(doc)).toMatchObject({ valid: true });
    expect(Object.keys(doc.paths)).toEqual(["/openapi.json", "/pets", "/pets/{id}"]);
    expect(doc.paths["/pets/{id}"].get.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "integer" } }]);
    expect(Object.keys(doc.paths["/pets/{id}"].get.responses)).toEqual(["200", "404"]);
    expect(Object.keys(doc.paths["/pets/{id}"].delete.responses)).toEqual(["204", "404"]);
    expect(Object.keys(doc.paths["/pets"].post.responses)).toEqual(["200", "400", "413"]);
    expect(doc.paths["/pets"].get.description).toBe("Lists the pets, optionally of one kind.");
    expect(doc.paths["/pets"].post.description).toBeUndefined();
    expect(doc.components.schemas.Pet.description).toBe("A pet in the store.");
    expect(doc.components.schemas.Pet.properties.name.description).toBe("What the pet answers to.");
  });
});

/** Compiles a page's example (its one app.ts) and serves it. */
async function serveExample(page: string): Promise<RunningApp> {
  const files = examples(page);
  expect(Object.keys(files)).toEqual(["app.ts"]);
  const dir = writeApp(`docs-${page.replace(/\W+/g, "-")}`, files);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return serve(path.join(dir, ".catzilla"));
}

describe("docs/cookies.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example sets the cookies the page shows and reads them back", async () => {
    app = await serveExample("cookies.md");
    const { data } = await exchange(app.port, ["POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"], { responses: 1 });
    const lines = data.slice(0, data.indexOf("\r\n\r\n")).split("\r\n");
    expect(lines.filter((l) => l.startsWith("Set-Cookie: "))).toEqual([
      "Set-Cookie: session=abc; Max-Age=3600; HttpOnly; SameSite=Lax",
      "Set-Cookie: theme=dark; Path=/",
    ]);
    // The page quotes the head's first lines: they must stay true.
    const page = fs.readFileSync(path.join(ROOT, "docs", "cookies.md"), "utf8");
    expect(page).toContain(lines.filter((l) => !/^(Date|Content-Length|Connection):/.test(l)).join("\n") + "\n...");
    const me = await fetch(`${app.url}/me`, { headers: { cookie: "session=abc; theme=dark" } });
    expect(await me.json()).toEqual({ session: "abc", theme: "dark" });
    expect(await (await fetch(`${app.url}/me`)).json()).toEqual({ session: null, theme: "light" });
    const out = await fetch(`${app.url}/logout`, { method: "POST" });
    expect(out.headers.get("set-cookie")).toBe("session=; Max-Age=0");
  });
});

describe("docs/errors.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example answers as the page's table says", async () => {
    app = await serveExample("errors.md");
    const missing = await fetch(`${app.url}/users/7`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"error":"no user 7"}');
    expect(await (await fetch(`${app.url}/users/1`)).json()).toEqual({ id: 1, email: "a@example.com" });
    const post = (email: string) => fetch(`${app!.url}/users`, { method: "POST", body: JSON.stringify({ email }) });
    const taken = await post("a@example.com");
    expect(taken.status).toBe(409);
    expect(await taken.text()).toBe('{"error":"email taken","field":"email"}');
    expect((await post("b@example.com")).status).toBe(200);
    const limited = await fetch(`${app.url}/limited`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("5");
    expect(await limited.text()).toBe('{"error":"slow down"}');
    const crash = await fetch(`${app.url}/crash`);
    expect(crash.status).toBe(503);
    expect(await crash.text()).toBe('{"error":"something went wrong","path":"/crash"}');
    const nowhere = await fetch(`${app.url}/nowhere`);
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toEqual({ error: "not found", path: "/nowhere" });
    const wrongMethod = await fetch(`${app.url}/limited`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("docs/middleware.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example behaves as the page says, and its dispatch.js excerpt is what the compiler writes", async () => {
    app = await serveExample("middleware.md");
    const anon = await fetch(`${app.url}/admin/stats`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ error: "unauthorized" });
    expect(anon.headers.get("x-powered-by")).toBe("catzilla");
    const ok = await fetch(`${app.url}/admin/stats`, { headers: { authorization: "Bearer secret" } });
    expect(await ok.json()).toEqual({ users: 3 });
    expect(ok.headers.get("x-powered-by")).toBe("catzilla");
    const slow = await fetch(`${app.url}/slow`);
    expect(await slow.text()).toBe("slow");
    expect(slow.headers.get("server-timing")).toMatch(/^app;dur=\d+\.\d$/);
    const root = path.join(ROOT, "test", ".tmp", "compiler");
    const made = fs.readdirSync(root).filter((d) => d.startsWith("docs-middleware-md-")).sort((a, b) =>
      fs.statSync(path.join(root, b)).mtimeMs - fs.statSync(path.join(root, a)).mtimeMs);
    const js = fs.readFileSync(path.join(root, made[0], ".catzilla", "dispatch.js"), "utf8");
    const page = fs.readFileSync(path.join(ROOT, "docs", "middleware.md"), "utf8");
    const excerpt = /```\n(  \/\/ \d+: GET \/slow[\s\S]*?)```/.exec(page)![1];
    expect(js).toContain(excerpt);
    const json = JSON.parse(fs.readFileSync(path.join(root, made[0], ".catzilla", "routes.json"), "utf8"));
    const kinds = Object.fromEntries(json.routes.map((r: { method: string; path: string; kind: string }) => [`${r.method} ${r.path}`, r.kind]));
    expect(kinds).toMatchObject({ "GET /": "sync", "GET /slow": "async", "GET /admin/stats": "sync" });
  });
});

describe("docs/cors.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example answers preflights and real requests as the page says", async () => {
    app = await serveExample("cors.md");
    const pre = await fetch(`${app.url}/api/items`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, HEAD, PUT, POST, DELETE, PATCH");
    expect(pre.headers.get("access-control-max-age")).toBe("600");
    expect(pre.headers.get("vary")).toBe("Origin");
    const evil = await fetch(`${app.url}/api/items`, { headers: { origin: "https://evil.example" } });
    expect(evil.status).toBe(200);
    expect([...evil.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    const pub = await fetch(`${app.url}/public/status`, { headers: { origin: "https://x.test" } });
    expect(pub.headers.get("access-control-allow-origin")).toBe("*");
    expect(await pub.json()).toEqual({ up: true });
  });
});

describe("docs/static.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example serves ./public (relative to the server's working directory) as the page says", async () => {
    const files = examples("static.md");
    expect(Object.keys(files)).toEqual(["app.ts"]);
    const dir = writeApp("docs-static", {
      ...files,
      "public/index.html": "<h1>home</h1>",
      "public/css/site.css": "body{}",
      "public/version.txt": "v1 (from the file)",
      "public/.env": "SECRET=1",
      "public/build/app.3f2a.js": "export {}",
    });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    app = await serve(path.join(dir, ".catzilla"), {}, { cwd: dir });
    const home = await fetch(`${app.url}/assets/`);
    expect(await home.text()).toBe("<h1>home</h1>");
    expect(home.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const { data } = await exchange(app.port, ["GET /assets HTTP/1.1\r\nHost: x\r\n\r\n"], { responses: 1 });
    expect(data).toMatch(/^HTTP\/1\.1 301 [^]*\r\nLocation: \/assets\/\r\n/);
    const css = await fetch(`${app.url}/assets/css/site.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await (await fetch(`${app.url}/assets/version.txt`)).text()).toBe("v2 (from the route)");
    expect((await fetch(`${app.url}/assets/.env`)).status).toBe(404);
    const built = await fetch(`${app.url}/build/app.3f2a.js`);
    expect(built.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const again = await fetch(`${app.url}/build/app.3f2a.js`, { headers: { "if-none-match": built.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect(await (await fetch(`${app.url}/api/health`)).json()).toEqual({ ok: true });
  });
});

describe("docs/testing.md", () => {
  it("its example compiles and its node:test file passes through server.inject()", async () => {
    const files = examples("testing.md");
    expect(Object.keys(files)).toEqual(["app.ts", "app.test.ts"]);
    const dir = writeApp("docs-testing", files);
    const r = await compile({ entries: ["app.ts", "app.test.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics).toEqual([]);
    const run = spawnSync(process.execPath, ["--test", "--test-reporter=tap", "app.test.js"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stderr + run.stdout).toMatch(/# pass 3\n/);
    expect(run.stdout).toMatch(/# fail 0\n/);
    expect(run.status).toBe(0);
  }, 120_000);
});

describe("docs/logging.md", () => {
  it("its example logs through pino: the start line, the handler error with its request id, an access line per request; req.ip behind the listed proxy", async () => {
    const files = examples("logging.md");
    expect(Object.keys(files)).toEqual(["app.ts", "main.ts"]);
    const dir = writeApp("docs-logging", files);
    const r = await compile({ entries: ["app.ts", "main.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["main.js"], { cwd: dir, env: { ...process.env, PORT: "0" } });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const lines = () =>
      out
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const until = async (pred: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!pred() && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    };
    try {
      await until(() => lines().some((l) => l.port !== undefined));
      const port = lines().find((l) => l.port !== undefined)!.port as number;
      const base = `http://127.0.0.1:${port}`;
      const hello = (await (await fetch(`${base}/hello`)).json()) as { id: string };
      const who = await fetch(`${base}/whoami`, {
        headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "shop.example" },
      });
      expect(await who.json()).toEqual({ ip: "203.0.113.9", protocol: "https", host: "shop.example" });
      expect((await fetch(`${base}/fail`)).status).toBe(500);
      await until(() => lines().filter((l) => l.msg === "request completed").length >= 3);
      const access = lines().filter((l) => l.msg === "request completed");
      expect(access.map((l) => [l.path, l.status, l.remoteAddress])).toEqual([
        ["/hello", 200, "127.0.0.1"],
        ["/whoami", 200, "127.0.0.1"],
        ["/fail", 500, "127.0.0.1"],
      ]);
      expect(access[0].reqId).toBe(hello.id);
      const err = lines().find((l) => l.level === 50)!;
      expect(err).toMatchObject({ name: "catzilla", method: "GET", path: "/fail", reqId: access[2].reqId });
      expect((err.err as { message: string }).message).toBe("database unreachable");
    } finally {
      child.kill("SIGTERM");
      // "close", not "exit": the child's last stdout bytes may still be on their way at exit.
      await new Promise((res) => child.once("close", res));
    }
    expect(lines().at(-1)!.msg).toBe("closed");
  }, 120_000);
});

describe("docs/deployment.md", () => {
  it("its example serves on two event loops with the health route, and SIGTERM drains and exits 0", async () => {
    const files = examples("deployment.md");
    expect(Object.keys(files)).toEqual(["app.ts", "main.ts"]);
    const dir = writeApp("docs-deployment", files);
    const r = await compile({ entries: ["app.ts", "main.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const app = await startApp({ PORT: "0", WORKERS: "2" }, path.join(dir, "main.js"));
    try {
      expect(app.workers).toBe(2);
      const health = await fresh(app.port, "/healthz");
      expect([health.status, health.body]).toEqual([200, "ok\n"]);
      const threads = new Set<number>();
      for (let i = 0; i < 40 && threads.size < 2; i++) {
        const res = await fresh(app.port, "/");
        threads.add((JSON.parse(res.body) as { thread: number }).thread);
      }
      expect(threads.size).toBe(2);
      const slow = fresh(app.port, "/slow");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const code = app.stop();
      const answered = await slow;
      expect([answered.status, answered.headers.connection]).toEqual([200, "close"]);
      expect(await code).toBe(0);
    } finally {
      await app.stop();
    }
  }, 120_000);
});

describe("docs/streaming.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example streams, sends events and Readables as the page says", async () => {
    app = await serveExample("streaming.md");
    const count = await fetch(`${app.url}/count?to=3`);
    expect(count.headers.get("transfer-encoding")).toBe("chunked");
    expect(count.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await count.text()).toBe("1\n2\n3\n");
    expect(await (await fetch(`${app.url}/lines`)).text()).toBe("first\nsecond\n");
    const ticks = await fetch(`${app.url}/ticks?n=2`);
    expect(ticks.headers.get("content-type")).toBe("text/event-stream");
    const text = await ticks.text();
    expect(text).toBe('event: tick\nid: 1\ndata: {"n":1}\n\nevent: tick\nid: 2\ndata: {"n":2}\n\n');
    // The page shows the first event as it is sent.
    const page = fs.readFileSync(path.join(ROOT, "docs", "streaming.md"), "utf8");
    expect(page).toContain("```\n" + text.slice(0, text.indexOf("\n\n") + 2) + "```");
  });
});


describe("docs/bodies.md", () => {
  let app: RunningApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("its example answers as the page says: whole bodies, a form, a stream to disk, query strings", async () => {
    app = await serveExample("bodies.md");
    const post = (p: string, body: BodyInit, method = "POST") => fetch(`${app!.url}${p}`, { method, body });
    expect(await (await post("/echo", "héllo")).json()).toEqual({ text: "héllo" });
    expect(await (await post("/sum", '{"a":2,"b":3}')).json()).toEqual({ sum: 5 });
    const form = new FormData();
    form.append("title", "Hello");
    form.append("tag", "a");
    form.append("tag", "b");
    form.append("file", new File(["12345"], "notes.txt", { type: "text/plain" }));
    const up = await (await post("/upload", form)).text();
    const page = fs.readFileSync(path.join(ROOT, "docs", "bodies.md"), "utf8");
    expect(page).toContain("`" + up + "`");
    const search = await (await fetch(`${app.url}/search?tag=x&tag=y&id[]=1&id[]=2`)).text();
    expect(page).toContain("`" + search + "`");
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const saved = (await (await post("/files/doc-test.bin", big, "PUT")).json()) as { saved: string };
    expect(fs.readFileSync(saved.saved).equals(big)).toBe(true);
    fs.unlinkSync(saved.saved);
    expect((await post("/upload", "x", "POST")).status).toBe(415);
  });
});
