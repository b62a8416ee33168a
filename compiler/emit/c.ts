/**
 * routes.c / routes.h: the route table and match() implementing
 * native/include/catzilla_routes.h. routes.c holds, in order: the const routes' response
 * bytes and 400 bodies, the route table, then the matching tables and their walker (cmatch.ts).
 */
import type { Plan, PlannedRoute } from "../types.js";
import { emitMatcher } from "./cmatch.js";
import { cBytes, commentText, cString } from "./cstring.js";
import { HEADER } from "../shared/generated.js";

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
  for (const r of plan.routes) {
    if (!r.paramErrors) continue;
    out.push(`// ${r.id}: ${comment(r)}: the 400 bodies (paramMismatch: 400), one per param`);
    out.push(`static const char* const param_errors_${r.id}[] = {`);
    for (const body of r.paramErrors) out.push(`  ${body === null ? "NULL" : cString(body)},`);
    out.push("};", "");
  }
  out.push("static const cz_route_t routes[CZ_APP_NROUTES] = {");
  for (const r of plan.routes) {
    const resp = r.response ? `.const_response = const_${r.id}, .const_len = ${r.response.length}` : ".const_response = NULL, .const_len = 0";
    out.push(`  // ${r.id}: ${comment(r)}`);
    out.push(
      `  { .method = ${r.methodNum}, .kind = ${KIND_ENUM[r.kind]}, .flags = ${flagsExpr(r.flags)}, .body_limit = ${r.bodyLimit}, ` +
        `.pattern = ${cString(r.path)}, ${resp}${r.paramErrors ? `, .param_errors = param_errors_${r.id}` : ""} },`,
    );
  }
  out.push("};", "");
  out.push(...emitMatcher(plan.trie, plan.routes, (id) => comment(plan.routes[id])));
  // notFound handlers, longest prefix first (catzilla_routes.h, cz_not_found_t).
  const notFound = plan.routes
    .filter((r) => r.notFound)
    .sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (notFound.length > 0) {
    out.push("// Unmatched paths go to the app's notFound handlers: the first prefix that fits wins.");
    out.push(`static const cz_not_found_t not_found[${notFound.length}] = {`);
    for (const r of notFound) {
      out.push(`  { .prefix = ${cString(r.path)}, .prefix_len = ${Buffer.byteLength(r.path)}, .route = ${r.id} }, // ${comment(r)}`);
    }
    out.push("};", "");
  }
  out.push(
    "static const cz_route_table_t table = {",
    "  .abi_version = CZ_ROUTES_ABI_VERSION,",
    "  .nroutes = CZ_APP_NROUTES,",
    "  .routes = routes,",
    "  .match = match,",
    "  .fingerprint = CZ_APP_FINGERPRINT,",
    ...(notFound.length > 0 ? ["  .not_found = not_found,", `  .nnot_found = ${notFound.length},`] : []),
    "};",
    "",
    '__attribute__((visibility("default"))) const cz_route_table_t* catzilla_route_table(void) {',
    "  return &table;",
    "}",
    "",
  );
  return out.join("\n");
}

function flagsExpr(flags: number): string {
  const parts: string[] = [];
  if (flags & 1) parts.push("CZ_ROUTE_HEADERS");
  if (flags & 2) parts.push("CZ_ROUTE_QUERY");
  if (flags & 4) parts.push("CZ_ROUTE_BODY");
  if (flags & 8) parts.push("CZ_ROUTE_STREAM");
  return parts.length ? parts.join(" | ") : "0";
}

function comment(r: PlannedRoute): string {
  return commentText(`${r.method} ${r.path} — ${r.kind} — ${r.source}`);
}

function enumName(r: PlannedRoute): string {
  if (r.notFound) return `CZ_APP_ROUTE_${r.id}_NOT_FOUND`;
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
