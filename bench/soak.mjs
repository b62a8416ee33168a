#!/usr/bin/env node
// The soak benchmark: `npm run soak` (about 2 minutes).
//
// Serves bench/soak/app.ts pinned to CPU 0, drives it with wrk pinned to CPU 1 (64
// keep-alive connections, one request at a time each, bench/soak/soak.lua rotating through
// sync, async, 404/405 and error paths), first a warm-up, then 1,000,000 measured requests.
// The server's RSS is sampled every second; the RSS after the warm-up and at the end (both
// taken 1 s after wrk has stopped) must be within 5 MB. Then the server must still answer,
// and exit 0 on SIGTERM (graceful close). Writes bench/soak/RESULTS.md, the "Soak and
// sanitizers" section of bench/RESULTS.md (between soak markers; with bench/soak/notes.md and
// sanitizers.md, the ASan and valgrind results) and bench/.tmp/soak/results.json.
//   --requests N      measured requests (default 1000000)
//   --warmup N        warm-up requests (default 200000)
//   --connections N   wrk connections (default 64)
//   --limit-mb N      allowed RSS growth, MB (default 5)
//   --nice N          scheduling priority of server and wrk (default -10 as root, else 0)
//   --node-flags=F    node flags of the server (default: the young generation at V8's ceiling,
//                     "--min-semi-space-size=16 --max-semi-space-size=16"; empty: V8's defaults)
//   --no-write        do not touch the RESULTS.md files
// Exit status 0 only when every check passed.
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { installCleanup, launch, pinned, rssKiB, spawnTracked, stopChild } from "./lib/procs.mjs";
import { BENCH, ROOT, TMP } from "./lib/servers.mjs";
import { sleep } from "./lib/util.mjs";

const { values: opt } = parseArgs({
  options: {
    requests: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string" },
    "limit-mb": { type: "string" },
    nice: { type: "string" },
    "no-write": { type: "boolean", default: false },
    "node-flags": { type: "string" },
  },
});
const cfg = {
  requests: Number(opt.requests ?? 1_000_000),
  warmup: Number(opt.warmup ?? 200_000),
  connections: Number(opt.connections ?? 64),
  limitKiB: Number(opt["limit-mb"] ?? 5) * 1024,
  sampleMs: 1000,
};
launch.nice = Number(opt.nice ?? (process.getuid?.() === 0 ? -10 : 0));
installCleanup();

const SOAK = join(BENCH, "soak");
const OUT = join(TMP, "soak");
const LUA = join(SOAK, "soak.lua");
const log = (...a) => console.log("soak:", ...a);

// The mix of bench/soak/soak.lua: statuses per cycle of 20 requests (wrk -t1: one rotation).
const MIX = { 200: 11, 201: 1, 404: 3, 405: 1, 500: 3, 418: 1 };
const CYCLE = 20;
const LOGGED_PER_CYCLE = 3; // /throw, /reject, /bigint (HttpError is not logged)

// ---- build -----------------------------------------------------------------------------

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
run("bash", ["scripts/setup.sh"]);
// The app is compiled in bench/.tmp/soak (the compiler writes JS next to the sources).
mkdirSync(OUT, { recursive: true });
for (const f of ["app.ts", "main.ts"]) copyFileSync(join(SOAK, f), join(OUT, f));
const compileCmd = ["bin/catzilla-compile.js", relative(ROOT, join(OUT, "app.ts")), relative(ROOT, join(OUT, "main.ts")), "--out", relative(ROOT, join(OUT, ".catzilla"))];
run(process.execPath, compileCmd);

// ---- server ----------------------------------------------------------------------------

const stderrFile = join(OUT, "server.stderr");
const errFd = openSync(stderrFile, "w");
// V8 grows its young generation (two semi-spaces) with allocation throughput, from 1 MB up
// to its ceiling of 16 MB per semi-space, doubling at points no warm-up can predict (+3 MB
// and +6.7 MB of RSS at about 0.3 M and 2.7 M requests here); a long-running server ends at
// the ceiling. The soak starts the server there, so the RSS difference measures leaks, not
// V8's sizing. --node-flags= (empty) runs with V8's defaults.
const DEFAULT_NODE_FLAGS = "--min-semi-space-size=16 --max-semi-space-size=16";
const nodeFlags = (opt["node-flags"] ?? DEFAULT_NODE_FLAGS).split(/\s+/).filter(Boolean);
const [scmd, sargs] = pinned(0, process.execPath, [...nodeFlags, join(OUT, "main.js")]);
const memlog = join(OUT, "mem.jsonl");
rmSync(memlog, { force: true });
const server = spawnTracked(scmd, sargs, { cwd: ROOT, env: { ...process.env, PORT: "0", SOAK_MEMLOG: memlog }, stdio: ["ignore", "pipe", errFd] });
closeSync(errFd);
const lines = createInterface({ input: server.stdout });
const serverOut = [];
const firstLine = new Promise((resolve, reject) => {
  lines.on("line", (l) => {
    serverOut.push(l);
    if (serverOut.length === 1) resolve(l);
  });
  server.once("exit", (code, sig) => reject(new Error(`server exited (${code ?? sig}) before listening:\n${readFileSync(stderrFile, "utf8")}`)));
});
const { port } = JSON.parse(await firstLine);
const pid = server.pid;
const alive = () => server.exitCode === null && server.signalCode === null;
log(`server pid ${pid} on 127.0.0.1:${port} (taskset -c 0${launch.nice ? `, nice ${launch.nice}` : ""})`);

// ---- load ------------------------------------------------------------------------------

const samples = []; // { t (s since start), phase, rssKiB }
const t0 = performance.now();
const sample = (phase) => {
  const s = { t: +((performance.now() - t0) / 1000).toFixed(1), phase, rssKiB: rssKiB(pid) };
  samples.push(s);
  return s;
};

function wrkArgs(target) {
  return [`-t1`, `-c${cfg.connections}`, `-d900s`, `--timeout`, `5s`, `-s`, LUA, `http://127.0.0.1:${port}/`, "--", String(target)];
}
const wrkCmd = (target) =>
  [...(launch.nice ? ["nice", "-n", String(launch.nice)] : []), "taskset", "-c", "1", "wrk", ...wrkArgs(target).map((a) => (a === LUA ? "bench/soak/soak.lua" : a))].join(" ");

/** One wrk run of exactly `target` responses (wrk's thread stops itself; we then SIGINT wrk). */
async function phase(name, target) {
  const [cmd, args] = pinned(1, "wrk", wrkArgs(target));
  const wrk = spawnTracked(cmd, args, { cwd: ROOT });
  let out = "";
  let err = "";
  wrk.stderr.setEncoding("utf8").on("data", (d) => (err += d));
  wrk.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
    if (out.includes("SOAKDONE") && !wrk.killed) wrk.kill("SIGINT");
  });
  const timer = setInterval(() => {
    const s = sample(name);
    if (!alive()) wrk.kill("SIGINT");
    if (samples.filter((x) => x.phase === name).length % 10 === 0) log(`  ${name} t=${s.t}s RSS ${(s.rssKiB / 1024).toFixed(1)} MB`);
  }, cfg.sampleMs);
  const started = performance.now();
  const [code, sig] = await new Promise((r) => wrk.once("exit", (c, s) => r([c, s])));
  clearInterval(timer);
  const wallS = (performance.now() - started) / 1000;
  const line = out.split("\n").find((l) => l.startsWith("SOAKJSON "));
  if (!line) throw new Error(`wrk (${name}) exited ${code ?? sig} without results:\n${out}\n${err}`);
  const j = JSON.parse(line.slice("SOAKJSON ".length));
  return { name, target, wallS, reachedTarget: out.includes("SOAKDONE"), cmd: wrkCmd(target), ...j };
}

/** RSS once the load has stopped: median of 3 samples over 1 s, starting 1 s after wrk exits. */
async function settledRss(name) {
  await sleep(1000);
  const xs = [];
  for (let i = 0; i < 3; i++) {
    xs.push(sample(name).rssKiB);
    await sleep(500);
  }
  return xs.sort((a, b) => a - b)[1];
}

/** The server's own latest process.memoryUsage() and V8 space sizes (bench/soak/main.ts, SOAK_MEMLOG). */
function breakdown() {
  try {
    const last = JSON.parse(readFileSync(memlog, "utf8").trim().split("\n").at(-1));
    const MB = (b) => b / 1048576;
    return {
      rss: MB(last.rss),
      heapTotal: MB(last.heapTotal),
      heapUsed: MB(last.heapUsed),
      newSpace: MB(last.spaces.new_space[0]),
      oldSpace: MB(last.spaces.old_space[0]),
      external: MB(last.external),
      nonHeap: MB(last.rss - last.heapTotal),
    };
  } catch {
    return undefined;
  }
}

const rssStart = sample("start").rssKiB;
log(`warm-up: ${cfg.warmup} requests`);
const warm = await phase("warmup", cfg.warmup);
const rssWarm = await settledRss("after-warmup");
const memWarm = breakdown();
log(`after warm-up: RSS ${(rssWarm / 1024).toFixed(1)} MB (${warm.requests} requests, ${(warm.requests / warm.wallS).toFixed(0)} req/s)`);
log(`measured: ${cfg.requests} requests`);
const main = await phase("measured", cfg.requests);
const rssEnd = await settledRss("end");
const memEnd = breakdown();
log(`end: RSS ${(rssEnd / 1024).toFixed(1)} MB (${main.requests} requests in ${main.wallS.toFixed(1)} s)`);

// ---- checks ----------------------------------------------------------------------------

const checks = [];
const check = (ok, what) => {
  checks.push({ ok, what });
  log(`${ok ? "ok  " : "FAIL"} ${what}`);
};
const growth = rssEnd - rssWarm;
check(Math.abs(growth) <= cfg.limitKiB, `RSS end − after warm-up = ${(growth / 1024).toFixed(2)} MB (limit ±${cfg.limitKiB / 1024} MB)`);
for (const p of [warm, main]) {
  const socketErrors = p.errors.connect + p.errors.read + p.errors.write + p.errors.timeout;
  check(p.reachedTarget && p.requests >= p.target, `${p.name}: ${p.requests} responses (target ${p.target})`);
  check(socketErrors === 0, `${p.name}: socket errors ${JSON.stringify(p.errors)}`);
  // Statuses: exactly the mix, up to the requests in flight when the run stopped.
  const slack = 2 * cfg.connections + 2;
  const bad = Object.entries(MIX)
    .map(([st, k]) => [st, p.statuses[st] ?? 0, (p.requests * k) / CYCLE])
    .filter(([, got, want]) => Math.abs(got - want) > slack);
  const unknown = Object.keys(p.statuses).filter((s) => !(s in MIX));
  check(bad.length === 0 && unknown.length === 0, `${p.name}: statuses ${JSON.stringify(p.statuses)} match the mix`);
}
// Every 500 was logged once (the server may have answered a few requests wrk never counted).
const stderrText = readFileSync(stderrFile, "utf8");
const logged = (stderrText.match(/^catzilla: handler for GET \/\w+ failed:/gm) ?? []).length;
const counted500 = (warm.statuses["500"] ?? 0) + (main.statuses["500"] ?? 0);
check(logged >= counted500 && logged <= counted500 + 4 * cfg.connections, `500s logged once each: ${logged} log entries for ${counted500} counted 500s`);
check(!/did not settle|dispatch threw|Segmentation|Aborted|FATAL/.test(stderrText), "no other error on the server's stderr");
const health = await new Promise((resolve) => {
  http
    .get({ host: "127.0.0.1", port, path: "/sync", agent: false }, (res) => {
      let b = "";
      res.on("data", (d) => (b += d)).on("end", () => resolve({ status: res.statusCode, body: b }));
    })
    .on("error", (e) => resolve({ status: 0, body: String(e) }));
});
check(alive() && health.status === 200, `server alive after the soak, /sync → ${health.status}`);
const tStop = performance.now();
await stopChild(server, 15_000);
const stopMs = performance.now() - tStop;
check(server.exitCode === 0 && serverOut.some((l) => l.includes('"closed":true')), `SIGTERM → graceful close, exit ${server.exitCode ?? server.signalCode} in ${stopMs.toFixed(0)} ms`);
const rssMax = Math.max(...samples.filter((s) => s.phase === "measured").map((s) => s.rssKiB));
const rssMin = Math.min(...samples.filter((s) => s.phase === "measured").map((s) => s.rssKiB));
// The trend that matters for a leak: RSS over the second half of the measured run.
const measured = samples.filter((s) => s.phase === "measured");
const half = measured.find((s) => s.t >= (measured[0].t + measured.at(-1).t) / 2) ?? measured[0];
const halfGrowth = measured.at(-1).rssKiB - half.rssKiB;
const passed = checks.every((c) => c.ok);

// ---- report ----------------------------------------------------------------------------

const mb = (k) => (k / 1024).toFixed(1);
const nodeV = process.version;
const wrkV = /wrk\s+(\S+)/.exec(spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout ?? "")?.[1] ?? "?";
const serverCmd = `${launch.nice ? `nice -n ${launch.nice} ` : ""}taskset -c 0 node ${nodeFlags.length ? nodeFlags.join(" ") + " " : ""}bench/.tmp/soak/main.js`;
const when = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const series = samples
  .filter((s) => s.phase === "measured")
  .filter((_, i, a) => i % Math.max(1, Math.round(a.length / 12)) === 0 || i === a.length - 1)
  .map((s) => `${s.t.toFixed(0)} s: ${mb(s.rssKiB)}`)
  .join(" · ");
const soakMd = [
  `### Soak: ${main.requests.toLocaleString("en-US")} keep-alive requests (${when})`,
  ``,
  `\`npm run soak\` (bench/soak.mjs): bench/soak/app.ts served with \`${serverCmd}\`, loaded with`,
  `\`${wrkCmd(cfg.requests)}\` after a warm-up of ${warm.requests.toLocaleString("en-US")} requests. The mix`,
  `(bench/soak/soak.lua, rotating per request): 30 % sync (params, query, headers, const), 30 % async (microtask,`,
  `timer, POST JSON bodies), 20 % 404/405 answered by C, 20 % errors (throw, reject, BigInt → 500 logged; HttpError → 418).`,
  `Node ${nodeV}, wrk ${wrkV}, ${cfg.connections} connections, server on CPU 0, wrk on CPU 1.${nodeFlags.join(" ") === DEFAULT_NODE_FLAGS ? ` The young generation starts at V8's own ceiling (\`${DEFAULT_NODE_FLAGS}\`) so that its growth, which is sizing and not a leak, does not count: see "V8's default young generation" below.` : nodeFlags.length ? "" : " V8's default heap sizing."}`,
  ``,
  `| | RSS |`,
  `| --- | --- |`,
  `| at start (listening, idle) | ${mb(rssStart)} MB |`,
  `| after warm-up (1 s after wrk stopped) | ${mb(rssWarm)} MB |`,
  `| during the measured run (min – max, sampled every 1 s) | ${mb(rssMin)} – ${mb(rssMax)} MB |`,
  `| at the end (1 s after wrk stopped) | ${mb(rssEnd)} MB |`,
  `| **end − after warm-up** | **${growth >= 0 ? "+" : ""}${(growth / 1024).toFixed(2)} MB** (limit ${cfg.limitKiB / 1024} MB) |`,
  ``,
  ...(memWarm && memEnd
    ? [
        `Where the memory is (the server's own \`process.memoryUsage()\` and V8 space sizes, MB, after warm-up → end):`,
        `V8 heap committed ${memWarm.heapTotal.toFixed(1)} → ${memEnd.heapTotal.toFixed(1)} (young generation ${memWarm.newSpace.toFixed(1)} → ${memEnd.newSpace.toFixed(1)},`,
        `old space ${memWarm.oldSpace.toFixed(1)} → ${memEnd.oldSpace.toFixed(1)}), heap in use ${memWarm.heapUsed.toFixed(1)} → ${memEnd.heapUsed.toFixed(1)}, external ${memWarm.external.toFixed(1)} → ${memEnd.external.toFixed(1)},`,
        `everything outside V8's heap (RSS − heap committed: the addon's C memory, Node, code) ${memWarm.nonHeap.toFixed(1)} → ${memEnd.nonHeap.toFixed(1)}.`,
        ``,
      ]
    : []),
  `RSS during the measured run (seconds since the harness started): ${series} (MB). Over its second half`,
  `(${half.t.toFixed(0)} s → ${measured.at(-1).t.toFixed(0)} s, about ${Math.round(main.requests / 2).toLocaleString("en-US")} requests) RSS changed by ${halfGrowth >= 0 ? "+" : ""}${(halfGrowth / 1024).toFixed(2)} MB;`,
  `the whole end − warm-up difference bounds any per-request leak at ${((growth * 1024) / main.requests).toFixed(1)} bytes per request.`,
  ``,
  `Measured: ${main.requests.toLocaleString("en-US")} responses in ${main.wallS.toFixed(1)} s (${Math.round(main.requests / main.wallS).toLocaleString("en-US")} req/s), latency p50 ${(main.latency_us.p50 / 1000).toFixed(2)} ms, p99 ${(main.latency_us.p99 / 1000).toFixed(2)} ms;`,
  `statuses ${Object.entries(main.statuses).map(([k, v]) => `${k}: ${v.toLocaleString("en-US")}`).join(", ")}; socket errors ${main.errors.connect + main.errors.read + main.errors.write + main.errors.timeout}.`,
  ``,
  ...checks.map((c) => `- ${c.ok ? "✓" : "✗ **FAIL**"} ${c.what}`),
  ``,
  `Result: **${passed ? "pass" : "FAIL"}**.`,
].join("\n");

const results = { when, cfg, nodeFlags, memWarm, memEnd, nice: launch.nice, node: nodeV, wrk: wrkV, serverCmd, rss: { start: rssStart, warm: rssWarm, end: rssEnd, min: rssMin, max: rssMax, growth, halfGrowth }, warm, main, checks, samples, passed };
writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 2) + "\n");

if (!opt["no-write"]) {
  // The sanitizer and valgrind results (bench/soak/sanitizers.md, from their scripts' runs)
  // travel with the soak's, so `npm run soak` restores the whole section after a bench run
  // has rewritten bench/RESULTS.md.
  const extra = ["notes.md", "sanitizers.md"].map((f) => join(SOAK, f)).filter(existsSync);
  const md = [soakMd, ...extra.map((f) => readFileSync(f, "utf8").trim())].join("\n\n");
  writeFileSync(join(SOAK, "RESULTS.md"), `# Soak and sanitizer results\n\n${md}\n`);
  updateSection(join(BENCH, "RESULTS.md"), md);
  log(`wrote bench/soak/RESULTS.md and the soak part of bench/RESULTS.md`);
}
log(passed ? "PASS" : "FAIL");
process.exit(passed ? 0 : 1);

/**
 * bench/RESULTS.md belongs to the benchmark suite; the soak owns only the text between
 * its markers inside the "Soak and sanitizers" section (created at the end when missing).
 * The file is read right before it is written.
 */
function updateSection(file, md) {
  const BEGIN = "<!-- soak:begin (written by bench/soak.mjs) -->";
  const END = "<!-- soak:end -->";
  const block = `${BEGIN}\n${md}\n${END}`;
  let text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else {
    const heading = text.includes("## Soak and sanitizers") ? "" : "## Soak and sanitizers\n\n";
    text = `${text.replace(/\s*$/, text ? "\n\n" : "")}${heading}${block}\n`;
  }
  writeFileSync(file, text);
}
