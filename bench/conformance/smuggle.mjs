// The smuggler-style mutation set of test/conformance/smuggle-cases.mjs, measured against
// Catzilla and node:http with one classifier: per probe reject / accept:<framing> /
// garbled / hang, and the verdict (ok, accept-should-reject, desync, reject-should-accept).
//
//   node bench/conformance/smuggle.mjs [--servers catzilla,node-http] [--json FILE] [--verbose]
import { writeFileSync } from "node:fs";
import { observe, probes, tally, verdict } from "../../test/conformance/smuggle-cases.mjs";
import { forEachSubject } from "./subjects.mjs";
import { exchange, parseResponses } from "./wire.mjs";

const CONCURRENCY = 8;

async function measure(subject) {
  const all = probes();
  const results = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < all.length; i = next++) {
      const p = all[i];
      const r = await exchange(subject.port, [p.bytes], { idleMs: 500, timeoutMs: 5000 });
      const observed = observe(p, parseResponses(r.data).responses, r.closed);
      results[i] = { id: p.id, expect: p.expect, observed, verdict: verdict(p, observed) };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { probes: all.length, tally: tally(results), alive: subject.alive(), results };
}

const results = await forEachSubject(measure);
for (const [name, r] of Object.entries(results)) {
  const t = r.tally;
  console.log(
    `\n## smuggle probes against ${name}: ${t.ok} of ${r.probes} ok, ${t.desync} desync, ` +
      `${t["accept-should-reject"]} accept-should-reject, ${t["reject-should-accept"]} reject-should-accept${r.alive ? "" : " (server died)"}`,
  );
  for (const x of r.results) {
    if (x.verdict !== "ok" || process.argv.includes("--verbose"))
      console.log(`  ${x.verdict.padEnd(21)} ${x.id.padEnd(40)} observed ${x.observed}; RFC: ${x.expect.join(" or ")}`);
  }
}
const i = process.argv.indexOf("--json");
if (i >= 0) writeFileSync(process.argv[i + 1], JSON.stringify({ suite: "smuggle", results }, null, 2) + "\n");
