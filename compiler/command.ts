/**
 * What `catzilla-compile` and `catzilla dev` share as commands: the command-line syntax
 * (positional entry files, options with a value: `--out dir`, `--out=dir`, `-o dir`, and
 * flags: `--quiet`, `-q`; each tool lists its own options, the long name first), which
 * tsconfig they compile with, and how a long-running one stops.
 */
import * as path from "node:path";
import { relPosix } from "./diagnostics.js";
import { findTsconfig } from "./layout.js";

export interface OptionNames<V extends string, F extends string> {
  values: Record<V, readonly string[]>;
  flags: Record<F, readonly string[]>;
}

export interface ParsedArgv<V extends string, F extends string> {
  entries: string[];
  values: Partial<Record<V, string>>;
  flags: Partial<Record<F, true>>;
}

/** The parsed command line, or what is wrong with it (the first problem, in words). */
export function parseArgv<V extends string, F extends string>(
  argv: readonly string[],
  names: OptionNames<V, F>,
): ParsedArgv<V, F> | string {
  const out: ParsedArgv<V, F> = { entries: [], values: {}, flags: {} };
  const valueKeys = Object.keys(names.values) as V[];
  const flagKeys = Object.keys(names.flags) as F[];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = valueKeys.find((k) => names.values[k].includes(a));
    if (value !== undefined) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) return `${a} needs a value`;
      out.values[value] = v;
      continue;
    }
    const inline = valueKeys.find((k) => a.startsWith(`${names.values[k][0]}=`));
    if (inline !== undefined) {
      out.values[inline] = a.slice(names.values[inline][0].length + 1);
      continue;
    }
    const flag = flagKeys.find((k) => names.flags[k].includes(a));
    if (flag !== undefined) out.flags[flag] = true;
    else if (a.startsWith("-")) return `unknown option ${a}`;
    else out.entries.push(a);
  }
  return out;
}

/** Resolves on the first SIGINT or SIGTERM, after `stop()` has run. */
export function untilSignal(stop: () => void | Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        void Promise.resolve(stop()).then(() => resolve());
      });
    }
  });
}

/**
 * The tsconfig a command compiles with: `--tsconfig` as given, else the one found for the
 * entries (layout.ts `findTsconfig`), named once on stdout unless quiet; false for none.
 * Found once per command, not by each compile(), so watch mode watches that file.
 */
export function commandTsconfig(given: string | undefined, entries: string[], cwd: string, label: string, quiet: boolean): string | false {
  if (given !== undefined) return given;
  const found = findTsconfig(entries.map((e) => path.resolve(cwd, e)));
  if (found === undefined) return false;
  if (!quiet) process.stdout.write(`${label}: using ${relPosix(cwd, found)}\n`);
  return found;
}
