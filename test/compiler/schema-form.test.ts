/**
 * Typed form bodies without a server: which routes take a form (the handler reads form() or
 * formData()), the coded errors for types a field cannot hold (CZ1032), a body read both ways
 * (CZ1033) and a blocking form route (CZ1034); what routes.json, validators.js, openapi.json
 * and the client say about form routes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type Diagnostic } from "../../compiler/index.js";
import { loadOpenApiValidator } from "../helpers/openapi-validator.js";
import { copyFixture, locate, writeApp } from "./helpers.js";

const where = (d: Diagnostic) => `${path.basename(d.span!.file)}:${d.span!.line}:${d.span!.col}`;

async function diagnose(files: Record<string, string>): Promise<Diagnostic[]> {
  const dir = writeApp("schema-form-diag", files);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
  return r.diagnostics;
}

describe("types a form field cannot hold", () => {
  const types = `export interface Nested { name: string; address: { city: string } }
export interface WithNull { note: string | null }
export interface Mixed { pick: string | { id: number } }
export interface Pairs { pair: [string, number] }
export interface FileOrText { doc: File | string }
`;
  const app = `import { Catzilla, type Request } from "catzilla";
import type { Nested, WithNull, Mixed, Pairs, FileOrText } from "./types.js";
export const app = new Catzilla();
app.post("/nested", async (req: Request<"/nested", { body: Nested }>) => (await req.form()).name);
app.post("/null", async (req: Request<"/null", { body: WithNull }>) => String((await req.form()).note));
app.post("/mixed", async (req: Request<"/mixed", { body: Mixed }>) => { await req.formData(); return 1; });
app.post("/pairs", async (req: Request<"/pairs", { body: Pairs }>) => { await req.form(); return 1; });
app.post("/file", async (req: Request<"/file", { body: FileOrText }>) => { await req.form(); return 1; });
app.post("/list", async (req: Request<"/list", { body: string[] }>) => { await req.form(); return 1; });
app.post("/both", async (req: Request<"/both", { body: { a: string } }>) => {
  await req.form();
  return req.json();
});
app.post("/pool", async (req: Request<"/pool", { body: { a: string } }>) => (await req.form()).a, { blocking: true });
// As JSON, a File is still no JSON type.
app.post("/json-file", async (req: Request<"/json-file", { body: { f: File } }>) => req.json());
`;

  it("each is a coded error at the property (or the route), naming the field and why", async () => {
    const diagnostics = await diagnose({ "app.ts": app, "types.ts": types });
    expect(diagnostics.map((d) => [d.code, where(d), d.message])).toEqual([
      ["CZ1032", `app.ts:${locate(app, 'Request<"/list"')}`, expect.stringMatching(/POST \/list .*its type is not an object type/)],
      ["CZ1033", `app.ts:${locate(app, "async (req: Request<\"/both\"")}`, expect.stringContaining("both as JSON")],
      ["CZ1034", `app.ts:${locate(app, "async (req: Request<\"/pool\"")}`, expect.stringContaining("blocking route POST /pool")],
      ["CZ1030", `app.ts:${locate(app, "f: File")}`, expect.stringMatching(/cannot be checked as JSON: 'File' is /)],
      ["CZ1032", `types.ts:${locate(types, "address:")}`, expect.stringMatching(/POST \/nested .*field 'address' is an object/)],
      ["CZ1032", `types.ts:${locate(types, "note:")}`, expect.stringMatching(/field 'note' is a union with null/)],
      ["CZ1032", `types.ts:${locate(types, "pick:")}`, expect.stringMatching(/field 'pick' is a union with an object/)],
      ["CZ1032", `types.ts:${locate(types, "pair:")}`, expect.stringMatching(/field 'pair' is a tuple/)],
      ["CZ1032", `types.ts:${locate(types, "doc:")}`, expect.stringMatching(/field 'doc' is a union with a file/)],
    ]);
    for (const d of diagnostics) expect(d.severity).toBe("error");
    const nested = diagnostics.find((d) => d.message.includes("/nested"))!;
    expect(nested.related?.[0].message).toBe("The body type of POST /nested is declared here.");
  });
});

describe("a compiled app with form routes", () => {
  it("takes a form read as req[\"form\"]() or req[\"formData\"]() as one, as req.form() is (else its valid forms were 400: not JSON)", async () => {
    const dir = writeApp("schema-form-elem", {
      "app.ts": `import { Catzilla, type Request } from "catzilla";
export const app = new Catzilla();
interface Signup { email: string; plan: "free" | "pro" }
app.post("/elem", async (req: Request<"/elem", { body: Signup }>) => (await req["form"]()).plan);
app.post("/elem-fd", async (req: Request<"/elem-fd", { body: Signup }>) => String((await req["formData"]()).get("plan")));
`,
    });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(r.diagnostics).toEqual([]);
    const routes = JSON.parse(fs.readFileSync(path.join(dir, ".catzilla", "routes.json"), "utf8")) as { routes: { path: string; body?: string }[] };
    expect(Object.fromEntries(routes.routes.map((x) => [x.path, x.body ?? null]))).toEqual({ "/elem": "form", "/elem-fd": "form" });
  });

  it("marks them in routes.json, checks them in validators.js, describes them in openapi.json", async () => {
    const dir = copyFixture("form-schema");
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(r.diagnostics).toEqual([]);
    const out = path.join(dir, ".catzilla");
    const routes = JSON.parse(fs.readFileSync(path.join(out, "routes.json"), "utf8")) as { routes: { path: string; body?: string }[] };
    expect(Object.fromEntries(routes.routes.map((x) => [x.path, x.body ?? null]))).toEqual({
      "/signup": "form",
      "/upload": "form",
      "/raw": "form",
      "/loose": null, // form() without a body type: nothing to check
      "/typed": "form",
      "/tagged": "form",
      "/calls": null,
      "/openapi.json": null,
    });

    const validators = fs.readFileSync(path.join(out, "validators.js"), "utf8");
    expect(validators).toContain('import { coerce, formats, miss, unique, field, fields, file, files } from "catzilla/internal";');
    expect(validators).toContain("function form_SignUp(fd, e) {");
    expect(validators).toContain("export const route1 = { form: form_Upload, query: query_route1 };");
    // The handler is reached through rt.form (parse, check, then run), never rt.accept.
    const dispatch = fs.readFileSync(path.join(out, "dispatch.js"), "utf8");
    expect(dispatch).toMatch(/return rt\.form\(i, req, V\.route0, h0(, O\.out0)?\);/);
    expect(dispatch).not.toContain("rt.accept");

    const doc = JSON.parse(fs.readFileSync(path.join(out, "openapi.json"), "utf8"));
    const Validator = await loadOpenApiValidator();
    const res = await new Validator().validate(doc);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    const signup = doc.paths["/signup"].post;
    expect(Object.keys(signup.requestBody.content)).toEqual(["application/x-www-form-urlencoded", "multipart/form-data"]);
    expect(signup.requestBody.content["multipart/form-data"].schema).toEqual({ $ref: "#/components/schemas/SignUp" });
    expect(Object.keys(signup.responses)).toEqual(["200", "400", "413", "415"]);
    // A form with a file is multipart only; the file is OAS 3.1 binary content.
    const upload = doc.paths["/upload"].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(["multipart/form-data"]);
    const binary = { type: "string", contentMediaType: "application/octet-stream", format: "binary" };
    expect(doc.components.schemas.Upload.properties.file).toEqual(binary);
    expect(doc.components.schemas.Upload.properties.extra).toEqual({ type: "array", items: binary });
    expect(doc.components.schemas.Upload.required).toEqual(["title", "file"]);
    expect(doc.components.schemas.SignUp.properties.born).toEqual({ type: "string", format: "date-time" });

    // The typed client sends FormData for the form routes, JSON for none here.
    const client = fs.readFileSync(path.join(out, "client.ts"), "utf8");
    expect(client).toContain('request(options, "POST", "/upload", call, true)');
    expect(client).toContain('request(options, "POST", "/loose", call)');
    expect(client).toMatch(/export interface Upload \{\n {2}title: string;\n {2}file: File;\n {2}extra\?: Blob\[\];\n\}/);
  }, 120_000);

  it("generates byte-identical validators twice", async () => {
    const a = copyFixture("form-schema");
    const b = copyFixture("form-schema");
    for (const dir of [a, b]) {
      const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
      expect(r.diagnostics).toEqual([]);
    }
    const read = (dir: string) => fs.readFileSync(path.join(dir, ".catzilla", "validators.js"), "utf8");
    expect(read(a)).toBe(read(b));
  }, 120_000);
});
