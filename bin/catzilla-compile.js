#!/usr/bin/env node
// catzilla-compile: see compiler/cli.ts (built into dist/ by `npx tsc -p tsconfig.json`).
import { main } from "../dist/compiler/cli.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`catzilla-compile: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  },
);
