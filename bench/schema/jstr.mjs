// A/B of the string writer serializers use (runtime/serialize.ts jstr): the escape regex alone
// against a char loop for short strings, interleaved in one process, median of 15 rounds.
//   taskset -c 1 node bench/schema/jstr.mjs   (each Node in turn)
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
function jstrRe(v) { return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`; }
function jstrLoop(v) {
  if (v.length < 42) {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(v);
    }
    return `"${v}"`;
  }
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
}
const strs = Array.from({ length: 100 }, (_, i) => [`User ${i + 1}`, `user${i + 1}@example.com`, i % 3 ? "member" : "admin"]).flat();
const fns = { re: () => { let s = ""; for (const x of strs) s += jstrRe(x); return s; }, loop: () => { let s = ""; for (const x of strs) s += jstrLoop(x); return s; } };
for (const f of Object.values(fns)) for (let i = 0; i < 5000; i++) f();
const r = { re: [], loop: [] };
for (let round = 0; round < 15; round++) for (const [k, f] of Object.entries(fns)) { let n = 0; const t0 = performance.now(); while (performance.now() - t0 < 100) { for (let i = 0; i < 20; i++) f(); n += 20; } r[k].push(n / ((performance.now() - t0) / 1000)); }
console.log(process.version, Object.entries(r).map(([k, v]) => `${k} ${Math.round(v.sort((a, b) => a - b)[7] / 1000)}k`).join("  "));
