/**
 * How the compiler loads a user's own project (issue 15): files are ESM or CJS exactly as tsc
 * decides; the tsconfig is found as the editor finds it; the app is what the entries reach,
 * not every file the tsconfig includes; a tsconfig outDir gets a layout that runs.
 *
 * The projects (test/fixtures/projects/) are copied outside this repository, with
 * node_modules/catzilla linked to this checkout, as a user's project installs it.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { findTsconfig } from "../../compiler/layout.js";
import { CLI, ROOT } from "./helpers.js";

const PROJECTS = path.join(ROOT, "test", "fixtures", "projects");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const made: string[] = [];

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A copy of test/fixtures/projects/<name> in a fresh directory outside the repository. */
function project(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `catzilla-${name}-`));
  made.push(dir);
  fs.cpSync(path.join(PROJECTS, name), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "catzilla"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "@types"), path.join(dir, "node_modules", "@types"));
  return dir;
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const cli = (args: string[], cwd: string) => run(process.execPath, [CLI, ...args], cwd);
/** The TypeScript error codes in a tsc or catzilla-compile output, sorted. */
const tsCodes = (out: string) => [...out.matchAll(/\bTS(\d{4,5})\b/g)].map((m) => Number(m[1])).sort();

describe("ESM or CJS, as tsc decides", () => {
  // The options catzilla-compile uses without a tsconfig, on tsc's command line.
  const tscDefaults = ["--noEmit", "--module", "nodenext", "--target", "es2022", "--strict", "--skipLibCheck"];
  const tscArgs = [...tscDefaults, "--types", "node", "src/app.ts"];

  it('"type": "module": import.meta in .ts and .mts compiles, as tsc --noEmit agrees', () => {
    const dir = project("esm");
    const tsc = run(process.execPath, [TSC, ...tscArgs], dir);
    expect(tsc.out).toBe("");
    const r = cli(["src/app.ts", "--out", "src/.catzilla"], dir);
    expect(r.out).not.toContain("error");
    expect(r.status).toBe(0);
    // The emitted JS is ESM: import.meta runs as written.
    expect(fs.readFileSync(path.join(dir, "src", "app.js"), "utf8")).toContain("import.meta.url");
    expect(fs.readFileSync(path.join(dir, "src", "paths.mjs"), "utf8")).toContain("import.meta.url");
  });

  it("a CommonJS scope: both reject import.meta in the .ts file with the same errors, never in the .mts", () => {
    const dir = project("esm");
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "cjs-fixture", "private": true }\n');
    const tsc = run(process.execPath, [TSC, ...tscArgs], dir);
    const r = cli(["src/app.ts", "--out", "src/.catzilla"], dir);
    expect(r.status).toBe(1);
    expect(tsCodes(tsc.out)).toContain(1470);
    expect(tsCodes(r.out)).toEqual(tsCodes(tsc.out));
    expect(r.out).toMatch(/src\/app\.ts:\d+:\d+ - error CZ1006: TS1470/);
    expect(r.out).not.toContain("paths.mts");
  });

  it("a NodeNext tsconfig given with --tsconfig: the same verdict as tsc -p", () => {
    const dir = project("esm");
    fs.writeFileSync(
      path.join(dir, "tsconfig.app.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", target: "ES2022", strict: true, skipLibCheck: true, types: ["node"] },
        files: ["src/app.ts"],
      }),
    );
    expect(run(process.execPath, [TSC, "-p", "tsconfig.app.json", "--noEmit"], dir).out).toBe("");
    const r = cli(["src/app.ts", "--out", "src/.catzilla", "--tsconfig", "tsconfig.app.json"], dir);
    expect(r.out).not.toContain("error");
    expect(r.status).toBe(0);
  });
});

describe("the tsconfig is found as the editor finds it", () => {
  it("the project's tsconfig.json applies without --tsconfig, and the CLI names it once", () => {
    const dir = project("layout");
    const r = cli(["src/app.ts", "src/main.ts", "--out", "src/.catzilla"], dir);
    expect(r.out).not.toContain("error");
    expect(r.status).toBe(0);
    expect(r.out.match(/using tsconfig\.json/g)).toHaveLength(1);
    // Its outDir applied: the JavaScript is in dist, not next to the sources.
    expect(fs.existsSync(path.join(dir, "dist", "app.js"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "src", "app.js"))).toBe(false);
    expect(cli(["src/app.ts", "src/main.ts", "--out", "src/.catzilla", "-q"], dir).out).toBe("");
  });

  it("from the entries' directory up; a config that does not include the entries is skipped; references are followed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catzilla-find-"));
    made.push(dir);
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write("api/src/app.ts", "export {};\n");
    write("api/src/main.ts", "export {};\n");
    // The nearest config governs other files (the editor would not apply it to src/).
    write("api/src/tsconfig.json", JSON.stringify({ files: ["other.ts"] }));
    write("api/src/other.ts", "export {};\n");
    const entries = [path.join(dir, "api/src/app.ts"), path.join(dir, "api/src/main.ts")];
    expect(findTsconfig(entries)).toBeUndefined();
    // A solution-style config: its reference includes the entries.
    write("api/tsconfig.json", JSON.stringify({ files: [], references: [{ path: "./tsconfig.app.json" }] }));
    write("api/tsconfig.app.json", JSON.stringify({ compilerOptions: { composite: true }, include: ["src"] }));
    expect(findTsconfig(entries)).toBe(path.join(dir, "api/tsconfig.app.json"));
    // The nearest one that includes them wins over any above it.
    write("api/src/tsconfig.json", JSON.stringify({ include: ["*.ts"] }));
    expect(findTsconfig(entries)).toBe(path.join(dir, "api/src/tsconfig.json"));
  });

  it("none found: the defaults, and compile() says no tsconfig was used", async () => {
    const dir = project("esm");
    const result = await compile({ entries: ["src/app.ts"], outDir: "src/.catzilla", cwd: dir, cc: false, write: false });
    expect(result.diagnostics).toEqual([]);
    expect(result.tsconfig).toBeUndefined();
  });
});

describe("the app is what the entries reach", () => {
  it("a test file's registration is not a route and an unrelated script's type error does not stop the build", async () => {
    const dir = project("layout");
    // tsc -p sees the whole tsconfig: the broken script fails it.
    expect(tsCodes(run(process.execPath, [TSC, "-p", "tsconfig.json", "--noEmit"], dir).out)).toContain(2322);
    const result = await compile({
      entries: ["src/app.ts"],
      outDir: "src/.catzilla",
      tsconfig: "tsconfig.json",
      cwd: dir,
      cc: false,
      write: false,
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.routes.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /notes", "GET /where"]);
    expect(result.runDir).toBe(path.join(dir, "dist", ".catzilla"));
    // Only the app's modules are emitted.
    const emitted = result.files.filter((f) => f.endsWith(".js") && !f.includes(".catzilla"));
    expect(emitted.map((f) => path.relative(dir, f)).sort()).toEqual(["dist/app.js", "dist/notes.js"]);
  });

  it("a type error in a module the app imports is still reported", async () => {
    const dir = project("layout");
    fs.writeFileSync(path.join(dir, "src", "notes.ts"), 'export const notes: number = "x";\n');
    const result = await compile({ entries: ["src/app.ts"], outDir: "src/.catzilla", cwd: dir, cc: false, write: false });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => `${d.code} ${path.relative(dir, d.span!.file)}`)).toEqual(["CZ1006 src/notes.ts"]);
  });
});

describe("a tsconfig outDir/rootDir layout", () => {
  it("`node dist/main.js` serves the app: the generated files are where dist/main.js imports them", async () => {
    const dir = project("layout");
    const r = cli(["src/app.ts", "src/main.ts", "--out", "src/.catzilla", "-q"], dir);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
    // The declarations stay where the sources import from; what runs is under dist.
    expect(fs.existsSync(path.join(dir, "src", ".catzilla", "server.d.ts"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "src", ".catzilla", "server.js"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "dist", ".catzilla", "routes.so"))).toBe(true);

    const child = spawn(process.execPath, ["dist/main.js"], { cwd: dir, env: { ...process.env, PORT: "0" } });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`dist/main.js exited (${code}): ${out}`)));
      });
      const notes = await fetch(`http://127.0.0.1:${port}/notes`);
      expect(notes.status).toBe(200);
      expect(await notes.json()).toEqual([{ id: 1, text: "first" }]);
      // import.meta.url is the emitted module's, in dist.
      expect(await (await fetch(`http://127.0.0.1:${port}/where`)).json()).toEqual({
        module: fs.realpathSync(path.join(dir, "dist", "app.js")),
      });
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("CZ1015: --out outside rootDir is refused, saying what to do; nothing is written", () => {
    const dir = project("layout");
    const r = cli(["src/app.ts", "src/main.ts", "--out", ".catzilla"], dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain("error CZ1015: --out .catzilla is outside the tsconfig's rootDir (src)");
    expect(r.out).toContain("--out src/.catzilla");
    expect(fs.existsSync(path.join(dir, "dist"))).toBe(false);
    expect(fs.existsSync(path.join(dir, ".catzilla"))).toBe(false);
  });
});
