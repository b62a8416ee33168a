/**
 * The match() half of routes.c: the app's trie as constant tables, and one fixed walker
 * that reads them (the same C text for every app).
 *
 * Tables rather than one C function per trie node: a 1,000-route app is then a few
 * thousand lines of initialisers that cc reads in a fraction of a second (the per-node
 * functions took 2.5 s at -O1), and a node with many static children is a binary search
 * instead of a run of memcmp calls.
 *
 *   nodes[]      one per trie node, preorder; ranges into the arrays below
 *   edges[]      static children, per node sorted by (length, bytes) for the binary search
 *   pchildren[]  `:param` children, per node in the order they are tried (most specific type first)
 *   lits[]       the literals of `:name(a|b)` params
 *   ends[]       (method, route) pairs of the routes ending at a node, or of its `*` routes
 */
import { METHODS } from "../../runtime/app.js";
import { allNodes } from "../trie.js";
import type { ParamType, PlannedRoute, TrieNode } from "../types.js";
import { PARAM_HELPERS } from "./cparams.js";
import { commentText, cString } from "./cstring.js";

const HEAD = METHODS.indexOf("HEAD");
const GET = METHODS.indexOf("GET");
const PTYPE: Record<ParamType["type"], string> = {
  string: "CZ__P_STRING",
  int: "CZ__P_INT",
  number: "CZ__P_NUMBER",
  enum: "CZ__P_ENUM",
};

type Describe = (route: number) => string;

/** Matching tables, the walker and match(), for `routes` and their trie. */
export function emitMatcher(trie: TrieNode, routes: PlannedRoute[], describe: Describe): string[] {
  const nodes = allNodes(trie);
  const reports = reportingNodes(trie, routes);
  const rows = { node: [] as string[], edge: [] as string[], pchild: [] as string[], lit: [] as string[], end: [] as string[] };
  let nedges = 0;
  let npchildren = 0;
  let nlits = 0;
  let nends = 0;
  const endsOf = (list: { method: number; route: number }[]): number => {
    const first = nends;
    for (const e of list) rows.end.push(`  { ${e.method}, ${e.route} }, // ${describe(e.route)}`);
    nends += list.length;
    return first;
  };
  for (const n of nodes) {
    const fields: string[] = [];
    const range = (name: string, first: number, count: number) => {
      if (count) fields.push(`.${name} = ${first}, .n${name} = ${count}`);
    };
    range("edges", nedges, n.statics.length);
    for (const s of n.statics) {
      const len = Buffer.byteLength(s.text);
      rows.edge.push(`  { ${cString(s.text)}, ${len}, ${s.node.id} }, // ${commentText(s.node.label)}`);
    }
    nedges += n.statics.length;
    range("pchildren", npchildren, n.params.length);
    for (const c of n.params) {
      const values = c.ptype.type === "enum" ? c.ptype.values : [];
      rows.pchild.push(
        `  { ${PTYPE[c.ptype.type]}, ${reports.has(c.node) ? 1 : 0}, ${nlits}, ${values.length}, ${c.node.id} }, ` +
          `// ${commentText(c.node.label)}`,
      );
      for (const v of values) rows.lit.push(`  { ${cString(v)}, ${Buffer.byteLength(v)} },`);
      nlits += values.length;
    }
    npchildren += n.params.length;
    range("ends", endsOf(n.terminal), n.terminal.length);
    range("stars", endsOf(n.wildcard), n.wildcard.length);
    if (n.terminal.length) fields.push(`.ends_allow = ${maskExpr(n.terminal)}`);
    if (n.wildcard.length) fields.push(`.stars_allow = ${maskExpr(n.wildcard)}`);
    if (n.nparams) fields.push(`.depth = ${n.nparams}`);
    rows.node.push(`  // ${n.id}: ${commentText(n.label || "(root)")}`, `  { ${fields.join(", ")} },`);
  }
  // C has no empty initialiser lists before C23: an unused table gets one zero row.
  const table = (decl: string, list: string[], zero: string) => [
    `static const ${decl}[] = {`,
    ...(list.length ? list : [`  ${zero}, // (none)`]),
    "};",
    "",
  ];
  const hasGet = routes.some((r) => r.methodNum === GET);
  return [
    "// ---- Matching: the trie as tables (see the walker below) ----",
    "",
    ...TYPES,
    ...table("cz__node_t nodes", rows.node, "{ .edges = 0 }"),
    "// Static children: { text, length, node }, each node's run sorted by (length, bytes).",
    ...table("cz__edge_t edges", rows.edge, '{ "", 0, 0 }'),
    "// `:param` children: { type, report, first literal, literals, node }, in the order they are tried.",
    ...table("cz__pchild_t pchildren", rows.pchild, "{ CZ__P_STRING, 0, 0, 0, 0 }"),
    "// Literals of `:name(a|b)` params: { text, length }.",
    ...table("cz__lit_t lits", rows.lit, '{ "", 0 }'),
    "// Routes ending at a node (or its `*`): { method, route }, by method.",
    ...table("cz__end_t ends", rows.end, "{ 0, 0 }"),
    ...PARAM_HELPERS,
    ...WALKER,
    "static int match(const char* path, size_t len, unsigned method, cz_match_t* m) {",
    "  int r;",
    "  if (len == 0 || len > UINT16_MAX || path[0] != '/') return -1;",
    "  r = cz__walk(0, path, len, 0, method, m);",
    ...(hasGet ? [`  if (r < 0 && method == ${HEAD} /* HEAD */) r = cz__walk(0, path, len, 0, ${GET} /* GET */, m);`] : []),
    "  if (r >= 0) m->allow = 0;",
    "  return r;",
    "}",
    "",
  ];
}

const TYPES = [
  "enum cz__ptype { CZ__P_STRING, CZ__P_INT, CZ__P_NUMBER, CZ__P_ENUM };",
  "",
  "typedef struct {",
  "  uint32_t edges, nedges;         // static children: edges[edges, edges + nedges)",
  "  uint32_t pchildren, npchildren; // `:param` children: pchildren[...]",
  "  uint32_t ends, nends;           // routes ending here: ends[...]",
  "  uint32_t stars, nstars;         // routes `<this prefix>/*`: ends[...]",
  "  uint64_t ends_allow;            // methods of ends[...] (GET implies HEAD), for 405",
  "  uint64_t stars_allow;           // the same for stars[...]",
  "  uint16_t depth;                 // params captured on the way to this node",
  "} cz__node_t;",
  "",
  "typedef struct { const char* text; uint32_t len; uint32_t node; } cz__edge_t;",
  "// report: a route below asks for a 400 when this param's value does not fit (cz__probe).",
  "typedef struct { uint8_t type, report; uint32_t lits, nlits; uint32_t node; } cz__pchild_t;",
  "typedef struct { const char* text; uint32_t len; } cz__lit_t;",
  "typedef struct { uint8_t method; uint32_t route; } cz__end_t;",
  "",
];

/**
 * Fixed C text: the walker over the tables above. `pos` is where node `id`'s prefix ends in
 * the path: len (the path ends there) or the index of the '/' that starts the next segment.
 * Recursion depth is bounded by the trie's depth (a branch is entered only after its segment
 * matched), never by the request.
 */
const WALKER = `// ---- The walker: the same for every app ----

// The static child of n named p[s, s + n), or NULL.
static const cz__edge_t* cz__find_edge(const cz__node_t* node, const char* seg, size_t n) {
  uint32_t lo = node->edges, hi = node->edges + node->nedges;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const cz__edge_t* e = &edges[mid];
    int c = e->len != n ? (e->len < n ? -1 : 1) : memcmp(e->text, seg, n);
    if (c == 0) return e;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static int cz__param_ok(const cz__pchild_t* c, const char* seg, size_t n) {
  switch (c->type) {
    case CZ__P_INT: return cz_is_int(seg, n);
    case CZ__P_NUMBER: return cz_is_number(seg, n);
    case CZ__P_ENUM:
      for (uint32_t i = c->lits; i < c->lits + c->nlits; i++)
        if (lits[i].len == n && memcmp(lits[i].text, seg, n) == 0) return 1;
      return 0;
    default: return 1;
  }
}

// The route for method among ends[first, first + count), or -1.
static int cz__end_route(uint32_t first, uint32_t count, unsigned method) {
  for (uint32_t i = first; i < first + count; i++)
    if (ends[i].method == method) return (int)ends[i].route;
  return -1;
}

static int cz__walk(uint32_t id, const char* p, size_t len, size_t pos, unsigned method, cz_match_t* m);

// The value of param k failed c's type test. Had it passed, would the rest of the path have
// matched a route with param_errors (directly, or failing only deeper typed params that a
// nested probe recorded)? Then record param k for a 400 (the first such param in matching
// order wins) and go on: another branch may still match and answer 200. What the walk below
// sets in m->allow and m->nparams is dropped: a path that did not match says nothing about
// 405s, and match() leaves nparams 0 when it returns -1.
static void cz__probe(const cz__pchild_t* c, uint16_t k, const char* p, size_t len, size_t e, unsigned method,
                      cz_match_t* m) {
  uint64_t allow = m->allow;
  int r = cz__walk(c->node, p, len, e, method, m);
  m->allow = allow;
  m->nparams = 0;
  if (r >= 0 && routes[r].param_errors != NULL) {
    m->bad_route = (uint32_t)r;
    m->bad_param = (uint16_t)(k + 1);
  } else if (r < 0 && m->bad_param != 0) {
    m->bad_param = (uint16_t)(k + 1); // a deeper param failed too: name the first
  } else {
    m->bad_param = 0;
  }
}

// Tries, in order: the routes ending here, the static child, the \`:param\` children, the
// \`*\` routes; ORs the methods of every path that matched (but not for method) into m->allow.
static int cz__walk(uint32_t id, const char* p, size_t len, size_t pos, unsigned method, cz_match_t* m) {
  const cz__node_t* node = &nodes[id];
  int r;
  if (pos == len) {
    if ((r = cz__end_route(node->ends, node->nends, method)) >= 0) {
      m->nparams = node->depth;
      return r;
    }
    m->allow |= node->ends_allow;
    return -1;
  }
  // p[pos] == '/': the next segment is p[s, e)
  size_t s = pos + 1;
  if (node->nedges || node->npchildren) {
    size_t e = s;
    while (e < len && p[e] != '/') e++;
    const cz__edge_t* edge = node->nedges ? cz__find_edge(node, p + s, e - s) : NULL;
    if (edge && (r = cz__walk(edge->node, p, len, e, method, m)) >= 0) return r;
    for (uint32_t i = node->pchildren; e > s && i < node->pchildren + node->npchildren; i++) {
      const cz__pchild_t* c = &pchildren[i];
      int ok = cz__param_ok(c, p + s, e - s);
      if (!ok && !(c->report && m->bad_param == 0)) continue;
      m->params[node->depth][0] = (uint16_t)s;
      m->params[node->depth][1] = (uint16_t)(e - s);
      if (!ok)
        cz__probe(c, node->depth, p, len, e, method, m);
      else if ((r = cz__walk(c->node, p, len, e, method, m)) >= 0)
        return r;
    }
  }
  if (node->nstars) {
    if ((r = cz__end_route(node->stars, node->nstars, method)) >= 0) {
      m->params[node->depth][0] = (uint16_t)s;
      m->params[node->depth][1] = (uint16_t)(len - s);
      m->nparams = node->depth + 1;
      return r;
    }
    m->allow |= node->stars_allow;
  }
  return -1;
}
`.split("\n");

/** Methods allowed at a node; wherever GET is allowed HEAD is too. */
function maskExpr(entries: { method: number }[]): string {
  const methods = new Set(entries.map((e) => e.method));
  if (methods.has(GET)) methods.add(HEAD);
  let mask = 0n;
  for (const m of methods) mask |= 1n << BigInt(m);
  const names = [...methods].sort((a, b) => a - b).map((m) => METHODS[m]);
  return `UINT64_C(0x${mask.toString(16)}) /* ${names.join(" ")} */`;
}

/** Nodes with a route that has paramMismatch: 400 at or below them (their pchildren report). */
function reportingNodes(root: TrieNode, routes: PlannedRoute[]): Set<TrieNode> {
  const out = new Set<TrieNode>();
  const walk = (n: TrieNode): boolean => {
    let any = [...n.terminal, ...n.wildcard].some((e) => routes[e.route].paramErrors !== null);
    for (const s of n.statics) any = walk(s.node) || any;
    for (const c of n.params) any = walk(c.node) || any;
    if (any) out.add(n);
    return any;
  };
  walk(root);
  return out;
}
