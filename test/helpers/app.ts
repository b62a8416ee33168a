/**
 * Test helpers: compile an app with the real `catzilla-compile`, serve it from a child
 * process (a crash in native code fails the test instead of killing the runner), and
 * stop it afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "bin", "catzilla-compile.js");

export interface CompileResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `catzilla-compile <entries> --out <out>` from the repo root. */
export function compileApp(entries: string[], out: string, extra: string[] = []): CompileResult {
  const r = spawnSync(process.execPath, [CLI, ...entries, "--out", out, ...extra], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Compiles and throws with the compiler's output if it fails. */
export function compileOrThrow(entries: string[], out: string): CompileResult {
  const r = compileApp(entries, out);
  if (r.status !== 0) throw new Error(`catzilla-compile failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

export interface RunningApp {
  port: number;
  url: string;
  child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM → graceful close; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Serves a compiled out dir in a child process and waits until it listens. `cwd`: the
 * server's working directory (default the package root; an app's relative paths, such as a
 * static mount's directory, resolve against it). `node`: the node binary (default this one).
 */
export async function serve(
  outDir: string,
  options: Record<string, unknown> = {},
  spawnOptions: { cwd?: string; node?: string } = {},
): Promise<RunningApp> {
  const child = spawn(spawnOptions.node ?? process.execPath, [join(ROOT, "test", "helpers", "serve.mjs"), resolve(ROOT, outDir), JSON.stringify(options)], {
    cwd: spawnOptions.cwd ?? ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, "line").then(([l]) => JSON.parse(l as string) as { port?: number; error?: string }),
    once(child, "exit").then(([code]) => ({ error: `exited with ${code}: ${stderr}` })),
  ]);
  if (first.port === undefined) {
    child.kill("SIGKILL");
    throw new Error(`serve failed: ${first.error}`);
  }
  const port = first.port;
  let exited: Promise<number | null> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => stderr,
    stop() {
      if (exited) return exited;
      exited = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill("SIGTERM");
      });
      return exited;
    },
  };
}

/** Serves expecting listen to fail; returns the error message. */
export async function serveError(outDir: string, options: Record<string, unknown> = {}): Promise<string> {
  try {
    const app = await serve(outDir, options);
    await app.stop();
  } catch (err) {
    return String((err as Error).message);
  }
  throw new Error("expected listen to fail");
}
