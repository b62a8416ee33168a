/**
 * The docs' examples compile: every ```ts block headed with a file name (```ts app.ts) in
 * docs/validation.md, docs/openapi.md, docs/cookies.md, docs/errors.md, docs/testing.md and docs/bodies.md is
 * written out with the others of its page and compiled; all but the OpenAPI one are also
 * served and exercised (the testing example's test file runs with `node --test`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange } from "../helpers/raw.js";
import { loadOpenApiValidator } from "../helpers/openapi-validator.js";
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
    expect(Object.keys(files)).toEqual(["app.ts"]);
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
