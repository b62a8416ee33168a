/** Paths known at compile time (CZ1002 for the rest is in diagnostics.test.ts). */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { copyFixture, readRoutesJson, type RoutesJson } from "./helpers.js";

let result: CompileResult;
let json: RoutesJson;

beforeAll(async () => {
  const dir = copyFixture("paths");
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

describe("static paths", () => {
  it("resolves consts, templates, +, as-const object properties and imports", () => {
    expect(result.diagnostics).toEqual([]);
    expect(json.routes.map((r) => r.path)).toEqual([
      "/users",
      "/users/:id",
      "/api/users/count",
      "/api/v2/users",
      "/api/users",
      "/api/posts",
      "/api/users/:id/posts",
      "/health",
      "/deep/*",
      "/b",
      "/paren",
    ]);
    expect(json.routes[1].params).toEqual(["id"]);
  });
});
