/**
 * The pieces the two commands share: argv parsing (command.ts), what they print (report.ts),
 * and the package root both the compiler and the runtime resolve (runtime/package-root.ts).
 * Pure functions: no compile, no server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../compiler/cli.js";
import { parseArgv } from "../../compiler/command.js";
import { plural, printRoutes } from "../../compiler/report.js";
import type { RouteSummary } from "../../compiler/types.js";
import { packageRoot } from "../../runtime/package-root.js";
import { ROOT } from "./helpers.js";

const NAMES = {
  values: { out: ["--out", "-o"], port: ["--port", "-p"] },
  flags: { quiet: ["--quiet", "-q"], help: ["--help"] },
};

describe("parseArgv", () => {
  it("reads entries, long and short options with a value, --name=value and flags", () => {
    expect(parseArgv(["a.ts", "-o", "out", "b.ts", "--port=8080", "-q"], NAMES)).toEqual({
      entries: ["a.ts", "b.ts"],
      values: { out: "out", port: "8080" },
      flags: { quiet: true },
    });
    expect(parseArgv(["--out", "x", "--out=y"], NAMES)).toEqual({ entries: [], values: { out: "y" }, flags: {} });
  });

  it("says what is wrong: a missing value (also when an option follows) or an unknown option", () => {
    expect(parseArgv(["a.ts", "--out"], NAMES)).toBe("--out needs a value");
    expect(parseArgv(["-o", "--quiet"], NAMES)).toBe("-o needs a value");
    expect(parseArgv(["--verbose"], NAMES)).toBe("unknown option --verbose");
    // `=` belongs to options with a value only; a short name never takes one.
    expect(parseArgv(["--quiet=1"], NAMES)).toBe("unknown option --quiet=1");
    expect(parseArgv(["-o=x"], NAMES)).toBe("unknown option -o=x");
  });
});

describe("catzilla-compile's arguments", () => {
  it("maps options to compile settings, -p being --tsconfig", () => {
    expect(parseArgs(["app.ts", "-p", "tsconfig.json", "--out=.cz", "--no-const", "-w"])).toEqual({
      entries: ["app.ts"],
      out: ".cz",
      tsconfig: "tsconfig.json",
      quiet: false,
      help: false,
      noConst: true,
      watch: true,
    });
  });

  it("requires --out and an entry, except for --help", () => {
    expect(parseArgs(["app.ts"])).toBe("--out <dir> is required");
    expect(parseArgs(["--out", ".cz"])).toBe("at least one entry file is required");
    expect(parseArgs(["-h"])).toMatchObject({ help: true });
  });
});

describe("report", () => {
  const route = (method: string, p: string, kind: RouteSummary["kind"], line: number): RouteSummary => ({
    id: 0,
    method,
    path: p,
    kind,
    params: [],
    flags: 0,
    source: "",
    span: { file: path.join(ROOT, "app.ts"), line, col: 3, start: 0, length: 1 },
    reason: "",
    type: "",
  });
  const capture = () => {
    let text = "";
    const out = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    return { out, text: () => text };
  };

  it("prints one aligned line per route, locations relative to cwd", () => {
    const c = capture();
    printRoutes([route("GET", "/", "const", 4), route("DELETE", "/users/:id", "async", 12)], ROOT, c.out);
    expect(c.text()).toBe(
      [
        "  GET     /           const  app.ts:4:3\n", // "/" padded to the width of "/users/:id"
        "  DELETE  /users/:id  async  app.ts:12:3\n",
      ].join(""),
    );
  });

  it("prints nothing for no routes", () => {
    const c = capture();
    printRoutes([], ROOT, c.out);
    expect(c.text()).toBe("");
  });

  it("plural", () => {
    expect([0, 1, 2].map((n) => plural(n, "route"))).toEqual(["0 routes", "1 route", "2 routes"]);
  });
});

describe("packageRoot", () => {
  it("is the directory of catzilla's package.json, seen from the sources as from dist/", async () => {
    expect(packageRoot()).toBe(ROOT);
    expect(JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).name).toBe("catzilla");
    const built = await import(path.join(ROOT, "dist", "runtime", "package-root.js"));
    expect(built.packageRoot()).toBe(ROOT);
  });
});
