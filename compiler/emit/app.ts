/**
 * The app's own TypeScript modules compiled to JavaScript (by the program we already
 * typechecked; next to their sources unless a tsconfig says otherwise), and how server.js
 * names them.
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

/** "../app.js": how `outDir/server.js` imports `jsFile`. */
export function importSpecifier(outDir: string, jsFile: string): string {
  const rel = path.relative(outDir, jsFile).split(path.sep).join("/");
  return rel.startsWith("../") ? rel : "./" + rel;
}
