// The benchmark servers: how each is built, found, started (pinned to one core) and what
// every route must answer. Shared by bench/run.mjs and test/bench-servers.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive, pinned, spawnTracked, stopChild } from "./procs.mjs";
import { freePort, sleep } from "./util.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BENCH = join(ROOT, "bench");
export const TMP = join(BENCH, ".tmp");

const CT_JSON = "application/json";
const CT_TEXT = "text/plain; charset=utf-8";
const HELLO_JSON = '{"message":"Hello, World!"}';

/** Route name → request path and the exact answer every server must give. */
export const ROUTES = {
  plaintext: { path: "/plaintext", status: 200, contentType: CT_TEXT, body: "Hello, World!" },
  json: { path: "/json", status: 200, contentType: CT_JSON, body: HELLO_JSON },
  async: { path: "/async", status: 200, contentType: CT_JSON, body: HELLO_JSON },
  user: { path: "/user/123", status: 200, contentType: CT_JSON, body: '{"id":"123"}', label: "/user/:id" },
  const: { path: "/const", status: 200, contentType: CT_JSON, body: HELLO_JSON },
};
export const routeLabel = (r) => ROUTES[r].label ?? ROUTES[r].path;

const COMMON = ["plaintext", "json", "async", "user"];

/**
 * Server definitions. `cmd`/`args` run under `taskset -c <cpu>`; the pid taskset execs
 * into is the server's own, so /proc/<pid> measures the server. The Node-run servers run on
 * `nodeBin` (bench/run.mjs --node).
 */
export function serverDefs({ bunBin, plainCBin, nodeBin = process.execPath } = {}) {
  return [
    {
      name: "catzilla",
      label: "Catzilla",
      cmd: nodeBin,
      args: [join(BENCH, "app", "main.js")],
      routes: [...COMMON, "const"],
    },
    { name: "node-http", label: "node:http", cmd: nodeBin, args: [join(BENCH, "servers", "node-http.mjs")], routes: COMMON },
    { name: "fastify", label: "Fastify", cmd: nodeBin, args: [join(BENCH, "servers", "fastify.mjs")], routes: COMMON },
    { name: "bun", label: "Bun.serve", cmd: bunBin, args: [join(BENCH, "servers", "bun.mjs")], routes: COMMON },
    // The plain C server answers /const with the same fixed bytes as /json: the baseline for const routes.
    { name: "plain-c", label: "plain C (libuv+llhttp)", cmd: plainCBin, args: [], routes: [...COMMON, "const"] },
  ];
}

/** The servers that run on Node, and so are measured again on each `--node` version beside the first. */
export const NODE_SERVERS = ["catzilla", "node-http", "fastify"];

/**
 * The Node-run servers on another Node, measured in the same interleaved matrix as the main
 * ones: named `<server>@node<major>`, with `base` naming the main server they compare with.
 */
export function besideDefs(nodeBin, major) {
  return serverDefs({ nodeBin })
    .filter((d) => NODE_SERVERS.includes(d.name))
    .map((d) => ({ ...d, name: `${d.name}@node${major}`, label: `${d.label} (Node ${major})`, base: d.name, nodeMajor: major }));
}

// ---- building and finding ------------------------------------------------------------

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: ROOT, ...opts });
  return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(), error: r.error };
}

/**
 * Installs libuv1-dev when its header is missing and we may (root, apt-get present).
 * Returns a note describing what happened, or undefined.
 */
export function ensureLibuvDev({ install = true } = {}) {
  if (existsSync("/usr/include/uv.h")) return undefined;
  if (!install) return "libuv1-dev is not installed";
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ["sudo", "-n"];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const up = run(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(root ? [] : ["apt-get"]), "update", "-qq"], { env });
  const inst = run(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(root ? [] : ["apt-get"]), "install", "-y", "-qq", "libuv1-dev"], { env });
  if (!inst.ok) return `apt-get install libuv1-dev failed: ${up.out}\n${inst.out}`.trim();
  return "installed libuv1-dev";
}

/** llhttp 9, as the addon links it (scripts/fetch-llhttp.sh). */
const LLHTTP_DIR = join(BENCH, "..", "native", "deps", "llhttp");
const LLHTTP_LIB = join(LLHTTP_DIR, "libllhttp.a");

/**
 * Builds bench/plain-c/server.c into bench/.tmp/plain-c/server (only when stale).
 * Uses Debian's libuv1-dev; without it (and with install false) it falls back to Node's
 * own uv.h and the libuv1 runtime library, which keeps the same 1.x ABI.
 */
export function buildPlainC({ install = true } = {}) {
  const src = join(BENCH, "plain-c", "server.c");
  const outDir = join(TMP, "plain-c");
  const bin = join(outDir, "server");
  const notes = [];
  if (!existsSync(LLHTTP_LIB)) {
    throw new Error("llhttp missing: run bash scripts/setup.sh (scripts/fetch-llhttp.sh brings it)");
  }
  const note = ensureLibuvDev({ install });
  if (note) notes.push(note);
  const newest = Math.max(...[src, LLHTTP_LIB].map((f) => statSync(f).mtimeMs));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return { bin, notes };
  mkdirSync(outDir, { recursive: true });
  let link;
  if (existsSync("/usr/include/uv.h")) link = ["-luv"];
  else {
    const rt = ["/usr/lib/x86_64-linux-gnu/libuv.so.1", "/usr/lib/aarch64-linux-gnu/libuv.so.1", "/usr/lib/libuv.so.1"].find(existsSync);
    const nodeInc = join(dirname(process.execPath), "..", "include", "node");
    if (!rt || !existsSync(join(nodeInc, "uv.h"))) throw new Error("cannot build the plain C server: no libuv (apt-get install libuv1-dev)");
    link = [`-I${nodeInc}`, rt];
    notes.push(`built against Node's uv.h and ${rt} (libuv1-dev missing)`);
  }
  const r = run("cc", ["-O2", "-o", bin, src, LLHTTP_LIB, `-I${LLHTTP_DIR}`, ...link]);
  if (!r.ok) throw new Error(`cc failed building the plain C server:\n${r.out}`);
  return { bin, notes };
}

/** The bun binary: bench/.tmp/bun (npm install --no-save bun, when install) or bun on PATH. */
export function findBun({ install = true } = {}) {
  const dir = join(TMP, "bun");
  const candidates = [
    join(dir, "node_modules", "@oven", "bun-linux-x64", "bin", "bun"),
    join(dir, "node_modules", "@oven", "bun-linux-x64-baseline", "bin", "bun"),
    join(dir, "node_modules", "@oven", "bun-linux-aarch64", "bin", "bun"),
    join(dir, "node_modules", "bun", "bin", "bun.exe"),
  ];
  const works = (bin) => {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const found = () => {
    for (const bin of candidates) {
      if (!existsSync(bin)) continue;
      const version = works(bin);
      if (version) return { bin, version };
    }
    const onPath = spawnSync("sh", ["-c", "command -v bun"], { encoding: "utf8" }).stdout?.trim();
    if (onPath) {
      const version = works(onPath);
      if (version) return { bin: onPath, version };
    }
    return undefined;
  };
  let hit = found();
  if (hit || !install) return hit ?? { missing: "no bun binary (bench/.tmp/bun not installed, none on PATH)" };
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), '{ "name": "bench-bun", "private": true }\n');
  const r = run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "bun"], { cwd: dir, timeout: 300_000 });
  hit = found();
  return hit ?? { missing: `npm install bun did not give a working binary: ${r.out.slice(-800) || r.error}` };
}

export const CATZILLA_CLI = join(ROOT, "bin", "catzilla-compile.js");

/** Runs catzilla-compile; returns wall time and output. */
export function compileCatzilla(entries, out, { timeoutMs = 300_000, nodeBin = process.execPath } = {}) {
  if (!existsSync(CATZILLA_CLI)) return { ok: false, ms: NaN, out: "bin/catzilla-compile.js does not exist (the compiler has not landed)" };
  const t0 = performance.now();
  const r = run(nodeBin, [CATZILLA_CLI, ...entries, "--out", out], { timeout: timeoutMs });
  return { ok: r.ok, ms: performance.now() - t0, out: r.out || String(r.error ?? "") };
}

export function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

export function wrkVersion() {
  try {
    const r = spawnSync("wrk", ["-v"], { encoding: "utf8" });
    return /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
  } catch {
    return undefined;
  }
}

// ---- starting and talking to servers ------------------------------------------------

/** One HTTP/1.1 GET on a fresh connection: status, content-type, body. */
export function get(port, path, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on("error", reject);
  });
}

/** Does the answer match the route's expected status, content type and body? */
export function checkAnswer(route, res) {
  const want = ROUTES[route];
  const bad = [];
  if (res.status !== want.status) bad.push(`status ${res.status} (want ${want.status})`);
  if (res.contentType !== want.contentType) bad.push(`content-type ${JSON.stringify(res.contentType)} (want ${JSON.stringify(want.contentType)})`);
  if (res.body !== want.body) bad.push(`body ${JSON.stringify(res.body.slice(0, 200))} (want ${JSON.stringify(want.body)})`);
  return bad;
}

/**
 * Starts a server pinned to `cpu` and waits until its first route answers.
 * Returns { def, pid, port, child, stop(), alive(), output() }.
 */
export async function startServer(def, { cpu = "0", env = {}, readyTimeoutMs = 20_000, port } = {}) {
  port ??= await freePort();
  const [cmd, args] = cpu === null ? [def.cmd, def.args] : pinned(cpu, def.cmd, def.args);
  const child = spawnTracked(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...def.env, ...env, PORT: String(port) },
  });
  let output = "";
  const keep = (d) => {
    output += d;
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  const server = {
    def,
    port,
    child,
    pid: child.pid,
    alive: () => isAlive(child),
    output: () => output,
    stop: () => stopChild(child),
  };
  const readyPath = ROUTES[def.routes[0]].path;
  const deadline = Date.now() + readyTimeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (!isAlive(child)) throw new Error(`${def.label} exited (${child.exitCode ?? child.signalCode}) before answering:\n${output.trim()}`);
    try {
      await get(port, readyPath, 1000);
      return server;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  await stopChild(child);
  throw new Error(`${def.label} did not answer ${readyPath} within ${readyTimeoutMs} ms (${last?.message}):\n${output.trim()}`);
}
