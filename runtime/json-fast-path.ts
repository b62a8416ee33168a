/**
 * V8's iterative JSON.stringify fast path (v8.dev/blog/json-stringify) is on by default from
 * V8 13.8 (Node 25 and later). Node 24 LTS ships V8 13.6, where the same code exists behind
 * `--json-stringify-fast-path`, off. Most of a large JSON response's CPU is JSON.stringify
 * (bench/RESULTS.md, GET /users), so a server turns the flag on there, once, at start-up.
 *
 * It changes no output: test/runtime/json-fast-path.test.ts stringifies the same 200,000
 * generated values (escapes, surrogates, -0, toJSON, getters, proxies, holes…) with and
 * without it and compares; the one difference is that nesting too deep for the recursive
 * path (a RangeError there) is serialized. Opt out with `listen({ jsonFastPath: false })` or
 * `node --no-json-stringify-fast-path`; the flag is process-wide (V8 has no per-call switch).
 */
import * as v8 from "node:v8";

const FLAG = "json-stringify-fast-path";

/** V8 versions that have the flag but leave it off: 13.6 and 13.7 (13.8 turned it on). */
export function hasOffByDefaultFastPath(v8Version: string = process.versions.v8): boolean {
  const [major, minor] = v8Version.split(".").map(Number);
  return major === 13 && minor >= 6 && minor < 8;
}

/** True when the process was started with an explicit choice (`--[no-]json-stringify-fast-path`). */
function chosenByUser(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return args.some((a) => a.replace(/_/g, "-").replace(/^--no-/, "--") === `--${FLAG}`);
}

let applied = false;

/**
 * Turns the fast path on where V8 has it off by default, unless the user chose. Returns
 * whether this call turned it on.
 */
export function enableJsonFastPath(): boolean {
  if (applied || !hasOffByDefaultFastPath() || chosenByUser()) return false;
  v8.setFlagsFromString(`--${FLAG}`);
  applied = true;
  return true;
}
