/**
 * Another commit of this package, built beside this one, for A/B runs (bench/ab.mjs,
 * bench/perf/run.mjs --base): its files from `git archive`, this checkout's node_modules,
 * and its own TypeScript build and native addon (an ABI change between the two must not
 * load one's addon under the other's runtime).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT, TMP } from "./servers.mjs";

/** Runs a command to completion; throws with its output when it fails. Returns stdout, trimmed. */
export function sh(cmd, args, cwd = ROOT, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** `tsc -p tsconfig.json` in the package at `dir`. */
export function buildTs(dir) {
  sh(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir);
}

/** The package at `commit`, under bench/.tmp/base/<sha>, built once and reused. */
export function checkoutAt(commit) {
  const sha = sh("git", ["rev-parse", commit]);
  const dir = join(TMP, "base", sha.slice(0, 12));
  if (!existsSync(join(dir, "build", "Release", "catzilla.node"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tar = spawnSync("git", ["archive", sha], { cwd: ROOT, maxBuffer: 1 << 30 });
    if (tar.status !== 0) throw new Error(`git archive ${sha} failed: ${tar.stderr}`);
    const x = spawnSync("tar", ["-x", "-C", dir], { input: tar.stdout });
    if (x.status !== 0) throw new Error(`tar -x failed: ${x.stderr}`);
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    if (existsSync(join(dir, "scripts", "gen-abi.mjs"))) sh(process.execPath, ["scripts/gen-abi.mjs"], dir);
    buildTs(dir);
    sh(process.execPath, ["scripts/build-native.js"], dir);
  }
  return { sha, dir };
}

/** HEAD's short sha, and whether tracked files have uncommitted changes. */
export function headOf() {
  return {
    sha: sh("git", ["rev-parse", "--short=12", "HEAD"]),
    dirty: sh("git", ["status", "--porcelain", "--untracked-files=no"]) !== "",
  };
}
