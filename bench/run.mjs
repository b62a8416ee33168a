#!/usr/bin/env node
// The benchmark suite: `npm run bench` (full, < 10 min) or `npm run bench -- --quick` (< 2 min).
// The standard run for bench/RESULTS.md: `npm run bench -- --node 24,20` (Node 24, with the Node
// servers on 20 beside it; about 4 minutes more).
//
// Starts every server itself pinned to CPU 0 (taskset -c 0), drives it with wrk pinned to
// CPU 1, interleaves runs round-robin across servers, and writes RESULTS.md, results.svg
// and results.json. Options:
//   --quick               1 s runs, one round, one compile each (writes to bench/.tmp/quick/)
//   --reps N              rounds of the main matrix (default 3)
//   --duration S          seconds per wrk run (default 3; quick 1)
//   --servers a,b         only these servers (catzilla,node-http,fastify,bun,plain-c)
//   --routes a,b          only these routes (plaintext,json,async,user,const)
//   --no-scenarios        skip scenarios 1-3
//   --out DIR             where RESULTS.md/results.svg/results.json go (default bench/)
//   --nice N              scheduling priority of servers and wrk (default -10 as root, else 0)
//   --report FILE         only re-render RESULTS.md and results.svg from a results.json
//   --max-foreign PCT     repeat a run when other processes took more than PCT% of CPU 0 or 1 (10)
//   --node V[,V…]         run the Node servers (Catzilla, node:http, Fastify), the compiler and the
//                         scenarios on Node V (a major pinned in scripts/node-versions.json, the
//                         machine's major, or a path to a node binary; default: the Node running
//                         this); each further V runs the Node servers again, interleaved in the
//                         same matrix, for the "Node versions" table (`--node 24,20`)
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { renderChart } from "./lib/chart.mjs";
import { measure, MODES } from "./lib/measure.mjs";
import { cpuTimes, installCleanup, launch, rssKiB, stopAll } from "./lib/procs.mjs";
import { buildReport, mergeResults, summarizeRuns } from "./lib/report.mjs";
import {
  BENCH,
  besideDefs,
  buildPlainC,
  compileCatzilla,
  findBun,
  get,
  ROOT,
  ROUTES,
  routeLabel,
  serverDefs,
  startServer,
  TMP,
  versionOf,
  wrkVersion,
} from "./lib/servers.mjs";
import { fmtLatency, fmtMs, fmtNum, fmtRate, sleep, summarize } from "./lib/util.mjs";
import { nodeBin } from "../scripts/node.mjs";
import { cmdline, runWrk } from "./lib/wrk.mjs";

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    duration: { type: "string" },
    servers: { type: "string" },
    routes: { type: "string" },
    "no-scenarios": { type: "boolean", default: false },
    out: { type: "string" },
    "max-foreign": { type: "string" },
    report: { type: "string" },
    nice: { type: "string" },
    node: { type: "string" },
  },
  allowPositionals: false,
});

if (opt.report) {
  // Re-render from saved raw results (no servers, no load): next to the JSON, or --out.
  const saved = JSON.parse(readFileSync(opt.report, "utf8"));
  const dir = opt.out ?? dirname(opt.report);
  const rep = buildReport(saved);
  writeResults(join(dir, "RESULTS.md"), rep.markdown);
  writeFileSync(join(dir, "results.svg"), renderChart(rep.chart));
  console.log(rep.console);
  console.log(`bench: re-rendered ${relative(ROOT, join(dir, "RESULTS.md"))} and results.svg`);
  process.exit(0);
}

const quick = opt.quick;
const cfg = {
  quick,
  reps: Number(opt.reps ?? (quick ? 1 : 3)),
  durationS: Number(opt.duration ?? (quick ? 1 : 3)),
  warmS: 1,
  connections: 64,
  maxForeignPct: Number(opt["max-foreign"] ?? 10),
  // Retries of disturbed runs stop when the matrix would end later than this (the whole
  // suite must stay under 10 minutes, quick under 2).
  // The whole suite must stay under 10 minutes (quick: 2). Runs are shortened if setup took
  // long, and retries of disturbed runs stop when they would overrun.
  budgetS: quick ? 105 : 570,
  // What one matrix run costs beyond its wrk duration (starting wrk, reading /proc).
  runOverheadS: 0.12,
  scenarioEstimateS: quick ? 42 : 118,
  compileEstimateS: quick ? 20 : 35,
  scenarioDurationS: Number(opt.duration ?? (quick ? 1 : 2)),
  depth: MODES.pl.depth,
  scenarioReps: quick ? 1 : 3,
  scenario1Reps: quick ? 1 : 4,
  compileReps: quick ? 1 : 3,
  compileReps1000: quick ? 1 : 2,
  outDir: opt.out ?? (quick ? join(TMP, "quick") : BENCH),
};
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s]`, ...a);
const notes = [];
let retried = 0;
const note = (s) => {
  notes.push(s);
  log(`note: ${s}`);
};

installCleanup();
// Colleagues' builds and tests share this machine: as root, give the measured processes a
// higher priority than theirs so they disturb the runs less (nice never needs more).
launch.nice = Number(opt.nice ?? (process.getuid?.() === 0 ? -10 : 0));
cfg.nice = launch.nice;

// ---- setup -------------------------------------------------------------------------------
log(`catzilla bench (${quick ? "quick" : "full"}): ${cfg.reps} round(s), ${cfg.durationS} s runs, ${cfg.connections} connections`);
const want = (list, all) => (list ? list.split(",").map((s) => s.trim()).filter(Boolean) : all);
const wantServers = new Set(want(opt.servers, ["catzilla", "node-http", "fastify", "bun", "plain-c"]));
const wantRoutes = new Set(want(opt.routes, Object.keys(ROUTES)));

const available = new Map(); // name → undefined (ok) | reason string
let setupOk = true;
if (existsSync(join(ROOT, "scripts", "setup.sh"))) {
  log("setup: bash scripts/setup.sh (Debian packages, npm install, TypeScript build, addon)");
  const r = spawnSync("bash", ["scripts/setup.sh"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) {
    setupOk = false;
    note(`scripts/setup.sh failed (exit ${r.status}): ${`${r.stdout}${r.stderr}`.trim().split("\n").slice(-6).join(" | ")}`);
  }
}

// The Node binaries (setup.sh has installed the pinned ones): the first runs everything Node
// runs; each further one only the Node servers again, beside it.
const nodeSpecs = opt.node ? opt.node.split(",").map((s) => s.trim()).filter(Boolean) : [""];
const nodes = [];
for (const spec of nodeSpecs) {
  let bin;
  try {
    bin = nodeBin(spec);
  } catch (err) {
    console.error(`bench: --node ${spec}: ${err.message}`);
    process.exit(2);
  }
  const version = spawnSync(bin, ["-p", "process.version"], { encoding: "utf8" }).stdout.trim();
  if (!version) {
    console.error(`bench: --node ${spec}: ${bin} does not run`);
    process.exit(2);
  }
  nodes.push({ spec, bin, version, major: version.slice(1).split(".")[0] });
}
const NODE = nodes[0].bin;
const beside = nodes.slice(1);
if (new Set(nodes.map((n) => n.major)).size !== nodes.length) {
  console.error(`bench: --node ${opt.node}: name each Node major once`);
  process.exit(2);
}
log(`Node ${nodes[0].version} (${relative(ROOT, NODE) || NODE})${beside.length ? `; beside it: ${beside.map((n) => `Node ${n.version}`).join(", ")}` : ""}`);

let plainCBin;
try {
  const pc = buildPlainC({ install: true });
  plainCBin = pc.bin;
  pc.notes.forEach(note);
} catch (err) {
  available.set("plain-c", String(err.message));
}

const bun = findBun({ install: wantServers.has("bun") });
if (bun.missing) {
  available.set("bun", bun.missing);
  note(`Bun.serve skipped: ${bun.missing}`);
}

const compiles = {};
function compileBenchApp(dir) {
  const entries = [`bench/${dir}/app.ts`, `bench/${dir}/main.ts`];
  const out = `bench/${dir}/.catzilla`;
  const r = compileCatzilla(entries, out, { nodeBin: NODE });
  compiles[dir] = { ...r, cmd: `node bin/catzilla-compile.js ${entries.join(" ")} --out ${out}` };
  if (r.ok) log(`compiled bench/${dir} in ${fmtMs(r.ms)}`);
  return r;
}
if (wantServers.has("catzilla")) {
  const r = compileBenchApp("app");
  if (!r.ok) available.set("catzilla", `compile failed: ${r.out.trim().split("\n").slice(-12).join("\n")}`);
  else if (!setupOk) note("setup.sh failed but the bench app compiled; trying Catzilla anyway");
}

const defs = [
  ...serverDefs({ bunBin: bun.bin, plainCBin, nodeBin: NODE }),
  ...beside.flatMap((n) => besideDefs(n.bin, n.major)),
].filter((d) => wantServers.has(d.base ?? d.name));
// Each Node beside the first adds its servers' runs to the matrix: the budget grows by their
// share at the configured run length, so the main runs are not shortened for them.
{
  const besideRoutes = defs.filter((d) => d.base).reduce((n, d) => n + d.routes.length, 0);
  cfg.budgetS += Math.round(besideRoutes * (cfg.reps * 2 * (cfg.durationS + cfg.runOverheadS) + cfg.warmS));
}
for (const d of defs) d.routes = d.routes.filter((r) => wantRoutes.has(r));

const versions = {
  node: nodes[0].version,
  nodeBeside: beside.map((n) => n.version),
  wrk: wrkVersion(),
  fastify: versionOf("fastify"),
  bun: bun.version,
  catzilla: versionOf(".."), // node_modules/../package.json: this repository's own
  commit: spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim(),
  cc: spawnSync("cc", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0],
  libuv: spawnSync("sh", ["-c", "dpkg-query -W -f '${Version}' libuv1 2>/dev/null"], { encoding: "utf8" }).stdout.trim(),
  llhttp: (() => { try { return readFileSync(new URL("../native/deps/llhttp/VERSION", import.meta.url), "utf8").trim(); } catch { return "?"; } })(),
};

const setupS = (Date.now() - t0) / 1000;
log(`setup done in ${setupS.toFixed(0)} s`);

// ---- start the servers -------------------------------------------------------------------
const running = [];
for (const d of defs) {
  if (available.get(d.name)) continue;
  try {
    const s = await startServer(d, { cpu: "0" });
    running.push(s);
    available.set(d.name, undefined);
    log(`started ${d.label} (pid ${s.pid}, port ${s.port})`);
  } catch (err) {
    available.set(d.name, `did not start: ${err.message.slice(0, 1500)}`);
    note(`${d.label} did not start: ${err.message.split("\n")[0]}`);
  }
}
// Scenario 1's two servers start now and idle through the matrix: everything Catzilla
// loads (addon, routes.so) is then loaded at the start, like the main servers.
let syncOn;
let syncOff;
if (!opt["no-scenarios"] && running.some((s) => s.def.name === "catzilla")) {
  const r = compileBenchApp("app-sync");
  if (!r.ok) note(`scenario 1: bench/app-sync did not compile: ${r.out.split("\n").slice(-5).join(" | ")}`);
  else {
    const def = { name: "catzilla", label: "Catzilla all-sync", cmd: NODE, args: [join(BENCH, "app-sync", "main.js")], routes: ["json"] };
    try {
      syncOn = await startServer(def, { cpu: "0", env: { BENCH_ENABLE_ASYNC: "1" } });
      syncOff = await startServer(def, { cpu: "0", env: { BENCH_ENABLE_ASYNC: "0" } });
      log(`started the all-sync app twice (enableAsync true: pid ${syncOn.pid}, false: pid ${syncOff.pid})`);
    } catch (err) {
      note(`scenario 1: ${err.message.split("\n").slice(0, 3).join(" | ")}`);
      await syncOn?.stop();
      syncOn = syncOff = undefined;
    }
  }
}
for (const [name, why] of available) if (why && wantServers.has(name.split("@")[0]) && name !== "bun") note(`${name} skipped: ${why.split("\n")[0]}`);
if (running.length === 0) {
  console.error("bench: no server could be started");
  process.exit(1);
}

// Correctness first: every route answers the expected bytes before it is measured.
for (const s of running) {
  for (const route of s.def.routes) {
    const res = await get(s.port, ROUTES[route].path).catch((e) => ({ status: 0, contentType: "", body: String(e.message) }));
    const w = ROUTES[route];
    if (res.status !== w.status || res.contentType !== w.contentType || res.body !== w.body) {
      note(`${s.def.label} ${w.path} answers ${res.status} ${res.contentType} ${JSON.stringify(res.body.slice(0, 120))}, not the expected bytes`);
    }
  }
}

// ---- warm-up (not recorded) --------------------------------------------------------------
log(`warm-up: ${cfg.warmS} s per ${quick ? "server" : "(server, route)"}`);
for (const s of running) {
  for (const route of quick ? s.def.routes.slice(0, 1) : s.def.routes) {
    const r = await measure(s, route, "np", { durationS: cfg.warmS, connections: cfg.connections });
    if (r.error) note(`warm-up ${s.def.label} ${routeLabel(route)}: ${r.error}`);
  }
}

// ---- the matrix: interleaved round-robin -------------------------------------------------
const runs = [];
const routeOrder = Object.keys(ROUTES).filter((r) => wantRoutes.has(r));
const total = cfg.reps * 2 * running.reduce((n, s) => n + s.def.routes.length, 0);
const byName = new Map(running.map((s) => [s.def.name, s]));
// Fit the run length to the time budget (setup on a fresh clone can take a while): what is
// left after the scenarios' share, divided over the matrix's runs; at most the configured
// length. On a machine that is busy right now, shorter runs leave time to measure the
// disturbed ones again.
{
  const left = cfg.budgetS - (Date.now() - t0) / 1000 - (opt["no-scenarios"] ? 0 : cfg.scenarioEstimateS);
  // Two samples a few seconds apart, the lower one: a single burst should not shorten every run.
  const busy = Math.min(await foreignLoad(1500), await sleep(1500).then(() => foreignLoad(1500)));
  log(`other processes right now: ${fmtNum(busy, 0)}% of a core`);
  if (!opt.duration) {
    const reserve = busy > cfg.maxForeignPct && !quick ? 0.3 : 0; // share of the matrix kept for re-runs
    while (cfg.durationS > 1 && total * (cfg.durationS + cfg.runOverheadS) > left * (1 - reserve)) cfg.durationS--;
    if (cfg.durationS < (quick ? 1 : 3)) {
      note(`runs shortened to ${cfg.durationS} s to keep the suite within ${cfg.budgetS} s` + (reserve ? ` and leave time to re-run disturbed runs (other processes used ${fmtNum(busy, 0)}% of a core at the start)` : ""));
    }
  }
  cfg.matrixDeadlineS = cfg.budgetS - (opt["no-scenarios"] ? 0 : cfg.scenarioEstimateS);
}
log(`matrix: ${total} runs of ${cfg.durationS} s`);
const logRun = (r, tag) =>
  log(
    `${tag} ${r.mode} ${r.server.padEnd(9)} ${routeLabel(r.route).padEnd(10)} ` +
      (r.error && !Number.isFinite(r.rps)
        ? `ERROR ${r.error}`
        : `${fmtRate(r.rps).padStart(7)} req/s  cpu ${fmtNum(r.cpuUsPerReq, 2)} µs/req  p99 ${fmtLatency(r.p99Us)}  rss ${fmtNum(r.rssKiB / 1024)} MiB  other load cpu0 ${fmtNum(r.cpu0OtherPct, 0)}% cpu1 ${fmtNum(r.cpu1OtherPct, 0)}%` +
          (r.error ? `  ERROR ${r.error}` : "") +
          (r.socketErrors ? `  (${r.socketErrors} socket errors)` : "")),
  );
let k = 0;
for (let rep = 0; rep < cfg.reps; rep++) {
  // Rotate the server order every round so no server always runs first or last.
  const order = running.map((_, i) => running[(i + rep) % running.length]);
  for (const mode of ["np", "pl"]) {
    for (const route of routeOrder) {
      for (const s of order) {
        if (!s.def.routes.includes(route)) continue;
        const r = await measure(s, route, mode, { durationS: cfg.durationS, connections: cfg.connections });
        r.rep = rep;
        r.tries = 1;
        runs.push(r);
        k++;
        logRun(r, `[${String(k).padStart(3)}/${total}]`);
      }
    }
  }
}
// Re-runs: bursts of other work (colleagues' builds and tests share the machine) come and
// go, so disturbed runs are measured again later rather than at once: most disturbed first,
// each at most twice more, while the matrix's time lasts. The least disturbed attempt stays.
{
  let again = 0;
  for (let pass = 0; pass < 2; pass++) {
    const todo = runs
      .map((r, i) => [r, i])
      .filter(([r]) => r.otherPct > cfg.maxForeignPct)
      .sort((a, b) => b[0].otherPct - a[0].otherPct);
    for (const [r, i] of todo) {
      if ((Date.now() - t0) / 1000 + cfg.durationS + 0.5 > cfg.matrixDeadlineS) break;
      const s = byName.get(r.server);
      const m = await measure(s, r.route, r.mode, { durationS: cfg.durationS, connections: cfg.connections });
      m.rep = r.rep;
      m.tries = r.tries + 1;
      again++;
      if (!(m.otherPct >= r.otherPct)) runs[i] = m;
      else r.tries++;
      logRun(m, `[re-run ${again}]`);
    }
  }
  retried += again;
}
const rssFinal = {};
for (const s of running) rssFinal[s.def.name] = s.alive() ? rssKiB(s.pid) : NaN;

// ---- scenarios ---------------------------------------------------------------------------
const scenarios = {};
const catzilla = running.find((s) => s.def.name === "catzilla" && s.alive());
for (const s of running) if (s !== catzilla) await s.stop();

if (!opt["no-scenarios"]) {
  // (2) 200 in-flight async requests (each awaits 100 ms) while /json is loaded.
  if (catzilla) {
    log("scenario 2: /json alone vs with 200 in-flight /sleep100 requests");
    const rows = [];
    for (let rep = 0; rep < cfg.scenarioReps && (rep === 0 || inTime(cfg.compileEstimateS + 12)); rep++) {
      for (const mode of ["np", "pl"]) {
        const alone = await measureStable(catzilla, "json", mode, { durationS: cfg.scenarioDurationS, connections: cfg.connections });
        const bg = runWrk({ url: `http://127.0.0.1:${catzilla.port}/sleep100`, connections: 200, durationS: cfg.scenarioDurationS + 30, timeoutS: 5 });
        await sleep(700);
        const loaded = await measureStable(catzilla, "json", mode, { durationS: cfg.scenarioDurationS, connections: cfg.connections });
        bg.stop("SIGINT");
        const b = await bg.done.catch((e) => ({ error: e.message }));
        rows.push({ rep, mode, alone, loaded, bg: { rps: b.rps, p50Us: b.latencyUs?.p50, p99Us: b.latencyUs?.p99, socketErrors: b.socketErrors, non2xx: b.non2xx, error: b.error } });
        log(`  ${mode} alone ${fmtRate(alone.rps)}  loaded ${fmtRate(loaded.rps)}  (/sleep100: ${fmtRate(b.rps)} req/s, p50 ${fmtLatency(b.latencyUs?.p50)})`);
        await sleep(300);
      }
    }
    scenarios.inflight = {
      cmd: `${cmdline({ url: "http://127.0.0.1:PORT/sleep100", connections: 200, durationS: cfg.scenarioDurationS + 30, timeoutS: 5 })}  (background, stopped with SIGINT)`,
      rows,
    };
  }
  if (catzilla) await catzilla.stop();

  // (1) all-sync app: enableAsync true vs false (both started during setup).
  if (syncOn && syncOff) {
    log("scenario 1: all-sync app, enableAsync true vs false");
    const on = syncOn;
    const off = syncOff;
    // They idled through the matrix: warm both up in both modes first (a 1 s warm-up left the
    // first measured rounds still climbing).
    for (const mode of ["np", "pl"]) for (const s of [on, off]) await measure(s, "json", mode, { durationS: quick ? 1 : 2, connections: cfg.connections });
    const rows = [];
    for (let rep = 0; rep < cfg.scenario1Reps && (rep === 0 || inTime(cfg.compileEstimateS + 10)); rep++) {
      for (const mode of ["np", "pl"]) {
        const pair = rep % 2 ? [off, on] : [on, off];
        for (const s of pair) {
          const m = await measureStable(s, "json", mode, { durationS: cfg.scenarioDurationS, connections: cfg.connections });
          rows.push({ rep, mode, enableAsync: s === on, ...m });
          log(`  ${mode} enableAsync=${s === on} ${fmtRate(m.rps)} req/s${m.error ? `  ERROR ${m.error}` : ""}`);
        }
      }
    }
    scenarios.enableAsync = { rows };
    await on.stop();
    await off.stop();
  }

  // (3) compile times: a generated 1,000-route app (cold) and examples/mixed.
  if (existsSync(join(ROOT, "bin", "catzilla-compile.js"))) {
    log("scenario 3: compile times");
    const app1000 = join(TMP, "app1000");
    generateApp(app1000, 1000);
    const mixed = join(TMP, "mixed");
    const compileRows = [];
    for (const [name, dir, entries] of [
      ["generated 1,000-route app", app1000, ["app.ts", "main.ts"]],
      ["examples/mixed", mixed, ["app.ts", "main.ts"]],
    ]) {
      const times = [];
      let out = "";
      let ok = true;
      for (let rep = 0; rep < (dir === app1000 ? cfg.compileReps1000 : cfg.compileReps); rep++) {
        // Past the first compile, another one only if it (at the last one's pace) and what
        // follows still fit in the budget.
        if (rep > 0 && !inTime(times.at(-1) / 1000 + (dir === app1000 ? 12 : 0))) break;
        if (dir === mixed) {
          rmSync(mixed, { recursive: true, force: true });
          cpSync(join(ROOT, "examples", "mixed"), mixed, { recursive: true, filter: (src) => !/\.catzilla|\.js$/.test(src) });
        }
        cold(dir);
        const r = compileCatzilla(entries.map((e) => relative(ROOT, join(dir, e))), relative(ROOT, join(dir, ".catzilla")), { nodeBin: NODE });
        out = r.out;
        if (!r.ok) {
          ok = false;
          note(`scenario 3: ${name} failed to compile: ${r.out.split("\n").slice(-5).join(" | ")}`);
          break;
        }
        times.push(r.ms);
        log(`  ${name}: ${fmtMs(r.ms)}`);
      }
      let served;
      if (ok && dir === app1000) served = await checkApp1000(app1000);
      compileRows.push({
        name,
        ok,
        ms: summarize(times),
        lastLine: out.trim().split("\n").filter(Boolean).slice(-1)[0],
        routes: out.match(/^\s*(GET|POST|PUT|PATCH|DELETE)\s/gm)?.length,
        served,
        cmd: `node bin/catzilla-compile.js ${entries.map((e) => relative(ROOT, join(dir, e))).join(" ")} --out ${relative(ROOT, join(dir, ".catzilla"))}`,
      });
    }
    scenarios.compile = { rows: compileRows };
  } else note("scenario 3 skipped: bin/catzilla-compile.js does not exist");
}

await stopAll();
if (retried) note(`${retried} re-run(s) of runs during which other processes used more than ${cfg.maxForeignPct}% of CPU 0 or CPU 1 (the least disturbed attempt is kept)`);

// ---- report ------------------------------------------------------------------------------
const summary = summarizeRuns(runs);
const meta = {
  date: new Date().toISOString(),
  elapsedS: (Date.now() - t0) / 1000,
  setupS,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  cfg,
  versions,
  machine: machineInfo(),
  wrkCmd: {
    np: cmdline({ url: "http://127.0.0.1:PORT/ROUTE", connections: cfg.connections, durationS: cfg.durationS }),
    pl: cmdline({ url: "http://127.0.0.1:PORT/ROUTE", connections: cfg.connections, durationS: cfg.durationS, depth: cfg.depth }),
  },
  serverCmds: Object.fromEntries(
    [
      ...serverDefs({ bunBin: bun.bin ?? "bun", plainCBin: plainCBin ?? "bench/.tmp/plain-c/server", nodeBin: NODE }),
      ...beside.flatMap((n) => besideDefs(n.bin, n.major)),
    ].map((d) => [
      d.name,
      `${launch.nice ? `nice -n ${launch.nice} ` : ""}taskset -c 0 ${[d.cmd === process.execPath ? "node" : relative(ROOT, d.cmd), ...d.args.map((a) => relative(ROOT, a))].join(" ")}`,
    ]),
  ),
  compiles,
  catzillaKinds: routeKinds(join(BENCH, "app", ".catzilla", "routes.json")),
};
const servers = [...serverDefs({}), ...beside.flatMap((n) => besideDefs(n.bin, n.major))]
  .filter((d) => wantServers.has(d.base ?? d.name))
  .map((d) => ({ name: d.name, label: d.label, skipped: available.get(d.name), routes: d.routes, base: d.base, nodeMajor: d.nodeMajor }));
const report = buildReport({ meta, servers, summary, runs, scenarios, notes, rssFinal });
mkdirSync(cfg.outDir, { recursive: true });
writeResults(join(cfg.outDir, "RESULTS.md"), report.markdown);
const svg = renderChart(report.chart);
writeFileSync(join(cfg.outDir, "results.svg"), svg);
writeFileSync(join(cfg.outDir, "results.json"), JSON.stringify({ meta, servers, summary, runs, scenarios, notes, rssFinal, targets: report.targets }, null, 1) + "\n");
const png = join(TMP, quick ? "results-quick.png" : "results.png");
const rs = spawnSync("rsvg-convert", ["-o", png, join(cfg.outDir, "results.svg")], { encoding: "utf8" });
console.log("\n" + report.console);
log(`wrote ${relative(ROOT, join(cfg.outDir, "RESULTS.md"))}, results.svg, results.json${rs.status === 0 ? ` (PNG preview: ${relative(ROOT, png)})` : ""}`);
log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(0);

// ---- helpers -----------------------------------------------------------------------------

/**
 * measure(), repeated (up to twice more) while other processes took more than
 * maxForeignPct% of CPU 0 during the run and `room()` says there is time; colleagues'
 * builds and tests share the machine. Keeps the least disturbed attempt.
 */
/** "GET /json" → kind, from a compiled app's routes.json (what the compiler decided). */
function routeKinds(file) {
  try {
    return Object.fromEntries(JSON.parse(readFileSync(file, "utf8")).routes.map((r) => [`${r.method} ${r.path}`, r.kind]));
  } catch {
    return undefined;
  }
}

/** Process time used by everything on the machine over `ms` (we idle meanwhile), in % of one core. */
async function foreignLoad(ms) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  let task = 0;
  let total = 0;
  for (const c of Object.keys(b)) {
    task += b[c].task - (a[c]?.task ?? 0);
    total += b[c].total - (a[c]?.total ?? 0);
  }
  const cores = Object.keys(b).length || 1;
  return total > 0 ? (task * 100 * cores) / total : NaN;
}

/** RESULTS.md: this suite's block replaced, other tools' sections kept. */
function writeResults(path, markdown) {
  writeFileSync(path, mergeResults(existsSync(path) ? readFileSync(path, "utf8") : "", markdown));
}

/** Is there still `needS` seconds of room before the suite's budget runs out? */
function inTime(needS = 0) {
  return (Date.now() - t0) / 1000 + needS < cfg.budgetS;
}

async function measureStable(server, route, mode, opts, room = () => inTime(opts.durationS + 1.2 + 45)) {
  let r = await measure(server, route, mode, opts);
  let tries = 1;
  while (r.otherPct > cfg.maxForeignPct && tries < 3 && room()) {
    tries++;
    await sleep(1000);
    const again = await measure(server, route, mode, opts);
    if (!(again.otherPct >= r.otherPct)) r = again;
  }
  if (tries > 1) retried++;
  r.tries = tries;
  return r;
}

/** Removes a compiled app's output and generated JS: the next compile starts cold. */
function cold(dir) {
  rmSync(join(dir, ".catzilla"), { recursive: true, force: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".js")) rmSync(join(dir, f));
}

/** A 1,000-route app: static, param and async routes mixed, in one module. */
function generateApp(dir, n) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = [
    "// Generated by bench/run.mjs: a large app for compile-time measurement.",
    'import { Catzilla } from "catzilla";',
    "",
    "const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));",
    "",
    "export const app = new Catzilla();",
    "",
  ];
  for (let i = 0; i < n; i++) {
    const p = i % 3 === 1 ? `/r${i}/:id` : `/r${i}`;
    const body = i % 3 === 1 ? `({ route: ${i}, id: req.params.id })` : `({ route: ${i} })`;
    const verb = i % 10 === 9 ? "post" : "get";
    if (i % 4 === 3) lines.push(`app.${verb}("${p}", async (req) => {\n  await sleep(0);\n  return ${body};\n});`);
    else lines.push(`app.${verb}("${p}", (req) => ${body});`);
  }
  writeFileSync(join(dir, "app.ts"), lines.join("\n") + "\n");
  writeFileSync(
    join(dir, "main.ts"),
    'import { server } from "./.catzilla/server.js";\n\nawait server.listen({ port: Number(process.env.PORT ?? 8000), host: "127.0.0.1" });\n' +
      'process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));\n',
  );
}

/** Serves the compiled 1,000-route app and checks a few of its routes answer. */
async function checkApp1000(dir) {
  const def = { name: "app1000", label: "1,000-route app", cmd: NODE, args: [join(dir, "main.js")], routes: ["json"] };
  // startServer polls ROUTES[def.routes[0]]: any answer counts as up, so /json's 404 is fine.
  let s;
  try {
    s = await startServer(def, { cpu: "0" });
    const a = await get(s.port, "/r0");
    const b = await get(s.port, "/r997/abc");
    const c = await get(s.port, "/r999", 3000);
    const ok = a.body === '{"route":0}' && b.body === '{"route":997,"id":"abc"}' && c.status === 405;
    return ok ? "serves /r0, /r997/:id; POST-only /r999 answers GET with 405" : `unexpected answers: ${JSON.stringify([a, b, c])}`;
  } catch (err) {
    return `did not serve: ${err.message.split("\n")[0]}`;
  } finally {
    await s?.stop();
  }
}

function machineInfo() {
  const sh = (c) => spawnSync("sh", ["-c", c], { encoding: "utf8" }).stdout.trim();
  return {
    cpu: sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'"),
    mhz: sh("grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'"),
    flags: sh("grep -m1 -o -w -E 'avx2|avx512f' /proc/cpuinfo | sort -u | tr '\\n' ' '"),
    nproc: sh("nproc"),
    kernel: sh("uname -sr"),
    memTotal: sh("grep MemTotal /proc/meminfo | awk '{printf \"%.1f GiB\", $2/1048576}'"),
    virt: sh("systemd-detect-virt 2>/dev/null || (grep -q hypervisor /proc/cpuinfo && echo 'virtual machine') || echo unknown"),
  };
}
