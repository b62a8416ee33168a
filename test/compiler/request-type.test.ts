/**
 * `Request` alone is any route's request: a helper typed `(req: Request)` takes the request
 * of a route with typed params (int, number, literal lists, a wildcard) or a request schema
 * (body, query, headers), under tsc and under catzilla-compile alike; the idiom's example in
 * docs/routing.md compiles; what the loose type still refuses is checked with @ts-expect-error
 * (tsc fails on an expectation that no longer holds).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { docPage } from "../helpers/doc-examples.js";
import { locate, ROOT, runCli, writeApp } from "./helpers.js";

const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

const APP = `import { Catzilla, type Integer, type Request } from "catzilla";

export const app = new Catzilla();

interface Paging {
  limit?: number & Integer;
  all?: boolean;
}
interface NewNote {
  text: string;
}

/** Any route's request. */
function who(req: Request): string {
  return \`\${req.method} \${req.path} \${String(req.params.id ?? "")} \${req.headers.get("x-user") ?? ""}\`;
}
async function bodyText(req: Request): Promise<string> {
  return req.text();
}
/** One route's request. */
function noteId(req: Request<"/notes/:id(int)">): number {
  return req.params.id;
}

app.get("/notes/:id(int)", (req) => ({ who: who(req), id: noteId(req) }));
app.get("/price/:x(number)", (req) => who(req));
app.get("/feed/:format(rss|atom)", (req) => who(req));
app.get("/users/:name", (req) => who(req));
app.get("/files/*", (req) => who(req));
app.get("/a/:id(int)/b/:slug", (req) => who(req));
app.get("/", (req) => who(req));
app.post("/notes", async (req: Request<"/notes", { body: NewNote }>) => ({ who: who(req), text: (await req.json()).text, raw: await bodyText(req) }));
app.get("/notes", (req: Request<"/notes", { query: Paging }>) => ({ who: who(req), limit: req.query.limit ?? 20 }));
app.get("/me", (req: Request<"/me", { headers: { "x-user": number & Integer } }>) => ({ who: who(req), user: req.headers.get("x-user") }));

// What the loose type does not claim: a param of any route may be a number, a query value anything.
export function strict(req: Request): void {
  // @ts-expect-error string | number is not a string
  const s: string = req.params.id;
  // @ts-expect-error unknown is not a string
  const q: string = req.query.q;
  void s;
  void q;
}
// A route's own type stays precise: another route's request is not one of "/notes/:id(int)".
app.get("/other/:name", (req) => {
  // @ts-expect-error { name: string } has no id
  return noteId(req);
});
// And a handler of a known path keeps its string query.
app.get("/search", (req) => req.query.q?.toUpperCase() ?? "");
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true },
  include: ["*.ts"],
});

function tsc(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, "-p", dir], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** docs/routing.md's idiom: the ```ts block under "### Helpers that take a request". */
function routingIdiom(): string {
  const page = docPage("routing.md");
  const section = page.slice(page.indexOf("### Helpers that take a request"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (m === null) throw new Error("docs/routing.md: the helpers section has no ```ts block");
  return m[1];
}

describe("Request alone is any route's request", () => {
  it("tsc accepts a route's request where a helper takes `Request`, and keeps what it must refuse", () => {
    const dir = writeApp("request-type-tsc", { "app.ts": APP, "tsconfig.json": TSCONFIG });
    const r = tsc(dir);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  it("catzilla-compile compiles the same app without a diagnostic, the typed params kept", async () => {
    const dir = writeApp("request-type-compile", { "app.ts": APP });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.routes.find((x) => x.path === "/notes/:id(int)")?.kind).toBe("sync");
  });

  it("docs/routing.md's helpers example compiles", async () => {
    const dir = writeApp("request-type-docs", { "app.ts": routingIdiom(), "tsconfig.json": TSCONFIG });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    expect(tsc(dir).out).toBe("");
    expect(fs.existsSync(path.join(dir, "app.ts"))).toBe(true);
  });
});

// Issue 12's cleanup: a handler that is not a function stops the build at its line (compile()'s
// side is test/compiler/handler-types.test.ts); the server never starts with it.
describe("a handler that is not a function", () => {
  it("catzilla-compile exits 1 with CZ1003 at its file:line:col and writes nothing", () => {
    const app = `import { Catzilla } from "catzilla";
export const app = new Catzilla();
app.get("/ok", () => 1);
app.get("/x", 42 as any);
`;
    const dir = writeApp("handler-not-function", { "app.ts": app });
    const r = runCli(["app.ts", "--out", ".catzilla"], dir);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`app.ts:${locate(app, "42 as any")} - error CZ1003`);
    expect(r.stdout + r.stderr).not.toMatch(/warning/);
    expect(fs.existsSync(path.join(dir, ".catzilla", "server.js"))).toBe(false);
  });
});
