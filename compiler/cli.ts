/**
 * catzilla-compile <entry.ts...> --out <dir> [--tsconfig file] [--no-const] [--quiet] [--watch]
 *
 * Prints each route (method, path, kind, file:line:col), every warning and error
 * (tsc-like, with a code frame) and the time taken. Exit 0 on success (warnings allowed),
 * 1 on any error, in which case nothing is written.
 *
 * Without --tsconfig, the tsconfig.json whose files include the entries is used, found from
 * the first entry's directory up (layout.ts `findTsconfig`); the CLI says which, once.
 */
import * as path from "node:path";
import { commandTsconfig, parseArgv, untilSignal } from "./command.js";
import { formatDiagnostic, relPosix } from "./diagnostics.js";
import { compile } from "./index.js";
import { plural, printDiagnostics, printRoutes, printStatics } from "./report.js";
import { watchLoop } from "./watch.js";

const USAGE = "usage: catzilla-compile <entry.ts...> --out <dir> [--tsconfig <file>] [--no-const] [--quiet] [--watch]";

interface Args {
  entries: string[];
  out?: string;
  tsconfig?: string;
  quiet: boolean;
  help: boolean;
  noConst: boolean;
  watch: boolean;
}

export function parseArgs(argv: string[]): Args | string {
  const p = parseArgv(argv, {
    values: { out: ["--out", "-o"], tsconfig: ["--tsconfig", "-p"] },
    flags: { quiet: ["--quiet", "-q"], noConst: ["--no-const"], watch: ["--watch", "-w"], help: ["--help", "-h"] },
  });
  if (typeof p === "string") return p;
  const { values: v, flags: f } = p;
  const args: Args = {
    entries: p.entries,
    out: v.out,
    tsconfig: v.tsconfig,
    quiet: f.quiet === true,
    help: f.help === true,
    noConst: f.noConst === true,
    watch: f.watch === true,
  };
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
  const tsconfig = commandTsconfig(args.tsconfig, args.entries, cwd, "catzilla-compile", args.quiet);
  const options = { entries: args.entries, outDir: args.out!, tsconfig, cwd, constRoutes: !args.noConst };
  if (args.watch) {
    // Rebuilds on every change until SIGINT/SIGTERM (compiler/watch.ts).
    const loop = watchLoop({ compile: options, cwd, label: "catzilla-compile", quiet: args.quiet });
    await loop.ready;
    await untilSignal(() => loop.close());
    return 0;
  }
  const result = await compile(options);
  if (result.ok && !args.quiet) printRoutes(result.routes, cwd, process.stdout);
  if (result.ok && !args.quiet && result.statics) printStatics(result.statics, cwd, process.stdout);
  const { errors, warnings } = printDiagnostics(result.diagnostics, cwd, process.stderr);
  // Notes (CZ2030): one line each, after the warnings.
  if (!args.quiet) for (const d of result.notes) process.stderr.write(formatDiagnostic(d, cwd));
  if (!result.ok) {
    process.stderr.write(`catzilla-compile: ${plural(errors.length, "error")}; nothing was written.\n`);
    return 1;
  }
  // CATZILLA_TIMINGS=1: each pass's milliseconds on stderr (bench/watch.mjs reads them).
  if (process.env.CATZILLA_TIMINGS) process.stderr.write(`catzilla-compile: timings ${JSON.stringify(result.timings)}\n`);
  if (!args.quiet) {
    const w = warnings.length ? ` (${plural(warnings.length, "warning")})` : "";
    const out = relPosix(cwd, path.resolve(cwd, args.out!));
    process.stdout.write(
      `compiled ${plural(result.routes.length, "route")} in ${Math.round(result.timings.total)} ms${w} → ${out}\n`,
    );
  }
  return 0;
}
