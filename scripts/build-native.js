#!/usr/bin/env node
// Builds the native addon with node-gyp. llhttp's C sources come from Debian's node-llhttp;
// gyp cannot build sources outside the package, so they are copied into native/deps/ first.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
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
execFileSync(process.execPath, [gyp, "rebuild", "--nodedir=/usr", ...debug], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  env: process.env,
});
