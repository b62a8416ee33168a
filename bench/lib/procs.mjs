// Every child process the harness starts is tracked here, so servers and load generators
// are always stopped at the end: normal exit, error, SIGINT or SIGTERM alike.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const live = new Set();

/** spawn() and remember the child until it exits. */
export function spawnTracked(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/**
 * How benchmark processes are launched: pinned to a CPU with taskset and, when `nice` is
 * set (the suite sets -10 when it runs as root), with a higher scheduling priority than the
 * other processes sharing the machine. Both exec, so the pid is the program's own.
 */
export const launch = { nice: 0 };

export function pinned(cpu, cmd, args) {
  const inner = ["-c", String(cpu), cmd, ...args];
  return launch.nice ? ["nice", ["-n", String(launch.nice), "taskset", ...inner]] : ["taskset", inner];
}

export const isAlive = (child) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. */
export function stopChild(child, graceMs = 3000) {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {}
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill("SIGTERM");
    } catch {}
  });
}

export function stopAll(graceMs = 3000) {
  return Promise.all([...live].map((c) => stopChild(c, graceMs)));
}

function killAllNow() {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
}

let installed = false;
/** On exit, SIGINT/SIGTERM or an uncaught error: stop every tracked child. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping ${live.size} child process(es)\n`);
      const force = setTimeout(() => {
        killAllNow();
        process.exit(130);
      }, 1500);
      stopAll(1000).then(() => {
        clearTimeout(force);
        process.exit(130);
      });
    });
  }
  process.on("uncaughtException", (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
  process.on("unhandledRejection", (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
}

// ---- /proc readers -------------------------------------------------------------------

let clkTck = 100;
try {
  // getconf CLK_TCK is 100 on every Linux of this kind; read it from AT_CLKTCK to be sure.
  const auxv = readFileSync("/proc/self/auxv");
  for (let i = 0; i + 16 <= auxv.length; i += 16) {
    const type = Number(auxv.readBigUInt64LE(i));
    if (type === 17) clkTck = Number(auxv.readBigUInt64LE(i + 8)); // AT_CLKTCK
    if (type === 0) break;
  }
} catch {}
export const CLK_TCK = clkTck;

/** utime + stime of the whole process (all threads), in microseconds. */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** VmRSS in KiB. */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Per-CPU jiffies from /proc/stat: { cpu0: { task, busy, idle, steal, total }, ... }. */
export function cpuTimes() {
  const out = {};
  try {
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const m = /^(cpu\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].split(/\s+/).map(Number);
      const total = user + nice + system + idle + iowait + irq + softirq + steal;
      // task: time running processes (user, nice, system); irq/softirq are accounted apart.
      out[m[1]] = { task: user + nice + system, busy: total - idle - iowait, idle: idle + iowait, steal, total };
    }
  } catch {}
  return out;
}
