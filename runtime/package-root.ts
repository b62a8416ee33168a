/**
 * Where the catzilla package is installed: the runtime finds the native addon under it, the
 * compiler the routes ABI header. It lives in runtime/ because the runtime must not import
 * the compiler; the compiler imports it from here.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/**
 * The nearest directory above this module whose package.json is named "catzilla": the same
 * answer from the TypeScript sources (tests) and from dist/ (the published package).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    const pj = join(dir, "package.json");
    if (existsSync(pj) && JSON.parse(readFileSync(pj, "utf8")).name === "catzilla") return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error("catzilla: cannot find the catzilla package root");
    dir = up;
  }
}
