/** Which package a source file belongs to: how the compiler tells catzilla's own code from look-alikes. */
import * as fs from "node:fs";
import * as path from "node:path";

const pkgNameCache = new Map<string, string | null>();

/** The `name` of the nearest package.json above `file`, or null. */
export function packageNameOf(file: string): string | null {
  const dir = path.dirname(file);
  const cached = pkgNameCache.get(dir);
  if (cached !== undefined) return cached;
  let name: string | null = null;
  const pj = path.join(dir, "package.json");
  if (fs.existsSync(pj)) {
    try {
      const v = JSON.parse(fs.readFileSync(pj, "utf8")).name;
      name = typeof v === "string" ? v : null;
    } catch {
      name = null;
    }
  } else if (path.dirname(dir) !== dir) {
    name = packageNameOf(dir);
  }
  pkgNameCache.set(dir, name);
  return name;
}

/** The nearest package.json at or above `dir` (the package the directory belongs to, as Node finds it), or null. */
export function nearestPackageJson(dir: string): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const pj = path.join(d, "package.json");
    if (fs.existsSync(pj)) return pj;
    if (path.dirname(d) === d) return null;
  }
}
