#!/usr/bin/env node
// A/B of two builds of the native addon on the benchmark app: same app, same machine,
// runs interleaved (A, B, A, B, ...) so a load change on the shared machine hits both.
//   node bench/ab-native.mjs <a.node> <b.node> [--routes json,async,user] [--reps 5]
//                            [--duration 3] [--modes np,pl]
// Each addon is loaded by the bench app through CATZILLA_NATIVE (runtime/native.ts); the
// servers are pinned to CPU 0 and wrk to CPU 1, as bench/run.mjs does. Prints each run and
// the medians of requests/s and of the server's CPU time per request (less sensitive than
// requests/s to other processes on a shared machine) per route and mode.
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { measure } from "./lib/measure.mjs";
import { installCleanup, stopAll } from "./lib/procs.mjs";
import { compileCatzilla, routeLabel, serverDefs, startServer } from "./lib/servers.mjs";

const { values: opt, positionals } = parseArgs({
  options: {
    routes: { type: "string", default: "json,async,user" },
    modes: { type: "string", default: "np,pl" },
    reps: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
  },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  console.error("usage: node bench/ab-native.mjs <a.node> <b.node> [--routes ..] [--reps N] [--duration S] [--modes np,pl]");
  process.exit(2);
}
installCleanup();
const addons = positionals.map((p) => resolve(p));
const routes = opt.routes.split(",");
const modes = opt.modes.split(",");
const reps = Number(opt.reps);
const durationS = Number(opt.duration);

const c = compileCatzilla(["bench/app/app.ts", "bench/app/main.ts"], "bench/app/.catzilla");
if (!c.ok) {
  console.error(c.out);
  process.exit(1);
}
const def = serverDefs().find((d) => d.name === "catzilla");
const results = {}; // "route mode" → { rps: [[a..], [b..]], cpu: [[a..], [b..]] }
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Both servers run at once (pinned to the same core; the one not being measured idles),
// and every (route, mode) is measured A then B or B then A, alternating: runs of the two
// builds are seconds apart, so the machine's load drifts about equally over both.
const servers = [];
for (const addon of addons) servers.push(await startServer(def, { env: { CATZILLA_NATIVE: addon } }));
try {
  for (const route of routes) for (const s of servers) await measure(s, route, "np", { durationS: 1 }); // warm-up
  for (let rep = 0; rep < reps; rep++) {
    let slot = rep; // which build goes first: alternates across slots and, per slot, across reps
    for (const route of routes) {
      for (const mode of modes) {
        const key = `${routeLabel(route)} ${mode}`;
        const rec = (results[key] ??= { rps: [[], []], cpu: [[], []] });
        for (const which of slot++ % 2 ? [1, 0] : [0, 1]) {
          const r = await measure(servers[which], route, mode, { durationS });
          rec.rps[which].push(r.rps);
          rec.cpu[which].push(r.cpuUsPerReq);
          console.log(`rep ${rep} ${"AB"[which]} ${key}: ${Math.round(r.rps)} req/s, ${r.cpuUsPerReq?.toFixed(2)} µs CPU/req` +
            ` (other load ${r.otherPct?.toFixed(0)}%)${r.error ? ` ERROR ${r.error}` : ""}`);
        }
      }
    }
  }
} finally {
  for (const s of servers) await s.stop();
}
await stopAll();
console.log(`\nmedians of ${reps} runs, ${durationS} s each (A = ${addons[0]}, B = ${addons[1]})`);
console.log("| route | mode | A req/s | B req/s | B/A | A µs CPU/req | B µs CPU/req | B/A |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [key, { rps, cpu }] of Object.entries(results)) {
  const [route, mode] = key.split(" ");
  const [ra, rb] = rps.map(median);
  const [ca, cb] = cpu.map(median);
  console.log(`| ${route} | ${mode} | ${Math.round(ra)} | ${Math.round(rb)} | ${((rb / ra) * 100).toFixed(1)}% | ` +
    `${ca.toFixed(2)} | ${cb.toFixed(2)} | ${((cb / ca) * 100).toFixed(1)}% |`);
}
