#!/usr/bin/env node
// Static files: Catzilla's app.static (served in C) against nginx serving the same files.
//
//   node bench/static/run.mjs [--node 24] [--reps 5] [--duration 5] [--connections 32] [--files 4k,1m]
//
// Each server runs pinned to CPU 0 (nginx as one process: master_process off), wrk pinned
// to CPU 1 (bench/lib/wrk.mjs, no pipelining). Rounds are interleaved (catzilla, nginx,
// catzilla, ...) so drift from the shared machine falls on both; the report gives the
// median req/s of each, the ratio, and CPU microseconds per request of the server process
// (threadpool threads included for Catzilla). Writes bench/.tmp/static/results.json and
// prints a Markdown table for bench/RESULTS.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuMicros, installCleanup, isAlive, pinned, spawnTracked, stopAll, stopChild } from "../lib/procs.mjs";
import { BENCH, ROOT, TMP } from "../lib/servers.mjs";
import { median, sleep } from "../lib/util.mjs";
import { cmdline, runWrk } from "../lib/wrk.mjs";
import { nodeBin } from "../../scripts/node.mjs";

const { values: opt } = parseArgs({
  options: {
    node: { type: "string", default: "24" },
    reps: { type: "string", default: "5" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    files: { type: "string", default: "4k,1m" },
    nginx: { type: "string", default: "/usr/sbin/nginx" },
  },
});
const FILES = { "4k": 4096, "1m": 1024 * 1024, "64k": 64 * 1024 };
const OUT = join(TMP, "static");
const WWW = join(OUT, "www");
const node = nodeBin(opt.node);
const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();

installCleanup();

function pattern(n) {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET returning status and body length; used to wait for readiness and check answers. */
function fetchLen(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: 2000 }, (res) => {
      let n = 0;
      const chunks = [];
      res.on("data", (c) => {
        n += c.length;
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode, len: n, body: Buffer.concat(chunks) }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function start(name, cmd, args, port) {
  const [c, a] = pinned("0", cmd, args);
  const child = spawnTracked(c, a, { cwd: ROOT, env: { ...process.env, PORT: String(port) } });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (output += d));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!isAlive(child)) throw new Error(`${name} exited: ${output}`);
    try {
      const r = await fetchLen(port, "/s/4k.bin");
      if (r.status === 200) return { name, child, port, pid: child.pid };
    } catch {}
    await sleep(50);
  }
  throw new Error(`${name} did not start: ${output}`);
}

// ---- setup -------------------------------------------------------------------------------
mkdirSync(WWW, { recursive: true });
const files = opt.files.split(",");
for (const f of files) writeFileSync(join(WWW, `${f}.bin`), pattern(FILES[f]));
const compiled = spawnSync(node, [join(ROOT, "bin", "catzilla-compile.js"), "bench/static/app.ts", "bench/static/main.ts", "--out", "bench/static/.catzilla", "--quiet"], {
  cwd: ROOT,
  encoding: "utf8",
});
if (compiled.status !== 0) throw new Error(`compile failed:\n${compiled.stdout}\n${compiled.stderr}`);
const ngPrefix = join(OUT, "nginx");
mkdirSync(ngPrefix, { recursive: true });

const servers = {
  catzilla: async () => start("catzilla", node, [join(BENCH, "static", "main.js")], await freePort()),
  nginx: async () => {
    const port = await freePort();
    const conf = readFileSync(join(BENCH, "static", "nginx.conf.in"), "utf8")
      .replaceAll("@PREFIX@", ngPrefix)
      .replaceAll("@ROOT@", WWW)
      .replaceAll("@PORT@", String(port));
    writeFileSync(join(ngPrefix, "nginx.conf"), conf);
    return start("nginx", opt.nginx, ["-p", ngPrefix, "-c", join(ngPrefix, "nginx.conf")], port);
  },
};

// ---- the interleaved rounds ----------------------------------------------------------------
const runs = [];
const durationS = Number(opt.duration);
const connections = Number(opt.connections);
try {
  for (let rep = 0; rep < Number(opt.reps); rep++) {
    for (const name of rep % 2 ? ["nginx", "catzilla"] : ["catzilla", "nginx"]) {
      const srv = await servers[name]();
      try {
        for (const f of files) {
          const check = await fetchLen(srv.port, `/s/${f}.bin`);
          if (check.status !== 200 || !check.body.equals(pattern(FILES[f]))) throw new Error(`${name} answered /s/${f}.bin wrongly (${check.status}, ${check.len} bytes)`);
          const url = `http://127.0.0.1:${srv.port}/s/${f}.bin`;
          runWrk({ url, connections, durationS: 1 }); // warm-up
          await sleep(1200);
          const cpu0 = cpuMicros(srv.pid);
          const w = await runWrk({ url, connections, durationS }).done;
          const cpu = cpuMicros(srv.pid) - cpu0;
          const run = { rep, server: name, file: f, rps: w.rps, cpuUsPerReq: cpu / w.requests, errors: w.socketErrors + w.non2xx, cmd: cmdline({ url, connections, durationS }) };
          runs.push(run);
          console.error(`${name.padEnd(8)} ${f.padEnd(3)} rep ${rep}: ${Math.round(w.rps)} req/s, ${run.cpuUsPerReq.toFixed(1)} µs CPU/req, errors ${run.errors}`);
        }
      } finally {
        await stopChild(srv.child);
      }
    }
  }
} finally {
  await stopAll();
}

// ---- report ------------------------------------------------------------------------------
const rows = files.map((f) => {
  const of = (s, k) => median(runs.filter((r) => r.server === s && r.file === f).map((r) => r[k]));
  return { file: f, catzilla: of("catzilla", "rps"), nginx: of("nginx", "rps"), czCpu: of("catzilla", "cpuUsPerReq"), ngCpu: of("nginx", "cpuUsPerReq") };
});
writeFileSync(join(OUT, "results.json"), JSON.stringify({ node: nodeVersion, runs, rows }, null, 2) + "\n");
const lines = [
  `Node ${nodeVersion}, nginx ${spawnSync(opt.nginx, ["-v"], { encoding: "utf8" }).stderr.trim().replace("nginx version: ", "")}, ${opt.reps} interleaved rounds of ${durationS} s, ${connections} connections, no pipelining; medians.`,
  "",
  "| file | Catzilla req/s | nginx req/s | Catzilla / nginx | Catzilla CPU µs/req | nginx CPU µs/req |",
  "| --- | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.file} | ${Math.round(r.catzilla)} | ${Math.round(r.nginx)} | ${(r.catzilla / r.nginx).toFixed(2)}x | ${r.czCpu.toFixed(1)} | ${r.ngCpu.toFixed(1)} |`),
];
console.log(lines.join("\n"));
