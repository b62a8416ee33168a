#!/usr/bin/env node
// A/B of two builds of the native addon on the benchmark app: same app, same machine,
// runs interleaved (A, B, A, B, ...) so a load change on the shared machine hits both.
//   node bench/ab-native.mjs <a.node> <b.node> [--routes json,async,user] [--reps 5]
//                            [--duration 3] [--modes np,pl]
// Each addon is loaded by the bench app through CATZILLA_NATIVE (runtime/native.ts); the
// server is pinned to CPU 0 and wrk to CPU 1, as bench/run.mjs does. Prints each run and
// the medians of requests/s per route and mode.
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
const results = {}; // key → [a rps..], [b rps..]
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (let rep = 0; rep < reps; rep++) {
  for (let k = 0; k < 2; k++) {
    // Alternate which build goes first in a round, so neither always runs right after a warm-up.
    const which = (rep + k) % 2;
    const server = await startServer(def, { env: { CATZILLA_NATIVE: addons[which] } });
    try {
      for (const route of routes) {
        await measure(server, route, "np", { durationS: 1 }); // warm-up
        for (const mode of modes) {
          const r = await measure(server, route, mode, { durationS });
          const key = `${routeLabel(route)} ${mode}`;
          (results[key] ??= [[], []])[which].push(r.rps);
          console.log(`rep ${rep} ${"AB"[which]} ${key}: ${Math.round(r.rps)} req/s` +
            ` (other load ${r.otherPct?.toFixed(0)}%)${r.error ? ` ERROR ${r.error}` : ""}`);
        }
      }
    } finally {
      await server.stop();
    }
  }
}
await stopAll();
console.log(`\nmedians of ${reps} runs, ${durationS} s each (A = ${addons[0]}, B = ${addons[1]})`);
console.log("| route | mode | A req/s | B req/s | B/A |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const [key, [a, b]] of Object.entries(results)) {
  const [route, mode] = key.split(" ");
  const ma = median(a);
  const mb = median(b);
  console.log(`| ${route} | ${mode} | ${Math.round(ma)} | ${Math.round(mb)} | ${((mb / ma) * 100).toFixed(1)}% |`);
}
