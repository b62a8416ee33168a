#!/usr/bin/env node
// catzilla dev <app.ts…>: compile, serve, and swap to each rebuild (see compiler/dev.ts, docs/dev.md).
import { catzillaMain } from "../dist/compiler/dev.js";

catzillaMain(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`catzilla: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
