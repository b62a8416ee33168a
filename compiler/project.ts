/**
 * The program pass: the app's TypeScript program (compiler options from the tsconfig, or
 * defaults), the generated server's declaration (in memory, so an entry importing
 * `./.catzilla/server.js` typechecks before anything is written), a probe type used by
 * classification, and which of the program's files are the app's: those the entries reach.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ts } from "ts-morph";
import { diag } from "./diagnostics.js";
import { ProgramHost } from "./host.js";
import { readTsconfig } from "./layout.js";
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
  /** Keeps parsed files for the next build (watch mode). */
  host: ProgramHost;
  program: ts.Program;
  checker: ts.TypeChecker;
  /**
   * The app's own files: TypeScript sources (not declarations, not in node_modules) the
   * entries reach through their imports. A tsconfig's other files (tests, scripts) are in
   * the program, for their global declarations, but are not the app.
   */
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
  /** Watch mode: the host of an earlier call, its changed files already invalidated. */
  warm?: ProgramHost,
): { app?: AppProgram; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let options: ts.CompilerOptions = { ...DEFAULT_COMPILER_OPTIONS, types: visibleTypes(entries) };
  let roots: string[] = [];
  let configErrors: readonly ts.Diagnostic[] | undefined;
  if (tsconfig) {
    // Read on every build, as tsc --watch does: a file added under `include` joins the program.
    const read = readTsconfig(tsconfig);
    diagnostics.push(...read.diagnostics);
    if (!read.config) return { diagnostics };
    options = read.config.options;
    roots = read.config.fileNames;
    configErrors = read.config.errors;
  }
  const host = warm ?? new ProgramHost();
  const serverDts = path.join(outDir, "server.d.ts");
  const probeFile = path.join(outDir, PROBE_NAME);
  if (!warm) {
    host.setMemoryFile(serverDts, SERVER_DTS);
    host.setMemoryFile(probeFile, "export declare const promise: Promise<unknown>;\n");
  }
  const program = host.build([...new Set([...roots, ...entries, serverDts, probeFile])], options, configErrors);
  const checker = program.getTypeChecker();
  const probe = program.getSourceFile(probeFile);
  const decl = probe?.statements[0] as ts.VariableStatement | undefined;
  const promiseType = checker.getTypeAtLocation(decl!.declarationList.declarations[0].name);
  const entryFiles = entries.map((e) => program.getSourceFile(e)).filter((f): f is ts.SourceFile => f !== undefined);
  const appFiles = reachableFrom(entryFiles, program).filter(isAppFile);
  diagnostics.push(...programErrors(program));
  return {
    app: {
      host,
      program,
      checker,
      appFiles,
      entryFiles: appFiles.filter((f) => entryFiles.includes(f)),
      serverDts: serverDts.split(path.sep).join("/"),
      promiseType,
    },
    diagnostics,
  };
}

/**
 * The program's files `entries` reach, in program order: through imports and re-exports
 * (type-only ones too: their errors are the app's), `import()`, `require()`, import types
 * and `/// <reference path>`.
 */
export function reachableFrom(entries: readonly ts.SourceFile[], program: ts.Program): ts.SourceFile[] {
  const resolve = (program as ProgramWithResolution).getResolvedModuleFromModuleSpecifier.bind(program);
  const seen = new Set<ts.SourceFile>();
  const stack = [...entries];
  while (stack.length) {
    const sf = stack.pop()!;
    if (seen.has(sf)) continue;
    seen.add(sf);
    const add = (file: string | undefined) => {
      const target = file === undefined ? undefined : program.getSourceFile(file);
      if (!target || seen.has(target)) return;
      // A declaration file leads to no app file: recorded, not followed (catzilla's, @types').
      if (target.isDeclarationFile) seen.add(target);
      else stack.push(target);
    };
    for (const spec of moduleSpecifiers(sf)) add(resolve(spec, sf)?.resolvedModule?.resolvedFileName);
    for (const ref of sf.referencedFiles) add(path.resolve(path.dirname(sf.fileName), ref.fileName));
  }
  return program.getSourceFiles().filter((f) => seen.has(f));
}

interface ProgramWithResolution extends ts.Program {
  // Public since TypeScript 5.3; not yet in the declarations ts-morph ships.
  getResolvedModuleFromModuleSpecifier(
    spec: ts.StringLiteralLike,
    sf: ts.SourceFile,
  ): { resolvedModule?: { resolvedFileName: string } } | undefined;
}

function moduleSpecifiers(sf: ts.SourceFile): ts.StringLiteralLike[] {
  const out: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node): void => {
    let spec: ts.Node | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) spec = node.moduleSpecifier;
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      spec = node.moduleReference.expression;
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) {
        spec = node.arguments[0];
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) spec = node.argument.literal;
    if (spec && ts.isStringLiteralLike(spec)) out.push(spec);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
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
    out.push(...errorsOf([...app.program.getSyntacticDiagnostics(sf), ...app.program.getSemanticDiagnostics(sf)]));
  }
  return out;
}

/**
 * TypeScript's errors about the program as a whole (its options, a file outside `rootDir`, a
 * missing `types` entry), as CZ1006: tsc reports them too.
 */
export function programErrors(program: ts.Program): Diagnostic[] {
  return errorsOf([...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]);
}

function errorsOf(list: readonly ts.Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of list) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const msg = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    if (d.file && d.start !== undefined) {
      const lc = d.file.getLineAndCharacterOfPosition(d.start);
      const span = { file: d.file.fileName, line: lc.line + 1, col: lc.character + 1, start: d.start, length: d.length ?? 1 };
      out.push(diag("CZ1006", msg, { span, text: d.file.text }));
    } else {
      out.push(diag("CZ1006", msg));
    }
  }
  return out;
}
