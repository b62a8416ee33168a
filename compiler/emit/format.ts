/**
 * Prettier with fixed options (never the app's config), so output is reproducible.
 *
 * Formatting a large dispatch module is most of emit (0.7 s of a 1,000-route app's cold
 * compile, much of it prettier loading its parser on first use). So compile() calls
 * startFormatter() first: a worker thread loads and warms prettier while the main thread
 * builds the TypeScript program, and formatJs() then runs there, beside the rest of emit.
 * Without the compiled worker file (running from the .ts sources) it formats in this thread.
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as prettier from "prettier";

const OPTIONS: prettier.Options = {
  printWidth: 120,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: false,
  trailingComma: "all",
  bracketSpacing: true,
  arrowParens: "always",
  endOfLine: "lf",
};

/** "babel" for JavaScript; "typescript" for the generated .ts and .d.ts (the typed client). */
export type FormatParser = "babel" | "typescript";

export function formatInThread(code: string, parser: FormatParser = "babel"): Promise<string> {
  return prettier.format(code, { ...OPTIONS, parser });
}

interface Pending {
  resolve: (out: string) => void;
  reject: (err: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

/** Starts the formatter thread (once per process); a no-op when its file is not there. */
export function startFormatter(): void {
  if (worker) return;
  const file = new URL("./format-worker.js", import.meta.url);
  if (!fs.existsSync(fileURLToPath(file))) return;
  const w = new Worker(file);
  w.on("message", ({ id, out, error }: { id: number; out?: string; error?: string }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) w.unref();
    if (error !== undefined) p.reject(new Error(error));
    else p.resolve(out!);
  });
  w.on("error", (err) => fail(err));
  w.on("exit", () => fail(new Error("the formatter thread exited")));
  // Idle, it must not keep the process alive; formatJs refs it while waiting. (After the
  // listeners: adding a "message" listener refs the worker again.)
  w.unref();
  worker = w;

  function fail(err: Error): void {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  }
}

export function formatJs(code: string, parser: FormatParser = "babel"): Promise<string> {
  const w = worker;
  if (!w) return formatInThread(code, parser);
  const id = nextId++;
  if (pending.size === 0) w.ref();
  w.postMessage({ id, code, parser });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
