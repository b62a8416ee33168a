#!/usr/bin/env node
// How fast each Node turns a handler's value into body bytes in the response arena, by each
// way the runtime could do it (runtime/writer.ts does JSON.stringify, then Buffer#utf8Write).
// Run it on every Node the project supports; the runtime should use what is fastest on each:
//
//   node bench/encode.mjs --node 24,22,20 [--write]   # a table per payload; --write puts it
//                                                      # in bench/RESULTS.md ("JSON encoding per Node")
//
// Each (payload, way) is timed in rounds of a fixed batch, alternating ways, in a child pinned
// to one core; the children of the Nodes alternate, PASSES times each, and the table gives the
// median ns per value over all of a Node's rounds. Compare ways within one Node: the machine
// is shared, so absolute figures move between runs.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { nodeBin } from "../scripts/node.mjs";
import { updateSection } from "./lib/util.mjs";

const ARENA_BYTES = 1 << 20; // runtime: resData's default size
const ROUNDS = 15;
const PASSES = 3; // children per Node, alternating between the Nodes
const CPU = "1"; // the core each child is pinned to (taskset), when taskset exists
const TARGET_ROUND_MS = 40; // each round's batch is sized to take about this long
// Differences below this share between ways are within what repeated runs of this script
// on the shared machine move by, so they decide nothing.
const NOISE = 0.1;

const users = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1,
  name: `User ${i + 1}`,
  email: `user${i + 1}@example.com`,
  active: i % 3 !== 0,
  score: Math.round(i * 13.37 * 100) / 100,
  tags: ["a", "bb", "ccc"].slice(0, 1 + (i % 3)),
}));
const PAYLOADS = {
  "hello {message}": () => ({ message: "Hello, World!" }),
  "{id} from a param": () => ({ id: "123" }),
  "20 users": () => ({ users, total: users.length }),
  "1,000 users": () => ({ users: Array.from({ length: 50 }, () => users).flat() }),
  "non-ASCII text {message}": () => ({ message: "Grüße, Welt! こんにちは 🐈" }),
};

const RUNTIME_WAY = "stringify + utf8Write"; // what runtime/writer.ts does
const STRINGIFY_ONLY = "stringify only (no write)";
const enc = new TextEncoder();
/** Each way writes JSON of `v` into `buf` at `off` and returns the byte count. */
const WAYS = {
  [RUNTIME_WAY]: (buf, off, v) => buf.utf8Write(JSON.stringify(v), off, buf.length - off),
  "stringify + write(utf8)": (buf, off, v) => buf.write(JSON.stringify(v), off, "utf8"),
  "stringify + encodeInto": (buf, off, v) => enc.encodeInto(JSON.stringify(v), off === 0 ? buf : buf.subarray(off)).written,
  [STRINGIFY_ONLY]: (_buf, _off, v) => JSON.stringify(v).length,
};

function child() {
  const buf = Buffer.allocUnsafe(ARENA_BYTES);
  const out = { node: process.version, v8: process.versions.v8, results: {} };
  for (const [pname, make] of Object.entries(PAYLOADS)) {
    const values = Array.from({ length: 64 }, make); // fresh objects, as handlers return
    // Size the batch so a round takes about TARGET_ROUND_MS with the current way.
    const n = (() => {
      let k = 64;
      for (;;) {
        const t = performance.now();
        for (let i = 0; i < k; i++) WAYS[RUNTIME_WAY](buf, 0, values[i & 63]);
        if (performance.now() - t > TARGET_ROUND_MS / 4 || k > 1 << 22) return Math.ceil((k * TARGET_ROUND_MS) / Math.max(performance.now() - t, 1));
        k *= 2;
      }
    })();
    const times = Object.fromEntries(Object.keys(WAYS).map((w) => [w, []]));
    let sink = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [w, fn] of Object.entries(WAYS)) {
        const t = performance.now();
        for (let i = 0; i < n; i++) sink += fn(buf, (i & 7) * 64, values[i & 63]);
        times[w].push(((performance.now() - t) * 1e6) / n);
      }
    }
    if (sink === 0) throw new Error("nothing written");
    const bytes = Buffer.byteLength(JSON.stringify(make()));
    // The first round warms up; the rest are kept for the parent's median.
    out.results[pname] = { bytes, ns: Object.fromEntries(Object.entries(times).map(([w, ts]) => [w, ts.slice(1)])) };
  }
  process.stdout.write(JSON.stringify(out));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (process.argv[2] === "--child") child();
else {
  const { values: opt } = parseArgs({ options: { node: { type: "string", default: "" }, write: { type: "boolean", default: false } } });
  const specs = opt.node ? opt.node.split(",") : [""];
  const bins = specs.map((spec) => nodeBin(spec));
  const pin = spawnSync("taskset", ["-c", CPU, "true"]).status === 0;
  const runs = bins.map(() => undefined);
  for (let pass = 0; pass < PASSES; pass++) {
    bins.forEach((bin, i) => {
      const [cmd, args] = pin ? ["taskset", ["-c", CPU, bin]] : [bin, []];
      const r = spawnSync(cmd, [...args, fileURLToPath(import.meta.url), "--child"], { encoding: "utf8", maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${bin}: ${r.stderr}`);
      const got = JSON.parse(r.stdout);
      if (!runs[i]) runs[i] = got;
      else for (const [p, x] of Object.entries(got.results)) for (const [w, ts] of Object.entries(x.ns)) runs[i].results[p].ns[w].push(...ts);
    });
  }
  for (const r of runs) for (const x of Object.values(r.results)) for (const w of Object.keys(x.ns)) x.ns[w] = median(x.ns[w]);
  const L = [];
  L.push(
    `\`node bench/encode.mjs ${process.argv.slice(2).join(" ")}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ` +
      `median ns per value over ${PASSES} × ${ROUNDS - 1} rounds (${PASSES} children per Node, alternating${pin ? `, each pinned to CPU ${CPU}` : ""}; ` +
      "ways alternate within each round). ◀ marks the fastest way that writes, per Node. The machine is shared: compare ways within one Node.",
  );
  L.push("");
  const writes = Object.keys(WAYS).filter((w) => w !== STRINGIFY_ONLY);
  // How far the runtime's way is from the fastest, per (Node, payload).
  const gaps = [];
  for (const pname of Object.keys(PAYLOADS)) {
    L.push(`**${pname}** (${runs[0].results[pname].bytes} bytes)`, "");
    L.push(`| way | ${runs.map((r) => `Node ${r.node.slice(1)}`).join(" | ")} |`);
    L.push(`| --- | ${runs.map(() => "---:").join(" | ")} |`);
    const best = runs.map((r) => Math.min(...writes.map((w) => r.results[pname].ns[w])));
    runs.forEach((r, i) => {
      const fastest = writes.find((w) => r.results[pname].ns[w] === best[i]);
      gaps.push({ node: r.node, pname, fastest, gap: r.results[pname].ns[RUNTIME_WAY] / best[i] - 1 });
    });
    for (const w of Object.keys(WAYS)) {
      const cells = runs.map((r, i) => {
        const v = r.results[pname].ns[w];
        return `${v < 1000 ? v.toFixed(0) : (v / 1000).toFixed(1) + " k"}${v === best[i] && w !== STRINGIFY_ONLY ? " ◀" : ""}`;
      });
      L.push(`| ${w}${w === RUNTIME_WAY ? " (the runtime's)" : ""} | ${cells.join(" | ")} |`);
    }
    L.push("");
  }
  const worst = gaps.reduce((a, b) => (b.gap > a.gap ? b : a));
  L.push(
    worst.gap <= NOISE
      ? `The runtime's way (${RUNTIME_WAY}) is within ${(worst.gap * 100).toFixed(0)}% of the fastest on every Node and payload (at most ${(worst.gap * 100).toFixed(0)}%, ${worst.pname} on Node ${worst.node.slice(1)}): ` +
          `within this measurement's noise (${(NOISE * 100).toFixed(0)}%), so no Node gets another way.`
      : `On Node ${worst.node.slice(1)}, ${worst.fastest} beats the runtime's way by ${(worst.gap * 100).toFixed(0)}% for ${worst.pname}: more than this measurement's noise (${(NOISE * 100).toFixed(0)}%); worth a per-version choice in runtime/writer.ts.`,
  );
  L.push("", `Versions: ${runs.map((r) => `Node ${r.node.slice(1)} (V8 ${r.v8})`).join(", ")}.`);
  const md = L.join("\n");
  console.log(md);
  if (opt.write) {
    updateSection(join(dirname(fileURLToPath(import.meta.url)), "RESULTS.md"), "encode", "JSON encoding per Node", md, "bench/encode.mjs");
    console.log("\nbench/encode.mjs: wrote the encode section of bench/RESULTS.md");
  }
}
