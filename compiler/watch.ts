/**
 * Watch mode's loop, shared by `catzilla-compile --watch` and `catzilla dev`: a cold build
 * by the IncrementalCompiler (incremental.ts), then one rebuild per batch of saved files
 * (fs.watch per directory), each reported on one line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { IncrementalCompiler, type BuildResult, type RouteChanges } from "./incremental.js";
import { formatDiagnostic } from "./diagnostics.js";
import { plural, printDiagnostics, printRoutes } from "./report.js";
import type { CompileOptions, Diagnostic } from "./types.js";

/** "+GET /a (sync), -POST /b, GET /c sync→async" or "no route changes". */
export function describeChanges(c: RouteChanges, first: boolean): string {
  if (first) return plural(c.added.length, "route");
  const parts = [...c.added.map((a) => `+${a}`), ...c.removed.map((r) => `-${r}`), ...c.kindChanged];
  if (parts.length === 0) return "no route changes";
  const shown = parts.slice(0, 8).join(", ");
  return parts.length > 8 ? `${shown}, … (${parts.length} changes)` : shown;
}

/**
 * What a rebuild prints of `diagnostics`: every error, and the warnings not printed before
 * (`shown`: the formatted warnings of earlier builds, still reported). A warning whose
 * message, place or code frame changed is a new one. `keys`: this build's warnings.
 */
export function unseenDiagnostics(
  diagnostics: readonly Diagnostic[],
  cwd: string,
  shown: ReadonlySet<string>,
): { print: Diagnostic[]; keys: Set<string> } {
  const keys = new Set<string>();
  const print = diagnostics.filter((d) => {
    if (d.severity !== "warning") return true;
    const key = formatDiagnostic(d, cwd);
    keys.add(key);
    return !shown.has(key);
  });
  return { print, keys };
}

export interface WatchHandle {
  close(): void;
}

/**
 * Calls `onChange(paths)` (debounced, coalesced) when a file in one of `dirs()` changes.
 * fs.watch per directory (non-recursive); the set of directories is re-read after each
 * call so new folders of the app are picked up.
 */
export function watchDirs(
  dirs: () => string[],
  filter: (file: string) => boolean,
  onChange: (files: string[]) => Promise<void>,
  debounceMs = 15,
): WatchHandle & { refresh(): void } {
  const watchers = new Map<string, fs.FSWatcher>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closed = false;
  const fire = async () => {
    timer = undefined;
    if (running || closed) return;
    running = true;
    const batch = pending;
    pending = new Set();
    try {
      await onChange([...batch]);
    } finally {
      running = false;
      if (!closed) refresh();
      if (pending.size && !closed) timer = setTimeout(fire, debounceMs);
    }
  };
  const refresh = () => {
    const want = new Set(dirs().filter((d) => fs.existsSync(d)));
    for (const [d, w] of watchers) {
      if (!want.has(d)) {
        w.close();
        watchers.delete(d);
      }
    }
    for (const d of want) {
      if (watchers.has(d)) continue;
      try {
        const w = fs.watch(d, { persistent: true }, (_event, name) => {
          if (!name) return;
          const file = path.join(d, name.toString());
          if (!filter(file)) return;
          pending.add(file);
          if (timer) clearTimeout(timer);
          timer = setTimeout(fire, debounceMs);
        });
        w.on("error", () => {
          w.close();
          watchers.delete(d);
        });
        watchers.set(d, w);
      } catch {
        // The directory vanished between existsSync and watch: the next refresh retries.
      }
    }
  };
  refresh();
  return {
    refresh,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

/** Source files the watcher reacts to: TypeScript, not declarations, not under `outDir`. */
export function isWatchedSource(file: string, outDir: string): boolean {
  if (!/\.(c|m)?tsx?$/.test(file) || /\.d\.(c|m)?ts$/.test(file)) return false;
  const rel = path.relative(outDir, file);
  return rel.startsWith("..") || path.isAbsolute(rel);
}

/** Directories to watch: those of the program's app files, the entries' and the tsconfig's. */
export function dirsOf(files: string[]): string[] {
  return [...new Set(files.map((f) => path.dirname(f)))];
}

export interface WatchLoopOptions {
  compile: CompileOptions;
  cwd: string;
  /** Printed before each line, e.g. "catzilla-compile" or "catzilla dev". */
  label: string;
  quiet?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** After each successful build (not called for failed ones); may throw to report a failure. */
  onBuild?: (b: BuildResult, first: boolean) => Promise<string | void>;
  /** What builds (default: a new IncrementalCompiler for `compile`); dev mode's has its own cc flags. */
  compiler?: IncrementalCompiler;
}

export interface WatchLoop {
  /** Resolves after the first build (ok or not). */
  ready: Promise<BuildResult>;
  close(): void;
}

/**
 * The watch loop shared by `catzilla-compile --watch` and `catzilla dev`: a cold build,
 * then one rebuild per batch of changes, each reported on one line.
 */
export function watchLoop(o: WatchLoopOptions): WatchLoop {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const compiler = o.compiler ?? new IncrementalCompiler(o.compile);
  const outDir = path.resolve(o.cwd, o.compile.outDir);
  const tsconfig = o.compile.tsconfig ? path.resolve(o.cwd, o.compile.tsconfig) : undefined;
  const entries = o.compile.entries.map((e) => path.resolve(o.cwd, e));
  let first = true;
  let everOk = false;
  /** Warnings already printed (formatted); a rebuild prints only the others. */
  let shown = new Set<string>();
  const stamp = () => new Date().toISOString().slice(11, 19);

  const run = async (changed: string[]): Promise<BuildResult> => {
    if (tsconfig && changed.includes(tsconfig)) compiler.reset();
    else compiler.invalidate(changed);
    const b = await compiler.build();
    const r = b.result;
    const { print, keys } = unseenDiagnostics(r.diagnostics, o.cwd, shown);
    const { errors } = printDiagnostics(print, o.cwd, err);
    // A failed build may stop before the passes that warn: it forgets nothing printed.
    shown = r.ok ? keys : new Set([...shown, ...keys]);
    const warnings = r.diagnostics.filter((d) => d.severity === "warning");
    const unchanged = print.every((d) => d.severity !== "warning");
    const ms = Math.round(b.ms);
    if (!r.ok) {
      err.write(
        `[${stamp()}] ${o.label}: build failed (${plural(errors.length, "error")}) in ${ms} ms; ` +
          `${everOk ? "the previous version stays" : "nothing was written"}. Waiting for changes…\n`,
      );
      first = false;
      return b;
    }
    if (first && !o.quiet) printRoutes(r.routes, o.cwd, out);
    let extra = "";
    try {
      const said = await o.onBuild?.(b, !everOk);
      if (said) extra = `; ${said}`;
    } catch (e) {
      err.write(`[${stamp()}] ${o.label}: ${(e as Error).message}\n`);
      first = false;
      return b;
    }
    const w = warnings.length ? `, ${plural(warnings.length, "warning")}${unchanged ? " (printed before)" : ""}` : "";
    const what = describeChanges(b.changes, !everOk);
    const verb = everOk ? "rebuilt" : "compiled";
    const written = plural(r.filesWritten.length, "file");
    // CATZILLA_TIMINGS=1: each pass's milliseconds too (where a slow rebuild went).
    const t = process.env.CATZILLA_TIMINGS ? ` ${JSON.stringify(r.timings)}` : "";
    out.write(`[${stamp()}] ${o.label}: ${verb} in ${ms} ms: ${what} (${written} written${w})${extra}${t}\n`);
    everOk = true;
    first = false;
    return b;
  };

  // Builds run one at a time; the watcher starts before the first one, so a save during
  // the cold build is not missed (it queues a rebuild).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (changed: string[]): Promise<BuildResult> => {
    const next = queue.then(() => run(changed));
    queue = next.catch(() => undefined);
    return next;
  };
  const watcher = watchDirs(
    () => dirsOf([...compiler.files, ...entries, ...(tsconfig ? [tsconfig] : [])]),
    (f) => (tsconfig !== undefined && f === tsconfig) || isWatchedSource(f, outDir),
    async (files) => {
      await serial(files);
    },
  );
  const ready = serial([]).then((b) => {
    watcher.refresh();
    return b;
  });
  return {
    ready,
    close() {
      watcher.close();
    },
  };
}
