/**
 * Handler classification and request-member flags, end to end through compile() on
 * test/fixtures/compiler/kinds (routes.json is the contract checked).
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { copyFixture, readRoutesJson, type RoutesJson } from "./helpers.js";

// path → [kind, flags]; flags: 1 headers, 2 query, 4 body, 7 = everything (conservative).
const EXPECTED: Record<string, [string, number]> = {
  "GET /inline-arrow": ["sync", 0],
  "GET /async-arrow": ["async", 1],
  "GET /function-expr": ["sync", 2],
  "GET /async-function-expr": ["async", 4],
  "GET /decl": ["sync", 2],
  "GET /decl-async": ["async", 4],
  "GET /const-arrow": ["sync", 0],
  "GET /imported": ["async", 0],
  "GET /reexported-async": ["async", 0],
  "GET /reexported-sync": ["sync", 0],
  "GET /method": ["sync", 7],
  "GET /bind": ["async", 7],
  "GET /class-method": ["sync", 0],
  "GET /wrapper": ["async", 7],
  "GET /wrapper-handler-type": ["maybe", 7],
  "GET /fetch/:id": ["async", 0],
  "GET /promise-all": ["async", 0],
  "GET /thenable": ["async", 0],
  "GET /promise-subclass": ["async", 0],
  "GET /any": ["maybe", 0],
  "GET /unknown": ["maybe", 0],
  "GET /union/:x": ["maybe", 0],
  "GET /object": ["maybe", 0],
  "GET /void-function-type": ["maybe", 0],
  "GET /overloads": ["maybe", 0],
  "GET /overloads-same": ["sync", 0],
  "GET /conditional": ["maybe", 7],
  "GET /generic": ["maybe", 7],
  "GET /response": ["const", 0],
  "GET /void-body": ["const", 0],
  "GET /never": ["sync", 0],
  "GET /async-generator": ["maybe", 0], // an async iterable: streamed (runtime/stream.ts)
  "GET /destructure": ["sync", 2],
  "GET /destructure-rest": ["sync", 7],
  "POST /body": ["async", 4],
  "GET /no-param": ["const", 0],
  "GET /passes-req": ["sync", 7],
  "GET /shorthand": ["sync", 7],
  "GET /element-access": ["sync", 2],
  "GET /nested-closure": ["sync", 1],
  "GET /cookies": ["sync", 1],
  "GET /cookies-destructure": ["sync", 1],
  "GET /route-lower": ["const", 0],
  "PATCH /const/users/:id": ["const", 0],
  "GET /template": ["const", 0],
  "POST /chained": ["const", 0],
  "PUT /subclass": ["const", 0],
  "GET /empty-literal": ["const", 0],
  "GET /empty-annotated": ["maybe", 0],
  "GET /record": ["const", 0],
  "GET /type-param": ["maybe", 7],
  "GET /const-object": ["const", 0],
  "GET /const-helper": ["const", 0],
  "GET /blocking-option": ["blocking", 0],
  "GET /blocking-async": ["blocking", 0],
  "GET /g/sync": ["sync", 0],
  "GET /g/async": ["async", 1],
  "GET /g/const": ["const", 0],
  "GET /mounted/maybe": ["maybe", 0],
};

let dir: string;
let result: CompileResult;
let json: RoutesJson;

beforeAll(async () => {
  dir = copyFixture("kinds");
  result = await compile({ entries: ["app.ts", "lookalike.ts"], outDir: ".catzilla", cwd: dir });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

describe("handler kinds", () => {
  it("compiles without errors", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("finds exactly the Catzilla registrations (not a look-alike class)", () => {
    expect(json.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [key, [kind, flags]] of Object.entries(EXPECTED)) {
    it(`${key} is ${kind} with flags ${flags}`, () => {
      const r = json.routes.find((x) => `${x.method} ${x.path}` === key);
      expect(r, key).toBeDefined();
      expect({ kind: r!.kind, flags: r!.flags }).toEqual({ kind, flags });
    });
  }

  it("warns CZ2001 for every maybe route (but a streamed one), naming file:line:col and the type", () => {
    // A handler returning a stream is maybe by design (docs/streaming.md): no warning.
    const maybes = json.routes.filter((r) => r.kind === "maybe" && r.path !== "/async-generator");
    expect(result.diagnostics.some((d) => d.message.includes(" GET /async-generator "))).toBe(false);
    const warnings = result.diagnostics.filter((d) => d.code === "CZ2001");
    expect(warnings).toHaveLength(maybes.length);
    for (const r of maybes) {
      const w = warnings.find((d) => d.message.includes(` ${r.method} ${r.path} `));
      expect(w, r.path).toBeDefined();
      expect(`app.ts:${w!.span!.line}:${w!.span!.col}`).toBe(r.handler);
      expect(w!.message).toMatch(/type '.+'/);
    }
  });

  it("records the handler location relative to the out dir's parent", () => {
    const r = json.routes.find((x) => x.path === "/inline-arrow")!;
    expect(r.handler).toBe("app.ts:10:26");
    expect(r.params).toEqual([]);
    expect(json.routes.find((x) => x.path === "/const/users/:id")!.params).toEqual(["id"]);
  });

  it("orders route ids by file, then position", () => {
    expect(json.routes.map((r) => r.id)).toEqual(json.routes.map((_, i) => i));
    const positions = json.routes.map((r) => r.handler.split(":").slice(1).map(Number));
    for (let i = 1; i < positions.length; i++) {
      const [l0, c0] = positions[i - 1];
      const [l1, c1] = positions[i];
      expect(l1 > l0 || (l1 === l0 && c1 > c0)).toBe(true);
    }
  });
});
