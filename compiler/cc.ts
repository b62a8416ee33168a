/**
 * routes.c → routes.so with the system C compiler. Skips the run when routes.so exists
 * and was built from byte-identical sources with the same command (routes.so.sha256).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { diag } from "./diagnostics.js";
import type { Diagnostic, OutFile } from "./types.js";

export const CFLAGS = ["-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC"];
export const HASH_FILE = "routes.so.sha256";

/** The catzilla package root: the nearest package.json named "catzilla" above this module. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, "utf8")).name === "catzilla") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("catzilla-compile: cannot find the catzilla package root");
    dir = up;
  }
}

export interface CcResult {
  /** routes.so and its hash file, when cc ran. */
  files: OutFile[];
  skipped: boolean;
  diagnostics: Diagnostic[];
}

export function compileRoutes(routesC: string, routesH: string, outDir: string): CcResult {
  const include = path.join(packageRoot(), "native", "include");
  const cc = process.env.CC || "cc";
  const args = [...CFLAGS, "-I", include, "-o", "routes.so", "routes.c"];
  const abiHeader = fs.readFileSync(path.join(include, "catzilla_routes.h"), "utf8");
  const hash = createHash("sha256")
    .update(JSON.stringify([cc, CFLAGS, routesC, routesH, abiHeader]))
    .digest("hex");
  const soPath = path.join(outDir, "routes.so");
  const hashPath = path.join(outDir, HASH_FILE);
  if (fs.existsSync(soPath) && fs.existsSync(hashPath) && fs.readFileSync(hashPath, "utf8").trim() === hash) {
    return { files: [], skipped: true, diagnostics: [] };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "catzilla-cc-"));
  try {
    fs.writeFileSync(path.join(tmp, "routes.c"), routesC);
    fs.writeFileSync(path.join(tmp, "routes.h"), routesH);
    const run = spawnSync(cc, args, { cwd: tmp, encoding: "utf8" });
    if (run.error || run.status !== 0) {
      const output = (run.error ? String(run.error) : `${run.stderr}${run.stdout}`).trim();
      const cmd = `${cc} ${args.join(" ")}`;
      return {
        files: [],
        skipped: false,
        diagnostics: [diag("CZ1009", `The C compiler failed on the generated routes.c (${cmd}):\n${output}`)],
      };
    }
    return {
      files: [
        { path: soPath, content: fs.readFileSync(path.join(tmp, "routes.so")) },
        { path: hashPath, content: hash + "\n" },
      ],
      skipped: false,
      diagnostics: [],
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
