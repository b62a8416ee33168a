/**
 * One registrar for the app and Router (runtime/router.ts): the same code registers on
 * both, and catzilla-compile recognises registrations by the REGISTRAR mark, not by class
 * names (compiler/discover.ts).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { Catzilla, registeredRoutes } from "../../runtime/app.js";
import { REGISTRAR, Registrar, Router, VERBS } from "../../runtime/router.js";
import { readRoutesJson, writeApp } from "../compiler/helpers.js";

/** The registrations `fn` adds to the process's registry, as `METHOD path`. */
function registers(fn: () => void): string[] {
  const before = registeredRoutes().length;
  fn();
  return registeredRoutes()
    .slice(before)
    .map((r) => `${r.method} ${r.path}`);
}

describe("Registrar at run time", () => {
  it("the app and Router run one piece of code for every registering method", () => {
    const names = [...Object.keys(VERBS), "route", "group", "mount", "use", "onError", "notFound"];
    for (const name of names) {
      const ofApp = (Catzilla.prototype as unknown as Record<string, unknown>)[name];
      expect(typeof ofApp, name).toBe("function");
      expect((Router.prototype as unknown as Record<string, unknown>)[name], name).toBe(ofApp);
    }
    expect(Object.getPrototypeOf(Catzilla.prototype)).toBe(Registrar.prototype);
    expect(Object.getPrototypeOf(Router.prototype)).toBe(Registrar.prototype);
  });

  it("each verb shortcut registers its method and returns the receiver", () => {
    const app = new Catzilla();
    const got = registers(() => {
      for (const [name, method] of Object.entries(VERBS)) {
        const r = (app as unknown as Record<string, (p: string, h: () => string) => unknown>)[name](`/v/${method}`, () => "x");
        expect(r).toBe(app);
      }
    });
    expect(got).toEqual(Object.values(VERBS).map((m) => `${m} /v/${m}`));
  });

  it("a handler that is not a function is refused alike on the app and on a router", () => {
    const bad = 42 as unknown as () => string;
    expect(() => new Catzilla().get("/bad", bad)).toThrow(new TypeError("catzilla: handler for GET /bad is not a function"));
    expect(() => new Router().route("propfind", "/bad", bad)).toThrow(
      new TypeError("catzilla: handler for propfind /bad is not a function"),
    );
  });

  it("group and mount register full paths, also routes a router gets after its mount", () => {
    const app = new Catzilla();
    const late = new Router();
    const got = registers(() => {
      app.group("/api", (r) => r.get("/a", () => "a").group("/v1", (v) => v.post("/b", () => "b")));
      app.mount("/late", late);
      late.delete("/:id", () => "d");
    });
    expect(got).toEqual(["GET /api/a", "POST /api/v1/b", "DELETE /late/:id"]);
  });

  it("the compiler's mark exists only in types: no value on an instance", () => {
    expect(REGISTRAR in new Catzilla()).toBe(false);
    expect(REGISTRAR in new Router()).toBe(false);
  });
});

describe("discovery by the REGISTRAR mark", () => {
  it("finds routes on subclasses and through every registering method; a marked look-alike is not one", async () => {
    const dir = writeApp("registrar", {
      "app.ts": `import { Catzilla, Router } from "catzilla";
export const app = new Catzilla();
class Api extends Router {}
class MyApp extends Catzilla {
  constructor() {
    super();
    this.get("/in-constructor", () => "c");
  }
}
const sub = new MyApp();
sub.patch("/sub", () => "s").options("/sub", () => "o");
app.mount("/api", new Api().head("/h", () => "h"));
app.group("/g", (r) => r.route("PROPFIND", "/p", () => "p").put("/q", () => "q"));

// Carries the mark's name, but the app declared it: not catzilla's, so not a registrar.
class LookAlike {
  declare readonly "~registrar": "app";
  get(path: string, handler: () => unknown): this {
    void path;
    void handler;
    return this;
  }
}
new LookAlike().get("/not-a-route", () => 1);
`,
    });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
    expect(r.diagnostics).toEqual([]);
    const routes = readRoutesJson(path.join(dir, ".catzilla")).routes.map((x) => `${x.method} ${x.path}`);
    expect(routes.sort()).toEqual(
      [
        "GET /in-constructor",
        "HEAD /api/h",
        "OPTIONS /sub",
        "PATCH /sub",
        "PROPFIND /g/p",
        "PUT /g/q",
      ].sort(),
    );
  });
});
