#!/usr/bin/env node
// Builds the native addon with node-gyp, against llhttp 9 from native/deps/llhttp
// (scripts/fetch-llhttp.sh brings it on first use).
//
// CATZILLA_SANITIZE=1 builds with AddressSanitizer (binding.gyp reads the same variable),
// staged in test/.tmp/asan/ so the shared build/Release stays a normal build (an ASan
// addon only loads with libasan preloaded). Load it with CATZILLA_NATIVE=<printed path>.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// llhttp 9 (header + static archive) into native/deps/llhttp: see scripts/fetch-llhttp.sh.
execFileSync("bash", [join(root, "scripts", "fetch-llhttp.sh")], { stdio: ["ignore", "inherit", "inherit"] });
const deps = join(root, "native", "deps", "llhttp");
if (!existsSync(join(deps, "libllhttp.a")) || !existsSync(join(deps, "llhttp.h"))) {
  console.error(`catzilla: llhttp 9 not found in ${deps} (scripts/fetch-llhttp.sh failed).`);
  process.exit(1);
}

const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve("node-gyp/bin/node-gyp.js");
} catch {
  console.error("catzilla: node-gyp is not installed; run npm install first.");
  process.exit(1);
}
const debug = process.env.CATZILLA_DEBUG === "1" ? ["--debug"] : [];
let cwd = root;
if (process.env.CATZILLA_SANITIZE === "1") {
  // A copy of the package's native parts inside the repo (so node-addon-api resolves).
  cwd = join(root, "test", ".tmp", "asan");
  rmSync(join(cwd, "native"), { recursive: true, force: true });
  mkdirSync(cwd, { recursive: true });
  copyFileSync(join(root, "binding.gyp"), join(cwd, "binding.gyp"));
  cpSync(join(root, "native"), join(cwd, "native"), { recursive: true });
}
execFileSync(process.execPath, [gyp, "rebuild", "--nodedir=/usr", ...debug], {
  cwd,
  stdio: ["ignore", "inherit", "inherit"],
  env: process.env,
});
if (cwd !== root) {
  console.log(join(cwd, "build", debug.length ? "Debug" : "Release", "catzilla.node"));
}
