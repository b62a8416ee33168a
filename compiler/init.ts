/**
 * `catzilla init <dir> [--name <package-name>] [--force]`: writes a new project that builds,
 * tests and serves on the first try (docs/project.md), the way `npm create hono` does.
 *
 * The project's files are templates/app/ of this package, with `{{name}}` replaced; its
 * package.json is made here, because its versions come from catzilla's own package.json:
 * the catzilla dependency is this package's version, and TypeScript and @types/node are the
 * ranges catzilla itself is built and tested with.
 *
 * No compiler import: this runs before anything is installed and must start fast.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import validatePackageName from "validate-npm-package-name";
import { packageRoot } from "../runtime/package-root.js";
import { parseArgv } from "./command.js";

const USAGE = "usage: catzilla init <dir> [--name <package-name>] [--force]";

/** Where the generated package.json's scripts find the app: each module's JS lands beside it. */
export const LAYOUT = {
  /** What `catzilla dev` serves (main.ts calls listen itself, so dev leaves it out). */
  app: "src/app.ts",
  main: "src/main.ts",
  /** Every test file in src/; the shell expands the glob (a literal one is CZ1011, naming it). */
  tests: "src/*.test.ts",
  out: "src/.catzilla",
  tsconfig: "tsconfig.json",
} as const;

/**
 * Template files stored under another name: npm leaves a `.gitignore` out of a published
 * package, and would apply its rules to the template folder itself.
 */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

/** What a directory may already hold and still count as empty. */
const IGNORED_WHEN_EMPTY = new Set([".git"]);

/** The parts of catzilla's own package.json the new project's package.json is made from. */
export interface SelfPackage {
  version: string;
  engines?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface ProjectFile {
  /** Relative to the project directory, with `/`. */
  path: string;
  content: string;
}

/** npm's own rules for a new package's name; the messages say what is wrong (empty when valid). */
export function nameProblems(name: string): string[] {
  const r = validatePackageName(name);
  return r.validForNewPackages ? [] : [...(r.errors ?? []), ...(r.warnings ?? [])];
}

/** The generated package.json, as an object. */
export function projectPackageJson(name: string, self: SelfPackage): Record<string, unknown> {
  const dev = self.devDependencies ?? {};
  const compile = `catzilla-compile ${LAYOUT.app} ${LAYOUT.main} ${LAYOUT.tests} --out ${LAYOUT.out} --tsconfig ${LAYOUT.tsconfig}`;
  return {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      dev: `catzilla dev ${LAYOUT.app} --tsconfig ${LAYOUT.tsconfig}`,
      build: compile,
      start: `node ${jsOf(LAYOUT.main)}`,
      // A fresh build first: node:test runs the emitted JS, which would otherwise be stale.
      test: `npm run build && node --test ${jsOf(LAYOUT.tests)}`,
      typecheck: "tsc -p tsconfig.json",
    },
    dependencies: { catzilla: `^${self.version}` },
    devDependencies: {
      "@types/node": dev["@types/node"] ?? "*",
      typescript: dev.typescript ?? "*",
    },
    ...(self.engines ? { engines: self.engines } : {}),
  };
}

function jsOf(ts: string): string {
  return ts.replace(/\.ts$/, ".js");
}

/** The template folder's files, relative paths with `/`, in a stable order. */
export function readTemplate(dir: string): ProjectFile[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: false }) as string[])
    .map((rel) => rel.split(path.sep).join("/"))
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .sort()
    .map((rel) => ({ path: rel, content: fs.readFileSync(path.join(dir, rel), "utf8") }));
}

/** Every file of the new project: the template's, renamed and filled in, and package.json. */
export function renderProject(name: string, self: SelfPackage, template: readonly ProjectFile[]): ProjectFile[] {
  const files = template.map((f) => ({
    path: RENAMED[f.path] ?? f.path,
    content: f.content.replaceAll("{{name}}", name),
  }));
  files.push({ path: "package.json", content: JSON.stringify(projectPackageJson(name, self), null, 2) + "\n" });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** What `dir` holds that would keep it from counting as empty (nothing when it does not exist). */
export function existingEntries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((e) => !IGNORED_WHEN_EMPTY.has(e))
    .sort();
}

interface InitArgs {
  dir?: string;
  name?: string;
  force: boolean;
  help: boolean;
}

function parseInitArgs(argv: string[]): InitArgs | string {
  const p = parseArgv(argv, { values: { name: ["--name"] }, flags: { force: ["--force", "-f"], help: ["--help", "-h"] } });
  if (typeof p === "string") return p;
  const a: InitArgs = { dir: p.entries[0], name: p.values.name, force: p.flags.force === true, help: p.flags.help === true };
  if (a.help) return a;
  if (a.dir === undefined) return "the project directory is required (`.` for the current one)";
  if (p.entries.length > 1) return `one directory at a time (got ${p.entries.join(", ")})`;
  return a;
}

export async function initMain(argv: string[], cwd = process.cwd()): Promise<number> {
  const fail = (msg: string, usage = false) => {
    process.stderr.write(`catzilla init: ${msg}\n${usage ? USAGE + "\n" : ""}`);
    return 1;
  };
  const args = parseInitArgs(argv);
  if (typeof args === "string") return fail(args, true);
  if (args.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const dir = path.resolve(cwd, args.dir!);
  const shown = path.relative(cwd, dir) || ".";
  const name = args.name ?? path.basename(dir);
  const problems = nameProblems(name);
  if (problems.length > 0) {
    const fix = args.name === undefined ? "; pass --name <package-name>, or choose another directory name" : "";
    return fail(`"${name}" is not a valid npm package name: ${problems.join("; ")}${fix}.`);
  }
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) return fail(`${shown} exists and is not a directory.`);
  const existing = existingEntries(dir);
  if (existing.length > 0 && !args.force) {
    const list = existing.length > 5 ? `${existing.slice(0, 5).join(", ")}, …` : existing.join(", ");
    return fail(
      `${shown} is not empty (${existing.length} ${existing.length === 1 ? "entry" : "entries"}: ${list}). ` +
        `Choose a new directory, or pass --force to write the project's files into it (files of the same name are replaced).`,
    );
  }

  const root = packageRoot();
  const self = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as SelfPackage;
  const files = renderProject(name, self, readTemplate(path.join(root, "templates", "app")));
  for (const f of files) {
    const file = path.join(dir, ...f.path.split("/"));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.content);
  }

  const cd = shown === "." ? [] : [`cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`];
  const steps = [...cd, "npm install", "npm run dev      # serves on http://127.0.0.1:8000, swaps in every save", "npm test"];
  process.stdout.write(
    `Created ${name} in ${shown === "." ? "the current directory" : shown} (${files.length} files).\n\n` +
      `Next steps:\n${steps.map((s) => `  ${s}\n`).join("")}\n` +
      `Then \`npm run build && npm start\` serves it as in production. See README.md in the project.\n`,
  );
  return 0;
}
