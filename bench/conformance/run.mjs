// Runs every conformance measurement against Catzilla and node:http and prints one summary
// table (the figures the issue-13 closing note compares). Each script's JSON lands in
// bench/.tmp/conformance/.
//
//   node bench/conformance/run.mjs [--h1spec DIR] [--llhttp DIR]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "..", ".tmp", "conformance");
mkdirSync(OUT, { recursive: true });
const pass = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? [name, process.argv[i + 1]] : [];
};

const SCRIPTS = [
  ["h1spec", pass("--h1spec")],
  ["smuggle", []],
  ["llhttp-corpus", pass("--llhttp")],
  ["flood", []],
];
for (const [name, extra] of SCRIPTS) {
  console.log(`\n# ${name}`);
  const r = spawnSync(process.execPath, [join(HERE, `${name}.mjs`), ...extra, "--json", join(OUT, `${name}.json`)], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${name}.mjs failed (${r.status})`);
}

const load = (name) => JSON.parse(readFileSync(join(OUT, `${name}.json`), "utf8"));
const h1 = load("h1spec");
const sm = load("smuggle");
const ll = load("llhttp-corpus");
const fl = load("flood");
const rows = Object.keys(h1.results).map((name) => {
  const h = h1.results[name];
  const t = sm.results[name].tally;
  const corpus = Object.entries(ll.results[name])
    .map(([mode, r]) => {
      const n = r.results.length;
      return `${r.tally.ok ?? 0}/${n} ${mode}`;
    })
    .join(", ");
  const c = fl.results[name].cut;
  const cut = c.cutAfterBytes === null ? `not cut (${c.sentBytes >> 10} KiB)` : `${(c.cutAfterBytes / 1024).toFixed(0)} KiB → ${c.status}`;
  return `| ${name} | ${h.passed} of ${h.total} | ${t.ok} ok, ${t.desync} desync, ${t["accept-should-reject"]} accept-should-reject, ${t["reject-should-accept"]} reject-should-accept | ${corpus} | ${cut} |`;
});
console.log(`
| server | h1spec (${h1.commit.slice(0, 7)}) | smuggle probes (${sm.results[Object.keys(sm.results)[0]].probes}) | llhttp request corpus, agree | chunk-extension flood cut |
| --- | --- | --- | --- | --- |
${rows.join("\n")}`);
