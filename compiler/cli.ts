/**
 * catzilla-compile <entry.ts...> --out <dir> [--tsconfig file] [--no-const] [--quiet] [--watch]
 *
 * Prints each route (method, path, kind, file:line:col), every warning and error
 * (tsc-like, with a code frame) and the time taken. Exit 0 on success (warnings allowed),
 * 1 on any error, in which case nothing is written.
 */
import * as path from "node:path";
import { formatDiagnostic, relPosix } from "./diagnostics.js";
import { compile } from "./index.js";
import { watchLoop } from "./watch.js";

const USAGE = "usage: catzilla-compile <entry.ts...> --out <dir> [--tsconfig <file>] [--no-const] [--quiet] [--watch]";

interface Args {
  entries: string[];
  out?: string;
  tsconfig?: string;
  quiet: boolean;
  help: boolean;
  noConst?: boolean;
  watch?: boolean;
}

export function parseArgs(argv: string[]): Args | string {
  const args: Args = { entries: [], quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--out" || a === "-o") args.out = value();
      else if (a.startsWith("--out=")) args.out = a.slice(6);
      else if (a === "--tsconfig" || a === "-p") args.tsconfig = value();
      else if (a.startsWith("--tsconfig=")) args.tsconfig = a.slice(11);
      else if (a === "--quiet" || a === "-q") args.quiet = true;
      else if (a === "--no-const") args.noConst = true;
      else if (a === "--watch" || a === "-w") args.watch = true;
      else if (a === "--help" || a === "-h") args.help = true;
      else if (a.startsWith("-")) return `unknown option ${a}`;
      else args.entries.push(a);
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (args.help) return args;
  if (!args.out) return "--out <dir> is required";
  if (args.entries.length === 0) return "at least one entry file is required";
  return args;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`catzilla-compile: ${args}\n${USAGE}\n`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cwd = process.cwd();
  if (args.watch) {
    // Rebuilds on every change until SIGINT/SIGTERM (compiler/watch.ts).
    const loop = watchLoop({
      compile: { entries: args.entries, outDir: args.out!, tsconfig: args.tsconfig, cwd, constRoutes: !args.noConst },
      cwd,
      label: "catzilla-compile",
      quiet: args.quiet,
    });
    await loop.ready;
    return new Promise<number>((resolve) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
          loop.close();
          resolve(0);
        });
      }
    });
  }
  const result = await compile({ entries: args.entries, outDir: args.out!, tsconfig: args.tsconfig, cwd, constRoutes: !args.noConst });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const warnings = result.diagnostics.filter((d) => d.severity === "warning");

  if (result.ok && !args.quiet) {
    const rows = result.routes.map((r) => [
      r.method,
      r.path,
      r.kind,
      `${relPosix(cwd, r.span.file)}:${r.span.line}:${r.span.col}`,
    ]);
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
    for (const row of rows) {
      process.stdout.write(
        `  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padEnd(widths[2])}  ${row[3]}\n`,
      );
    }
  }
  for (const d of [...errors, ...warnings]) process.stderr.write(formatDiagnostic(d, cwd) + "\n");
  if (!args.quiet) for (const d of result.notes) process.stderr.write(formatDiagnostic(d, cwd));
  if (!result.ok) {
    const n = errors.length;
    process.stderr.write(`catzilla-compile: ${n} error${n === 1 ? "" : "s"}; nothing was written.\n`);
    return 1;
  }
  // CATZILLA_TIMINGS=1: each pass's milliseconds on stderr (bench/watch.mjs reads them).
  if (process.env.CATZILLA_TIMINGS) process.stderr.write(`catzilla-compile: timings ${JSON.stringify(result.timings)}\n`);
  if (!args.quiet) {
    const w = warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? "" : "s"})` : "";
    const n = result.routes.length;
    const out = relPosix(cwd, path.resolve(cwd, args.out!));
    process.stdout.write(
      `compiled ${n} route${n === 1 ? "" : "s"} in ${Math.round(result.timings.total)} ms${w} → ${out}\n`,
    );
  }
  return 0;
}
