/**
 * Helpers for the tests of watch mode and `catzilla dev` (test/dev*.test.ts): a tool run in
 * a child process, read line by line, and plain HTTP requests over a given agent (so a test
 * can keep one keep-alive connection throughout).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "./app.js";

export interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr(): string;
  /** Resolves with the first stdout line (from `from` on) matching re. */
  waitLine(re: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (SIGKILL after 15 s) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process exited by itself. */
  exited(): Promise<number | null>;
}

export function start(args: string[], cwd = ROOT): Proc {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  const waiters: (() => void)[] = [];
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) w();
  });
  createInterface({ input: child.stdout! }).on("line", (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  child.on("exit", () => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    waitLine(re, from = 0, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re}\nstdout:\n${lines.join("\n")}\nstderr:\n${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          const hit = lines.slice(from).find((l) => re.test(l));
          if (hit !== undefined) {
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited (${child.exitCode ?? child.signalCode})\n${lines.join("\n")}\n${stderr}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    stop(signal = "SIGTERM") {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill(signal);
      });
    },
    exited() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
      });
    },
  };
}

export interface Reply {
  status: number;
  body: string;
  localPort: number;
}

export function get(agent: http.Agent, port: number, path: string, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, localPort: req.socket!.localPort! }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls until `ok(reply)`; every poll goes through `agent` (the one keep-alive connection). */
export async function until(
  agent: http.Agent,
  port: number,
  path: string,
  ok: (r: Reply) => boolean,
  timeoutMs = 30_000,
): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  let last: Reply | undefined;
  for (;;) {
    last = await get(agent, port, path);
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`GET ${path}: still ${last.status} ${last.body}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

export function write(file: string, text: string): void {
  fs.mkdirSync(join(file, ".."), { recursive: true });
  fs.writeFileSync(file, text);
}

