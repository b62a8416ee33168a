/**
 * `compile(options)`: the pipeline. Each pass is a function over the plain data the passes
 * before it returned (types.ts); this file runs them in order, collects their diagnostics,
 * times each under its name in PASSES, and emits nothing once any pass reported an error.
 *
 *   program    project.ts   entries, tsconfig (given, or found: layout.ts) → the app's
 *                           TypeScript program, and where the generated files run (its outDir)
 *   discover   discover.ts  program → Registration[] (CZ1007 when there is none)
 *   typecheck  project.ts   program → TypeScript's errors in the app's files (CZ1006)
 *   analyze    analyze.ts   registrations → AnalyzedRoute[]: kind, request flags, const bytes
 *   plan       plan.ts      analyzed routes → Plan: ids, conflicts, fingerprint, matching trie
 *   link       link.ts      plan, registrations → the app modules server.js and the workers import
 *   emit       emit/        plan, linked modules → every generated file, in memory
 *   cc         cc.ts        routes.c → routes.so, in its own process while emit formats the JS
 *   write      output.ts    the files whose bytes changed, only when no pass reported an error
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { analyze } from "./analyze.js";
import { preflightRoutes } from "./chain.js";
import { compileRoutes, HASH_FILE, type CcResult } from "./cc.js";
import { diag, location, relPosix, sortDiagnostics } from "./diagnostics.js";
import { discover } from "./discover.js";
import { emitModules, emitTable, type EmitHooks } from "./emit/index.js";
import { startFormatter } from "./emit/format.js";
import { link } from "./link.js";
import { writeFiles } from "./output.js";
import { plan as planRoutes } from "./plan.js";
import { fallbackNotes } from "./schema/emit.js";
import { findTsconfig, runtimeDir } from "./layout.js";
import { loadProgram, missingInputs, typeErrors } from "./project.js";
import type { CompileOptions, CompileResult, Diagnostic, OutFile, Plan, RouteSummary, StaticRecord } from "./types.js";

export type * from "./types.js";
export { formatDiagnostic, CODES } from "./diagnostics.js";

/** The passes in the order compile() runs them; `CompileResult.timings` has one entry per name, plus `total`. */
export const PASSES = ["program", "discover", "typecheck", "analyze", "plan", "link", "emit", "cc", "write"] as const;
export type Pass = (typeof PASSES)[number];

/**
 * Internal seams for watch mode (compiler/incremental.ts): a warm program, per-file caches
 * and the generated files before they are written. Each defaults to the pass itself.
 */
export interface CompileHooks extends EmitHooks {
  loadProgram?: typeof loadProgram;
  typeErrors?: typeof typeErrors;
  analyze?: typeof analyze;
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
  const tsconfig =
    options.tsconfig === false
      ? undefined
      : options.tsconfig
        ? path.resolve(cwd, options.tsconfig)
        : findTsconfig(entries.filter((e) => fs.existsSync(e)));
  const start = performance.now();
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  let mark = start;
  /** A pass's time: since the previous one finished. */
  const lap = (pass: Pass) => {
    const now = performance.now();
    timings[pass] = round(now - mark);
    mark = now;
  };
  /** A pass has finished: its diagnostics join the others. */
  const done = <T extends { diagnostics: readonly Diagnostic[] }>(pass: Pass, out: T): T => {
    diagnostics.push(...out.diagnostics);
    lap(pass);
    return out;
  };
  const failed = () => diagnostics.some((d) => d.severity === "error");
  const result = (extra: Partial<CompileResult> = {}): CompileResult => {
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
      ...(tsconfig ? { tsconfig } : {}),
      ...extra,
    };
  };

  if (entries.length === 0) {
    diagnostics.push(diag("CZ1011", "No entry files given."));
    return result();
  }
  startFormatter(); // prettier warms up in its own thread while the program loads
  diagnostics.push(...missingInputs([...entries, ...(tsconfig ? [tsconfig] : [])], (f) => relPosix(cwd, f)));
  if (failed()) return result();

  const { app } = done("program", (hooks.loadProgram ?? loadProgram)(entries, outDir, tsconfig));
  if (!app) return result();
  // Where the emitted JavaScript imports the generated files from (a tsconfig outDir moves both).
  const runDir = runtimeDir(app, outDir, (f) => relPosix(cwd, f));
  diagnostics.push(...runDir.diagnostics);
  if (failed()) return result();
  const located = (extra: Partial<CompileResult> = {}) => result({ runDir: runDir.dir, ...extra });
  const { registrations, statics: found } = done("discover", discover(app));
  const statics = found.map((s): StaticRecord => ({ ...s, source: location(s.span, base) }));
  diagnostics.push(...(hooks.typeErrors ?? typeErrors)(app));
  lap("typecheck");
  const constRoutes = options.constRoutes !== false;
  const analysis = done("analyze", (hooks.analyze ?? analyze)(app, registrations, { constRoutes }));
  const textOf = (file: string) => app.program.getSourceFile(file)?.text ?? "";
  // CORS preflight routes, from the whole analysis (watch mode caches analyze per file).
  const analyzed = [...analysis.routes, ...preflightRoutes(analysis.routes)];
  const { plan: planned } = done("plan", planRoutes(analyzed, base, cwd, textOf));
  const plan: Plan = statics.length > 0 ? { ...planned, statics } : planned;
  const linked = done("link", link(app, registrations, plan));
  const routes = summaries(plan);
  if (failed()) return located({ routes, ...(statics.length > 0 ? { statics } : {}) });

  const table = emitTable(plan);
  // cc runs in its own process (and prettier in its thread) while the app's JS is emitted.
  const cc =
    options.cc === false ? undefined : (hooks.compileRoutes ?? compileRoutes)(table.routesC, table.routesH, runDir.dir);
  const emitted = done("emit", await emitModules(plan, app, linked, table, runDir.dir, hooks));
  const built = done("cc", cc === undefined ? NO_CC : await cc);
  if (failed()) return located({ routes });

  const files = [...emitted.files, ...built.files, ...declarationsAt(outDir, runDir.dir, emitted.files)];
  hooks.output?.(files, { entryJs: emitted.entryJs, plan, blockingJs: emitted.blockingJs });
  const filesWritten = options.write === false ? [] : writeFiles(files);
  lap("write");
  return located({
    routes,
    fingerprint: plan.fingerprint,
    files: [
      ...files.map((f) => f.path),
      ...(built.skipped ? [path.join(runDir.dir, "routes.so"), path.join(runDir.dir, HASH_FILE)] : []),
    ],
    filesWritten,
    ccSkipped: built.skipped,
    notes: fallbackNotes(plan),
    ...(statics.length > 0 ? { statics } : {}),
  });
}

/**
 * With a tsconfig outDir the generated files run from its mirror of --out; --out keeps the
 * declarations the sources import (`./.catzilla/server.js` → server.d.ts, the client's).
 */
function declarationsAt(outDir: string, runDir: string, files: OutFile[]): OutFile[] {
  if (runDir === outDir) return [];
  return files
    .filter((f) => path.dirname(f.path) === runDir && f.path.endsWith(".d.ts"))
    .map((f) => ({ path: path.join(outDir, path.basename(f.path)), content: f.content }));
}

/** `{ cc: false }`: no routes.so; the generated files are still written. */
const NO_CC: CcResult = { files: [], skipped: false, diagnostics: [] };

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
    middleware: r.middleware.map((m) => `${m.label} ${m.source}`),
  }));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
