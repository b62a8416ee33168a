/** What the command-line tools (`catzilla-compile`, its --watch, `catzilla dev`) print. */
import { formatDiagnostic, relPosix } from "./diagnostics.js";
import type { Diagnostic, RouteSummary, StaticRecord } from "./types.js";

/** "1 route", "2 routes". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * One aligned line per route: method, path, kind, file:line:col of the handler (relative to
 * `cwd`); a route with middleware gets a second line listing its chain, outer → inner.
 */
export function printRoutes(routes: readonly RouteSummary[], cwd: string, out: NodeJS.WritableStream): void {
  const rows = routes.map((r) => [r.method, r.path, r.kind, `${relPosix(cwd, r.span.file)}:${r.span.line}:${r.span.col}`]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  rows.forEach((row, k) => {
    out.write(`  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padEnd(widths[2])}  ${row[3]}\n`);
    const chain = routes[k].middleware ?? [];
    if (chain.length > 0) out.write(`  ${"".padEnd(widths[0])}  └ middleware: ${chain.map((m) => m.split(" ")[0]).join(" → ")}\n`);
  });
}

/** One line per static mount, under the routes: "STATIC", prefix, the directory, where it is mounted. */
export function printStatics(statics: readonly StaticRecord[], cwd: string, out: NodeJS.WritableStream): void {
  const rows = statics.map((s) => [
    "STATIC",
    s.prefix ?? "(dynamic)",
    `→ ${s.dir ?? "(dynamic)"}`,
    `${relPosix(cwd, s.span.file)}:${s.span.line}:${s.span.col}`,
  ]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) {
    out.write(`  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padEnd(widths[2])}  ${row[3]}\n`);
  }
}

/** Errors first, then warnings, tsc-like; returns both lists (the callers count them). */
export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  cwd: string,
  err: NodeJS.WritableStream,
): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  for (const d of [...errors, ...warnings]) err.write(formatDiagnostic(d, cwd) + "\n");
  return { errors, warnings };
}
