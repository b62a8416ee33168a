/**
 * app.static() on the one Registrar (runtime/router.ts, runtime/static.ts): what it records,
 * on the app, a group and a mounted Router; the checks of its arguments; the defaults C gets;
 * and catzilla-compile's record of the same calls (result.statics, the CLI's STATIC lines).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { Catzilla } from "../../runtime/app.js";
import { Registrar, Router } from "../../runtime/router.js";
import { nativeStatic, registeredStatics, STATIC_DEFAULTS } from "../../runtime/static.js";
import { runCli, writeApp } from "../compiler/helpers.js";

/** The mounts `fn` adds to the process's registry, as `prefix → dir`. */
function mounts(fn: () => void): string[] {
  const before = registeredStatics("/cwd").length;
  fn();
  return registeredStatics("/cwd")
    .slice(before)
    .map((m) => `${m.prefix} → ${m.dir}`);
}

describe("static() at run time", () => {
  it("is one method of Registrar, shared by the app and Router, and returns the receiver", () => {
    expect(Catzilla.prototype.static).toBe(Registrar.prototype.static);
    expect(Router.prototype.static).toBe(Registrar.prototype.static);
    const app = new Catzilla();
    expect(mounts(() => expect(app.static("/assets", "./public")).toBe(app))).toEqual(["/assets → /cwd/public"]);
  });

  it("joins a group's and a mounted Router's prefix, also for mounts added after the mount", () => {
    const app = new Catzilla();
    const got = mounts(() => {
      app.group("/v1", (r) => r.static("/docs", "docs"));
      const router = new Router();
      router.static("/", "/abs/site");
      app.mount("/r", router);
      router.static("/late", "late");
      app.static("/", "root");
    });
    expect(got).toEqual(["/v1/docs → /cwd/docs", "/r → /abs/site", "/r/late → /cwd/late", "/ → /cwd/root"]);
  });

  it("a Router that is never mounted registers nothing", () => {
    expect(mounts(() => new Router().static("/x", "x"))).toEqual([]);
  });

  it("refuses bad arguments with a TypeError naming the mount", () => {
    const app = new Catzilla();
    const bad: [unknown, unknown, unknown][] = [
      ["assets", "./public", undefined],
      ["/a/:id", "./public", undefined],
      ["/a", "", undefined],
      ["/a", 1, undefined],
      ["/a", "p", { dotfiles: "ignore" }],
      ["/a", "p", { maxAge: -1 }],
      ["/a", "p", { maxAge: 1.5 }],
      ["/a", "p", { index: "x/index.html" }],
      ["/a", "p", { etag: "yes" }],
      ["/a", "p", null],
    ];
    for (const [prefix, dir, options] of bad) {
      expect(
        () => (app.static as (...a: unknown[]) => unknown)(prefix, dir, options),
        JSON.stringify([prefix, dir, options]),
      ).toThrow(/^catzilla: static\(/);
    }
  });

  it("fills in the documented defaults for C", () => {
    expect(nativeStatic({ prefix: "/a", dir: "p" }, "/w")).toEqual({
      prefix: "/a",
      dir: "/w/p",
      index: STATIC_DEFAULTS.index,
      maxAge: 0,
      immutable: false,
      dotfiles: false,
      etag: true,
      lastModified: true,
    });
    expect(
      nativeStatic({ prefix: "", dir: "/p", options: { index: false, dotfiles: "allow", maxAge: 60 } }, "/w"),
    ).toMatchObject({
      prefix: "/",
      dir: "/p",
      index: null,
      dotfiles: true,
      maxAge: 60,
    });
    expect(nativeStatic({ prefix: "/a", dir: "p", options: { index: "default.htm" } }, "/w").index).toBe("default.htm");
  });
});

describe("static() at compile time", () => {
  const APP = `
import { Catzilla, Router } from "catzilla";
export const app = new Catzilla();
const DIR = "./public";
app.get("/", () => "home");
app.static("/assets", DIR, { maxAge: 60 });
app.group("/v1", (r) => r.static("/docs", "./docs"));
const router = new Router();
router.static("/", "./site");
app.mount("/r", router).mount("/r2", router);
app.static("/dyn", process.env.DIR ?? "x");
`;

  it("records every mount with its full prefix, once per place it is served; unknown values are null", async () => {
    const dir = writeApp("static-compile", { "app.ts": APP });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false, write: false });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.statics!.map((s) => [s.prefix, s.dir, s.options])).toEqual([
      ["/assets", "./public", { maxAge: 60 }],
      ["/v1/docs", "./docs", {}],
      ["/r", "./site", {}],
      ["/r2", "./site", {}],
      ["/dyn", null, {}],
    ]);
    expect(r.statics![0].source).toBe("app.ts:6:1");
    expect(path.isAbsolute(r.statics![0].span.file)).toBe(true);
  });

  it("the CLI prints a STATIC line per mount under the routes", () => {
    const dir = writeApp("static-cli", { "app.ts": APP });
    const run = runCli(["app.ts", "--out", ".catzilla"], dir);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ {2}STATIC +\/assets +→ \.\/public +app\.ts:6:1$/m);
    expect(run.stdout).toMatch(/^ {2}STATIC +\/v1\/docs +→ \.\/docs +app\.ts:7:/m);
    expect(run.stdout).toMatch(/^ {2}STATIC +\/dyn +→ \(dynamic\) +app\.ts:11:1$/m);
  });
});
