/**
 * Helpers for the compiler tests: copy a fixture app into a fresh directory under
 * test/.tmp (inside this package, so `import "catzilla"` resolves to it by self-reference),
 * run the real CLI or `compile()`, read generated files.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures", "compiler");
export const CLI = path.join(ROOT, "bin", "catzilla-compile.js");
const TMP = path.join(ROOT, "test", ".tmp", "compiler");

/** A fresh empty directory under test/.tmp/compiler. */
export function tmpDir(label: string): string {
  fs.mkdirSync(TMP, { recursive: true });
  return fs.mkdtempSync(path.join(TMP, `${label}-`));
}

/** Copies test/fixtures/compiler/<name> (sources only) into a fresh directory; returns it. */
export function copyFixture(name: string): string {
  const dir = tmpDir(name.replace(/[^A-Za-z0-9]+/g, "-"));
  fs.cpSync(path.join(FIXTURES, name), dir, {
    recursive: true,
    filter: (src) => !src.endsWith(".js") && !src.includes(`${path.sep}.catzilla`),
  });
  return dir;
}

/** Writes `files` (name → source) into a fresh directory; returns it. */
export function writeApp(label: string, files: Record<string, string>): string {
  const dir = tmpDir(label);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` (relative POSIX path → bytes). */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join("/"), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

export interface RoutesJson {
  version: number;
  fingerprint: string;
  routes: {
    id: number;
    method: string;
    path: string;
    kind: string;
    params: string[];
    paramTypes: { type: string; values?: string[] }[];
    flags: number;
    handler: string;
  }[];
}

export function readRoutesJson(outDir: string): RoutesJson {
  return JSON.parse(fs.readFileSync(path.join(outDir, "routes.json"), "utf8")) as RoutesJson;
}

/** "line:col" (1-based) of the `nth` occurrence of `needle` in `text`. */
export function locate(text: string, needle: string, nth = 1): string {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} #${nth} not found`);
  }
  const before = text.slice(0, at).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/**
 * Copies fixture `name`, compiles its app.ts with `compile()` (no diagnostics allowed: the
 * compiler's output is in the error) and serves the result in a child process. The caller
 * stops `app` (afterAll).
 */
export async function compileAndServe(name: string): Promise<{ dir: string; out: string; app: RunningApp }> {
  const dir = copyFixture(name);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  if (r.diagnostics.length > 0) throw new Error(`compiling fixture ${name}:\n${JSON.stringify(r.diagnostics, null, 2)}`);
  const out = path.join(dir, ".catzilla");
  return { dir, out, app: await serve(out) };
}
