/**
 * The generated typed client (.catzilla/client.ts, .js, .d.ts): it typechecks, a caller's
 * type errors are caught by it, and client.js talks to the real server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Project, ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatInThread } from "../../compiler/emit/format.js";
import type { RunningApp } from "../helpers/app.js";
import { compileAndServe } from "./helpers.js";

let app: RunningApp;
let out: string;

beforeAll(async () => {
  ({ out, app } = await compileAndServe("schema"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

/** TypeScript's errors for `files` next to the generated client (strict, no catzilla import). */
function typeErrors(files: Record<string, string>): string[] {
  const project = new Project({
    compilerOptions: { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: ["node"], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] },
  });
  for (const f of ["client.ts", "client.d.ts"]) project.createSourceFile(path.join(out, f === "client.d.ts" ? "decl/client.d.ts" : f), fs.readFileSync(path.join(out, f), "utf8"), { overwrite: true });
  for (const [name, text] of Object.entries(files)) project.createSourceFile(path.join(out, name), text, { overwrite: true });
  return project
    .getPreEmitDiagnostics()
    .map((d) => `${d.getSourceFile()?.getBaseName()}:${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n")}`);
}

describe("typed client", () => {
  it("client.ts and client.d.ts typecheck, and they type a caller's mistakes", () => {
    const use = `import { createClient, type NewUser, type User } from "./client.js";
import type { Client } from "./decl/client.js";
const api = createClient({ baseUrl: "http://127.0.0.1:1" });
const declared: Client = api;
export async function f(u: NewUser): Promise<User> {
  const users: User[] = await api.getUsers({ query: { limit: 5, sort: "asc" } });
  void users;
  await api.getTrace({ headers: { "x-trace": 1 } });
  // @ts-expect-error: limit is a number
  await api.getUsers({ query: { limit: "5" } });
  // @ts-expect-error: the body is required
  await api.postUsers({});
  // @ts-expect-error: role is "admin" | "member"
  await api.postUsers({ body: { ...u, role: "root" } });
  void declared;
  return api.postUsers({ body: u });
}
`;
    expect(typeErrors({ "use.ts": use })).toEqual([]);
    // Whole-program type checks: 10-20 s on a busy 2-core machine.
  }, 120_000);

  it("client.js calls the server: typed results, 400s as ApiError with the problem document", async () => {
    const { createClient, ApiError } = await import(pathToFileURL(path.join(out, "client.js")).href);
    const api = createClient({ baseUrl: app.url });
    const created = await api.postUsers({ body: { name: "Zed", email: "zed@example.com", role: "member", tags: [] } });
    expect(created).toEqual({ id: 1, name: "Zed", email: "zed@example.com", role: "member" });
    expect(await api.getUsers({ query: { limit: 1 } })).toEqual([created]);
    expect(await api.getTrace({ headers: { "x-trace": 7 } })).toMatchObject({ trace: 7 });
    const err = await api.postUsers({ body: { name: "", email: "x", role: "member", tags: [] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.name", "$.email"]);
    expect(await api.postShape({ body: { kind: "circle", radius: 1 } })).toEqual({ got: { kind: "circle", radius: 1 } });
  });

  it("has one function per route, named after method and path", () => {
    const dts = fs.readFileSync(path.join(out, "client.d.ts"), "utf8");
    for (const name of ["postUsers", "getUsers", "getEchoQuery", "getTrace", "getPlain", "postTree", "postShape", "getOpenapiJson"]) {
      expect(dts).toMatch(new RegExp(`^  ${name}\\(`, "m"));
    }
  });

  it("client.ts, client.js and client.d.ts are prettier-formatted, as the other generated files", async () => {
    for (const [f, parser] of [["client.ts", "typescript"], ["client.d.ts", "typescript"], ["client.js", "babel"]] as const) {
      const text = fs.readFileSync(path.join(out, f), "utf8");
      expect(await formatInThread(text, parser), f).toBe(text);
    }
  });
});
