#!/usr/bin/env node
// JSON.parse of POST /body's 1 KB body (body-1k.json) alone, in ns per parse, decoded from
// bytes each time as a server does: the engine's share of the route. Run it under Node and
// under Bun to compare V8's parser with JSC's (Bun.serve's req.json()):
//   node bench/perf/json-parse.mjs; bench/.tmp/bun/node_modules/bun/bin/bun.exe bench/perf/json-parse.mjs
// The second line pads every string value of ≤ 10 chars past 10: V8 internalizes short
// values (a string-table lookup each), which its figure shows the cost of.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const text = readFileSync(fileURLToPath(new URL("body-1k.json", import.meta.url)), "utf8");
const padded = text.replace(/"([^"]{0,10})"(?=[,\]}])/g, (_, v) => `"${v.padEnd(11, "_")}"`);

/** Median ns per decode + parse over 5 runs of 200k, after as many to warm up. */
function nsPerParse(s) {
  const bytes = Buffer.from(s);
  let sink;
  for (let i = 0; i < 2e5; i++) sink = JSON.parse(bytes.toString("utf8"));
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 2e5; i++) sink = JSON.parse(bytes.toString("utf8"));
    runs.push(Number(process.hrtime.bigint() - t0) / 2e5);
  }
  if (sink === undefined) throw new Error("unreachable");
  return Math.round(runs.sort((a, b) => a - b)[2]);
}

const engine = typeof Bun === "undefined" ? `Node ${process.version}` : `Bun ${Bun.version}`;
console.log(`${engine}: body-1k.json ${nsPerParse(text)} ns per parse`);
console.log(`${engine}: short string values padded ${nsPerParse(padded)} ns per parse`);
