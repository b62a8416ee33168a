/**
 * `compile(options)`: the whole pipeline, returning plain data.
 *
 *   loadProgram → discover → (TypeScript errors) → analyze → plan → emit → cc → write
 *
 * Nothing is written unless every pass succeeded (warnings allowed).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { analyze } from "./analyze.js";
import { compileRoutes, HASH_FILE } from "./cc.js";
import { diag, relPosix, sortDiagnostics } from "./diagnostics.js";
import { discover } from "./discover.js";
import { emitApp, importSpecifier, importsServer } from "./emit/app.js";
import { emitRoutesC, emitRoutesH } from "./emit/c.js";
import { emitDispatch } from "./emit/dispatch.js";
import { formatJs, startFormatter } from "./emit/format.js";
import { emitRoutesJson } from "./emit/json.js";
import { emitServerJs, SERVER_DTS } from "./emit/server.js";
import { isEsmScope, writeFiles } from "./output.js";
import { CLIENT_FILES } from "./schema/client.js";
import {
  emitSchemaClient,
  emitSchemaOpenApi,
  emitSchemaSerializers,
  emitSchemaValidators,
  SERIALIZERS_FILE,
  VALIDATORS_FILE,
} from "./schema/emit.js";
import { OPENAPI_FILE } from "./schema/openapi.js";
import { plan as planRoutes } from "./plan.js";
import { loadProgram, missingInputs, typeErrors, type AppProgram } from "./project.js";
import type { CompileOptions, CompileResult, Diagnostic, OutFile, Plan, RouteSummary, Span } from "./types.js";

export type * from "./types.js";
export { formatDiagnostic, CODES } from "./diagnostics.js";

/**
 * Internal seams for watch mode (compiler/watch.ts): a warm program, per-file caches and
 * the generated files before they are written. Each defaults to the pass itself.
 */
export interface CompileHooks {
  loadProgram?: typeof loadProgram;
  typeErrors?: typeof typeErrors;
  analyze?: typeof analyze;
  emitApp?: typeof emitApp;
  formatJs?: typeof formatJs;
  /** `catzilla dev` builds routes.so with lighter optimisation. */
  compileRoutes?: typeof compileRoutes;
  /** Every file compile() would write (app JS, generated files, routes.so when cc ran). */
  output?: (files: OutFile[], info: { entryJs: string[]; plan: Plan; blockingJs: string[] }) => void;
}

export async function compile(options: CompileOptions, hooks: CompileHooks = {}): Promise<CompileResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const outDir = path.resolve(cwd, options.outDir);
  const base = path.dirname(outDir);
  const entries = options.entries.map((e) => path.resolve(cwd, e));
  const tsconfig = options.tsconfig ? path.resolve(cwd, options.tsconfig) : undefined;
  const timings: Record<string, number> = {};
  const start = performance.now();
  let mark = start;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = round(now - mark);
    mark = now;
  };
  const result = (diagnostics: Diagnostic[], extra: Partial<CompileResult> = {}): CompileResult => {
    timings.total = round(performance.now() - start);
    const sorted = sortDiagnostics(diagnostics);
    return {
      ok: !sorted.some((d) => d.severity === "error"),
      routes: [],
      diagnostics: sorted,
      fingerprint: null,
      timings,
      files: [],
      filesWritten: [],
      ccSkipped: false,
      notes: [],
      ...extra,
    };
  };
  const hasErrors = (list: Diagnostic[]) => list.some((d) => d.severity === "error");

  const diagnostics: Diagnostic[] = [];
  if (entries.length === 0) return result([diag("CZ1011", "No entry files given.")]);
  startFormatter(); // prettier warms up in its own thread while the program loads
  const missing = missingInputs([...entries, ...(tsconfig ? [tsconfig] : [])], (f) => relPosix(cwd, f));
  if (missing.length) return result(missing);
  const loaded = (hooks.loadProgram ?? loadProgram)(entries, outDir, tsconfig);
  diagnostics.push(...loaded.diagnostics);
  const app = loaded.app;
  lap("program");
  if (!app) return result(diagnostics);

  const found = discover(app);
  diagnostics.push(...found.diagnostics);
  lap("discover");
  diagnostics.push(...(hooks.typeErrors ?? typeErrors)(app));
  lap("typecheck");
  const analysis = (hooks.analyze ?? analyze)(app, found.registrations, { constRoutes: options.constRoutes !== false });
  diagnostics.push(...analysis.diagnostics);
  lap("analyze");
  const textOf = (file: string) => app.program.getSourceFile(file)?.text ?? "";
  const planned = planRoutes(analysis.routes, base, cwd, textOf);
  diagnostics.push(...planned.diagnostics);
  if (found.registrations.length === 0) {
    const first = app.entryFiles[0];
    const at = first
      ? { span: { file: first.fileName, line: 1, col: 1, start: 0, length: 0 }, text: first.text }
      : undefined;
    diagnostics.push(
      diag(
        "CZ1007",
        "No routes found: no call like `app.get(path, handler)` on a Catzilla app from the 'catzilla' package in the program.",
        at,
      ),
    );
  }
  lap("plan");
  const routes = summaries(planned.plan);
  if (hasErrors(diagnostics)) return result(diagnostics, { routes });

  const plan = planned.plan;
  const routesC = emitRoutesC(plan);
  const routesH = emitRoutesH(plan);
  // cc runs in its own process and prettier in its thread while the app's JS is emitted.
  const cc = options.cc === false ? undefined : (hooks.compileRoutes ?? compileRoutes)(routesC, routesH, outDir);
  const format = hooks.formatJs ?? formatJs;
  const dispatchJs = format(emitDispatch(plan));
  dispatchJs.catch(() => {}); // awaited below; marked handled in case emit throws first
  const validatorsSrc = emitSchemaValidators(plan, (f) => relPosix(base, f));
  const validatorsJs = validatorsSrc === null ? Promise.resolve(null) : format(validatorsSrc);
  validatorsJs.catch(() => {});
  const serializersSrc = emitSchemaSerializers(plan, (f) => relPosix(base, f));
  const serializersJs = serializersSrc === null ? Promise.resolve(null) : format(serializersSrc);
  serializersJs.catch(() => {});
  const client = emitSchemaClient(plan);
  // The .ts and .d.ts are written indented; prettier here formats JavaScript only.
  const clientFiles = Promise.all([client.ts, format(client.js), client.dts]);
  clientFiles.catch(() => {});
  const appOut = (hooks.emitApp ?? emitApp)(app);
  diagnostics.push(...appOut.diagnostics);
  const entryJs = app.entryFiles
    .filter((sf) => !importsServer(sf, app))
    .map((sf) => appOut.jsOf.get(sf.fileName))
    .filter((js): js is string => js !== undefined);
  const entryImports = entryJs.map((js) => importSpecifier(outDir, js));
  // Blocking routes run on worker threads that import the app's route modules themselves.
  const workers = blockingModuleFiles(plan, found.registrations, app, appOut.jsOf, entryJs);
  diagnostics.push(...workers.diagnostics);
  const blockingModules = workers.files.map((js) => importSpecifier(outDir, js));
  const out = (name: string, content: string): OutFile => ({ path: path.join(outDir, name), content });
  // Together: if the formatter thread dies, both reject, and neither may go unhandled.
  const [dispatchOut, serverOut, validatorsOut, serializersOut, [clientTs, clientJs, clientDts]] = await Promise.all([
    dispatchJs,
    format(emitServerJs(entryImports, blockingModules)),
    validatorsJs,
    serializersJs,
    clientFiles,
  ]);
  const generated: OutFile[] = [
    out("dispatch.js", dispatchOut),
    ...(validatorsOut === null ? [] : [out(VALIDATORS_FILE, validatorsOut)]),
    ...(serializersOut === null ? [] : [out(SERIALIZERS_FILE, serializersOut)]),
    out(OPENAPI_FILE, emitSchemaOpenApi(plan, appInfo(base))),
    out(CLIENT_FILES.ts, clientTs),
    out(CLIENT_FILES.js, clientJs),
    out(CLIENT_FILES.dts, clientDts),
    out("server.js", serverOut),
    out("server.d.ts", SERVER_DTS),
    out("routes.c", routesC),
    out("routes.h", routesH),
    out("routes.json", emitRoutesJson(plan)),
  ];
  if (!isEsmScope(base)) generated.push(out("package.json", '{ "type": "module" }\n'));
  lap("emit");

  let ccSkipped = false;
  if (cc !== undefined) {
    const built = await cc;
    diagnostics.push(...built.diagnostics);
    generated.push(...built.files);
    ccSkipped = built.skipped;
  }
  lap("cc");
  if (hasErrors(diagnostics)) return result(diagnostics, { routes });

  const all = [...appOut.files, ...generated];
  hooks.output?.(all, { entryJs, plan, blockingJs: workers.files });
  const filesWritten = options.write === false ? [] : writeFiles(all);
  lap("write");
  return result(diagnostics, {
    routes,
    fingerprint: plan.fingerprint,
    files: [
      ...all.map((f) => f.path),
      ...(ccSkipped ? [path.join(outDir, "routes.so"), path.join(outDir, HASH_FILE)] : []),
    ],
    filesWritten,
    ccSkipped,
    notes: fallbackNotes(plan),
  });
}

/** CZ2030 per route whose JSON result type is too loose to serialize by (no code frame: a note). */
function fallbackNotes(plan: Plan): Diagnostic[] {
  return plan.routes.flatMap((r) => {
    const why = r.schema?.fallback;
    if (!why) return [];
    const d = diag(
      "CZ2030",
      `${r.method} ${r.path}: the result is sent with JSON.stringify, not filtered by its type: ${why}.`,
    );
    d.span = r.span;
    return [d];
  });
}

/**
 * The modules blocking-pool workers import: entry modules plus every module registering
 * routes (none may import the generated server, which would listen in each worker). A
 * blocking route registered in a module that imports the server is CZ1013.
 */
function blockingModuleFiles(
  plan: Plan,
  registrations: { call: Span; blocking: boolean }[],
  app: AppProgram,
  jsOf: Map<string, string>,
  entryJs: string[],
): { files: string[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (!plan.routes.some((r) => r.kind === "blocking")) return { files: [], diagnostics };
  const files = new Set(entryJs);
  for (const reg of registrations) {
    const sf = app.program.getSourceFile(reg.call.file);
    if (!sf) continue;
    if (importsServer(sf, app)) {
      if (reg.blocking) {
        diagnostics.push(
          diag(
            "CZ1013",
            "A blocking route must be registered in a module the worker pool can import, but this module imports " +
              "the generated server (directly or through its imports). Move the route to a module without that import.",
            { span: reg.call, text: sf.text },
          ),
        );
      }
      continue;
    }
    const js = jsOf.get(sf.fileName);
    if (js) files.add(js);
  }
  return { files: [...files].sort(), diagnostics };
}

function summaries(plan: Plan): RouteSummary[] {
  return plan.routes.map((r) => ({
    id: r.id,
    method: r.method,
    path: r.path,
    kind: r.kind,
    params: r.params,
    flags: r.flags,
    source: r.source,
    span: r.span,
    reason: r.reason,
    type: r.type,
  }));
}

/** The document's title and version: the app's package.json beside the out dir, if any. */
function appInfo(base: string): { title: string; version: string } {
  try {
    const pkg = JSON.parse(readFileSync(path.join(base, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
    return {
      title: typeof pkg.name === "string" ? pkg.name : "Catzilla app",
      version: typeof pkg.version === "string" ? pkg.version : "0.0.0",
    };
  } catch {
    return { title: "Catzilla app", version: "0.0.0" };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
