// The two servers every conformance measurement runs against, started as child processes
// (a crash is seen, not shared): Catzilla serving app/ and node:http (node-subject.mjs).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, "..", "..");
const OUT = join(HERE, "app", ".catzilla");

/** catzilla-compile of the subject app (a few seconds; the output is reproducible). */
export function compileApp() {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "bin", "catzilla-compile.js"), join(HERE, "app", "app.ts"), join(HERE, "app", "main.ts"), "--out", OUT],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`catzilla-compile failed:\n${r.stdout}${r.stderr}`);
}

export const SUBJECTS = {
  catzilla: [join(HERE, "app", "main.js")],
  "node-http": [join(HERE, "node-subject.mjs")],
};

/**
 * Starts a subject; resolves once it prints its port.
 * @returns {Promise<{ name: string, port: number, alive(): boolean, stop(): Promise<void>, info: object }>}
 */
export async function start(name) {
  const child = spawn(process.execPath, SUBJECTS[name], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PORT: "0" } });
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${name} exited with ${code} before listening`);
    }),
  ]);
  const info = JSON.parse(line);
  return {
    name,
    port: info.port,
    info,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Parses `--servers a,b` (default both) from argv. */
export function subjectNames(argv = process.argv) {
  const i = argv.indexOf("--servers");
  return i >= 0 ? argv[i + 1].split(",") : Object.keys(SUBJECTS);
}

/** Runs `fn(subject)` for each subject named on the command line, compiling Catzilla's first. */
export async function forEachSubject(fn, argv = process.argv) {
  const results = {};
  for (const name of subjectNames(argv)) {
    if (name === "catzilla") compileApp();
    const s = await start(name);
    try {
      results[name] = await fn(s);
    } finally {
      await s.stop();
    }
  }
  return results;
}
