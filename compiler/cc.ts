/**
 * routes.c → routes.so with the system C compiler. Skips the run when routes.so exists
 * and was built from byte-identical sources with the same command (routes.so.sha256).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageRoot } from "../runtime/package-root.js";
import { diag } from "./diagnostics.js";
import type { Diagnostic, OutFile } from "./types.js";

// -O1: routes.c is constant tables and one small fixed walker (cz__walk); -O1 optimises the
// walker for little more than -O0 costs. cc's CPU time for a 1,000-route table (0.5 MB):
// 0.06 s at -O0, 0.08 s at -O1, 0.10 s at -O2, most of it reading the initialisers.
export const CFLAGS = ["-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-fPIC"];
export const HASH_FILE = "routes.so.sha256";

export interface CcResult {
  /** routes.so and its hash file, when cc ran. */
  files: OutFile[];
  skipped: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Builds routes.so. Asynchronous so that the caller can go on emitting (prettier, the app's
 * JS) on the other core while cc runs: cc is most of a large app's cold compile.
 */
export async function compileRoutes(
  routesC: string,
  routesH: string,
  outDir: string,
  cflags: readonly string[] = CFLAGS,
): Promise<CcResult> {
  const include = path.join(packageRoot(), "native", "include");
  const cc = process.env.CC || "cc";
  const args = [...cflags, "-I", include, "-o", "routes.so", "routes.c"];
  const abiHeader = fs.readFileSync(path.join(include, "catzilla_routes.h"), "utf8");
  const hash = createHash("sha256")
    .update(JSON.stringify([cc, cflags, routesC, routesH, abiHeader]))
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
    const run = await runCc(cc, args, tmp);
    if (run.error !== undefined || run.status !== 0) {
      const output = (run.error !== undefined ? String(run.error) : run.output).trim();
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

interface CcRun {
  status: number | null;
  output: string;
  error?: Error;
}

function runCc(cc: string, args: string[], cwd: string): Promise<CcRun> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(cc, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.once("error", (error) => resolve({ status: null, output, error }));
    child.once("close", (status) => resolve({ status, output }));
  });
}
