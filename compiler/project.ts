/**
 * Builds the ts-morph Project for the app: compiler options, entry files, the generated
 * server's declaration (in memory, so an entry importing `./.catzilla/server.js`
 * typechecks before anything is written) and a probe type used by classification.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Project, ts } from "ts-morph";
import { diag } from "./diagnostics.js";
import { SERVER_DTS } from "./shared/generated.js";
import type { Diagnostic } from "./types.js";

export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  esModuleInterop: true,
};

const PROBE_NAME = "__catzilla_probe__.d.ts";

export interface AppProgram {
  project: Project;
  program: ts.Program;
  checker: ts.TypeChecker;
  /** The app's own files: not declarations, not in node_modules, TypeScript sources. */
  appFiles: ts.SourceFile[];
  entryFiles: ts.SourceFile[];
  /** Absolute path of <out>/server.d.ts (what `./.catzilla/server.js` resolves to). */
  serverDts: string;
  /** `Promise<unknown>`, to ask "could this type hold a promise?". */
  promiseType: ts.Type;
}

/** CZ1011 for each entry (or tsconfig) that is not a readable file; `show` renders a path. */
export function missingInputs(files: string[], show: (file: string) => string): Diagnostic[] {
  return files
    .filter((f) => !fs.existsSync(f) || !fs.statSync(f).isFile())
    .map((f) => diag("CZ1011", `Cannot read ${show(f)}: no such file.`));
}

export function loadProgram(
  entries: string[],
  outDir: string,
  tsconfig: string | undefined,
  /** Watch mode: a project from an earlier call, its changed files already refreshed. */
  warm?: Project,
): { app?: AppProgram; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let project: Project;
  if (warm) project = warm;
  else try {
    project = tsconfig
      ? new Project({ tsConfigFilePath: tsconfig, compilerOptions: { noEmit: false, emitDeclarationOnly: false } })
      : new Project({ compilerOptions: { ...DEFAULT_COMPILER_OPTIONS, types: visibleTypes(entries) } });
  } catch (err) {
    const what = tsconfig ? path.basename(tsconfig) : "the compiler options";
    return { diagnostics: [diag("CZ1011", `Cannot load ${what}: ${(err as Error).message}`)] };
  }
  if (tsconfig && !warm) {
    for (const d of project.getConfigFileParsingDiagnostics()) {
      const msg = ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, "\n");
      diagnostics.push(diag("CZ1011", `${path.basename(tsconfig)}: TS${d.getCode()}: ${msg}`));
    }
  }
  const serverDts = path.join(outDir, "server.d.ts");
  if (!warm) {
    project.createSourceFile(serverDts, SERVER_DTS, { overwrite: true });
    project.createSourceFile(path.join(outDir, PROBE_NAME), "export declare const promise: Promise<unknown>;\n", {
      overwrite: true,
    });
  }
  const entrySfs = entries.map((e) => project.addSourceFileAtPath(e));
  // No resolveSourceFileDependencies(): the ts.Program resolves imports itself and we only use it.

  const program = project.getProgram().compilerObject;
  const checker = program.getTypeChecker();
  const probe =
    program.getSourceFile(path.join(outDir, PROBE_NAME).split(path.sep).join("/")) ??
    program.getSourceFiles().find((f) => f.fileName.endsWith("/" + PROBE_NAME));
  const decl = probe?.statements[0] as ts.VariableStatement | undefined;
  const promiseType = checker.getTypeAtLocation(decl!.declarationList.declarations[0].name);
  const appFiles = program.getSourceFiles().filter(isAppFile);
  const entryPaths = new Set(entrySfs.map((s) => s.getFilePath() as string));
  const entryFiles = appFiles.filter((f) => entryPaths.has(f.fileName));
  return {
    app: {
      project,
      program,
      checker,
      appFiles,
      entryFiles,
      serverDts: serverDts.split(path.sep).join("/"),
      promiseType,
    },
    diagnostics,
  };
}

/**
 * TypeScript 6 no longer includes visible `@types/*` packages by default. Without a tsconfig
 * we add `@types/node` when it is installed where the entries can see it (a server app uses
 * `process`, `setTimeout`, `Buffer`...); other `@types` packages need a tsconfig.
 */
export function visibleTypes(entries: string[]): string[] {
  for (const e of entries) {
    for (let d = path.dirname(e); ; d = path.dirname(d)) {
      if (fs.existsSync(path.join(d, "node_modules", "@types", "node", "package.json"))) return ["node"];
      if (path.dirname(d) === d) break;
    }
  }
  return [];
}

function isAppFile(sf: ts.SourceFile): boolean {
  return !sf.isDeclarationFile && !/[\\/]node_modules[\\/]/.test(sf.fileName) && /\.(c|m)?tsx?$/.test(sf.fileName);
}

/** TypeScript's own errors (syntactic + semantic) in the app's files, as CZ1006. */
export function typeErrors(app: AppProgram): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const sf of app.appFiles) {
    const list = [...app.program.getSyntacticDiagnostics(sf), ...app.program.getSemanticDiagnostics(sf)];
    for (const d of list) {
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      const msg = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      if (d.file && d.start !== undefined) {
        const lc = d.file.getLineAndCharacterOfPosition(d.start);
        const span = {
          file: d.file.fileName,
          line: lc.line + 1,
          col: lc.character + 1,
          start: d.start,
          length: d.length ?? 1,
        };
        out.push(diag("CZ1006", msg, { span, text: d.file.text }));
      } else {
        out.push(diag("CZ1006", msg));
      }
    }
  }
  return out;
}
