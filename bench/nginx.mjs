#!/usr/bin/env node
// The bench app behind nginx (the config docs/deployment.md shows: upstream keep-alive)
// against the same app direct, in interleaved rounds; node:http beside it both ways.
//
//   node bench/nginx.mjs                      app on CPU 0, nginx and wrk on CPU 1
//   node bench/nginx.mjs --server-cpus 0-3 --nginx-cpus 4-5 --load-cpus 6-7
//   options: --node 24  --reps 3  --duration 3  --connections 64  --route json  --write
//
// Reports the median requests/s and p50/p99 latency of each way, the ratio nginx/direct,
// and the app's CPU time per request (the proxy's keep-alive connections make it the same
// work as direct; what nginx costs is its own CPU).
import { join } from "node:path";
import { nodeBin } from "../scripts/node.mjs";
import { cpuMicros, installCleanup } from "./lib/procs.mjs";
import { NGINX, nginxVersion, startNginx } from "./lib/nginx.mjs";
import { BENCH, checkAnswer, compileCatzilla, get, ROOT, ROUTES, startServer, TMP, wrkVersion } from "./lib/servers.mjs";
import { fmtLatency, fmtNum, fmtRate, fmtRatio, median, sleep, updateSection } from "./lib/util.mjs";
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
const serverCpus = opt("server-cpus", "0");
const nginxCpus = opt("nginx-cpus", "1");
const loadCpus = opt("load-cpus", "1");
const write = args.includes("--write");
if (NGINX === undefined) throw new Error("nginx is not installed (scripts/setup.sh installs it)");

installCleanup();
const c = compileCatzilla([join(BENCH, "app", "app.ts"), join(BENCH, "app", "main.ts")], join(BENCH, "app", ".catzilla"), { nodeBin: node });
if (!c.ok) throw new Error(`compile failed: ${c.out}`);

const defs = [
  { name: "catzilla", label: "Catzilla", cmd: node, args: [join(BENCH, "app", "main.js")], routes: [route] },
  { name: "node-http", label: "node:http", cmd: node, args: [join(BENCH, "servers", "node-http.mjs")], routes: [route] },
];
const results = []; // { server, via, rps, p50, p99, cpuUsPerReq, errors }
for (let rep = 0; rep < reps; rep++) {
  for (const def of defs) {
    const server = await startServer(def, { cpu: serverCpus });
    const nginx = await startNginx(join(TMP, `nginx-bench-${process.pid}`), [server.port], {
      cpu: nginxCpus,
      accessLog: false,
      // More idle upstream connections than wrk's: with fewer, nginx closes the extra ones
      // after each request and opens new ones (connection churn, not keep-alive).
      keepalive: 2 * connections,
    });
    try {
      const ways = rep % 2 ? ["nginx", "direct"] : ["direct", "nginx"];
      for (const via of ways) {
        const port = via === "nginx" ? nginx.port : server.port;
        const bad = checkAnswer(route, await get(port, ROUTES[route].path));
        if (bad.length) throw new Error(`${def.label} via ${via}: ${bad.join("; ")}`);
        const url = `http://127.0.0.1:${port}${ROUTES[route].path}`;
        await runWrk({ url, connections, durationS: 1, cpu: loadCpus }).done; // warm-up
        const cpu0 = cpuMicros(server.pid);
        const w = await runWrk({ url, connections, durationS, cpu: loadCpus }).done;
        const cpu1 = cpuMicros(server.pid);
        results.push({
          server: def.name,
          via,
          rps: w.rps,
          p50: w.latencyUs.p50,
          p99: w.latencyUs.p99,
          cpuUsPerReq: (cpu1 - cpu0) / w.requests,
          errors: w.socketErrors + w.non2xx,
        });
        process.stderr.write(`${def.label} ${via}: ${fmtRate(w.rps)} req/s\n`);
      }
    } finally {
      await nginx.stop();
      await server.stop();
      await sleep(200);
    }
  }
}

const of = (server, via, k) => median(results.filter((x) => x.server === server && x.via === via).map((x) => x[k]));
const lines = [
  `\`node bench/nginx.mjs ${args.join(" ")}\``.replace(" `", "`") +
    ` (Node ${opt("node", "24")}, ${nginxVersion()}, wrk ${wrkVersion()}; upstream keepalive ${2 * connections}; app on CPU ${serverCpus}, nginx on CPU ${nginxCpus}, wrk on CPU ${loadCpus}; ${reps} interleaved rounds of ${durationS} s, ${connections} connections, \`${ROUTES[route].path}\`, not pipelined)`,
  "",
  "| server | way | req/s (median) | nginx / direct | p50 | p99 | app CPU µs/request | errors |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
for (const def of defs) {
  for (const via of ["direct", "nginx"]) {
    const errors = results.filter((x) => x.server === def.name && x.via === via).reduce((a, x) => a + x.errors, 0);
    lines.push(
      `| ${def.label} | ${via} | ${fmtRate(of(def.name, via, "rps"))} | ${via === "nginx" ? fmtRatio(of(def.name, "nginx", "rps") / of(def.name, "direct", "rps")) : ""} | ${fmtLatency(of(def.name, via, "p50"))} | ${fmtLatency(of(def.name, via, "p99"))} | ${fmtNum(of(def.name, via, "cpuUsPerReq"), 2)} | ${errors} |`,
    );
  }
}
const md = lines.join("\n");
console.log(md);
if (write) updateSection(join(ROOT, "bench", "RESULTS.md"), "deploy-nginx", "Deployment: behind nginx", md, "bench/nginx.mjs");
