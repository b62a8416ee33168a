#!/usr/bin/env node
// listen({ workers }) scaling: the bench app's /json served with each worker count, and
// node:http beside it, in interleaved rounds (same run, same machine state), the server
// pinned to one CPU list and wrk to another.
//
//   node bench/workers.mjs                                   this machine: server on CPU 0,
//                                                            then on CPUs 0,1 (shared with wrk)
//   node bench/workers.mjs --server-cpus 0-7 --load-cpus 8-15 --workers 1,2,4,8
//                                                            a bigger machine
//   options: --node 24 (a pinned major, or a path)  --reps 3  --duration 3  --connections 64
//            --route json  --write (RESULTS.md section "Deployment: workers")
//
// Reports per configuration: the median requests/s, the ratio against workers: 1 and
// against node:http of the same round, and the server's CPU time per request (all its
// threads: /proc/<pid>/stat), which shows what the extra loops cost when they cannot run
// in parallel.
import { join } from "node:path";
import { nodeBin } from "../scripts/node.mjs";
import { cpuMicros, installCleanup, pinned } from "./lib/procs.mjs";
import { BENCH, compileCatzilla, ROOT, ROUTES, startServer, checkAnswer, get, wrkVersion } from "./lib/servers.mjs";
import { fmtNum, fmtRate, fmtRatio, median, sleep, updateSection } from "./lib/util.mjs";
import { runWrk } from "./lib/wrk.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const node = nodeBin(opt("node", "24"));
const reps = Number(opt("reps", 3));
const durationS = Number(opt("duration", 3));
const connections = Number(opt("connections", 64));
const route = opt("route", "json");
const write = args.includes("--write");
const counts = opt("workers", "1,2").split(",").map(Number);
/** [serverCpus, loadCpus] setups: given, or this machine's two. */
const setups =
  opt("server-cpus") !== undefined
    ? [[opt("server-cpus"), opt("load-cpus", "1")]]
    : [
        ["0", "1"],
        ["0,1", "1"],
      ];
/** CPUs in a taskset list ("0-3,8" → 5): wrk gets one thread per load CPU. */
const cpuCount = (list) =>
  list.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);

installCleanup();
const c = compileCatzilla([join(BENCH, "app", "app.ts"), join(BENCH, "app", "main.ts")], join(BENCH, "app", ".catzilla"), { nodeBin: node });
if (!c.ok) throw new Error(`compile failed: ${c.out}`);

const defs = [
  ...counts.map((w) => ({
    name: `catzilla-w${w}`,
    label: `Catzilla, workers: ${w}`,
    workers: w,
    cmd: node,
    args: [join(BENCH, "app", "main.js")],
    routes: [route],
    env: { WORKERS: String(w) },
  })),
  { name: "node-http", label: "node:http", cmd: node, args: [join(BENCH, "servers", "node-http.mjs")], routes: [route] },
];

const results = []; // { setup, server, rps, cpuUsPerReq, errors }
for (const [serverCpus, loadCpus] of setups) {
  for (let rep = 0; rep < reps; rep++) {
    for (const def of rep % 2 ? [...defs].reverse() : defs) {
      const server = await startServer(def, { cpu: serverCpus });
      try {
        const bad = checkAnswer(route, await get(server.port, ROUTES[route].path));
        if (bad.length) throw new Error(`${def.label}: ${bad.join("; ")}`);
        const url = `http://127.0.0.1:${server.port}${ROUTES[route].path}`;
        const threads = Math.max(1, cpuCount(loadCpus));
        await runWrk({ url, connections, durationS: 1, cpu: loadCpus, threads }).done; // warm-up
        const cpu0 = cpuMicros(server.pid);
        const w = await runWrk({ url, connections, durationS, cpu: loadCpus, threads }).done;
        const cpu1 = cpuMicros(server.pid);
        results.push({
          setup: `${serverCpus}|${loadCpus}`,
          server: def.name,
          rps: w.rps,
          cpuUsPerReq: (cpu1 - cpu0) / w.requests,
          errors: w.socketErrors + w.non2xx,
        });
        process.stderr.write(`${serverCpus}|${loadCpus} ${def.label}: ${fmtRate(w.rps)} req/s\n`);
      } finally {
        await server.stop();
        await sleep(200);
      }
    }
  }
}

const lines = [];
const cmd = `node bench/workers.mjs ${args.join(" ")}`.trim();
lines.push(`\`${cmd}\` (Node ${node === process.execPath ? process.versions.node : opt("node", "24")}, wrk ${wrkVersion() ?? "?"}, ${reps} interleaved rounds of ${durationS} s, ${connections} connections, \`${ROUTES[route].path}\`, not pipelined)`);
for (const [serverCpus, loadCpus] of setups) {
  const setup = `${serverCpus}|${loadCpus}`;
  const of = (name, k) => median(results.filter((x) => x.setup === setup && x.server === name).map((x) => x[k]));
  const base = of(defs[0].name, "rps");
  const nodeHttp = of("node-http", "rps");
  lines.push("", `Server on CPU ${serverCpus} (\`taskset -c ${serverCpus}\`), wrk on CPU ${loadCpus}:`, "");
  lines.push("| server | req/s (median) | vs workers: 1 | vs node:http | server CPU µs/request | errors |", "| --- | --- | --- | --- | --- | --- |");
  for (const def of defs) {
    const rps = of(def.name, "rps");
    const errors = results.filter((x) => x.setup === setup && x.server === def.name).reduce((a, x) => a + x.errors, 0);
    lines.push(`| ${def.label} | ${fmtRate(rps)} | ${fmtRatio(rps / base)} | ${fmtRatio(rps / nodeHttp)} | ${fmtNum(of(def.name, "cpuUsPerReq"), 2)} | ${errors} |`);
  }
}
const md = lines.join("\n");
console.log(md);
if (write) updateSection(join(ROOT, "bench", "RESULTS.md"), "deploy-workers", "Deployment: workers", md, "bench/workers.mjs");
