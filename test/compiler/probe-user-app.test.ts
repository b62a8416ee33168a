/**
 * What an outside user's project found (black-box probe of issues 12 and 15): a project laid
 * out as `catzilla init` writes it (package.json at the root, the app in src/, the build in
 * src/.catzilla), outside this repository with node_modules/catzilla linked to this checkout,
 * compiled by the real CLI and served over a real socket.
 *
 * - A const route with a declared result type sent the fields the type leaves out: the
 *   bytes were built from the value with JSON.stringify, skipping the response filter
 *   (`(): PublicConfig => CONFIG` leaked CONFIG.apiKey).
 * - Routes of a Router imported under another name (`import { router as users }`) were
 *   "never mounted" (CZ2004) and the server then refused to start.
 * - openapi.json's info ignored the project's package.json unless it sat right beside the
 *   out dir, which `src/.catzilla` never is.
 * - A handler whose result is an inferred object literal (`(req) => ({ id: req.params.id })`,
 *   as `catzilla init` writes) had no response schema in openapi.json and `Promise<unknown>`
 *   in the typed client, although its type is exact.
 * - Such a literal was never filtered, though docs/validation.md says an inferred type filters
 *   at every level: `(req) => ({ user: find(id) })` and `({ ...find(id) })` sent the User's
 *   passwordHash.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { CLI, ROOT } from "./helpers.js";

const made: string[] = [];
const running: RunningApp[] = [];

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A project outside the repository, as a user's, with `files` under it. */
function project(label: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `catzilla-probe-${label}-`));
  made.push(dir);
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "catzilla"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "@types"), path.join(dir, "node_modules", "@types"));
  const all: Record<string, string> = {
    "package.json": JSON.stringify({ name: `probe-${label}`, version: "2.3.4", private: true, type: "module" }),
    "tsconfig.json": JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, noEmit: true, types: ["node"] },
      include: ["src"],
    }),
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** `catzilla-compile src/app.ts --out src/.catzilla` in the project, then its server on a port. */
async function buildAndServe(dir: string): Promise<{ app: RunningApp; out: string }> {
  const r = spawnSync(process.execPath, [CLI, "src/app.ts", "--out", "src/.catzilla"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  const out = r.stdout + r.stderr;
  expect(r.status, out).toBe(0);
  const app = await serve(path.join(dir, "src", ".catzilla"), {}, { cwd: dir });
  running.push(app);
  return { app, out };
}

async function getJson(app: RunningApp, url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(app.url + url);
  return { status: res.status, body: await res.json() };
}

describe("a const route's value goes through its result type's filter", () => {
  let app: RunningApp;
  let out: string;
  beforeAll(async () => {
    const dir = project("const", {
      "src/app.ts": `
import { Catzilla } from "catzilla";
export const app = new Catzilla();
interface PublicConfig { name: string }
interface P1 { x: number }
interface P2 { y: string }
interface Page<T> { items: T[]; total: number }
const CONFIG = { name: "svc", apiKey: "sk-live-123" };
const EXACT = { name: "exact" };
app.get("/config", (): PublicConfig => CONFIG);
app.get("/cast", (): PublicConfig => ({ name: "x", apiKey: "k" }) as PublicConfig);
app.get("/both", (): P1 & P2 => ({ x: 1, y: "a", passwordHash: "h" }) as P1 & P2);
app.get("/page", (): Page<{ id: number }> => ({ items: [{ id: 1, passwordHash: "h" } as { id: number }], total: 1 }));
app.get("/exact", (): PublicConfig => EXACT);
app.get("/inferred", () => ({ name: "inferred", extra: 1 }));
`,
    });
    ({ app, out } = await buildAndServe(dir));
  }, 120_000);

  it("fields the declared type does not have are not sent, whatever the value's origin", async () => {
    expect(await getJson(app, "/config")).toEqual({ status: 200, body: { name: "svc" } });
    expect(await getJson(app, "/cast")).toEqual({ status: 200, body: { name: "x" } });
    expect(await getJson(app, "/both")).toEqual({ status: 200, body: { x: 1, y: "a" } });
    expect(await getJson(app, "/page")).toEqual({ status: 200, body: { items: [{ id: 1 }], total: 1 } });
    // The server still serves after them.
    expect((await getJson(app, "/exact")).status).toBe(200);
  });

  it("stays const where the filter changes nothing: a value exactly its type, or an inferred literal", async () => {
    const kinds = Object.fromEntries([...out.matchAll(/GET\s+(\/\w+)\s+(\w+)/g)].map((m) => [m[1], m[2]]));
    expect(kinds).toMatchObject({ "/config": "sync", "/cast": "sync", "/both": "sync", "/page": "sync", "/exact": "const", "/inferred": "const" });
    expect(await getJson(app, "/exact")).toEqual({ status: 200, body: { name: "exact" } });
    expect(await getJson(app, "/inferred")).toEqual({ status: 200, body: { name: "inferred", extra: 1 } });
  });
});

describe("a Router imported under another name", () => {
  it("is followed to its mount: no CZ2004, its routes served", async () => {
    const dir = project("alias", {
      "src/routes.ts": `
import { Router } from "catzilla";
export const router = new Router();
router.get("/:id(int)", (req) => ({ id: req.params.id }));
export { router as again };
`,
      "src/more.ts": `export { again as notes } from "./routes.js";\n`,
      "src/app.ts": `
import { Catzilla } from "catzilla";
import { router as users } from "./routes.js";
import { notes } from "./more.js";
export const app = new Catzilla();
app.mount("/users", users);
app.mount("/notes", notes);
`,
    });
    const { app, out } = await buildAndServe(dir);
    expect(out).not.toContain("CZ2004");
    expect(await getJson(app, "/users/7")).toEqual({ status: 200, body: { id: 7 } });
    expect(await getJson(app, "/notes/8")).toEqual({ status: 200, body: { id: 8 } });
    expect((await fetch(app.url + "/users/x")).status).toBe(404);
    expect(await getJson(app, "/notes/9")).toEqual({ status: 200, body: { id: 9 } });
  }, 120_000);
});

describe("openapi.json names the project", () => {
  it("from the package.json at the project root when the out dir is src/.catzilla", async () => {
    const dir = project("title", {
      "src/app.ts": `
import { Catzilla, openapi } from "catzilla";
export const app = new Catzilla();
app.get("/openapi.json", openapi);
`,
    });
    const { app } = await buildAndServe(dir);
    const doc = (await getJson(app, "/openapi.json")).body as { info: { title: string; version: string } };
    expect(doc.info).toEqual({ title: "probe-title", version: "2.3.4" });
    const file = JSON.parse(fs.readFileSync(path.join(dir, "src", ".catzilla", "openapi.json"), "utf8")) as typeof doc;
    expect(file.info.title).toBe("probe-title");
  }, 120_000);
});

describe("an inferred result type is still described", () => {
  it("in openapi.json (a sync and a const route) and in the typed client", async () => {
    const dir = project("shape", {
      "src/app.ts": `
import { Catzilla } from "catzilla";
export const app = new Catzilla();
app.get("/users/:id(int)", (req) => ({ id: req.params.id, tags: ["a"] }));
app.get("/const", () => ({ ok: true }));
`,
    });
    const { app } = await buildAndServe(dir);
    const out = path.join(dir, "src", ".catzilla");
    const doc = JSON.parse(fs.readFileSync(path.join(out, "openapi.json"), "utf8")) as {
      paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> } }>;
    };
    expect(doc.paths["/users/{id}"].get.responses["200"].content!["application/json"].schema).toEqual({
      type: "object",
      properties: { id: { type: "number" }, tags: { type: "array", items: { type: "string" } } },
      required: ["id", "tags"],
    });
    expect(doc.paths["/const"].get.responses["200"].content!["application/json"].schema).toEqual({
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
    });
    const client = fs.readFileSync(path.join(out, "client.ts"), "utf8");
    expect(client).toMatch(/getUsersId: \(call: \{ params: \{ id: number \} \}\): Promise<\{ id: number; tags: string\[\] \}>/);
    expect(client).toMatch(/getConst: \(call: \{\} = \{\}\): Promise<\{ ok: boolean \}>/);
    // Still sent as it is (no filter): the route answers what the handler returned.
    expect(await getJson(app, "/users/3")).toEqual({ status: 200, body: { id: 3, tags: ["a"] } });
    expect(await getJson(app, "/const")).toEqual({ status: 200, body: { ok: true } });
  }, 120_000);
});

describe("an inferred result type filters what it holds", () => {
  it("a User inside a literal, or spread into one, is sent without the fields User lacks", async () => {
    const dir = project("nested", {
      "src/app.ts": `
import { Catzilla } from "catzilla";
export const app = new Catzilla();
interface User { id: number; name: string }
const users: User[] = [{ id: 1, name: "a", passwordHash: "h" } as User];
app.get("/wrapped/:i(int)", (req) => ({ user: users[req.params.i - 1], n: req.params.i }));
app.get("/spread/:i(int)", (req) => ({ ...users[req.params.i - 1] }));
app.get("/list/:i(int)", (req) => ({ items: users.slice(0, req.params.i) }));
app.get("/flat/:i(int)", (req) => ({ i: req.params.i, name: "x" }));
`,
    });
    const { app } = await buildAndServe(dir);
    expect(await getJson(app, "/wrapped/1")).toEqual({ status: 200, body: { user: { id: 1, name: "a" }, n: 1 } });
    expect(await getJson(app, "/spread/1")).toEqual({ status: 200, body: { id: 1, name: "a" } });
    expect(await getJson(app, "/list/1")).toEqual({ status: 200, body: { items: [{ id: 1, name: "a" }] } });
    expect(await getJson(app, "/flat/2")).toEqual({ status: 200, body: { i: 2, name: "x" } });
  }, 120_000);
});
