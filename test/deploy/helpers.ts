/**
 * Deployment test helpers: the deploy fixture served as a production process would run it
 * (test/fixtures/deploy/main.ts: PORT, WORKERS, graceful shutdown on SIGTERM), and small
 * HTTP clients that open a fresh connection per request or keep one open.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "../helpers/app.js";

export const DEPLOY_MAIN = join(ROOT, "test", "fixtures", "deploy", "main.js");

export interface AppProcess {
  port: number;
  pid: number;
  /** Event loops serving (server.workers). */
  workers: number;
  child: ChildProcess;
  stderr(): string;
  /** The stdout lines after the first (the fixture prints {"handled": n} at exit). */
  lines: string[];
  /** Resolves with the exit code (null: killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code; SIGKILL if it takes longer than `ms`. */
  stop(ms?: number): Promise<number | null>;
}

/** Starts the deploy fixture with `env` (PORT, WORKERS, REUSE_PORT, SHUTDOWN_DELAY_MS, ...). */
export async function startApp(env: Record<string, string> = {}, main = DEPLOY_MAIN): Promise<AppProcess> {
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const rest: string[] = [];
  // The listening line ({ port, pid, workers }); other lines (an exit report) are kept.
  const listening = new Promise<{ port: number; pid: number; workers: number }>((resolve) => {
    lines.on("line", (l: string) => {
      const j = JSON.parse(l) as { port?: number; pid: number; workers: number };
      if (j.port !== undefined) resolve(j as { port: number; pid: number; workers: number });
      else rest.push(l);
    });
  });
  const first = await Promise.race([
    listening,
    exited.then((code) => ({ error: `exited with ${code}: ${stderr}` })),
  ]);
  if ("error" in first) throw new Error(`startApp failed: ${first.error}`);
  return {
    ...first,
    lines: rest,
    child,
    stderr: () => stderr,
    exited,
    stop(ms = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), ms);
        void exited.then(() => clearTimeout(timer));
      }
      return exited;
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a connection of its own (no keep-alive agent), so SO_REUSEPORT spreads them. */
export function fresh(port: number, path: string, method = "GET", body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Polls until `check` is true (or throws after `ms`). */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
