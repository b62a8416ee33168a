#!/usr/bin/env node
// catzilla init <dir>: a new project (compiler/init.ts, docs/init.md).
// catzilla dev <app.ts…>: compile, serve, and swap to each rebuild (compiler/dev.ts, docs/dev.md).
// A command's module is imported only when it runs: init must not wait for the compiler to load.
const USAGE = `usage: catzilla <command> [options]

  catzilla init <dir> [--name <package-name>] [--force]   write a new project (catzilla init --help)
  catzilla dev <app.ts...> [options]                      compile, serve, hot-swap (catzilla dev --help)
`;

const argv = process.argv.slice(2);
const [cmd, ...rest] = argv;
let run;
if (cmd === "init") run = import("../dist/compiler/init.js").then((m) => m.initMain(rest));
else if (cmd === "dev") run = import("../dist/compiler/dev.js").then((m) => m.devMain(rest));
else if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
  (cmd === undefined ? process.stderr : process.stdout).write(USAGE);
  run = Promise.resolve(cmd === undefined ? 1 : 0);
} else {
  process.stderr.write(`catzilla: unknown command ${cmd}\n${USAGE}`);
  run = Promise.resolve(1);
}

run.then(
  (code) => {
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`catzilla: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
