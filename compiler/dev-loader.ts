/**
 * How `catzilla dev` imports version N of the app (docs/dev.md): from the emitted files
 * where a normal build leaves them, under URLs tagged `?v=N` that the resolve hook in
 * dev-hooks.ts passes on to the app's own imports. Module-relative paths (`import.meta.url`,
 * `import.meta.dirname`, `__dirname`, `new URL("./data.json", import.meta.url)`) are the
 * ones a normal build gives, on every version.
 *
 * CommonJS modules are cached by file name, not URL (and `require` does not go through the
 * hooks), so before a version is imported the app's CommonJS files are dropped from
 * `require.cache`: they, and what they require of the app, evaluate again.
 */
import * as module from "node:module";
import { pathToFileURL } from "node:url";
import { withVersion } from "./dev-hooks.js";

let registered = false;

/** Registers the resolve hook, once per process. Node 20.6 added `module.register`. */
export function registerDevHooks(): void {
  if (registered) return;
  if (typeof module.register !== "function") {
    throw new Error(`catzilla dev needs Node.js 20.6 or newer (module.register); this is ${process.version}`);
  }
  module.register(new URL("./dev-hooks.js", import.meta.url));
  registered = true;
}

/** The URL version `n` of an emitted file is imported under. */
export function versionUrl(file: string, n: number): string {
  return withVersion(pathToFileURL(file).href, n);
}

const requireCache = module.createRequire(import.meta.url).cache;

/**
 * Imports version `n` of `entries` (emitted JS files) and so, through the hook, the app
 * modules they import. `appFiles`: every emitted JS file of the app, whose CommonJS
 * instances must not be reused.
 */
export async function importVersion(entries: readonly string[], appFiles: readonly string[], n: number): Promise<void> {
  registerDevHooks();
  for (const f of appFiles) delete requireCache[f];
  for (const js of entries) await import(versionUrl(js, n));
}
