/**
 * Route groups, mounted routers and helper functions: the compiler resolves each route's
 * full path, and the app's own JS registers exactly those paths at run time.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { joinPath } from "../../runtime/router.js";
import { copyFixture, readRoutesJson, ROOT, type RoutesJson, writeApp } from "./helpers.js";

let dir: string;
let result: CompileResult;
let json: RoutesJson;

beforeAll(async () => {
  dir = copyFixture("groups");
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

describe("route groups and routers", () => {
  it("resolves every prefix", () => {
    expect(result.diagnostics).toEqual([]);
    expect(json.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [
        "DELETE /admin/deep/thing",
        "GET /admin/stats",
        "GET /api",
        "GET /api/users",
        "GET /api/v1/ping",
        "GET /health",
        "GET /inline/a",
        "GET /orgs/:org/members",
        "GET /outlet/items",
        "GET /people",
        "GET /people/:id",
        "GET /shop/items",
        "GET /users",
        "GET /users/:id",
        "POST /people/:id",
        "POST /users/:id",
      ].sort(),
    );
    expect(json.routes.find((r) => r.path === "/orgs/:org/members")!.params).toEqual(["org"]);
  });

  it("the app's JS registers exactly the compiled routes (bindHandlers accepts them)", () => {
    const script = `
      const { bindHandlers } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "dist/runtime/bind.js")).href)});
      await import("./app.js");
      const dispatch = await import("./.catzilla/dispatch.js");
      const handlers = bindHandlers(dispatch.routes);
      const i = dispatch.routes.findIndex((r) => r.path === "/orgs/:org/members");
      console.log(JSON.stringify({ n: handlers.length, org: handlers[i]({ params: { org: "o" } }) }));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ n: json.routes.length, org: { org: "o" } });
  });

  it("joinPath: one slash between prefix and path; '/' under a prefix is the prefix", () => {
    expect(joinPath("/api", "/users")).toBe("/api/users");
    expect(joinPath("/api/", "/users")).toBe("/api/users");
    expect(joinPath("/api", "/")).toBe("/api");
    expect(joinPath("", "/x")).toBe("/x");
    expect(joinPath("/", "/x")).toBe("/x");
  });
});

describe("routers the compiler cannot follow", () => {
  it("CZ1012 for a router in a `let`, naming where it stopped; CZ2004 for a router never mounted", async () => {
    const d = writeApp("groups-bad", {
      "app.ts": `import { Catzilla, Router } from "catzilla";
export const app = new Catzilla();
app.get("/ok", (req) => req.path);
let r = new Router();
r.get("/lost", (req) => req.path);
app.mount("/x", r);
const orphan = new Router();
orphan.get("/orphan", (req) => req.path);
const p = Math.random() > 0.5 ? "/a" : "/b";
app.group(p, (g) => g.get("/y", (req) => req.path));
`,
    });
    const res = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: d, cc: false });
    const shown = res.diagnostics.map((x) => `${x.code} ${x.span!.line}:${x.span!.col} ${x.message}`);
    expect(shown).toEqual([
      "CZ1012 5:1 Cannot tell where routes registered on this Router are served: `r` is not a const, a group callback's parameter or a function parameter.",
      "CZ2004 8:1 This route is registered on a Router that is never mounted (`app.mount(prefix, router)`), so it is not served.",
      expect.stringMatching(/^CZ1012 10:21 .*its prefix is not known at compile time: `p` is a const whose value is not static/),
    ]);
    expect(res.ok).toBe(false);
  });
});
