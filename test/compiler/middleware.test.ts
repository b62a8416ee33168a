/**
 * How the compiler composes chains (docs/middleware.md): order, scoping through groups,
 * routers and helpers, kinds (sync stays sync, an async link makes async), request flags
 * as the union over the chain, what routes.json, dispatch.js and the CLI table show, and
 * the errors (middleware on a blocking route, a `use` option it cannot see).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { printRoutes } from "../../compiler/report.js";
import { readRoutesJson, writeApp, type RoutesJson } from "./helpers.js";

const APP = `
import { Catzilla, Router, cors, type CzRequest, type Middleware, type Next } from "catzilla";
export const app = new Catzilla();

app.get("/before", () => "before");                       // registered before app.use: still in scope
const headerCheck = (req: CzRequest, next: Next) => (req.headers.get("x-k") ? next() : "no");
app.use(headerCheck);
const annotated: Middleware = (req, next) => next();      // typed Middleware, yet sync
app.use(annotated);

app.get("/plain", () => "plain");
app.get("/own", () => "own", { use: [(req, next) => next()], paramMismatch: 404 });
app.get("/slow", () => "slow", { use: [async (req, next) => await next()] });
app.get("/maybe", () => "maybe", { use: [(req, next): any => next()] });
app.post("/body", async (req) => req.text());

export function helper(r: Router) {
  r.use(function helperMw(req, next) { return next(); });
  r.get("/h", () => "h");
}
app.group("/g", (r) => {
  r.use((req, next) => next());
  r.group("/inner", (i) => {
    i.use(cors({ origin: "https://a.example" }));
    i.get("/x", () => "x");
  });
});
app.group("/h", helper);
export const shared = new Router();
shared.use((req, next) => { void req.query; return next(); });
shared.get("/s", () => "s");
app.mount("/one", shared);
app.mount("/two", shared);
`;

let dir: string;
let result: CompileResult;
let json: RoutesJson & { routes: Record<string, unknown>[] };
const route = (method: string, path: string) => json.routes.find((r) => r.method === method && r.path === path) as Record<string, any>;
const labels = (method: string, path: string) => (route(method, path).middleware ?? []).map((m: { label: string }) => m.label);

beforeAll(async () => {
  dir = writeApp("mw-compile", { "app.ts": APP });
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
  json = readRoutesJson(path.join(dir, ".catzilla")) as typeof json;
}, 120_000);

describe("chains", () => {
  it("compiles without errors", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("app middleware applies to every route, also one registered before use(), in use order", () => {
    expect(labels("GET", "/before")).toEqual(["headerCheck", "annotated"]);
    expect(labels("GET", "/plain")).toEqual(["headerCheck", "annotated"]);
  });

  it("groups nest outer → inner, helpers and mounted routers carry their own use, the route's own is last", () => {
    expect(labels("GET", "/own")).toEqual(["headerCheck", "annotated", "(inline)"]);
    expect(labels("GET", "/g/inner/x")).toEqual(["headerCheck", "annotated", "(inline)", "cors(…)"]);
    expect(labels("GET", "/h/h")).toEqual(["headerCheck", "annotated", "helperMw"]);
    expect(labels("GET", "/one/s")).toEqual(["headerCheck", "annotated", "(inline)"]);
    expect(labels("GET", "/two/s")).toEqual(["headerCheck", "annotated", "(inline)"]);
    // The inner group's cors() is not on its sibling helper routes.
    expect(route("OPTIONS", "/h/h")).toBeUndefined();
  });

  it("keeps a sync chain sync, makes it async for an async link and maybe for a maybe link", () => {
    expect(route("GET", "/plain").kind).toBe("sync");
    expect(route("GET", "/plain").middleware.map((m: { kind: string }) => m.kind)).toEqual(["sync", "sync"]);
    expect(route("GET", "/slow").kind).toBe("async");
    expect(route("GET", "/maybe").kind).toBe("maybe");
    expect(route("POST", "/body").kind).toBe("async");
  });

  it("request flags are the union over the chain (headers from a middleware, query from a router's)", () => {
    expect(route("GET", "/plain").flags).toBe(1); // headerCheck reads headers; the handler nothing
    expect(route("GET", "/one/s").flags).toBe(1 | 2);
    expect(route("POST", "/body").flags).toBe(1 | 4);
  });

  it("adds an OPTIONS route for a path in a cors() scope, running the same chain", () => {
    const pre = route("OPTIONS", "/g/inner/x");
    expect(pre).toMatchObject({ kind: "sync", preflightOf: route("GET", "/g/inner/x").id });
    expect(labels("OPTIONS", "/g/inner/x")).toEqual(labels("GET", "/g/inner/x"));
  });

  it("dispatch.js composes each chain once, listed in comments, and calls it by kind", () => {
    const js = fs.readFileSync(path.join(dir, ".catzilla", "dispatch.js"), "utf8");
    const plain = route("GET", "/plain").id;
    const slow = route("GET", "/slow").id;
    expect(js).toContain(`const h${plain} = rt.compose(${plain}, "sync", handlers[${plain}]);`);
    expect(js).toContain(`return rt.sync(i, req, h${plain}(req));`);
    expect(js).toContain(`const h${slow} = rt.compose(${slow}, "async", handlers[${slow}]);`);
    expect(js).toContain(`return rt.async(i, req, h${slow}(req));`);
    expect(js).toMatch(/middleware, outer → inner:\n\s+\/\/\s+headerCheck \(sync\) app\.ts:7:9/);
  });

  it("the CLI table lists each route's chain under it", () => {
    let out = "";
    printRoutes(result.routes, dir, { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream);
    expect(out).toMatch(/GET\s+\/g\/inner\/x\s+sync\s+app\.ts:\d+:\d+\n\s+└ middleware: headerCheck → annotated → \(inline\) → cors\(…\)\n/);
  });
});

describe("errors and no-middleware apps", () => {
  it("an app without middleware emits no chain: routes.json and dispatch.js as before", async () => {
    const d = writeApp("mw-none", {
      "app.ts": `import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\napp.get("/a", () => ({ a: 1 }));\napp.get("/b", async (req) => req.path);\n`,
    });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: d, cc: false });
    expect(r.diagnostics).toEqual([]);
    const js = fs.readFileSync(path.join(d, ".catzilla", "dispatch.js"), "utf8");
    expect(js).not.toContain("rt.compose");
    expect(js).toContain("const h1 = handlers[1];");
    const j = readRoutesJson(path.join(d, ".catzilla")) as unknown as { routes: Record<string, unknown>[] };
    for (const x of j.routes) expect(Object.keys(x)).toEqual(["id", "method", "path", "kind", "params", "paramTypes", "flags", "handler"]);
  });

  it("a blocking route's chain awaits the pool; a `use` the compiler cannot see is CZ1002", async () => {
    const d = writeApp("mw-errors", {
      "app.ts": [
        `import { Catzilla, type Middleware } from "catzilla";`,
        `export const app = new Catzilla();`,
        `const list: Middleware[] = [];`,
        `app.use((req, next) => next());`,
        `app.get("/b", () => "b", { blocking: true });`,
        `app.get("/u", () => "u", { use: list });`,
        `app.use(...list);`,
        ``,
      ].join("\n"),
    });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: d, cc: false, write: false });
    const codes = r.diagnostics.filter((x) => x.severity === "error").map((x) => `${x.code} ${x.span?.line}`);
    expect(codes).toEqual(["CZ1002 6", "CZ1002 7"]);
    const ok = writeApp("mw-blocking", {
      "app.ts": `import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\napp.use((req, next) => next());\napp.get("/b", () => "b", { blocking: true });\n`,
    });
    const b = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: ok, cc: false });
    expect(b.diagnostics.filter((x) => x.severity === "error")).toEqual([]);
    expect(b.routes[0]).toMatchObject({ kind: "blocking", middleware: ["(inline) app.ts:3:9"] });
    const js = fs.readFileSync(path.join(ok, ".catzilla", "dispatch.js"), "utf8");
    expect(js).toContain(`const h0 = rt.compose(0, "async", rt.onPool(0));`);
    expect(js).toContain("return rt.async(i, req, h0(req));");
  });
});
