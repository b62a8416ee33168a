#!/usr/bin/env node
// Before/after on one machine in one run: the Catzilla bench app served by another commit of
// this package (A, built under bench/.tmp/base/<commit>, bench/lib/checkout.mjs) and by this checkout (B), both pinned
// to CPU 0 and measured alternately with wrk on CPU 1, so the load other work puts on the
// shared machine falls on both alike. Prints medians and B/A per route and mode.
//
//   node bench/ab.mjs --base HEAD~3 [--routes json,async,user] [--reps 6] [--duration 2]
//   node bench/ab.mjs --base HEAD~3 --hotpath [--reps 10]
//   node bench/ab.mjs --base HEAD~3 --hotpath --app perf --routes body
//
// --hotpath measures only the runtime's JS per request (bench/hotpath/run.mjs: the batch loop
// fed through a stand-in addon, no sockets), A and B alternately in fresh processes. With
// --app perf it runs bench/perf's app (POST /body: `body`) instead of bench/app's.
//
// A is built from `git archive <base>` with this checkout's node_modules and its own native
// addon: it compares the whole package, native/ included.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measure, MODES } from "./lib/measure.mjs";
import { buildTs, checkoutAt, headOf, sh } from "./lib/checkout.mjs";
import { installCleanup, launch } from "./lib/procs.mjs";
import { ROOT, ROUTES, routeLabel, startServer, } from "./lib/servers.mjs";
import { fmtRate, median } from "./lib/util.mjs";

const { values: opt } = parseArgs({
  options: {
    base: { type: "string", default: "HEAD" },
    routes: { type: "string", default: "json,async,user" },
    modes: { type: "string", default: "np,pl" },
    reps: { type: "string", default: "6" },
    duration: { type: "string", default: "2" },
    hotpath: { type: "boolean", default: false },
    app: { type: "string", default: "bench" },
  },
});
if (opt.app !== "bench" && !opt.hotpath) throw new Error("--app perf is for --hotpath (end to end: bench/perf/run.mjs --base)");
const routes = opt.routes.split(",");
const modes = opt.modes.split(",");
const reps = Number(opt.reps);
const durationS = Number(opt.duration);
// bench/hotpath/run.mjs knows the perf app's routes (and rejects others).
if (opt.app === "bench") for (const r of routes) if (!ROUTES[r]) throw new Error(`unknown route ${r} (${Object.keys(ROUTES).join(", ")})`);

/** Builds the TypeScript and the bench app of the package at `dir`. */
function buildApp(dir) {
  buildTs(dir);
  sh(process.execPath, [join(dir, "bin", "catzilla-compile.js"), "bench/app/app.ts", "bench/app/main.ts", "--out", "bench/app/.catzilla"], dir);
}

installCleanup();
if (process.getuid?.() === 0) launch.nice = -10;
const a = checkoutAt(opt.base);
buildApp(a.dir);
buildApp(ROOT);
const { sha: head, dirty } = headOf();
const variants = [
  { name: "A", what: `${a.sha.slice(0, 12)} (base)`, dir: a.dir },
  { name: "B", what: `${head}${dirty ? " + uncommitted changes" : ""} (this checkout)`, dir: ROOT },
];

if (opt.hotpath) {
  await hotpath();
  process.exit(0);
}

/** A and B alternately, each run a fresh process pinned to CPU 0; medians of req/s. */
async function hotpath() {
  const script = join(ROOT, "bench", "hotpath", "run.mjs");
  const runs = { A: [], B: [] };
  for (let round = 0; round < reps; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = spawnSync("taskset", ["-c", "0", process.execPath, script, "--root", v.dir, "--app", opt.app, "--routes", routes.join(","), "--reps", "3", "--ms", String(durationS * 500)], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`hotpath ${v.name} failed:\n${r.stdout}${r.stderr}`);
      const res = JSON.parse(r.stdout.trim().split("\n").pop());
      if (res.released !== 0) throw new Error(`hotpath ${v.name}: ${res.released} batches needed a release`);
      runs[v.name].push(res);
    }
    process.stderr.write(`ab: round ${round + 1}/${reps} done\n`);
  }
  const lines = [
    `A = ${variants[0].what}, B = ${variants[1].what}; bench/hotpath/run.mjs (the runtime's JS only, batches of 16), ${reps} interleaved rounds, CPU 0.`,
    "",
    "| route | A req per CPU-s (median) | B req per CPU-s (median) | B / A | B / A per round (min – max) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of routes) {
    const ra = runs.A.map((x) => x[r]);
    const rb = runs.B.map((x) => x[r]);
    const per = ra.map((x, i) => rb[i] / x);
    lines.push(
      `| \`${ROUTES[r] ? routeLabel(r) : r}\` | ${fmtRate(median(ra))} | ${fmtRate(median(rb))} | ${(median(rb) / median(ra)).toFixed(3)} | ` +
        `${Math.min(...per).toFixed(3)} – ${Math.max(...per).toFixed(3)} |`,
    );
  }
  console.log(lines.join("\n"));
}

const servers = [];
for (const v of variants) {
  const def = { name: v.name, label: v.what, cmd: process.execPath, args: [join(v.dir, "bench", "app", "main.js")], routes };
  servers.push(await startServer(def));
}
// Warm-up: each (variant, route, mode) once, unrecorded.
for (const s of servers) for (const r of routes) for (const m of modes) await measure(s, r, m, { durationS: 1 });

const rps = new Map(); // `${variant} ${route} ${mode}` → req/s per round
const cpu = new Map(); // the same → server CPU µs per request per round
for (let round = 0; round < reps; round++) {
  // A then B on even rounds, B then A on odd ones: neither always runs right after the other.
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
  process.stderr.write(`ab: round ${round + 1}/${reps} done\n`);
}
for (const s of servers) await s.stop();

const lines = [
  `A = ${variants[0].what}, B = ${variants[1].what}; ${reps} interleaved rounds of ${durationS} s wrk runs, 64 connections, server on CPU 0, wrk on CPU 1.`,
  "",
  "Server CPU µs/request (utime + stime of the server process over the run, /proc, divided by the responses) is",
  "steadier than req/s where other work shares the machine: wrk's rate also counts the time either process waits for a core.",
  "",
  "| route | mode | A req/s (median) | B req/s (median) | B / A | B / A per round (min – max) | A CPU µs/req | B CPU µs/req | B / A CPU |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];
for (const r of routes) {
  for (const m of modes) {
    const ra = rps.get(`A ${r} ${m}`);
    const rb = rps.get(`B ${r} ${m}`);
    const per = ra.map((x, i) => rb[i] / x);
    const ca = median(cpu.get(`A ${r} ${m}`));
    const cb = median(cpu.get(`B ${r} ${m}`));
    lines.push(
      `| \`${routeLabel(r)}\` | ${MODES[m].label} | ${fmtRate(median(ra))} | ${fmtRate(median(rb))} | ` +
        `${(median(rb) / median(ra)).toFixed(3)} | ${Math.min(...per).toFixed(3)} – ${Math.max(...per).toFixed(3)} | ` +
        `${ca.toFixed(2)} | ${cb.toFixed(2)} | ${(cb / ca).toFixed(3)} |`,
    );
  }
}
console.log(lines.join("\n"));
