// One measured run: wrk against a running server, with the server's CPU time and RSS
// read from /proc around it, and a correctness check of the route afterwards.
import { CLK_TCK, cpuMicros, cpuTimes, rssKiB } from "./procs.mjs";
import { checkAnswer, get, ROUTES } from "./servers.mjs";
import { runWrk } from "./wrk.mjs";

export const MODES = {
  np: { label: "non-pipelined", depth: 1 },
  pl: { label: "pipelined ×16", depth: 16 },
};

/**
 * Measures `route` on `server` in `mode`. Returns a run record (never throws for a
 * misbehaving server: the failure is recorded in `error`).
 */
export async function measure(server, route, mode, { durationS, connections = 64, path } = {}) {
  const url = `http://127.0.0.1:${server.port}${path ?? ROUTES[route].path}`;
  const rec = { server: server.def.name, route, mode, durationS, connections };
  if (!server.alive()) return { ...rec, error: "server not running" };
  const cpu0 = cpuMicros(server.pid);
  const sys0 = cpuTimes();
  let r;
  try {
    r = await runWrk({ url, connections, durationS, depth: MODES[mode].depth }).done;
  } catch (err) {
    return { ...rec, error: String(err.message ?? err).slice(0, 500) };
  }
  const cpu1 = cpuMicros(server.pid);
  const sys1 = cpuTimes();
  // Contention: CPU 0's process time not charged to the server (other processes; interrupt
  // time, such as loopback softirqs, is left out),
  // and time the hypervisor stole from either core, as % of the run's wall time.
  const d = (c, f) => (sys1[c]?.[f] ?? NaN) - (sys0[c]?.[f] ?? NaN);
  const wallTicks = d("cpu0", "total");
  const serverTicks = ((cpu1 - cpu0) * CLK_TCK) / 1e6;
  Object.assign(rec, {
    rps: r.rps,
    requests: r.requests,
    cpuUsPerReq: r.requests > 0 ? (cpu1 - cpu0) / r.requests : NaN,
    p50Us: mode === "np" ? r.latencyUs.p50 : NaN,
    p99Us: mode === "np" ? r.latencyUs.p99 : NaN,
    rssKiB: rssKiB(server.pid),
    cpu0OtherPct: wallTicks > 0 ? Math.max(0, ((d("cpu0", "task") - serverTicks) * 100) / wallTicks) : NaN,
    cpu1OtherPct: wallTicks > 0 ? Math.max(0, ((d("cpu1", "task") - (r.wrkCpuUs * CLK_TCK) / 1e6) * 100) / d("cpu1", "total")) : NaN,
    stealPct: wallTicks > 0 ? ((d("cpu0", "steal") + d("cpu1", "steal")) * 100) / (wallTicks + d("cpu1", "total")) : NaN,
    socketErrors: r.socketErrors,
    non2xx: r.non2xx,
    errors: r.errors,
  });
  // The worse of the two cores: what retries and the report look at.
  rec.otherPct = Math.max(rec.cpu0OtherPct, Number.isFinite(rec.cpu1OtherPct) ? rec.cpu1OtherPct : 0);
  if (!server.alive()) {
    rec.error = `server died during the run (${server.child.exitCode ?? server.child.signalCode}): ${server.output().trim().slice(-600)}`;
    return rec;
  }
  if (ROUTES[route] && !path) {
    try {
      const bad = checkAnswer(route, await get(server.port, ROUTES[route].path, 3000));
      if (bad.length) rec.error = `wrong answer after load: ${bad.join("; ")}`;
    } catch (err) {
      rec.error = `no answer after load: ${err.message}`;
    }
  }
  if (!rec.error && r.non2xx > 0) rec.error = `${r.non2xx} non-2xx responses`;
  if (!rec.error && r.requests === 0) rec.error = "no responses";
  return rec;
}
