/**
 * The app's own TypeScript modules compiled to JavaScript (by the program we already
 * typechecked; next to their sources unless a tsconfig says otherwise), and the import
 * graph question server.js needs: which entries load the generated server themselves.
 */
import * as path from "node:path";
import { ts } from "ts-morph";
import { diag } from "../diagnostics.js";
import type { AppProgram } from "../project.js";
import type { Diagnostic, OutFile } from "../types.js";

export interface AppEmit {
  files: OutFile[];
  /** Source file name → its emitted JavaScript file. */
  jsOf: Map<string, string>;
  diagnostics: Diagnostic[];
}

export function emitApp(app: AppProgram): AppEmit {
  const files: OutFile[] = [];
  const jsOf = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const sf of app.appFiles) {
    const result = app.program.emit(sf, (fileName, text) => {
      files.push({ path: path.resolve(fileName), content: text });
      if (/\.(c|m)?js$/.test(fileName)) jsOf.set(sf.fileName, path.resolve(fileName));
    });
    for (const d of result.diagnostics) {
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      diagnostics.push(diag("CZ1006", `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`));
    }
  }
  return { files, jsOf, diagnostics };
}

/** True when `sf` loads `serverDts`'s module at run time, directly or through its imports. */
export function importsServer(sf: ts.SourceFile, app: AppProgram): boolean {
  const seen = new Set<string>();
  const visit = (file: ts.SourceFile): boolean => {
    if (seen.has(file.fileName)) return false;
    seen.add(file.fileName);
    for (const target of runtimeImports(file, app.checker)) {
      if (target.fileName === app.serverDts) return true;
      if (!target.isDeclarationFile && visit(target)) return true;
    }
    return false;
  };
  return visit(sf);
}

function runtimeImports(sf: ts.SourceFile, checker: ts.TypeChecker): ts.SourceFile[] {
  const out: ts.SourceFile[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly) spec = st.moduleSpecifier;
    else if (ts.isExportDeclaration(st) && !st.isTypeOnly) spec = st.moduleSpecifier;
    else if (ts.isImportEqualsDeclaration(st) && !st.isTypeOnly && ts.isExternalModuleReference(st.moduleReference)) {
      spec = st.moduleReference.expression;
    }
    if (!spec) continue;
    const decl = checker.getSymbolAtLocation(spec)?.valueDeclaration;
    if (decl && ts.isSourceFile(decl)) out.push(decl);
  }
  return out;
}

/** "../app.js": how `outDir/server.js` imports `jsFile`. */
export function importSpecifier(outDir: string, jsFile: string): string {
  const rel = path.relative(outDir, jsFile).split(path.sep).join("/");
  return rel.startsWith("../") ? rel : "./" + rel;
}
