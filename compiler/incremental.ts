/**
 * The compiler half of watch mode (`catzilla-compile --watch`, `catzilla dev`): an
 * IncrementalCompiler keeps the program's host (project.ts, host.ts: parsed files and the
 * TypeScript program, whose unchanged source files the next program reuses) warm between builds, and runs the same
 * compile() pipeline with per-file caches plugged into its hooks:
 *
 *   - a file is *affected* when its text changed, it is new, or it imports (transitively)
 *     a file that changed, appeared or disappeared;
 *   - TypeScript errors, handler analysis and emitted JS of unaffected files come from the
 *     previous build (files holding a const route are always re-analysed: whether a const
 *     may be inlined depends on every use of it in the program);
 *   - prettier output is memoised by input (dispatch.js rarely changes on a handler edit);
 *   - compile() writes only files whose bytes changed, and cc runs only when routes.c did.
 *
 * A failed build changes nothing on disk; its caches are not updated either, so the next
 * good save recovers.
 */
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { ts } from "ts-morph";
import type { ProgramHost } from "./host.js";
import { analyze, type Analysis } from "./analyze.js";
import { emitApp, type AppEmit } from "./emit/app.js";
import { formatJs } from "./emit/format.js";
import { compile, type CompileHooks } from "./index.js";
import { loadProgram, typeErrors, type AppProgram } from "./project.js";
import type { AnalyzedRoute, CompileOptions, CompileResult, Diagnostic, OutFile, Plan, Registration } from "./types.js";

export interface RouteChanges {
  added: string[];
  removed: string[];
  /** "GET /x sync→async" */
  kindChanged: string[];
}

export interface BuildResult {
  result: CompileResult;
  /** Every file the build produced (in memory), when it succeeded. */
  files: OutFile[];
  /** Entry modules' emitted JS that do not import the generated server (what server.js imports). */
  entryJs: string[];
  /** Emitted JS the blocking pool's workers import (empty: no blocking routes). */
  blockingJs: string[];
  plan: Plan | null;
  /** Against the last successful build (everything is "added" on the first). */
  changes: RouteChanges;
  /** App files whose cached results were not reused. */
  affected: number;
  ms: number;
}

interface FileCache {
  text: string;
  typeErrors: Diagnostic[];
  /** Key of the file's registrations (what discover read) → their analysis. */
  analysisKey?: string;
  analysis?: { routes: AnalyzedRoute[]; diagnostics: Diagnostic[] };
  /** A const route of this file reads a binding declared outside its handler. */
  constReadsOutside?: boolean;
  emit?: { files: OutFile[]; js?: string };
}

export class IncrementalCompiler {
  private host: ProgramHost | undefined;
  private program: ts.Program | undefined;
  private cache = new Map<string, FileCache>();
  /** Files whose results the build in progress must not take from the cache. */
  private affected = new Set<string>();
  private formatted = new Map<string, string>();
  private lastRoutes = new Map<string, string>();
  /** App files of the last program (to watch). */
  files: string[] = [];

  constructor(
    readonly options: CompileOptions,
    /** Hooks the incremental ones do not cover (dev mode's cc). */
    private readonly extraHooks: Pick<CompileHooks, "compileRoutes"> = {},
  ) {}

  /** Files changed on disk (any path; those not in the program are ignored). */
  invalidate(changed: Iterable<string>): void {
    this.host?.invalidate(changed);
  }

  /** Drops the warm project (tsconfig changed): the next build is cold. */
  reset(): void {
    this.host = undefined;
    this.program = undefined;
    this.cache.clear();
  }

  async build(): Promise<BuildResult> {
    const start = performance.now();
    let files: OutFile[] = [];
    let entryJs: string[] = [];
    let blockingJs: string[] = [];
    let plan: Plan | null = null;
    let newCache: Map<string, FileCache> | undefined;
    let affectedCount = 0;
    const hooks: CompileHooks = {
      ...this.extraHooks,
      loadProgram: (entries, outDir, tsconfig) => {
        const loaded = loadProgram(entries, outDir, tsconfig, this.host);
        if (loaded.app) {
          this.host = loaded.app.host;
          this.program = loaded.app.program;
          newCache = this.computeAffected(loaded.app);
          affectedCount = this.affected.size;
        }
        return loaded;
      },
      typeErrors: (app) => this.typeErrors(app, newCache!),
      analyze: (app, regs, opts) => this.analyze(app, regs, opts, newCache!),
      emitApp: (app) => this.emitApp(app, newCache!),
      formatJs: async (code, parser = "babel") => {
        const key = `${parser}\0${code}`;
        const hit = this.formatted.get(key);
        if (hit !== undefined) return hit;
        const out = await formatJs(code, parser);
        if (this.formatted.size > 16) this.formatted.clear();
        this.formatted.set(key, out);
        return out;
      },
      output: (all, info) => {
        files = all;
        entryJs = info.entryJs;
        blockingJs = info.blockingJs;
        plan = info.plan;
      },
    };
    const result = await compile(this.options, hooks);
    if (this.program) {
      this.files = this.program
        .getSourceFiles()
        .filter((f) => !f.isDeclarationFile && !/[\\/]node_modules[\\/]/.test(f.fileName))
        .map((f) => path.resolve(f.fileName));
    }
    let changes: RouteChanges = { added: [], removed: [], kindChanged: [] };
    if (result.ok) {
      if (newCache) this.cache = newCache;
      const next = new Map(result.routes.map((r) => [`${r.method} ${r.path}`, r.kind as string]));
      changes = diffRoutes(this.lastRoutes, next);
      this.lastRoutes = next;
    }
    return { result, files, entryJs, blockingJs, plan, changes, affected: affectedCount, ms: performance.now() - start };
  }

  /** Which app files changed (by text) or depend on one that did; seeds the next cache. */
  private computeAffected(app: AppProgram): Map<string, FileCache> {
    const byName = new Map(app.appFiles.map((sf) => [sf.fileName, sf]));
    const changed = new Set<string>();
    for (const sf of app.appFiles) {
      const old = this.cache.get(sf.fileName);
      if (!old || old.text !== sf.text) changed.add(sf.fileName);
    }
    for (const name of this.cache.keys()) if (!byName.has(name)) changed.add(name); // deleted
    // Reverse import graph: file → files importing it.
    const importers = new Map<string, string[]>();
    for (const sf of app.appFiles) {
      for (const dep of moduleDeps(sf, app)) {
        let list = importers.get(dep);
        if (!list) importers.set(dep, (list = []));
        list.push(sf.fileName);
      }
    }
    // A changed script (no import/export) or global augmentation can change any file's types.
    const global = [...changed].some((f) => {
      const sf = byName.get(f);
      return !sf || !ts.isExternalModule(sf) || /\bdeclare\s+global\b/.test(sf.text);
    });
    const affected = new Set<string>(global && this.cache.size ? byName.keys() : []);
    const stack = [...changed];
    while (stack.length) {
      const f = stack.pop()!;
      if (affected.has(f)) continue;
      affected.add(f);
      for (const i of importers.get(f) ?? []) stack.push(i);
    }
    this.affected = new Set([...affected].filter((f) => byName.has(f)));
    const next = new Map<string, FileCache>();
    for (const sf of app.appFiles) {
      const old = this.cache.get(sf.fileName);
      next.set(sf.fileName, !this.affected.has(sf.fileName) && old ? { ...old } : { text: sf.text, typeErrors: [] });
    }
    return next;
  }

  private typeErrors(app: AppProgram, next: Map<string, FileCache>): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const sf of app.appFiles) {
      const entry = next.get(sf.fileName)!;
      if (this.affected.has(sf.fileName)) entry.typeErrors = typeErrors({ ...app, appFiles: [sf] });
      out.push(...entry.typeErrors);
    }
    return out;
  }

  private analyze(
    app: AppProgram,
    regs: Registration[],
    opts: { constRoutes: boolean } | undefined,
    next: Map<string, FileCache>,
  ): Analysis {
    const byFile = new Map<string, Registration[]>();
    for (const r of regs) {
      const f = r.call.file;
      let list = byFile.get(f);
      if (!list) byFile.set(f, (list = []));
      list.push(r);
    }
    const keyOf = (list: Registration[]) =>
      JSON.stringify(
        list.map((r) => [
          r.method,
          r.path,
          r.params,
          r.call,
          r.handlerSpan,
          r.pathSpan,
          r.blocking,
          // The chain can change from another file (an app.use there): part of the key.
          r.middleware.map((m) => m.span),
          r.onError?.span ?? null,
        ]),
      );
    const fresh: Registration[] = [];
    const reuse = new Map<string, { routes: AnalyzedRoute[]; diagnostics: Diagnostic[] }>();
    for (const [file, list] of byFile) {
      const entry = next.get(file);
      const key = keyOf(list);
      const cached = entry?.analysis;
      if (
        entry &&
        cached &&
        !this.affected.has(file) &&
        entry.analysisKey === key &&
        !entry.constReadsOutside
      ) {
        reuse.set(file, cached);
      } else fresh.push(...list);
    }
    const computed = fresh.length ? analyze(app, fresh, opts) : { routes: [], diagnostics: [] };
    // Split the fresh analysis back per file (for the cache), then rebuild registration order.
    const perFile = new Map<string, { routes: AnalyzedRoute[]; diagnostics: Diagnostic[] }>();
    const slot = (f: string) => {
      let v = perFile.get(f);
      if (!v) perFile.set(f, (v = { routes: [], diagnostics: [] }));
      return v;
    };
    for (const r of computed.routes) slot(r.call.file).routes.push(r);
    const loose: Diagnostic[] = [];
    for (const d of computed.diagnostics) {
      if (d.span && byFile.has(d.span.file)) slot(d.span.file).diagnostics.push(d);
      else loose.push(d);
    }
    const constCalls = new Set(computed.routes.filter((r) => r.kind === "const").map((r) => `${r.call.file}:${r.call.start}`));
    for (const [file, list] of byFile) {
      const entry = next.get(file);
      if (entry && !reuse.has(file)) {
        entry.analysisKey = keyOf(list);
        entry.analysis = perFile.get(file) ?? { routes: [], diagnostics: [] };
        entry.constReadsOutside = list.some(
          (r) => constCalls.has(`${r.call.file}:${r.call.start}`) && readsOutside(r.handler, app.checker),
        );
      }
    }
    const spanKey = (s: { file: string; start: number }) => `${s.file}:${s.start}`;
    const routeOf = new Map<string, AnalyzedRoute>();
    const diagnostics: Diagnostic[] = [...loose];
    for (const file of byFile.keys()) {
      const a = reuse.get(file) ?? perFile.get(file);
      if (!a) continue;
      for (const r of a.routes) routeOf.set(spanKey(r.call), r);
      diagnostics.push(...a.diagnostics);
    }
    const routes: AnalyzedRoute[] = [];
    for (const r of regs) {
      const a = routeOf.get(spanKey(r.call));
      if (a) routes.push(a);
    }
    return { routes, diagnostics };
  }

  private emitApp(app: AppProgram, next: Map<string, FileCache>): AppEmit {
    const files: OutFile[] = [];
    const jsOf = new Map<string, string>();
    const diagnostics: Diagnostic[] = [];
    for (const sf of app.appFiles) {
      const entry = next.get(sf.fileName)!;
      if (this.affected.has(sf.fileName) || !entry.emit) {
        const one = emitApp({ ...app, appFiles: [sf] });
        diagnostics.push(...one.diagnostics);
        entry.emit = { files: one.files, js: one.jsOf.get(sf.fileName) };
      }
      files.push(...entry.emit.files);
      if (entry.emit.js) jsOf.set(sf.fileName, entry.emit.js);
    }
    return { files, jsOf, diagnostics };
  }
}

/**
 * True when `handler` refers to a binding declared outside itself in the app (not in a
 * declaration file): whether such a const route stays const depends on other code.
 */
function readsOutside(handler: ts.Node, checker: ts.TypeChecker): boolean {
  const sf = handler.getSourceFile();
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n)) {
      const sym = checker.getSymbolAtLocation(n);
      for (const d of sym?.declarations ?? []) {
        const dsf = d.getSourceFile();
        if (dsf.isDeclarationFile) continue;
        if (dsf === sf && d.pos >= handler.pos && d.end <= handler.end) continue;
        found = true;
      }
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(handler);
  return found;
}

/** App files whose bindings `sf` imports (import … from, export … from, import x = require()). */
function moduleDeps(sf: ts.SourceFile, app: AppProgram): string[] {
  const out: string[] = [];
  const program = app.program as ts.Program & {
    getResolvedModuleFromModuleSpecifier?: (
      spec: ts.StringLiteralLike,
      sf: ts.SourceFile,
    ) => { resolvedModule?: { resolvedFileName: string } } | undefined;
  };
  const add = (spec: ts.Expression | undefined) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    let target = program.getResolvedModuleFromModuleSpecifier?.(spec, sf)?.resolvedModule?.resolvedFileName;
    if (!target) {
      const decl = app.checker.getSymbolAtLocation(spec)?.valueDeclaration;
      if (decl && ts.isSourceFile(decl)) target = decl.fileName;
    }
    if (target) out.push(target);
    else out.push(path.posix.join(path.posix.dirname(sf.fileName), spec.text)); // unresolved
  };
  for (const st of sf.statements) {
    // `import "./m.js"` binds nothing: a change in m cannot change this file's types.
    if (ts.isImportDeclaration(st) && !st.importClause) continue;
    if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) add(st.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference)) {
      add(st.moduleReference.expression);
    }
  }
  return out;
}

export function diffRoutes(before: Map<string, string>, after: Map<string, string>): RouteChanges {
  const added: string[] = [];
  const removed: string[] = [];
  const kindChanged: string[] = [];
  for (const [k, kind] of after) {
    const old = before.get(k);
    if (old === undefined) added.push(`${k} (${kind})`);
    else if (old !== kind) kindChanged.push(`${k} ${old}→${kind}`);
  }
  for (const k of before.keys()) if (!after.has(k)) removed.push(k);
  return { added, removed, kindChanged };
}
