#!/usr/bin/env node
// Builds the native addon with node-gyp. llhttp's C sources come from Debian's node-llhttp;
// gyp cannot build sources outside the package, so they are copied into native/deps/ first.
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
const LLHTTP_SRC = process.env.CATZILLA_LLHTTP_DIR ?? "/usr/share/llhttp";
const LLHTTP_INC = process.env.CATZILLA_LLHTTP_INCLUDE ?? "/usr/share/include/llhttp";
const files = [
  [join(LLHTTP_SRC, "llhttp.c"), "llhttp.c"],
  [join(LLHTTP_SRC, "api.c"), "api.c"],
  [join(LLHTTP_SRC, "http.c"), "http.c"],
  [join(LLHTTP_INC, "llhttp.h"), "llhttp.h"],
];
const missing = files.filter(([src]) => !existsSync(src)).map(([src]) => src);
if (missing.length > 0) {
  console.error(
    `catzilla: llhttp sources not found (${missing.join(", ")}).\n` +
      `Install Debian's package node-llhttp (apt-get install -y node-llhttp), ` +
      `or point CATZILLA_LLHTTP_DIR / CATZILLA_LLHTTP_INCLUDE at llhttp's C sources.`,
  );
  process.exit(1);
}
const deps = join(root, "native", "deps", "llhttp");
mkdirSync(deps, { recursive: true });
for (const [src, name] of files) copyFileSync(src, join(deps, name));

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
