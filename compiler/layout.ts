/**
 * The project's layout, as tsc and the editor see it: which tsconfig governs the entries
 * (`findTsconfig`), how it reads (`readTsconfig`), and where the generated files that run
 * go when the tsconfig has an outDir (`runtimeDir`). docs/project.md says the same for users.
 */
import * as path from "node:path";
import { ts } from "ts-morph";
import { diag } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import type { Diagnostic } from "./types.js";

/**
 * A tsconfig as tsc reads it (extends, include/files/exclude), or what is wrong with it.
 * JavaScript is always emitted: `noEmit` and `emitDeclarationOnly` are turned off.
 */
export function readTsconfig(file: string): { config?: ts.ParsedCommandLine; diagnostics: Diagnostic[] } {
  let unrecoverable: ts.Diagnostic | undefined;
  const config = ts.getParsedCommandLineOfConfigFile(
    file,
    { noEmit: false, emitDeclarationOnly: false },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => (unrecoverable = d) },
  );
  const problems = unrecoverable ? [unrecoverable] : (config?.errors ?? []);
  const diagnostics = problems
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => diag("CZ1011", `${path.basename(file)}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`));
  return { config, diagnostics };
}

/**
 * The tsconfig.json that governs the entries, found as TypeScript's editors find a file's
 * project: `ts.findConfigFile` from the first entry's directory up the parent chain (tsc
 * starts at the working directory; the entries' directory gives the same file in the usual
 * layout and does not depend on where the command runs), taking the first config whose files
 * include every entry (a solution-style config checks its `references`). A config that does
 * not include the entries governs other files, as it would in the editor: it is skipped.
 * Undefined when none does (the defaults apply).
 */
export function findTsconfig(entries: readonly string[]): string | undefined {
  if (entries.length === 0) return undefined;
  const wanted = entries.map((e) => path.resolve(e));
  const includesEntries = (file: string, depth: number): string | undefined => {
    const { config } = readTsconfig(file);
    if (!config) return undefined;
    const files = new Set(config.fileNames.map((f) => path.resolve(f)));
    if (wanted.every((e) => files.has(e))) return file;
    if (depth > 0) return undefined;
    for (const ref of config.projectReferences ?? []) {
      const found = includesEntries(ts.resolveProjectReferencePath(ref), depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  for (let dir = path.dirname(wanted[0]); ; ) {
    const file = ts.findConfigFile(dir, ts.sys.fileExists);
    if (!file) return undefined;
    const found = includesEntries(path.resolve(file), 0);
    if (found) return found;
    const parent = path.dirname(path.dirname(path.resolve(file)));
    if (parent === path.dirname(path.resolve(file))) return undefined;
    dir = parent;
  }
}

/**
 * Where the generated files that run (server.js, dispatch.js, routes.so…) go: where the
 * emitted entries' `import "./.catzilla/server.js"` resolves at run time. Without a tsconfig
 * `outDir` that is `outDir` (--out) itself; with one, the JavaScript of a file under rootDir
 * goes to the same place under the tsconfig's outDir, so the generated files go to --out's
 * mirror there (`src/.catzilla` → `dist/.catzilla`). CZ1015 when --out is outside rootDir:
 * no mirror exists, and the emitted JavaScript would import files outside its outDir.
 */
export function runtimeDir(app: AppProgram, outDir: string, show: (file: string) => string): { dir: string; diagnostics: Diagnostic[] } {
  const options = app.program.getCompilerOptions();
  if (!options.outDir) return { dir: outDir, diagnostics: [] };
  // TypeScript 6's rule (the emit's): rootDir, else the tsconfig's directory.
  const configFile = options.configFilePath as string | undefined;
  const root = path.resolve(options.rootDir ?? (configFile ? path.dirname(configFile) : app.program.getCurrentDirectory()));
  const rel = path.relative(root, outDir);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    const message =
      `--out ${show(outDir)} is outside the tsconfig's rootDir (${show(root)}), so it has no place in its outDir ` +
      `(${show(options.outDir)}), where the app's JavaScript goes and imports the generated files from. ` +
      `Give --out a directory inside ${show(root)} (e.g. --out ${show(path.join(root, ".catzilla"))}, imported as ` +
      `"./.catzilla/server.js" by a module in ${show(root)}), or set "rootDir" to a directory that contains it.`;
    return { dir: outDir, diagnostics: [diag("CZ1015", message)] };
  }
  return { dir: path.join(path.resolve(options.outDir), rel), diagnostics: [] };
}
