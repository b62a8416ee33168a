/** The last step: write generated files, only once every pass has succeeded. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { OutFile } from "./types.js";

/** Writes each file whose content differs from what is on disk (atomically, via rename). Returns those written. */
export function writeFiles(files: OutFile[]): string[] {
  const written: string[] = [];
  for (const f of files) {
    const data = typeof f.content === "string" ? Buffer.from(f.content, "utf8") : f.content;
    if (fs.existsSync(f.path)) {
      const old = fs.readFileSync(f.path);
      if (old.equals(data)) continue;
    }
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, f.path);
    written.push(f.path);
  }
  return written;
}

/** True when the nearest package.json above `dir` (inclusive) says "type": "module". */
export function isEsmScope(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    const pj = path.join(d, "package.json");
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, "utf8")).type === "module";
      } catch {
        return false;
      }
    }
    if (path.dirname(d) === d) return false;
  }
}
