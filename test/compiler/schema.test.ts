/**
 * The schema pass without a server: what a request type cannot be (coded errors with the
 * file, line and type name), and that generated validators are deterministic.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type Diagnostic } from "../../compiler/index.js";
import { locate, writeApp } from "./helpers.js";

async function diagnose(files: Record<string, string>): Promise<{ dir: string; diagnostics: Diagnostic[] }> {
  const dir = writeApp("schema-diag", files);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
  return { dir, diagnostics: r.diagnostics };
}

const where = (d: Diagnostic) => `${path.basename(d.span!.file)}:${d.span!.line}:${d.span!.col}`;

describe("types that cannot be a request schema", () => {
  const types = `
export interface WithFn { name: string; run: () => void }
export class Secret { private key = "k"; name = "n" }
export interface WithMap { m: Map<string, number> }
export interface WithBig { n: bigint }
export interface WithSym { s: symbol }
export interface BadTag { n: number & import("catzilla").MinLength<2> }
`;
  const app = `import { Catzilla, type Request } from "catzilla";
import type { WithFn, Secret, WithMap, WithBig, WithSym, BadTag } from "./types.js";
export const app = new Catzilla();
app.post("/fn", (req: Request<"/fn", { body: WithFn }>) => 1);
app.post("/class", (req: Request<"/class", { body: Secret }>) => 1);
app.post("/map", (req: Request<"/map", { body: WithMap }>) => 1);
app.post("/big", (req: Request<"/big", { body: WithBig }>) => 1);
app.post("/sym", (req: Request<"/sym", { body: WithSym }>) => 1);
app.post("/tag", (req: Request<"/tag", { body: BadTag }>) => 1);
app.get("/q", (req: Request<"/q", { query: { ids: number[] } }>) => 1);
app.get("/h", (req: Request<"/h", { headers: { "x-obj": { a: string } } }>) => 1);
`;

  it("each is a coded error at the declaration, naming the type", async () => {
    const { diagnostics } = await diagnose({ "app.ts": app, "types.ts": types });
    const list = diagnostics.map((d) => [d.code, where(d), d.message]);
    expect(list).toEqual([
      ["CZ1031", `app.ts:${locate(app, "ids: number[]")}`, expect.stringContaining("'ids'")],
      ["CZ1031", `app.ts:${locate(app, "\"x-obj\": {")}`, expect.stringContaining("'x-obj'")],
      ["CZ1030", `types.ts:${locate(types, "run: () => void")}`, expect.stringMatching(/POST \/fn .*'\(\) => void' is a function/)],
      ["CZ1030", `types.ts:${locate(types, "private key")}`, expect.stringMatching(/'Secret' is a class with private state/)],
      ["CZ1030", `types.ts:${locate(types, "m: Map")}`, expect.stringMatching(/'Map<string, number>' is a Map/)],
      ["CZ1030", `types.ts:${locate(types, "n: bigint")}`, expect.stringMatching(/'bigint' is a bigint/)],
      ["CZ1030", `types.ts:${locate(types, "s: symbol")}`, expect.stringMatching(/'symbol' is a symbol/)],
      ["CZ1030", `types.ts:${locate(types, "n: number & import")}`, expect.stringMatching(/the tag minLength does not apply to number/)],
    ]);
    for (const d of diagnostics) expect(d.severity).toBe("error");
    // The route's Request<…> is the related location of errors found in another file.
    const fn = diagnostics.find((d) => d.message.includes("/fn"))!;
    expect(fn.related?.[0].message).toBe("The body type of POST /fn is declared here.");
    expect(`app.ts:${fn.related![0].span.line}:${fn.related![0].span.col}`).toBe(`app.ts:${locate(app, 'Request<"/fn"')}`);
  });
});

describe("generated validators", () => {
  it("are byte-identical across compiles, and absent without schemas", async () => {
    const files = {
      "app.ts": `import { Catzilla, type Request, type MinLength } from "catzilla";
export const app = new Catzilla();
interface A { b: B[]; s: string & MinLength<2> }
interface B { a?: A; n: number | null }
app.post("/a", (req: Request<"/a", { body: A }>) => 1);
app.post("/b", (req: Request<"/b", { body: B; query: { q?: "x" | "y" } }>) => 1);
`,
    };
    const dir = writeApp("schema-det", files);
    const first = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(first.diagnostics).toEqual([]);
    const js = fs.readFileSync(path.join(dir, ".catzilla", "validators.js"), "utf8");
    fs.rmSync(path.join(dir, ".catzilla"), { recursive: true });
    await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(fs.readFileSync(path.join(dir, ".catzilla", "validators.js"), "utf8")).toBe(js);
    // Mutually recursive types: one pair of functions each.
    expect(js.match(/^function is_A\(/gm)).toHaveLength(1);
    expect(js.match(/^function is_B\(/gm)).toHaveLength(1);

    const plain = writeApp("schema-none", { "app.ts": 'import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\napp.get("/", (req) => req.query);\n' });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: plain, cc: false });
    expect(r.files.some((f) => f.endsWith("validators.js"))).toBe(false);
    expect(fs.readFileSync(path.join(plain, ".catzilla", "dispatch.js"), "utf8")).not.toContain("validators");
  });
});

describe("CZ2030 notes", () => {
  it("a JSON result type that does not say which fields to send is noted, with the reason; precise ones are not", async () => {
    const app = `import { Catzilla } from "catzilla";
export const app = new Catzilla();
interface User { id: number; name: string }
interface Loose { id: number; extra: Record<string, number> }
interface WithMethod { id: number; f(): void }
app.get("/ok", (): User[] => []);
app.get("/record", (): Loose => ({ id: 1, extra: {} }));
app.get("/any", (): { data: any } => ({ data: 1 }));
app.get("/method", (): WithMethod => ({ id: 1, f() {} }));
app.get("/union", (): { a: number } | { b: string } => ({ a: 1 }));
app.get("/text", () => "hello");
app.get("/inferred", () => ({ a: 1 }));
`;
    const dir = writeApp("schema-notes", { "app.ts": app });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
    expect(r.diagnostics).toEqual([]); // notes are not diagnostics
    expect(r.notes.map((n) => [n.code, n.severity, `${n.span!.line}`, n.message])).toEqual([
      ["CZ2030", "note", locate(app, '"/record"').split(":")[0], expect.stringContaining("GET /record: the result is sent with JSON.stringify, not filtered by its type: it has an index signature")],
      ["CZ2030", "note", locate(app, '"/any"').split(":")[0], expect.stringContaining("it contains any or unknown")],
      ["CZ2030", "note", locate(app, '"/method"').split(":")[0], expect.stringContaining("is a method (f)")],
      ["CZ2030", "note", locate(app, '"/union"').split(":")[0], expect.stringContaining("a union of object types without a discriminant")],
    ]);
  });
});
