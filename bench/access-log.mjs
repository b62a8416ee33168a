#!/usr/bin/env node
// The access log's cost: the Catzilla bench app with `accessLog` off and on (pino writing
// to a file, asynchronously), and node:http beside them, in one run: each server pinned to
// CPU 0, wrk pinned to CPU 1, interleaved rounds, medians. Prints req/s and server CPU
// µs/request per server and mode, and the ratios on/off and against node:http.
//
//   node bench/access-log.mjs [--node 24] [--routes json] [--modes np,pl] [--reps 5] [--duration 3]
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { nodeBin } from "../scripts/node.mjs";
import { buildTs, sh } from "./lib/checkout.mjs";
import { measure, MODES } from "./lib/measure.mjs";
import { installCleanup, launch } from "./lib/procs.mjs";
import { BENCH, ROOT, routeLabel, startServer, TMP } from "./lib/servers.mjs";
import { fmtRate, median } from "./lib/util.mjs";

const { values: opt } = parseArgs({
  options: {
    node: { type: "string", default: "24" },
    routes: { type: "string", default: "json" },
    modes: { type: "string", default: "np,pl" },
    reps: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
  },
});
const routes = opt.routes.split(",");
const modes = opt.modes.split(",");
const reps = Number(opt.reps);
const durationS = Number(opt.duration);
const node = nodeBin(opt.node);
const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();

buildTs(ROOT);
sh(process.execPath, [join(ROOT, "bin", "catzilla-compile.js"), "bench/app/app.ts", "bench/app/main.ts", "--out", "bench/app/.catzilla"]);

installCleanup();
if (process.getuid?.() === 0) launch.nice = -10;
const dir = join(TMP, "access-log");
mkdirSync(dir, { recursive: true });
const logFile = join(dir, "access.log");
rmSync(logFile, { force: true });
rmSync(logFile + ".pino", { force: true });

const app = join(BENCH, "app", "main.js");
const defs = [
  { name: "off", label: "Catzilla, accessLog off", cmd: node, args: [app], routes },
  { name: "on", label: "Catzilla, accessLog on (jsonLogger → file)", cmd: node, args: [app], routes, env: { BENCH_ACCESS_LOG: logFile, BENCH_ACCESS_LOGGER: "json" } },
  { name: "pino", label: "Catzilla, accessLog on (pino → file)", cmd: node, args: [app], routes, env: { BENCH_ACCESS_LOG: logFile + ".pino" } },
  { name: "node-http", label: "node:http", cmd: node, args: [join(BENCH, "servers", "node-http.mjs")], routes },
];
const servers = [];
for (const d of defs) servers.push(await startServer(d));
for (const s of servers) for (const r of routes) for (const m of modes) await measure(s, r, m, { durationS: 1 });

const rps = new Map();
const cpu = new Map();
for (let round = 0; round < reps; round++) {
  const order = round % 2 === 0 ? servers : [...servers].reverse();
  for (const r of routes) {
    for (const m of modes) {
      for (const s of order) {
        const rec = await measure(s, r, m, { durationS });
        if (rec.error) throw new Error(`${s.def.name} ${r} ${m}: ${rec.error}`);
        const key = `${s.def.name} ${r} ${m}`;
        rps.set(key, [...(rps.get(key) ?? []), rec.rps]);
        cpu.set(key, [...(cpu.get(key) ?? []), rec.cpuUsPerReq]);
      }
    }
  }
  process.stderr.write(`access-log: round ${round + 1}/${reps} done\n`);
}
for (const s of servers) await s.stop();
const logBytes = (statSync(logFile, { throwIfNoEntry: false })?.size ?? 0) + (statSync(logFile + ".pino", { throwIfNoEntry: false })?.size ?? 0);

const lines = [
  `${nodeVersion}; ${reps} interleaved rounds of ${durationS} s wrk runs, 64 connections, server on CPU 0, wrk on CPU 1; ` +
    `access log written: ${(logBytes / 2 ** 20).toFixed(0)} MiB.`,
  "",
  "on: `accessLog: jsonLogger({ write })` (catzilla's JSON lines, one write per drain); pino: `accessLog: pino(pino.destination({ dest, sync: false }))` (one logger call per line).",
  "",
  "| route | mode | off req/s | on req/s | on / off | on / off per round (min – max) | off CPU µs/req | on CPU µs/req | on − off CPU µs/req | pino req/s | pino / off | pino − off CPU µs/req | node:http req/s | on / node:http |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];
for (const r of routes) {
  for (const m of modes) {
    const off = rps.get(`off ${r} ${m}`);
    const on = rps.get(`on ${r} ${m}`);
    const nh = rps.get(`node-http ${r} ${m}`);
    const pi = rps.get(`pino ${r} ${m}`);
    const cPi = median(cpu.get(`pino ${r} ${m}`));
    const per = on.map((x, i) => x / off[i]);
    const cOff = median(cpu.get(`off ${r} ${m}`));
    const cOn = median(cpu.get(`on ${r} ${m}`));
    lines.push(
      `| \`${routeLabel(r)}\` | ${MODES[m].label} | ${fmtRate(median(off))} | ${fmtRate(median(on))} | ` +
        `${(median(on) / median(off)).toFixed(3)} | ${Math.min(...per).toFixed(3)} – ${Math.max(...per).toFixed(3)} | ` +
        `${cOff.toFixed(2)} | ${cOn.toFixed(2)} | ${(cOn - cOff).toFixed(2)} | ${fmtRate(median(pi))} | ${(median(pi) / median(off)).toFixed(3)} | ` +
        `${(cPi - cOff).toFixed(2)} | ${fmtRate(median(nh))} | ${(median(on) / median(nh)).toFixed(2)} |`,
    );
  }
}
console.log(lines.join("\n"));
