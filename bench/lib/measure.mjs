// One measured run: wrk against a running server, with the server's CPU time and RSS
// read from /proc around it, and a correctness check of the route afterwards.
import { cpuMicros, rssKiB } from "./procs.mjs";
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
  let r;
  try {
    r = await runWrk({ url, connections, durationS, depth: MODES[mode].depth }).done;
  } catch (err) {
    return { ...rec, error: String(err.message ?? err).slice(0, 500) };
  }
  const cpu1 = cpuMicros(server.pid);
  Object.assign(rec, {
    rps: r.rps,
    requests: r.requests,
    cpuUsPerReq: r.requests > 0 ? (cpu1 - cpu0) / r.requests : NaN,
    p50Us: mode === "np" ? r.latencyUs.p50 : NaN,
    p99Us: mode === "np" ? r.latencyUs.p99 : NaN,
    rssKiB: rssKiB(server.pid),
    socketErrors: r.socketErrors,
    non2xx: r.non2xx,
    errors: r.errors,
  });
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
