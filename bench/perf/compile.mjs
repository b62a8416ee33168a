// Compiles bench/perf's app (this checkout's app.ts and main.ts) inside the package at `dir`,
// into its bench/.tmp/perf: what bench/perf/run.mjs serves and bench/hotpath/run.mjs --app perf
// loads. A base commit's package compiles the same app, so an A/B compares runtimes only.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sh } from "../lib/checkout.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** Returns the compiled app's directory (main.js, and .catzilla/ with server.js and routes.json). */
export function compilePerfApp(dir) {
  const work = join(dir, "bench", ".tmp", "perf");
  mkdirSync(work, { recursive: true });
  for (const f of ["app.ts", "main.ts"]) copyFileSync(join(HERE, f), join(work, f));
  sh(process.execPath, [join(dir, "bin", "catzilla-compile.js"), "app.ts", "main.ts", "--out", ".catzilla", "--quiet"], work);
  return work;
}
