// Runs wrk pinned to the load-generator core and parses the BENCHJSON line bench/wrk.lua prints.
import { join } from "node:path";
import { cpuMicros, launch, pinned, spawnTracked } from "./procs.mjs";
import { BENCH } from "./servers.mjs";

export const WRK_LUA = join(BENCH, "wrk.lua");

/** The wrk command line (without taskset) for a run, as RESULTS.md shows it. */
export function wrkArgs({ url, connections = 64, threads = 1, durationS = 3, depth = 1, timeoutS = 4 }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, `--timeout`, `${timeoutS}s`, "--latency", "-s", WRK_LUA, url];
  if (depth > 1) args.push("--", String(depth));
  return args;
}

/**
 * Runs one wrk. Resolves { requests, durationUs, rps, bytes, errors, latencyUs, socketErrors, raw }.
 * `signal` lets a caller stop it early (SIGINT makes wrk print its results).
 */
export function runWrk(opts) {
  const cpu = opts.cpu ?? "1";
  const child = spawnTracked(...pinned(cpu, "wrk", wrkArgs(opts)));
  // wrk's own CPU time (the last sample before it exits, ≤ 50 ms stale): the harness
  // subtracts it from CPU 1's busy time to see whether anything else ran there.
  let cpuUs = NaN;
  const poll = setInterval(() => {
    const v = cpuMicros(child.pid);
    if (Number.isFinite(v)) cpuUs = v;
  }, 50);
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
  const done = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, sig) => {
      clearInterval(poll);
      const line = out.split("\n").find((l) => l.startsWith("BENCHJSON "));
      if (!line) return reject(new Error(`wrk exited ${code ?? sig} without results:\n${out}\n${err}`));
      const j = JSON.parse(line.slice("BENCHJSON ".length));
      const e = j.errors;
      resolve({
        requests: j.requests,
        durationUs: j.duration_us,
        rps: j.duration_us > 0 ? (j.requests * 1e6) / j.duration_us : NaN,
        bytes: j.bytes,
        errors: e,
        socketErrors: e.connect + e.read + e.write + e.timeout,
        non2xx: e.status,
        latencyUs: j.latency_us,
        wrkCpuUs: cpuUs,
        raw: out,
      });
    });
  });
  return { child, done, stop: (sig = "SIGINT") => child.kill(sig) };
}

export function cmdline(opts) {
  return [...(launch.nice ? ["nice", "-n", String(launch.nice)] : []), "taskset", "-c", String(opts.cpu ?? "1"), "wrk", ...wrkArgs(opts).map((a) => (a === WRK_LUA ? "bench/wrk.lua" : a))].join(" ");
}
