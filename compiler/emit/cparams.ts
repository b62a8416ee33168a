/**
 * Typed path parameters in the generated match(): the C test a segment p[s, e) must pass
 * for a `:name(type)` branch, and the helper functions those tests call. A segment that
 * fails the test does not match the branch, so match() backtracks to the next one
 * (another type, then `*`) and finally answers 404 if nothing else matches.
 *
 *   int     optional '-', then 1+ digits, |value| <= 2^53 - 1 (Number.MAX_SAFE_INTEGER)
 *   number  a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 *   a|b|c   exactly one of the literals
 *
 * Tests run on the raw (not percent-decoded) bytes.
 */
import type { ParamType } from "../types.js";
import { cString } from "./c.js";

/** The C condition for p[s, e) (already known non-empty), or "" when any segment goes. */
export function paramCheck(t: ParamType): string {
  if (t.type === "int") return "cz_is_int(p + s, e - s)";
  if (t.type === "number") return "cz_is_number(p + s, e - s)";
  if (t.type === "enum") {
    const alts = t.values.map(
      (v) => `(e - s == ${Buffer.byteLength(v)} && memcmp(p + s, ${cString(v)}, ${v.length}) == 0)`,
    );
    return alts.length === 1 ? alts[0] : `(${alts.join(" || ")})`;
  }
  return "";
}

const HELPERS: Record<"int" | "number", string[]> = {
  int: [
    "// :name(int): optional '-', 1+ digits, |value| <= 2^53 - 1.",
    "static int cz_is_int(const char* s, size_t n) {",
    "  size_t i = (n > 0 && s[0] == '-') ? 1 : 0;",
    "  uint64_t v = 0;",
    "  if (i == n) return 0;",
    "  for (; i < n; i++) {",
    "    if (s[i] < '0' || s[i] > '9') return 0;",
    "    v = v * 10 + (uint64_t)(s[i] - '0');",
    "    if (v > UINT64_C(9007199254740991)) return 0;",
    "  }",
    "  return 1;",
    "}",
  ],
  number: [
    "// :name(number): a JSON number.",
    "static int cz_is_number(const char* s, size_t n) {",
    "  size_t i = 0;",
    "  if (i < n && s[i] == '-') i++;",
    "  if (i == n) return 0;",
    "  if (s[i] == '0') i++;",
    "  else if (s[i] >= '1' && s[i] <= '9')",
    "    while (i < n && s[i] >= '0' && s[i] <= '9') i++;",
    "  else return 0;",
    "  if (i < n && s[i] == '.') {",
    "    if (++i == n || s[i] < '0' || s[i] > '9') return 0;",
    "    while (i < n && s[i] >= '0' && s[i] <= '9') i++;",
    "  }",
    "  if (i < n && (s[i] == 'e' || s[i] == 'E')) {",
    "    i++;",
    "    if (i < n && (s[i] == '+' || s[i] == '-')) i++;",
    "    if (i == n || s[i] < '0' || s[i] > '9') return 0;",
    "    while (i < n && s[i] >= '0' && s[i] <= '9') i++;",
    "  }",
    "  return i == n;",
    "}",
  ],
};

/** Helper definitions for the types in use (unused static functions would fail -Werror). */
export function paramHelpers(types: Iterable<ParamType>): string[] {
  const used = new Set<string>();
  for (const t of types) used.add(t.type);
  const out: string[] = [];
  for (const k of ["int", "number"] as const) if (used.has(k)) out.push(...HELPERS[k], "");
  return out;
}
