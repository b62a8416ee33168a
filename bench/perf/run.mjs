#!/usr/bin/env node
// End to end, same run: bench/perf/app.ts on Catzilla against node:http, Fastify 5 and
// Bun.serve doing the same work (bench/perf/servers.mjs), on the routes the targets of
// issues 11 and 12 name: POST /body (1 KB JSON parsed), GET /users (100 typed users, 8 KB),
// POST /users (a 10-field body validated) and GET /json (the plain route).
//
//   node bench/perf/run.mjs [--node 24] [--reps 5] [--duration 3] [--connections 64]
//        [--routes body,users-get,users-post,json] [--servers catzilla,node-http,fastify,bun]
//        [--base <commit>]   also serve the app from another commit (built under
//                            bench/.tmp/base/<sha>, addon included): "catzilla@base"
//
// Every server stays up for the whole run, pinned to CPU 0 (the ones not measured idle);
// wrk runs pinned to CPU 1. Each round measures every (route, server) once, servers in an
// order rotated every round, so foreign load on the shared machine falls on all alike.
// Reports medians of req/s and of the server's CPU µs per request, and same-run ratios.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { nodeBin } from "../../scripts/node.mjs";
import { checkoutAt, sh } from "../lib/checkout.mjs";
import { compilePerfApp } from "./compile.mjs";
import { cpuMicros, installCleanup, launch, pinned, spawnTracked, stopChild } from "../lib/procs.mjs";
import { findBun, ROOT, TMP } from "../lib/servers.mjs";
import { fmtRate, freePort, median, sleep } from "../lib/util.mjs";

const HERE = join(ROOT, "bench", "perf");
const { values: opt } = parseArgs({
  options: {
    node: { type: "string", default: "24" },
    reps: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    routes: { type: "string", default: "body,users-get,users-post,json" },
    servers: { type: "string", default: "catzilla,node-http,fastify,bun" },
    base: { type: "string" },
  },
});

/** Route name → method, path, wrk body file, and how to check an answer. */
const ROUTES = {
  body: { method: "POST", path: "/body", file: join(HERE, "body-1k.json"), expect: { id: "ord_8f14e45fceea167a5a36dedd4bea2543", count: 8 } },
  "users-get": { method: "GET", path: "/users", expect: "users" },
  "users-post": { method: "POST", path: "/users", file: join(HERE, "user.json"), expect: { name: "Ada Lovelace", email: "ada@example.com", role: "admin", active: true } },
  json: { method: "GET", path: "/json", expect: { message: "Hello, World!" } },
};
const routes = opt.routes.split(",");
for (const r of routes) if (!ROUTES[r]) throw new Error(`unknown route ${r} (${Object.keys(ROUTES).join(", ")})`);
const reps = Number(opt.reps);
const durationS = Number(opt.duration);

/** bench/perf's app compiled inside the package at `dir`: its main.js. */
const compileApp = (dir) => join(compilePerfApp(dir), "main.js");

installCleanup();
if (process.getuid?.() === 0) launch.nice = -10;
const node = nodeBin(opt.node);
const nodeVersion = sh(node, ["--version"], ROOT);
const defs = [];
const want = opt.servers.split(",");
if (want.includes("catzilla")) defs.push({ name: "catzilla", cmd: node, args: [compileApp(ROOT)] });
if (opt.base) {
  const b = checkoutAt(opt.base);
  defs.push({ name: "catzilla@base", what: b.sha.slice(0, 12), cmd: node, args: [compileApp(b.dir)] });
}
if (want.includes("node-http")) defs.push({ name: "node-http", cmd: node, args: [join(HERE, "servers.mjs")], env: { SERVER: "node-http" } });
if (want.includes("fastify")) defs.push({ name: "fastify", cmd: node, args: [join(HERE, "servers.mjs")], env: { SERVER: "fastify" } });
let bunVersion;
if (want.includes("bun")) {
  const bun = findBun();
  if (bun.missing) throw new Error(bun.missing);
  bunVersion = bun.version;
  defs.push({ name: "bun", cmd: bun.bin, args: [join(HERE, "servers.mjs")] });
}

async function start(def) {
  const port = await freePort();
  const child = spawnTracked(...pinned("0", def.cmd, def.args), { cwd: ROOT, env: { ...process.env, ...def.env, PORT: String(port) } });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
  for (let t = 0; t < 200 && !out.includes("listening"); t++) {
    if (child.exitCode !== null) throw new Error(`${def.name} exited: ${out}`);
    await sleep(100);
  }
  if (!out.includes("listening")) throw new Error(`${def.name} did not start: ${out}`);
  return { def, port, child, pid: child.pid, output: () => out };
}

/** The route's answer must be 200 JSON with the expected content (ids aside). */
async function check(s, route, tries = 3) {
  try {
    await check1(s, route);
  } catch (err) {
    // A keep-alive socket of the last check that the server has since closed: ask again.
    if (tries <= 1 || !String(err.message).includes("fetch failed")) throw err;
    await sleep(200);
    await check(s, route, tries - 1);
  }
}

async function check1(s, route) {
  const r = ROUTES[route];
  const { readFileSync } = await import("node:fs");
  const res = await fetch(`http://127.0.0.1:${s.port}${r.path}`, {
    method: r.method,
    headers: r.file ? { "content-type": "application/json" } : {},
    body: r.file ? readFileSync(r.file) : undefined,
  });
  const ct = res.headers.get("content-type");
  const v = await res.json();
  const bad = (why) => new Error(`${s.def.name} ${r.method} ${r.path}: ${why}: ${res.status} ${ct} ${JSON.stringify(v).slice(0, 200)}`);
  if (res.status !== 200 || !ct?.startsWith("application/json")) throw bad("status or type");
  if (r.expect === "users") {
    if (!Array.isArray(v) || v.length !== 100 || v[99].email !== "user100@example.com") throw bad("users");
  } else {
    for (const [k, x] of Object.entries(r.expect)) if (v[k] !== x) throw bad(k);
  }
}

function wrk(s, route) {
  const r = ROUTES[route];
  const args = [`-t1`, `-c${opt.connections}`, `-d${durationS}s`, "--timeout", "4s", "-s", join(ROOT, "bench", "wrk.lua"), `http://127.0.0.1:${s.port}${r.path}`];
  if (r.file) args.push("--", r.file);
  const cpu0 = cpuMicros(s.pid);
  const [cmd, a] = pinned("1", "wrk", args);
  const res = spawnSync(cmd, a, { encoding: "utf8" });
  const cpu1 = cpuMicros(s.pid);
  const line = res.stdout.split("\n").find((l) => l.startsWith("BENCHJSON "));
  if (!line) throw new Error(`wrk on ${s.def.name} ${route}: no result\n${res.stdout}${res.stderr}`);
  const j = JSON.parse(line.slice(10));
  const e = j.errors;
  if (e.status || e.connect || e.read || e.write || e.timeout) throw new Error(`wrk on ${s.def.name} ${route}: errors ${JSON.stringify(e)}`);
  return { rps: (j.requests * 1e6) / j.duration_us, cpuUs: (cpu1 - cpu0) / j.requests };
}

const servers = [];
for (const d of defs) servers.push(await start(d));
const results = {}; // route → server → { rps: [], cpuUs: [] }
try {
  for (const route of routes) for (const s of servers) await check(s, route);
  for (const route of routes) for (const s of servers) wrk(s, route); // warm-up (not recorded)
  for (let rep = 0; rep < reps; rep++) {
    for (const route of routes) {
      const order = servers.map((_, i) => servers[(i + rep) % servers.length]);
      for (const s of order) {
        const m = wrk(s, route);
        const rec = ((results[route] ??= {})[s.def.name] ??= { rps: [], cpuUs: [] });
        rec.rps.push(m.rps);
        rec.cpuUs.push(m.cpuUs);
      }
    }
    process.stderr.write(`perf: round ${rep + 1}/${reps} done\n`);
  }
  for (const route of routes) for (const s of servers) await check(s, route);
} finally {
  await Promise.all(servers.map((s) => stopChild(s.child)));
}

const names = servers.map((s) => s.def.name);
const lines = [
  `Node ${nodeVersion}${bunVersion ? `, Bun ${bunVersion}` : ""}; ${reps} interleaved rounds of ${durationS} s, wrk -t1 -c${opt.connections}; ` +
    `median req/s (server CPU µs per request); × = Catzilla ÷ that server, same run.` +
    (opt.base ? ` catzilla@base = ${defs.find((d) => d.name === "catzilla@base").what}.` : ""),
  "",
  `| route | ${names.join(" | ")} |`,
  `| --- | ${names.map(() => "---:").join(" | ")} |`,
];
for (const route of routes) {
  const r = ROUTES[route];
  const cz = median(results[route].catzilla?.rps ?? []);
  const cells = names.map((n) => {
    const rec = results[route][n];
    const m = median(rec.rps);
    const ratio = n === "catzilla" || !Number.isFinite(cz) ? "" : ` · ${(cz / m).toFixed(2)}×`;
    return `${fmtRate(m)} (${median(rec.cpuUs).toFixed(1)} µs)${ratio}`;
  });
  lines.push(`| \`${r.method} ${r.path}\` | ${cells.join(" | ")} |`);
}
console.log(lines.join("\n"));
console.error(JSON.stringify(results));
