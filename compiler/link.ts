/**
 * Pass: which of the app's modules the generated code imports at run time.
 *
 *   - server.js imports the entries (their imports register the routes), except those that
 *     import the server themselves: those are the app's main modules, which load server.js,
 *     not the other way round;
 *   - with blocking routes, each worker of the pool (runtime/blocking.ts) imports the
 *     entries and every module that registers a route, to bind the handlers itself. None
 *     of those may import the server, or each worker would start one: a blocking route
 *     registered in such a module is CZ1013.
 *
 * Modules are named by source file here; emit maps them to the JavaScript it wrote.
 */
import { ts } from "ts-morph";
import { diag } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import type { Diagnostic, Plan, Registration } from "./types.js";

export interface Linked {
  /** Entry source files server.js imports, in the order the entries were given. */
  entries: string[];
  /** Source files the blocking pool's workers import (empty: the app has no blocking route). */
  workers: string[];
  diagnostics: Diagnostic[];
}

export function link(app: AppProgram, registrations: readonly Registration[], plan: Plan): Linked {
  const startsServer = serverImporters(app);
  const entries = app.entryFiles.filter((sf) => !startsServer(sf)).map((sf) => sf.fileName);
  const diagnostics: Diagnostic[] = [];
  if (!plan.routes.some((r) => r.kind === "blocking")) return { entries, workers: [], diagnostics };
  const workers = new Set(entries);
  for (const reg of registrations) {
    const sf = app.program.getSourceFile(reg.call.file);
    if (!sf) continue;
    if (!startsServer(sf)) {
      workers.add(sf.fileName);
    } else if (reg.blocking) {
      diagnostics.push(
        diag(
          "CZ1013",
          "A blocking route must be registered in a module the worker pool can import, but this module imports " +
            "the generated server (directly or through its imports). Move the route to a module without that import.",
          { span: reg.call, text: sf.text },
        ),
      );
    }
  }
  return { entries, workers: [...workers], diagnostics };
}

/** Whether a module loads the generated server (`app.serverDts`) at run time, directly or through its imports. */
function serverImporters(app: AppProgram): (sf: ts.SourceFile) => boolean {
  const memo = new Map<string, boolean>();
  return (sf) => {
    let hit = memo.get(sf.fileName);
    if (hit === undefined) memo.set(sf.fileName, (hit = importsServer(sf, app)));
    return hit;
  };
}

function importsServer(sf: ts.SourceFile, app: AppProgram): boolean {
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

/** The source files `sf`'s non-type-only imports and re-exports resolve to. */
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
