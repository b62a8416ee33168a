/**
 * Installs this checkout into a generated project without the network, as `npm install`
 * would from the registry: `npm pack` makes the tarball a user would get (so package.json's
 * "files" are what is tested), and `npm ci --offline` installs it and its dependencies from
 * npm's cache, which the repository's own install filled.
 *
 * `npm ci` needs a lockfile, and `--offline` needs one with each package's tarball URL (a
 * range or a bare version would need the registry's package document, which the cache may
 * hold under other request headers): the project's lockfile is the closure of what it
 * depends on in the repository's own package-lock.json, resolved as Node resolves, with the
 * catzilla tarball in front. The versions are the ones the repository is tested with.
 *
 * The native addon is reused from the checkout's build (`--ignore-scripts`): building it
 * again is the install script's job and takes longer than the rest of the test.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [k: string]: unknown;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** The children's environment: no npm_* variables of an `npm test` that runs this suite. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

/** npm's stdout; rejects with its stderr (run asynchronously: the test worker must keep answering vitest). */
async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await promisify(execFile)("npm", args, { cwd, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
  return stdout;
}

/** `npm pack` of the checkout into `dest`; the tarball's path. */
export async function packCheckout(root: string, dest: string): Promise<string> {
  const name = (await npm(["pack", "--silent", "--ignore-scripts", "--pack-destination", dest], root)).trim().split("\n").pop()!;
  return path.join(dest, name);
}

/** Where `name` resolves from the package at lockfile key `from` ("" for the root). */
function resolveKey(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const key = `${dir ? dir + "/" : ""}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
}

/**
 * package-lock.json for `project` (its package.json's catzilla dependency already `file:` the
 * tarball): every package reachable from catzilla's dependencies and the project's own, as
 * the repository's lockfile has them.
 */
export function offlineLock(root: string, project: PackageJson, tarball: string, registry: string): object {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const self = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageJson;
  const repo = lock.packages;
  const out: Record<string, LockEntry> = {};
  const queue: string[] = [];
  const add = (from: string, name: string) => {
    const key = resolveKey(repo, from, name);
    if (key === undefined || out[key]) return; // an optional dependency for another platform
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = repo[key];
    const pkg = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    entry.resolved ??= `${registry.replace(/\/$/, "")}/${pkg}/-/${pkg.split("/").pop()}-${entry.version}.tgz`;
    out[key] = entry;
    queue.push(key);
  };
  for (const name of Object.keys(self.dependencies ?? {})) add("", name);
  for (const name of Object.keys({ ...project.dependencies, ...project.devDependencies })) if (name !== "catzilla") add("", name);
  while (queue.length > 0) {
    const key = queue.shift()!;
    for (const name of Object.keys({ ...repo[key].dependencies, ...repo[key].optionalDependencies })) add(key, name);
  }
  const integrity = "sha512-" + createHash("sha512").update(fs.readFileSync(tarball)).digest("base64");
  const packages: Record<string, unknown> = {
    "": { name: project.name, version: project.version, dependencies: project.dependencies, devDependencies: project.devDependencies },
    "node_modules/catzilla": {
      version: self.version,
      resolved: project.dependencies!.catzilla,
      integrity,
      hasInstallScript: true,
      dependencies: self.dependencies,
      bin: self.bin,
      engines: self.engines,
    },
  };
  for (const key of Object.keys(out).sort()) packages[key] = out[key];
  return { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages };
}

/** Installs the packed checkout into `dir` from npm's cache only; reuses the checkout's addon. */
export async function installOffline(root: string, dir: string, tarball: string): Promise<void> {
  const pjFile = path.join(dir, "package.json");
  const project = JSON.parse(fs.readFileSync(pjFile, "utf8")) as PackageJson;
  project.dependencies = { ...project.dependencies, catzilla: `file:${path.relative(dir, tarball)}` };
  fs.writeFileSync(pjFile, JSON.stringify(project, null, 2) + "\n");
  const registry = (await npm(["config", "get", "registry"], dir)).trim();
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(offlineLock(root, project, tarball, registry), null, 2) + "\n");
  await npm(["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  const addon = path.join("build", "Release", "catzilla.node");
  fs.mkdirSync(path.dirname(path.join(dir, "node_modules", "catzilla", addon)), { recursive: true });
  fs.copyFileSync(path.join(root, addon), path.join(dir, "node_modules", "catzilla", addon));
}
