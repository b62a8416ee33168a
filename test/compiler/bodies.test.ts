/**
 * What the compiler decides about request bodies: a handler that calls req.stream() or
 * req.formData() gets CZ_ROUTE_STREAM (formData() also the headers), except where the body
 * must be buffered (blocking routes, body schemas); the route option maxBodyBytes, a value
 * known at compile time (`1 << 30` too), becomes routes.c's body_limit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { FLAG_BODY, FLAG_HEADERS, FLAG_QUERY, FLAG_STREAM } from "../../compiler/types.js";
import { readRoutesJson, type RoutesJson, writeApp } from "./helpers.js";

const APP = `import { Catzilla, type Request } from "catzilla";
export const app = new Catzilla();
const MB = 1024 * 1024;
app.post("/stream", async (req) => { for await (const c of req.stream()) void c; return null; });
app.post("/form", async (req) => Object.fromEntries(await req.formData()), { maxBodyBytes: 1 << 30 });
app.post("/text", async (req) => req.text(), { maxBodyBytes: 64 * MB });
app.post("/blocking", (req) => { void req.stream(); return null; }, { blocking: true });
app.post("/schema", async (req: Request<"/schema", { body: { a: number } }>) => { void req.stream(); return (await req.json()).a; });
app.post("/opaque", async (req) => String(req));
`;

let dir: string;
let result: CompileResult;
let json: RoutesJson;
beforeAll(async () => {
  dir = writeApp("bodies", { "app.ts": APP });
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

const flagsOf = (p: string) => json.routes.find((r) => r.path === p)!.flags;

describe("streamed bodies and body limits in the compiler", () => {
  it("compiles without diagnostics", () => {
    expect(result.diagnostics).toEqual([]);
  });

  it("stream() and formData() make a route streamed; formData() reads the headers too", () => {
    expect(flagsOf("/stream")).toBe(FLAG_BODY | FLAG_STREAM);
    expect(flagsOf("/form")).toBe(FLAG_BODY | FLAG_STREAM | FLAG_HEADERS);
    expect(flagsOf("/text")).toBe(FLAG_BODY);
  });

  it("a blocking route, a body schema and an opaque use read a buffered body", () => {
    expect(flagsOf("/blocking") & FLAG_STREAM).toBe(0);
    expect(flagsOf("/schema") & FLAG_STREAM).toBe(0);
    expect(flagsOf("/opaque")).toBe(FLAG_HEADERS | FLAG_QUERY | FLAG_BODY);
  });

  it("maxBodyBytes goes into routes.c's body_limit and routes.json; other routes keep 0", () => {
    const c = fs.readFileSync(path.join(dir, ".catzilla", "routes.c"), "utf8");
    const row = (p: string) => c.split("\n").find((l) => l.includes(`.pattern = "${p}"`))!;
    expect(row("/form")).toContain(".flags = CZ_ROUTE_HEADERS | CZ_ROUTE_BODY | CZ_ROUTE_STREAM, .body_limit = 1073741824,");
    expect(row("/text")).toContain(".body_limit = 67108864,");
    expect(row("/stream")).toContain(".body_limit = 0,");
    expect(json.routes.find((r) => r.path === "/form")).toMatchObject({ maxBodyBytes: 1 << 30 });
    expect(json.routes.find((r) => r.path === "/stream")).not.toHaveProperty("maxBodyBytes");
  });

  it("a maxBodyBytes that is not a positive uint32 is CZ1014", async () => {
    for (const bad of ["0", "-1", "1.5", "2 ** 32", '"1MB"']) {
      const d = writeApp("bodies-bad", {
        "app.ts": `import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\napp.post("/x", async (req) => req.text(), { maxBodyBytes: ${bad} as any });\n`,
      });
      const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: d, cc: false, write: false });
      expect(r.diagnostics.map((x) => x.code), bad).toEqual(["CZ1014"]);
      expect(r.diagnostics[0].message).toContain("maxBodyBytes must be an integer from 1 to 4294967295");
    }
  }, 120_000);
});
