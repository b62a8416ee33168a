/** Memory of a server child process, from /proc (Linux): for tests that bound what it holds. */
import { readFileSync, writeFileSync } from "node:fs";

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Resident set size now, bytes. */
export function rss(pid: number): number {
  return statusField(pid, "VmRSS");
}

/** Peak resident set size since the last resetPeak() (or the start), bytes. */
export function peakRss(pid: number): number {
  return statusField(pid, "VmHWM");
}

/** Starts a new peak at the current RSS (Linux: "5" in clear_refs resets VmHWM). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
