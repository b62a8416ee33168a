/**
 * Pass: emit. The plan and the linked modules → every generated file, in memory, in a fixed
 * order: the app's JavaScript, then dispatch.js, the schema files (validators.js,
 * serializers.js, openapi.json, client.*), server.js, server.d.ts, routes.c, routes.h,
 * routes.json and, outside an ESM scope, package.json.
 *
 * Two steps, so that the orchestrator can hand routes.c to cc (its own process) between
 * them: `emitTable` (routes.c, routes.h: plain string building), then `emitModules`
 * (the JavaScript; prettier formats it in its own thread while the app's modules are emitted).
 */
import * as path from "node:path";
import type { Linked } from "../link.js";
import { isEsmScope } from "../output.js";
import type { AppProgram } from "../project.js";
import type { Diagnostic, OutFile, Plan } from "../types.js";
import { emitApp, importSpecifier } from "./app.js";
import { emitRoutesC, emitRoutesH } from "./c.js";
import { emitDispatch } from "./dispatch.js";
import { formatJs } from "./format.js";
import { emitRoutesJson } from "./json.js";
import { SERVER_DTS } from "../shared/generated.js";
import { emitServerJs } from "./server.js";
import { emitSchemaFiles } from "../schema/emit.js";

export interface Table {
  routesC: string;
  routesH: string;
}

export interface Emitted {
  files: OutFile[];
  /** Emitted JS of the entries server.js imports. */
  entryJs: string[];
  /** Emitted JS the blocking pool's workers import, sorted (empty: no blocking routes). */
  blockingJs: string[];
  diagnostics: Diagnostic[];
}

/** Watch mode replaces these with cached versions (compiler/incremental.ts). */
export interface EmitHooks {
  emitApp?: typeof emitApp;
  formatJs?: typeof formatJs;
}

export function emitTable(plan: Plan): Table {
  return { routesC: emitRoutesC(plan), routesH: emitRoutesH(plan) };
}

export async function emitModules(
  plan: Plan,
  app: AppProgram,
  linked: Linked,
  table: Table,
  outDir: string,
  hooks: EmitHooks = {},
): Promise<Emitted> {
  const format = hooks.formatJs ?? formatJs;
  const dispatchJs = format(emitDispatch(plan));
  dispatchJs.catch(() => {}); // awaited below; marked handled in case emitApp throws first
  const appOut = (hooks.emitApp ?? emitApp)(app);
  const jsOf = (files: string[]) => files.map((f) => appOut.jsOf.get(f)).filter((js): js is string => js !== undefined);
  const entryJs = jsOf(linked.entries);
  const blockingJs = [...new Set(jsOf(linked.workers))].sort();
  const serverJs = format(
    emitServerJs(
      entryJs.map((js) => importSpecifier(outDir, js)),
      blockingJs.map((js) => importSpecifier(outDir, js)),
    ),
  );
  // Validators, serializers, openapi.json and the typed client (compiler/schema/).
  const schemaFiles = emitSchemaFiles(plan, outDir, format);
  // Together: if the formatter thread dies, all reject, and none may go unhandled.
  const [dispatchOut, serverOut, schemaOut] = await Promise.all([dispatchJs, serverJs, schemaFiles]);
  const out = (name: string, content: string): OutFile => ({ path: path.join(outDir, name), content });
  const generated: OutFile[] = [
    out("dispatch.js", dispatchOut),
    ...schemaOut,
    out("server.js", serverOut),
    out("server.d.ts", SERVER_DTS),
    out("routes.c", table.routesC),
    out("routes.h", table.routesH),
    out("routes.json", emitRoutesJson(plan)),
  ];
  if (!isEsmScope(path.dirname(outDir))) generated.push(out("package.json", '{ "type": "module" }\n'));
  return { files: [...appOut.files, ...generated], entryJs, blockingJs, diagnostics: appOut.diagnostics };
}
