// Turns the runs into medians, ratios, the issue-3 target checks, RESULTS.md, the chart's
// data and a console summary.
import { MODES } from "./measure.mjs";
import { ROUTES, routeLabel } from "./servers.mjs";
import { fmtLatency, fmtMs, fmtNum, fmtRate, fmtRatio, median, summarize } from "./util.mjs";

const key = (server, route, mode) => `${server}|${route}|${mode}`;

/** Groups runs by (server, route, mode): medians with min/max. */
export function summarizeRuns(runs) {
  const groups = new Map();
  for (const r of runs) {
    const k = key(r.server, r.route, r.mode);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const out = {};
  for (const [k, rs] of groups) {
    const ok = rs.filter((r) => Number.isFinite(r.rps));
    out[k] = {
      server: rs[0].server,
      route: rs[0].route,
      mode: rs[0].mode,
      runs: rs.length,
      rps: summarize(ok.map((r) => r.rps)),
      p50Us: median(ok.map((r) => r.p50Us)),
      p99Us: median(ok.map((r) => r.p99Us)),
      p99Max: Math.max(...ok.map((r) => r.p99Us).filter(Number.isFinite), NaN),
      cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
      rssKiB: median(ok.map((r) => r.rssKiB)),
      otherPct: median(ok.map((r) => r.otherPct)),
      socketErrors: rs.reduce((n, r) => n + (r.socketErrors ?? 0), 0),
      errors: [...new Set(rs.filter((r) => r.error).map((r) => r.error))],
    };
  }
  return out;
}

export function buildReport({ meta, servers, summary, runs, scenarios, notes, rssFinal }) {
  const S = (server, route, mode) => summary[key(server, route, mode)];
  const rps = (server, route, mode) => S(server, route, mode)?.rps.median ?? NaN;
  const label = Object.fromEntries(servers.map((s) => [s.name, s.label]));
  // Servers run again on another Node (bench/run.mjs --node 24,20) have their own table.
  const active = servers.filter((s) => !s.skipped && !s.base);
  const besides = servers.filter((s) => !s.skipped && s.base);
  const routes = Object.keys(ROUTES).filter((r) => active.some((s) => S(s.name, r, "np")));
  const nodeRoute = (r) => (r === "const" ? "json" : r);

  // ---- targets ----
  const T = [];
  const target = (measure, goal, measured, ok, detail = "") => T.push({ measure, goal, measured, ok, detail });
  const has = (...xs) => xs.every(Number.isFinite);
  const cz = (r, m) => rps("catzilla", r, m);
  {
    const a = cz("json", "pl") / rps("node-http", "json", "pl");
    const b = cz("json", "pl") / rps("bun", "json", "pl");
    target(
      "sync `/json`, pipelined req/s",
      "≥ 4× node:http and ≥ 2× Bun.serve",
      `${fmtRatio(a)} node:http, ${fmtRatio(b)} Bun.serve`,
      has(a, b) ? a >= 4 && b >= 2 : has(a) && a < 4 ? false : null,
    );
    const c = cz("json", "np") / rps("plain-c", "json", "np");
    target("sync `/json`, non-pipelined req/s", "≥ 0.9× plain C", fmtRatio(c), has(c) ? c >= 0.9 : null);
    const cc = S("catzilla", "json", "np")?.cpuUsPerReq;
    const cb = S("bun", "json", "np")?.cpuUsPerReq;
    target(
      "server CPU µs/request, non-pipelined `/json`",
      "≤ Bun.serve's",
      `${fmtNum(cc, 2)} µs vs Bun.serve ${fmtNum(cb, 2)} µs`,
      has(cc, cb) ? cc <= cb : null,
    );
    for (const [r, what] of [
      ["async", "`/async` vs sync `/json`"],
      ["user", "`/user/:id` vs `/json`"],
    ]) {
      const np = cz(r, "np") / cz("json", "np");
      const pl = cz(r, "pl") / cz("json", "pl");
      target(what, "≥ 0.90", `${fmtRatio(np)} non-pipelined, ${fmtRatio(pl)} pipelined`, has(np, pl) ? np >= 0.9 && pl >= 0.9 : null);
    }
    const k = cz("const", "pl") / rps("plain-c", "const", "pl");
    target("const route (`/const`), pipelined", "≥ 0.8× plain C's fixed response", fmtRatio(k), has(k) ? k >= 0.8 : null);
    const pc = S("catzilla", "json", "np")?.p99Us;
    const pn = S("node-http", "json", "np")?.p99Us;
    target(
      "p99 latency at 64 connections (`/json`, non-pipelined)",
      "≤ ½ node:http's",
      `${fmtLatency(pc)} vs node:http ${fmtLatency(pn)} (${fmtRatio(pc / pn)})`,
      has(pc, pn) ? pc <= pn / 2 : null,
    );
    const rc = rssFinal.catzilla;
    const rn = rssFinal["node-http"];
    target(
      "RSS after load",
      "≤ node:http's",
      `${fmtNum(rc / 1024)} MiB vs node:http ${fmtNum(rn / 1024)} MiB`,
      has(rc, rn) ? rc <= rn : null,
    );
    const ea = scenarios.enableAsync?.rows;
    if (ea) {
      const parts = [];
      let ok = true;
      for (const m of ["np", "pl"]) {
        const on = median(ea.filter((x) => x.mode === m && x.enableAsync).map((x) => x.rps));
        const off = median(ea.filter((x) => x.mode === m && !x.enableAsync).map((x) => x.rps));
        const ratio = off / on;
        parts.push(`${m === "np" ? "non-pipelined" : "pipelined"} false/true ${fmtRatio(ratio, 3)}`);
        ok &&= has(ratio) && Math.abs(ratio - 1) <= 0.03;
      }
      target("scenario 1: all-sync app, `enableAsync` false vs true", "within 3%", parts.join(", "), ok);
    } else target("scenario 1: all-sync app, `enableAsync` false vs true", "within 3%", "not run", null);
    const inf = scenarios.inflight?.rows;
    if (inf) {
      const parts = [];
      let ok = true;
      for (const m of ["np", "pl"]) {
        const alone = median(inf.filter((x) => x.mode === m).map((x) => x.alone.rps));
        const loaded = median(inf.filter((x) => x.mode === m).map((x) => x.loaded.rps));
        parts.push(`${m === "np" ? "non-pipelined" : "pipelined"} ${fmtRatio(loaded / alone)}`);
        ok &&= has(loaded / alone) && loaded / alone >= 0.85;
      }
      target("scenario 2: `/json` with 200 in-flight 100 ms async requests", "≥ 0.85× alone", parts.join(", "), ok);
    } else target("scenario 2: `/json` with 200 in-flight 100 ms async requests", "≥ 0.85× alone", "not run", null);
  }
  const verdict = (ok) => (ok === true ? "✅ met" : ok === false ? "❌ not met" : "— n/a");

  // ---- tables ----
  const L = [];
  const p = (s = "") => L.push(s);
  const czJson = { np: cz("json", "np"), pl: cz("json", "pl") };
  p("# Catzilla benchmark results");
  p();
  p(
    `Run on ${meta.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")} with \`${meta.command}\` (took ${Math.round(meta.elapsedS)} s${Number.isFinite(meta.setupS) ? `, of which ${Math.round(meta.setupS)} s setup and builds` : ""}), ` +
      `commit \`${meta.versions.commit}\`. ${meta.cfg.quick ? "**Quick mode: one round of 1 s runs; indicative only.** " : ""}`,
  );
  p("Runs on these shared machines vary by ±20% between runs: compare only ratios within one run (runs are interleaved, figures are medians).");
  const bare = (v) => v?.replace(/^v/, "");
  const nodeMajor = (v) => bare(v)?.split(".")[0];
  const otherNodes = (meta.versions.nodeBeside ?? []).map(bare);
  p();
  p(
    `Catzilla, node:http and Fastify run on **Node ${bare(meta.versions.node)}**` +
      (otherNodes.length ? `; the same servers on ${otherNodes.map((v) => `Node ${v}`).join(", ")} ran in the same interleaved rounds: see [Node versions](#node-versions).` : "."),
  );
  {
    const o = median(runs.map((r) => r.otherPct ?? r.cpu0OtherPct).filter(Number.isFinite));
    if (o > meta.cfg.maxForeignPct) {
      p();
      p(
        `> **⚠ Disturbed run:** other processes on this machine took a median ${fmtNum(o, 0)}% of the measured cores during the runs ` +
          `(see the contention check under Method). Absolute figures are far below what these servers do on an idle machine and the ratios are noisy; ` +
          `rerun \`npm run bench\` when the machine is idle before drawing conclusions.`,
      );
    }
  }
  p();
  p("![requests per second per server and route](results.svg)");
  p();
  p("## Targets (issue 3), measured in this run");
  p();
  p("| measure | target | measured | |");
  p("| --- | --- | --- | --- |");
  for (const t of T) p(`| ${t.measure} | ${t.goal} | ${t.measured} | ${verdict(t.ok)} |`);
  p();
  if (besides.length) {
    const main = bare(meta.versions.node);
    p("## Node versions");
    p();
    p(
      `Each Node server on Node ${main} (the tables below) and beside it on ${otherNodes.map((v) => `Node ${v}`).join(", ")}, ` +
        "measured in the same rounds (interleaved with every other server), so the ratio is within one run.",
    );
    p();
    for (const v of otherNodes) {
      const a = nodeMajor(main);
      const b = nodeMajor(v);
      p(`| server | route | mode | Node ${a} req/s | Node ${b} req/s | ${a} / ${b} | Node ${a} CPU µs/req | Node ${b} CPU µs/req | Node ${a} RSS MiB | Node ${b} RSS MiB |`);
      p("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
      const perServer = [];
      for (const s of besides.filter((x) => x.nodeMajor === b)) {
        const pairs = ["np", "pl"].flatMap((mode) => routes.map((r) => [S(s.base, r, mode), S(s.name, r, mode)])).filter(([x, y]) => x && y);
        perServer.push({
          label: label[s.base],
          rps: median(pairs.map(([x, y]) => x.rps.median / y.rps.median)),
          cpu: median(pairs.map(([x, y]) => x.cpuUsPerReq / y.cpuUsPerReq)),
          rss: median(pairs.map(([x, y]) => x.rssKiB / y.rssKiB)),
        });
        for (const mode of ["np", "pl"]) {
          for (const r of routes) {
            const x = S(s.base, r, mode);
            const y = S(s.name, r, mode);
            if (!x || !y) continue;
            p(
              `| ${label[s.base]} | \`${routeLabel(r)}\` | ${MODES[mode].label} | ${fmtRate(x.rps.median)} | ${fmtRate(y.rps.median)} | ${fmtRatio(x.rps.median / y.rps.median)} | ` +
                `${fmtNum(x.cpuUsPerReq, 2)} | ${fmtNum(y.cpuUsPerReq, 2)} | ${fmtNum(x.rssKiB / 1024)} | ${fmtNum(y.rssKiB / 1024)} |`,
            );
          }
        }
      }
      p();
      // Server CPU per request holds up better than req/s when other work shares the cores.
      p(
        `Medians over each server's routes and modes, Node ${a} / Node ${b}: ` +
          perServer.map((x) => `${x.label} req/s ${fmtRatio(x.rps)}, CPU µs/req ${fmtRatio(x.cpu)}, RSS ${fmtRatio(x.rss)}`).join("; ") +
          ". Server CPU per request is the steadier figure when other work shares the machine.",
      );
      p();
    }
  }
  const skipped = servers.filter((s) => s.skipped);
  if (skipped.length) {
    p("**Not measured:**");
    for (const s of skipped) p(`- ${s.label}: ${s.skipped.split("\n")[0]}`);
    p();
  }

  const table = (mode) => {
    const np = mode === "np";
    p(
      np
        ? "| server | route | req/s (median) | min – max | p50 | p99 | server CPU µs/req | RSS MiB | × node:http | × Catzilla `/json` |"
        : "| server | route | req/s (median) | min – max | server CPU µs/req | RSS MiB | × node:http | × Catzilla `/json` |",
    );
    p(np ? "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" : "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of routes) {
      for (const s of active) {
        const x = S(s.name, r, mode);
        if (!x) continue;
        const vsNode = x.rps.median / rps("node-http", nodeRoute(r), mode);
        const vsCz = x.rps.median / czJson[mode];
        const err = x.errors.length ? " ⚠" : "";
        const cells = [
          s.label + err,
          `\`${routeLabel(r)}\``,
          fmtRate(x.rps.median),
          `${fmtRate(x.rps.min)} – ${fmtRate(x.rps.max)}`,
          ...(np ? [fmtLatency(x.p50Us), fmtLatency(x.p99Us)] : []),
          fmtNum(x.cpuUsPerReq, 2),
          fmtNum(x.rssKiB / 1024),
          fmtRatio(vsNode),
          fmtRatio(vsCz),
        ];
        p(`| ${cells.join(" | ")} |`);
      }
    }
    p();
  };
  p(`## Non-pipelined: ${meta.cfg.connections} keep-alive connections, 1 wrk thread`);
  p();
  table("np");
  p(`## Pipelined: ${meta.cfg.depth} requests per write, ${meta.cfg.connections} connections`);
  p();
  p("wrk times whole pipelined batches, so latency is not reported for these runs.");
  p();
  table("pl");
  p("`× node:http` compares with node:http on the same route and mode (`/const` with node:http's `/json`); `× Catzilla /json` with Catzilla's sync `/json` in the same mode. ⚠ marks a (server, route) with errors, listed under Notes.");
  p();
  p("### RSS after all load (VmRSS, MiB)");
  p();
  p(`| ${active.map((s) => s.label).join(" | ")} |`);
  p(`| ${active.map(() => "---:").join(" | ")} |`);
  p(`| ${active.map((s) => fmtNum(rssFinal[s.name] / 1024)).join(" | ")} |`);
  p();

  // ---- scenarios ----
  p("## Scenarios");
  p();
  p("### 1. All-sync app with `enableAsync` true and false");
  p();
  const ea = scenarios.enableAsync?.rows;
  if (ea) {
    p(`\`bench/app-sync\` (only sync routes) served twice by \`bench/app-sync/main.js\`, \`BENCH_ENABLE_ASYNC=1\` and \`=0\`, both pinned to CPU 0, warmed up (2 s per mode each), then measured alternately on \`/json\` (${new Set(ea.map((x) => x.rep)).size} rounds of ${meta.cfg.scenarioDurationS ?? meta.cfg.durationS} s runs; medians, min – max).`);
    p();
    p("| mode | enableAsync true | enableAsync false | false / true |");
    p("| --- | ---: | ---: | ---: |");
    for (const m of ["np", "pl"]) {
      const on = summarize(ea.filter((x) => x.mode === m && x.enableAsync).map((x) => x.rps));
      const off = summarize(ea.filter((x) => x.mode === m && !x.enableAsync).map((x) => x.rps));
      p(`| ${MODES[m].label} | ${fmtRate(on.median)} (${fmtRate(on.min)} – ${fmtRate(on.max)}) | ${fmtRate(off.median)} (${fmtRate(off.min)} – ${fmtRate(off.max)}) | ${fmtRatio(off.median / on.median, 3)} |`);
    }
    const errs = [...new Set(ea.filter((x) => x.error).map((x) => x.error))];
    if (errs.length) p(`\nErrors: ${errs.join("; ")}`);
  } else p("Not run (Catzilla unavailable or scenarios skipped).");
  p();
  p("### 2. `/json` while 200 async requests are in flight, each awaiting 100 ms");
  p();
  const inf = scenarios.inflight?.rows;
  if (inf) {
    p(`A second wrk keeps 200 connections on \`/sleep100\` (\`${scenarios.inflight.cmd}\`), started 0.7 s before the \`/json\` run; \`/json\` alone and loaded are measured alternately (${new Set(inf.map((x) => x.rep)).size} rounds of ${meta.cfg.scenarioDurationS ?? meta.cfg.durationS} s runs).`);
    p();
    p("| mode | `/json` alone | `/json` with 200 in flight | loaded / alone | `/sleep100` req/s | `/sleep100` p50 |");
    p("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const m of ["np", "pl"]) {
      const rows = inf.filter((x) => x.mode === m);
      const alone = summarize(rows.map((x) => x.alone.rps));
      const loaded = summarize(rows.map((x) => x.loaded.rps));
      p(
        `| ${MODES[m].label} | ${fmtRate(alone.median)} (${fmtRate(alone.min)} – ${fmtRate(alone.max)}) | ${fmtRate(loaded.median)} (${fmtRate(loaded.min)} – ${fmtRate(loaded.max)}) | ${fmtRatio(loaded.median / alone.median)} | ${fmtRate(median(rows.map((x) => x.bg.rps)))} | ${fmtLatency(median(rows.map((x) => x.bg.p50Us)))} |`,
      );
    }
    const errs = [
      ...new Set(inf.flatMap((x) => [x.alone.error, x.loaded.error, x.bg.error, x.bg.non2xx ? `/sleep100: ${x.bg.non2xx} non-2xx` : undefined]).filter(Boolean)),
    ];
    if (errs.length) p(`\nErrors: ${errs.join("; ")}`);
  } else p("Not run (Catzilla unavailable or scenarios skipped).");
  p();
  p("### 3. Compile time (cold: fresh process, output directory and generated JS removed first; not pinned)");
  p();
  const comp = scenarios.compile?.rows;
  if (comp) {
    p("| app | compile time (median) | min – max | runs | compiler's last line | command |");
    p("| --- | ---: | ---: | ---: | --- | --- |");
    for (const c of comp) {
      p(
        `| ${c.name}${c.served ? ` (${c.served})` : ""} | ${c.ok ? fmtMs(c.ms.median) : "failed"} | ${fmtMs(c.ms.min)} – ${fmtMs(c.ms.max)} | ${c.ms.n} | ${c.lastLine ? `\`${c.lastLine.replace(/\|/g, "\\|").slice(0, 100)}\`` : ""} | \`${c.cmd}\` |`,
      );
    }
    p();
    p("The 1,000-route app is generated under `bench/.tmp/app1000` (one module; static, param and async routes, one in ten a POST); examples/mixed is compiled from a copy in `bench/.tmp/mixed` so the examples' own output is left alone.");
  } else p("Not run (the compiler is unavailable or scenarios skipped).");
  p();

  // ---- machine, versions, method ----
  const m = meta.machine;
  const v = meta.versions;
  p("## Machine and versions");
  p();
  p(`- CPU: ${m.cpu} (${m.mhz} MHz${m.flags ? `, ${m.flags.trim()}` : ""}), \`nproc\` = ${m.nproc}, ${m.memTotal} RAM, ${m.kernel}, ${m.virt}`);
  p(`- Node ${v.node}${v.nodeBeside?.length ? ` (and ${v.nodeBeside.map((x) => `Node ${x}`).join(", ")} for the Node versions table)` : ""}; wrk ${v.wrk}; Fastify ${v.fastify}; Bun ${v.bun ?? "not available"}; catzilla ${v.catzilla} @ ${v.commit}`);
  p(`- ${v.cc}; libuv ${v.libuv} (Debian libuv1-dev, plain C server); llhttp ${v.llhttp} (Debian 13 libllhttp-dev)`);
  p();
  p("## Method and exact commands");
  p();
  p(
    "Servers, each started by the suite and pinned to CPU 0 (the pid measured is the server's own: nice and taskset exec it)" +
      (meta.cfg.nice ? `; servers and wrk run at nice ${meta.cfg.nice}, so that other work sharing the machine disturbs them less:` : ":"),
  );
  p();
  p("```sh");
  for (const s of servers) p(`${meta.serverCmds[s.name]}${s.name === "catzilla" ? "   # after: " + (meta.compiles.app?.cmd ?? "node bin/catzilla-compile.js bench/app/app.ts bench/app/main.ts --out bench/app/.catzilla") : ""}`);
  p("```");
  p();
  if (meta.catzillaKinds) {
    p(`Catzilla's bench app as compiled (\`bench/app/.catzilla/routes.json\`): ${Object.entries(meta.catzillaKinds).map(([r, k]) => `\`${r}\` ${k}`).join(", ")}.`);
    p();
  }
  p("Load, pinned to CPU 1 (bench/wrk.lua prints exact counts and latency percentiles as JSON; with `-- 16` it pipelines 16 requests per write):");
  p();
  p("```sh");
  p(meta.wrkCmd.np);
  p(meta.wrkCmd.pl);
  p("```");
  p();
  p(
    `- ${meta.cfg.reps} round(s); in each round every (server, route) runs once non-pipelined then once pipelined, servers in round-robin order rotated every round; ` +
      `all servers stay up for the whole matrix. Before the first round each ${meta.cfg.quick ? "server (on its first route)" : "(server, route)"} gets a ${meta.cfg.warmS} s unrecorded warm-up.`,
  );
  p(`- Each run lasts ${meta.cfg.durationS} s. Figures are medians over the rounds, with min – max.`);
  p(
    "- Server CPU µs/request: utime + stime of the server process (all its threads, `/proc/<pid>/stat`, 10 ms ticks) before and after the wrk run, divided by the responses wrk counted. RSS: `VmRSS` from `/proc/<pid>/status` after each run (median) and after all load.",
  );
  {
    const pct = (f) => runs.map((r) => r[f]).filter(Number.isFinite);
    const stat = (f) => `median ${fmtNum(median(pct(f)))}%, max ${fmtNum(Math.max(...pct(f)))}%`;
    const busy = runs.filter((r) => r.otherPct > meta.cfg.maxForeignPct);
    p(
      `- Contention check (\`/proc/stat\` around every run): process time on CPU 0 not charged to the server ${stat("cpu0OtherPct")} of the run; on CPU 1 not charged to wrk ${stat("cpu1OtherPct")}; ` +
        `hypervisor steal ${stat("stealPct")}. A run with more than ${meta.cfg.maxForeignPct}% on either core is measured again after the rounds (at most twice, most disturbed first, within the time budget) and the least disturbed attempt kept` +
        (busy.length
          ? `; ${busy.length} of ${runs.length} run(s) stayed above: ${busy.slice(0, 6).map((r) => `${label[r.server]} ${routeLabel(r.route)} ${r.mode} round ${r.rep + 1} (${fmtNum(r.otherPct, 0)}%)`).join(", ")}${busy.length > 6 ? ", …" : ""}.`
          : "."),
    );
  }
  p("- Every route is checked for its exact status, content type and body before the runs and after each run; `test/bench-servers.test.ts` checks all servers answer the same bytes.");
  p("- Fastify's JSON routes set a per-reply serializer (`JSON.stringify`) so that they answer `Content-Type: application/json` like the others (Fastify otherwise appends `; charset=utf-8`).");
  p();
  p(
    `Reproduce: \`${meta.command}\`. \`npm run bench\` alone runs everything on the Node that runs it (full, under 10 minutes); each further \`--node\` version adds its Node servers' runs (about 4 minutes more); \`--quick\` is one round of 1 s runs (writes to \`bench/.tmp/quick/\`). Raw runs: \`bench/results.json\`.`,
  );
  p();
  const errLines = [];
  for (const x of Object.values(summary)) {
    for (const e of x.errors) errLines.push(`- ${label[x.server]} \`${routeLabel(x.route)}\` ${MODES[x.mode].label}: ${e}`);
    if (x.socketErrors) errLines.push(`- ${label[x.server]} \`${routeLabel(x.route)}\` ${MODES[x.mode].label}: ${x.socketErrors} wrk socket errors (connect/read/write/timeout) over ${x.runs} runs`);
  }
  if (notes.length || errLines.length) {
    p("## Notes");
    p();
    for (const n of notes) p(`- ${n.replace(/\n/g, " ")}`);
    for (const e of errLines) p(e);
    p();
  }

  // ---- chart ----
  const chart = {
    title: "Requests per second, by route and server (median; whiskers: min – max)",
    subtitle: `${meta.machine.cpu}, ${meta.machine.nproc} cores; server on CPU 0, wrk on CPU 1; ${meta.cfg.connections} connections; ${meta.cfg.reps} × ${meta.cfg.durationS} s runs; ${meta.date.slice(0, 10)}, commit ${meta.versions.commit}`,
    servers: active.map((s) => ({ name: s.name, label: s.label })),
    panels: ["np", "pl"].map((mode) => ({
      title: mode === "np" ? `Non-pipelined (${meta.cfg.connections} keep-alive connections, 1 wrk thread)` : `Pipelined, ${meta.cfg.depth} deep (${meta.cfg.connections} connections)`,
      groups: routes.map((r) => ({
        label: routeLabel(r),
        bars: active
          .filter((s) => S(s.name, r, mode))
          .map((s) => {
            const x = S(s.name, r, mode);
            return { server: s.name, label: s.label, median: x.rps.median, min: x.rps.min, max: x.rps.max };
          }),
      })),
    })),
  };

  // ---- console ----
  const C = [];
  const pad = (s, n) => String(s).padEnd(n);
  C.push(`${pad("req/s (median)", 24)}${routes.map((r) => pad(routeLabel(r), 22)).join("")}`);
  for (const s of [...active, ...besides]) {
    C.push(
      pad(s.label, 24) +
        routes.map((r) => pad(S(s.name, r, "np") ? `${fmtRate(rps(s.name, r, "np"))} / ${fmtRate(rps(s.name, r, "pl"))}` : "", 22)).join(""),
    );
  }
  C.push("(non-pipelined / pipelined ×16)");
  C.push("");
  for (const t of T) C.push(`${verdict(t.ok).padEnd(11)} ${t.measure}: ${t.measured} (target ${t.goal})`);
  return { markdown: L.join("\n"), chart, console: C.join("\n"), targets: T };
}


const BEGIN = "<!-- bench:begin (written by bench/run.mjs) -->";
const END = "<!-- bench:end -->";

/**
 * Writes RESULTS.md, replacing only this suite's block: other tools (bench/soak.mjs,
 * bench/watch.mjs, ...) keep their own `<!-- name:begin -->` … `<!-- name:end -->` sections,
 * each under its `## ` heading, in the same file.
 */
export function mergeResults(existing, markdown) {
  const block = `${BEGIN}\n${markdown.trimEnd()}\n${END}\n`;
  if (!existing) return block;
  const b = existing.indexOf("<!-- bench:begin");
  const e = existing.indexOf(END);
  if (b !== -1 && e > b) return existing.slice(0, b) + block + existing.slice(e + END.length + 1);
  // A file from before the markers: keep every foreign section (a "## " heading whose next
  // non-blank line opens a marker) and what follows it; put this suite's block first.
  const lines = existing.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("## ")) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === "") j++;
    if (/^<!-- [\w-]+:begin/.test(lines[j] ?? "")) return `${block}\n${lines.slice(i).join("\n")}`;
  }
  return block;
}
