/**
 * Every diagnostic code through the real CLI: exit status, `file:line:col - error CZxxxx`,
 * the code frame, every error reported (not just the first), and nothing written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CODES } from "../../compiler/diagnostics.js";
import { copyFixture, locate, ROOT, runCli, type CliRun } from "./helpers.js";

let dir: string;
const src = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");

/** [code, file, needle, occurrence] → the `file:line:col - severity code:` header expected. */
type Loc = [code: string, file: string, needle: string, nth?: number];

function header([code, file, needle, nth]: Loc): string {
  const severity = code.startsWith("CZ2") ? "warning" : "error";
  return `${file}:${locate(src(file), needle, nth)} - ${severity} ${code}:`;
}

function compileCase(entry: string, env: Record<string, string> = {}, out = `.out-${entry}`): CliRun {
  return runCli([entry, "--out", out], dir, env);
}

function expectNothingWritten(entry: string, files: string[] = [entry]): void {
  expect(fs.existsSync(path.join(dir, `.out-${entry}`))).toBe(false);
  for (const f of files) expect(fs.existsSync(path.join(dir, f.replace(/\.ts$/, ".js")))).toBe(false);
}

/** Headers of every diagnostic printed, in order. */
function headers(run: CliRun): string[] {
  return run.stderr
    .split("\n")
    .filter((l) => / - (error|warning) CZ\d{4}:/.test(l))
    .map((l) => l.replace(/: .*$/, ":"));
}

beforeAll(() => {
  dir = copyFixture("errors");
});

const CASES: { name: string; entry: string; expect: Loc[]; files?: string[] }[] = [
  { name: "CZ1001 duplicate route", entry: "duplicate.ts", expect: [["CZ1001", "duplicate.ts", '"/a"', 3]] },
  {
    name: "CZ1002 non-static path and method",
    entry: "nonstatic.ts",
    expect: [
      ["CZ1002", "nonstatic.ts", '"/u/" + Math'],
      ["CZ1002", "nonstatic.ts", "`/v/${process"],
      ["CZ1002", "nonstatic.ts", "mutable, ()"],
      ["CZ1002", "nonstatic.ts", 'method, "/z"'],
      ["CZ1002", "nonstatic.ts", "ROUTES[key]"],
      ["CZ1002", "nonstatic.ts", 'String("/w")'],
    ],
  },
  { name: "CZ1003 handler not a function", entry: "notfunction.ts", expect: [["CZ1003", "notfunction.ts", "42"]] },
  { name: "CZ1004 unknown method", entry: "method.ts", expect: [["CZ1004", "method.ts", '"FETCH"']] },
  {
    name: "CZ1005 invalid paths",
    entry: "badpath.ts",
    expect: [
      ["CZ1005", "badpath.ts", '"no-slash"'],
      ["CZ1005", "badpath.ts", '"/a/*/b"'],
      ["CZ1005", "badpath.ts", '"/:1bad"'],
      ["CZ1005", "badpath.ts", '"/a//b"'],
      ["CZ1005", "badpath.ts", '"/:id/:id"'],
      ["CZ1005", "badpath.ts", '"/has space"'],
      ["CZ1005", "badpath.ts", '"/t/:id(float)"'],
      ["CZ1005", "badpath.ts", '"/t/:id(a|a)"'],
      ["CZ1005", "badpath.ts", '"/t/:id(a b)"'],
    ],
  },
  { name: "CZ1006 TypeScript error", entry: "tserror.ts", expect: [["CZ1006", "tserror.ts", "n: number"]] },
  { name: "CZ1007 no routes", entry: "noroutes.ts", expect: [["CZ1007", "noroutes.ts", "import"]] },
  { name: "CZ1008 too many params", entry: "params.ts", expect: [["CZ1008", "params.ts", '"/:a/']] },
  {
    name: "CZ1010 shadowed route",
    entry: "shadow.ts",
    expect: [
      ["CZ1010", "shadow.ts", '"/u/:name"', 2],
      ["CZ1010", "shadow.ts", '"/t/:c(int)"'],
    ],
  },
  { name: "CZ1014 invalid route option", entry: "option.ts", expect: [["CZ1014", "option.ts", "STRICT);"]] },
  {
    name: "all errors across files",
    entry: "many.ts",
    files: ["many.ts", "many-b.ts"],
    expect: [
      ["CZ1004", "many-b.ts", '"NOPE"'],
      ["CZ1010", "many-b.ts", '"/b/:y"'],
      ["CZ1001", "many.ts", '"/dup"', 2],
      ["CZ1005", "many.ts", '"bad"'],
      ["CZ1006", "many.ts", "x: string"],
    ],
  },
];

describe("compile errors", () => {
  for (const c of CASES) {
    it(`${c.name}: exit 1, every error with file:line:col, nothing written`, () => {
      const run = compileCase(c.entry);
      expect(run.status, run.stderr).toBe(1);
      expect(headers(run)).toEqual(c.expect.map(header));
      const n = c.expect.length;
      expect(run.stderr).toContain(`catzilla-compile: ${n} error${n === 1 ? "" : "s"}; nothing was written.`);
      expect(run.stdout).toBe("");
      expectNothingWritten(c.entry, c.files);
    });
  }

  it("prints a code frame: the source line with its number, then a caret under the span", () => {
    const run = compileCase("duplicate.ts");
    const lines = run.stderr.split("\n");
    const i = lines.findIndex((l) => l.startsWith("duplicate.ts:6:9 - error CZ1001: Duplicate route GET /a"));
    expect(lines[i]).toBe(
      "duplicate.ts:6:9 - error CZ1001: Duplicate route GET /a: it is already registered at duplicate.ts:4:9.",
    );
    expect(lines[i + 1]).toBe("");
    expect(lines[i + 2]).toBe('6 app.get("/a", () => 3);');
    expect(lines[i + 3]).toBe("          ^~~~");
    // the first registration, as related information
    expect(lines.slice(i + 4, i + 9)).toEqual([
      "",
      "  duplicate.ts:4:9",
      '  4 app.get("/a", () => 1);',
      "            ^~~~",
      "    GET /a is first registered here.",
    ]);
  });

  it("CZ1002 says which part of the path is not known and why", () => {
    const run = compileCase("nonstatic.ts");
    expect(run.stderr).toContain(
      "error CZ1002: The route path must be known at compile time, but `Math.random()` is a call, evaluated at run time.",
    );
    expect(run.stderr).toContain("but `mutable` is not a const.");
    expect(run.stderr).toContain("but `ROUTES[key]` has a property key that is not static.");
    expect(run.stderr).toContain(
      'but `method` is a const whose value is not static: `Math.random() > 0.5 ? "GET" : "POST"` is a conditional expression',
    );
  });

  it("CZ1005 explains a bad param type", () => {
    const run = compileCase("badpath.ts");
    expect(run.stderr).toContain(
      `error CZ1005: Invalid route path "/t/:id(float)": parameter ':id': unknown type "float": use int, number, string, or two or more literals a|b`,
    );
    expect(run.stderr).toContain(`type "a|a" repeats a literal`);
  });

  it("CZ1006 carries TypeScript's code and message", () => {
    const run = compileCase("tserror.ts");
    expect(run.stderr).toContain("error CZ1006: TS2322: Type 'string' is not assignable to type 'number'.");
  });

  it("CZ1009: a C compiler failure is an error with cc's output, and nothing is written", () => {
    const fakeCc = path.join(dir, "fake-cc.sh");
    fs.writeFileSync(fakeCc, '#!/bin/sh\necho "fake-cc: routes.c:1: boom" >&2\nexit 3\n', { mode: 0o755 });
    const run = compileCase("ok.ts", { CC: fakeCc });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error CZ1009: The C compiler failed on the generated routes.c/m);
    expect(run.stderr).toContain("fake-cc: routes.c:1: boom");
    expectNothingWritten("ok.ts");
  });

  it("CZ1011: a missing entry file", () => {
    const run = compileCase("missing.ts");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error CZ1011: Cannot read missing.ts: no such file.");
  });

  it("usage errors exit 1 with the usage line", () => {
    const run = runCli(["ok.ts"], dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("--out <dir> is required");
    expect(run.stderr).toContain("usage: catzilla-compile");
  });
});

describe("warnings", () => {
  it("CZ2002: a route method used other than as a call is a warning; the compile succeeds", () => {
    const run = compileCase("unfollowed.ts");
    expect(run.status, run.stderr).toBe(0);
    expect(headers(run)).toEqual([header(["CZ2002", "unfollowed.ts", "app.get;"])]);
    expect(run.stdout).toMatch(/compiled 1 route in \d+ ms \(1 warning\)/);
    expect(fs.existsSync(path.join(dir, ".out-unfollowed.ts", "routes.json"))).toBe(true);
  });

  it("CZ2005: paramMismatch: 400 on a route without typed params does nothing, and says so", () => {
    const run = compileCase("strict-untyped.ts");
    expect(run.status, run.stderr).toBe(0);
    expect(headers(run)).toEqual([header(["CZ2005", "strict-untyped.ts", '"/users/:name"'])]);
    expect(run.stderr).toContain("has the option paramMismatch: 400 but no typed parameter");
  });
});

describe("docs/diagnostics.md", () => {
  it("documents every code with its severity", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "diagnostics.md"), "utf8");
    for (const [code, info] of Object.entries(CODES)) {
      expect(doc, code).toMatch(new RegExp(`\\| ${code} \\| ${info.severity} \\|`));
    }
  });
});
