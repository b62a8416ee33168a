/**
 * routes.c / routes.h: the route table and a generated match() implementing
 * native/include/catzilla_routes.h. One static C function per trie node:
 *
 *   static int nK(const char* p, size_t len, size_t pos, unsigned method, cz_match_t* m)
 *
 * `pos` is where the prefix of node K ends in the path: either len (the path ends here)
 * or the index of the '/' that starts the next segment. A node tries its static children
 * (switch on segment length, then memcmp), then its `:param` child (non-empty segment),
 * then its `*` routes (the rest of the path, possibly empty), returning the first route
 * that matches the method; on the way it ORs the methods of every path match into
 * m->allow. match() runs the trie once for the method and, for HEAD, once more for GET.
 */
import { METHODS } from "../../runtime/app.js";
import { allNodes } from "../trie.js";
import type { Plan, PlannedRoute, TrieNode } from "../types.js";
import { paramCheck, paramHelpers } from "./cparams.js";
import { HEADER } from "./header.js";

const HEAD = METHODS.indexOf("HEAD");
const GET = METHODS.indexOf("GET");
const KIND_ENUM: Record<string, string> = {
  sync: "CZ_KIND_SYNC",
  async: "CZ_KIND_ASYNC",
  maybe: "CZ_KIND_MAYBE",
  const: "CZ_KIND_CONST",
  blocking: "CZ_KIND_BLOCKING",
};

export function emitRoutesH(plan: Plan): string {
  const ids = plan.routes.map((r) => `  ${enumName(r)} = ${r.id}, // ${comment(r)}`);
  return [
    `// ${HEADER}`,
    "#ifndef CATZILLA_APP_ROUTES_H",
    "#define CATZILLA_APP_ROUTES_H",
    "",
    '#include "catzilla_routes.h"',
    "",
    `#define CZ_APP_FINGERPRINT ${cString(plan.fingerprint)}`,
    `#define CZ_APP_NROUTES ${plan.routes.length}`,
    "",
    "enum cz_app_route {",
    ...ids,
    "};",
    "",
    "#endif",
    "",
  ].join("\n");
}

export function emitRoutesC(plan: Plan): string {
  const nodes = allNodes(plan.trie);
  const out: string[] = [
    `// ${HEADER}`,
    `// ${plan.routes.length} routes, fingerprint ${plan.fingerprint}. Matching: see the comment in catzilla_routes.h.`,
    "#include <stdint.h>",
    "#include <string.h>",
    "",
    '#include "routes.h"',
    "",
  ];
  for (const r of plan.routes) {
    if (r.response) out.push(`// ${r.id}: ${comment(r)}`, `static const char const_${r.id}[] =`, ...bytesLiteral(r.response), "");
  }
  out.push("static const cz_route_t routes[CZ_APP_NROUTES] = {");
  for (const r of plan.routes) {
    const resp = r.response ? `.const_response = const_${r.id}, .const_len = ${r.response.length}` : ".const_response = NULL, .const_len = 0";
    out.push(`  // ${r.id}: ${comment(r)}`);
    out.push(
      `  { .method = ${r.methodNum}, .kind = ${KIND_ENUM[r.kind]}, .flags = ${flagsExpr(r.flags)}, .body_limit = 0, ` +
        `.pattern = ${cString(r.path)}, ${resp} },`,
    );
  }
  out.push("};", "");
  out.push(...paramHelpers(nodes.flatMap((n) => n.params.map((c) => c.ptype))));
  for (const n of nodes)
    out.push(`static int n${n.id}(const char* p, size_t len, size_t pos, unsigned method, cz_match_t* m);`);
  out.push("");
  for (const n of nodes) out.push(...nodeFunction(n, plan.routes), "");
  const hasGet = plan.routes.some((r) => r.methodNum === GET);
  out.push(
    "static int match(const char* path, size_t len, unsigned method, cz_match_t* m) {",
    "  int r;",
    "  if (len == 0 || len > UINT16_MAX || path[0] != '/') return -1;",
    "  r = n0(path, len, 0, method, m);",
    ...(hasGet ? [`  if (r < 0 && method == ${HEAD} /* HEAD */) r = n0(path, len, 0, ${GET} /* GET */, m);`] : []),
    "  if (r >= 0) m->allow = 0;",
    "  return r;",
    "}",
    "",
    "static const cz_route_table_t table = {",
    "  .abi_version = CZ_ROUTES_ABI_VERSION,",
    "  .nroutes = CZ_APP_NROUTES,",
    "  .routes = routes,",
    "  .match = match,",
    "  .fingerprint = CZ_APP_FINGERPRINT,",
    "};",
    "",
    '__attribute__((visibility("default"))) const cz_route_table_t* catzilla_route_table(void) {',
    "  return &table;",
    "}",
    "",
  );
  return out.join("\n");
}

function nodeFunction(n: TrieNode, routes: PlannedRoute[]): string[] {
  const body: string[] = [];
  const used = { p: false, method: false, m: false };
  const routeLine = (route: number) => `// ${comment(routes[route])}`;
  if (n.terminal.length) {
    used.method = used.m = true;
    body.push("if (pos == len) {", "  switch (method) {");
    for (const t of n.terminal) {
      body.push(
        `    case ${t.method}: ${routeLine(t.route)}`,
        `      m->nparams = ${n.nparams};`,
        `      return ${t.route};`,
      );
    }
    body.push("  }", `  m->allow |= ${maskExpr(n.terminal)};`, "  return -1;", "}");
  } else {
    body.push("if (pos == len) return -1;");
  }
  const segmented = n.statics.length > 0 || n.params.length > 0;
  if (segmented || n.wildcard.length) {
    body.push("// p[pos] == '/': the next segment is p[s, e)");
    body.push("size_t s = pos + 1;");
  }
  if (segmented) {
    used.p = used.method = used.m = true;
    body.push("size_t e = s;", "int r;", "while (e < len && p[e] != '/') e++;");
  }
  if (n.statics.length) {
    body.push("switch (e - s) {");
    const lengths = [...new Set(n.statics.map((c) => c.text.length))];
    for (const L of lengths) {
      body.push(`  case ${L}:`);
      for (const c of n.statics.filter((x) => x.text.length === L)) {
        const test = L === 0 ? "" : `memcmp(p + s, ${cString(c.text)}, ${L}) == 0 && `;
        body.push(
          `    if (${test}(r = n${c.node.id}(p, len, e, method, m)) >= 0) return r; // ${commentText(c.node.label)}`,
        );
      }
      body.push("    break;");
    }
    body.push("}");
  }
  for (const c of n.params) {
    const k = n.nparams;
    const check = paramCheck(c.ptype);
    body.push(
      `if (e > s${check ? ` && ${check}` : ""}) { // ${commentText(c.node.label)}`,
      `  m->params[${k}][0] = (uint16_t)s;`,
      `  m->params[${k}][1] = (uint16_t)(e - s);`,
      `  if ((r = n${c.node.id}(p, len, e, method, m)) >= 0) return r;`,
      "}",
    );
  }
  if (n.wildcard.length) {
    used.method = used.m = true;
    const k = n.nparams;
    body.push("switch (method) {");
    for (const w of n.wildcard) {
      body.push(
        `  case ${w.method}: ${routeLine(w.route)}`,
        `    m->params[${k}][0] = (uint16_t)s;`,
        `    m->params[${k}][1] = (uint16_t)(len - s);`,
        `    m->nparams = ${k + 1};`,
        `    return ${w.route};`,
      );
    }
    body.push("}", `m->allow |= ${maskExpr(n.wildcard)};`);
  }
  body.push("return -1;");
  const unused = (Object.keys(used) as (keyof typeof used)[]).filter((k) => !used[k]).map((k) => `(void)${k};`);
  return [
    `// node ${n.id}: ${commentText(n.label || "(root)")}`,
    `static int n${n.id}(const char* p, size_t len, size_t pos, unsigned method, cz_match_t* m) {`,
    ...(unused.length ? ["  " + unused.join(" ")] : []),
    ...body.map((l) => "  " + l),
    "}",
  ];
}

/** Methods allowed at a node; wherever GET is allowed HEAD is too. */
function maskExpr(entries: { method: number }[]): string {
  const methods = new Set(entries.map((e) => e.method));
  if (methods.has(GET)) methods.add(HEAD);
  let mask = 0n;
  for (const m of methods) mask |= 1n << BigInt(m);
  const names = [...methods].sort((a, b) => a - b).map((m) => METHODS[m]);
  return `UINT64_C(0x${mask.toString(16)}) /* ${names.join(" ")} */`;
}

function flagsExpr(flags: number): string {
  const parts: string[] = [];
  if (flags & 1) parts.push("CZ_ROUTE_HEADERS");
  if (flags & 2) parts.push("CZ_ROUTE_QUERY");
  if (flags & 4) parts.push("CZ_ROUTE_BODY");
  return parts.length ? parts.join(" | ") : "0";
}

function comment(r: PlannedRoute): string {
  return commentText(`${r.method} ${r.path} — ${r.kind} — ${r.source}`);
}

/** Safe inside a `//` comment: no control characters, no trailing backslash. */
function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\\]/g, "?");
}

function enumName(r: PlannedRoute): string {
  const tail = r.path
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  return `CZ_APP_ROUTE_${r.id}_${r.method.replace(/-/g, "_")}${tail ? "_" + tail : ""}`;
}

/** Bytes as C string literals, one per line (split after each CRLF and every 64 bytes). */
function bytesLiteral(bytes: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const crlf = bytes[i] === 10 && i > 0 && bytes[i - 1] === 13;
    if (crlf || i + 1 - start >= 64) {
      lines.push("  " + cBytes(bytes.subarray(start, i + 1)));
      start = i + 1;
    }
  }
  if (start < bytes.length || lines.length === 0) lines.push("  " + cBytes(bytes.subarray(start)));
  lines[lines.length - 1] += ";";
  return lines;
}

/** A C string literal: printable ASCII as is (escaping \ " ?), everything else as octal. */
export function cString(s: string): string {
  return cBytes(Buffer.from(s, "utf8"));
}

function cBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (ch === "\\" || ch === '"' || ch === "?") out += "\\" + ch;
    else if (byte === 13) out += "\\r";
    else if (byte === 10) out += "\\n";
    else if (byte === 9) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += ch;
    else out += "\\" + byte.toString(8).padStart(3, "0");
  }
  return out + '"';
}
