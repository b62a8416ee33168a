#!/usr/bin/env node
// What a middleware chain costs: the bench app's `/json` (no middleware) against `/mw3/json`
// (the same handler behind three sync middleware, bench/app/app.ts), in the same server and
// the same run, pipelined ×16; node:http's `/json` beside them; and, with --base-dir, the
// same `/json` served by another checkout's build (its own dist/, addon and compiled bench
// app: e.g. /work/main) to show that a route without middleware is unchanged.
// Every server is pinned to CPU 0, wrk to CPU 1; rounds interleave the runs, rotating
// their order, and the table gives medians.
//
//   node bench/middleware.mjs [--node 24] [--reps 7] [--duration 3] [--modes pl,np]
//                             [--base-dir /work/main] [--write]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { measure, MODES } from "./lib/measure.mjs";
import { installCleanup, stopAll } from "./lib/procs.mjs";
import { BENCH, compileCatzilla, ROOT, startServer } from "./lib/servers.mjs";
import { fmtRate, median, updateSection } from "./lib/util.mjs";

const { values: opt } = parseArgs({
  options: {
    node: { type: "string", default: "24" },
    reps: { type: "string", default: "7" },
    duration: { type: "string", default: "3" },
    modes: { type: "string", default: "pl" },
    "base-dir": { type: "string" },
    write: { type: "boolean", default: false },
  },
});
const reps = Number(opt.reps);
const durationS = Number(opt.duration);
const modes = opt.modes.split(",");
const nodeBin = execFileSync(process.execPath, [join(ROOT, "scripts", "node.mjs"), "path", opt.node], { encoding: "utf8" }).trim();
const nodeVersion = execFileSync(nodeBin, ["--version"], { encoding: "utf8" }).trim();
installCleanup();

const built = compileCatzilla(["bench/app/app.ts", "bench/app/main.ts"], "bench/app/.catzilla", { nodeBin });
if (!built.ok) throw new Error(`catzilla-compile failed:\n${built.out}`);

const defs = [
  { name: "catzilla", label: "Catzilla", cmd: nodeBin, args: [join(BENCH, "app", "main.js")], routes: ["json"] },
  { name: "node-http", label: "node:http", cmd: nodeBin, args: [join(BENCH, "servers", "node-http.mjs")], routes: ["json"] },
];
const baseDir = opt["base-dir"];
if (baseDir) {
  const main = join(baseDir, "bench", "app", "main.js");
  if (!existsSync(main)) throw new Error(`${main} does not exist: build and compile that checkout's bench app first`);
  defs.push({ name: "base", label: `Catzilla at ${baseDir}`, cmd: nodeBin, args: [main], routes: ["json"] });
}
const servers = [];
for (const d of defs) servers.push(await startServer(d));
const byName = Object.fromEntries(servers.map((s) => [s.def.name, s]));

/** The runs of one round: (server, path) pairs. */
const cases = [
  { key: "json", server: "catzilla", path: "/json", label: "Catzilla `/json` (no middleware)" },
  { key: "mw3", server: "catzilla", path: "/mw3/json", label: "Catzilla `/mw3/json` (3 sync middleware)" },
  { key: "mw3h", server: "catzilla", path: "/mw3h/json", label: "Catzilla `/mw3h/json` (3 sync, one reads a request header, one sets a response header)" },
  { key: "node", server: "node-http", path: "/json", label: "node:http `/json`" },
  ...(baseDir ? [{ key: "base", server: "base", path: "/json", label: `Catzilla \`/json\`, ${baseDir} build` }] : []),
];
for (const c of cases) for (const m of modes) await measure(byName[c.server], "json", m, { durationS: 1, path: c.path }); // warm-up

const rps = new Map();
const cpu = new Map();
for (let round = 0; round < reps; round++) {
  const order = cases.map((_, k) => cases[(k + round) % cases.length]);
  for (const m of modes) {
    for (const c of order) {
      const rec = await measure(byName[c.server], "json", m, { durationS, path: c.path });
      if (rec.error) throw new Error(`${c.key} ${m}: ${rec.error}`);
      if (rec.non2xx || rec.socketErrors) throw new Error(`${c.key} ${m}: non-2xx or socket errors`);
      const k = `${c.key} ${m}`;
      rps.set(k, [...(rps.get(k) ?? []), rec.rps]);
      cpu.set(k, [...(cpu.get(k) ?? []), rec.cpuUsPerReq]);
    }
  }
  process.stderr.write(`middleware bench: round ${round + 1}/${reps}\n`);
}
await stopAll();

const cmd = `node bench/middleware.mjs ${process.argv.slice(2).join(" ")}`.trim();
const lines = [
  `\`${cmd}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${nodeVersion}: ${reps} interleaved rounds of ${durationS} s wrk runs (64 connections; order rotated each round), every server pinned to CPU 0, wrk to CPU 1. Medians; ratios are of medians in the same run.`,
  "",
  "| run | mode | req/s | server CPU µs/req | req/s vs bare `/json` | req/s vs node:http |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
];
for (const m of modes) {
  const bare = median(rps.get(`json ${m}`));
  const node = median(rps.get(`node ${m}`));
  for (const c of cases) {
    const r = median(rps.get(`${c.key} ${m}`));
    const u = median(cpu.get(`${c.key} ${m}`));
    lines.push(`| ${c.label} | ${MODES[m].label} | ${fmtRate(r)} | ${u.toFixed(2)} | ${(r / bare).toFixed(3)} | ${(r / node).toFixed(2)} |`);
  }
  lines.push("");
  for (const k of ["mw3", "mw3h"]) {
    const per = rps.get(`${k} ${m}`).map((x, i) => x / rps.get(`json ${m}`)[i]);
    const c = median(cpu.get(`json ${m}`)) / median(cpu.get(`${k} ${m}`));
    lines.push(
      `${MODES[m].label}: \`/${k}/json\` / bare \`/json\` req/s per round: ${per.map((x) => x.toFixed(3)).join(", ")} (median ${median(per).toFixed(3)}; target ≥ 0.85); by server CPU per request ${c.toFixed(3)}.`,
    );
  }
  if (baseDir) {
    const perBase = rps.get(`json ${m}`).map((x, i) => x / rps.get(`base ${m}`)[i]);
    const cb = median(cpu.get(`json ${m}`)) / median(cpu.get(`base ${m}`));
    lines.push(
      `${MODES[m].label}: this build's \`/json\` / the ${baseDir} build's per round: ${perBase.map((x) => x.toFixed(3)).join(", ")} (median ${median(perBase).toFixed(3)}; CPU µs/req ratio ${cb.toFixed(3)}).`,
    );
  }
  lines.push("");
}
const md = lines.join("\n");
console.log(md);
if (opt.write) updateSection(join(BENCH, "RESULTS.md"), "middleware", "Middleware (issue 11)", md, "bench/middleware.mjs");
