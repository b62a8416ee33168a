/**
 * Typed path parameters in the generated match(): the C tests a segment must pass for a
 * `:name(type)` branch (cz__param_ok in cmatch.ts calls them). A segment that fails the
 * test does not match the branch, so match() backtracks to the next one (another type,
 * then `*`) and finally answers 404 if nothing else matches.
 *
 *   int     optional '-', then 1+ digits, |value| <= 2^53 - 1 (Number.MAX_SAFE_INTEGER)
 *   number  a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 *   a|b|c   exactly one of the literals
 *
 * Tests run on the raw (not percent-decoded) bytes.
 */
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

/** Both helpers, in the order routes.c defines them. */
export const PARAM_HELPERS: string[] = [...HELPERS.int, "", ...HELPERS.number, ""];
