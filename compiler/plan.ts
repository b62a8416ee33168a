/**
 * The plan pass: route ids (sorted by file, then position of the registration's path
 * argument), conflict checks (duplicates CZ1001, shadowing CZ1010), the fingerprint, and
 * the matching trie.
 */
import { createHash } from "node:crypto";
import { ROUTES_ABI_VERSION } from "../runtime/abi.js";
import { METHODS } from "../runtime/app.js";
import { codeFrame, diag, location, relPosix } from "./diagnostics.js";
import { shapeOf } from "./routepath.js";
import { ptypeKey } from "./shared/params.js";
import { buildTrie } from "./trie.js";
import type { AnalyzedRoute, Diagnostic, ParamType, Plan, PlannedRoute, Segment, Span } from "./types.js";

/** Bumped when the generated files' contract changes (part of the fingerprint). */

/**
 * `base`: the out dir's parent (generated files name sources relative to it);
 * `cwd`: what messages name locations relative to.
 */
export function plan(
  analyzed: AnalyzedRoute[],
  base: string,
  cwd: string,
  textOf: (file: string) => string,
): { plan: Plan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (span: Span) => ({ span, text: textOf(span.file) });
  const related = (span: Span, message: string) => ({ span, message, frame: codeFrame(textOf(span.file), span) });

  const valid = analyzed
    .filter((r): r is AnalyzedRoute & { method: string; path: string } => r.method !== null && r.path !== null)
    .map((r) => ({ r, file: relPosix(base, r.pathSpan.file) }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.r.pathSpan.start - b.r.pathSpan.start))
    .map((x) => x.r);

  const byPath = new Map<string, AnalyzedRoute>();
  const byShape = new Map<string, AnalyzedRoute>();
  const kept: (AnalyzedRoute & { method: string; path: string })[] = [];
  for (const r of valid) {
    const key = `${r.method} ${r.path}`;
    const first = byPath.get(key);
    if (first) {
      diagnostics.push(
        diag(
          "CZ1001",
          `Duplicate route ${key}: it is already registered at ${location(first.pathSpan, cwd)}.`,
          at(r.pathSpan),
          [related(first.pathSpan, `${key} is first registered here.`)],
        ),
      );
      continue;
    }
    byPath.set(key, r);
    if (r.notFound) {
      kept.push(r);
      continue;
    }
    const shapeKey = `${r.method} ${shapeOf(r.segments)}`;
    const twin = byShape.get(shapeKey);
    if (twin) {
      diagnostics.push(
        diag(
          "CZ1010",
          `Route ${key} matches exactly the same requests as ${r.method} ${twin.path} ` +
            `(${location(twin.pathSpan, cwd)}), differing only in parameter names; one of them could never run.`,
          at(r.pathSpan),
          [related(twin.pathSpan, `${r.method} ${twin.path} is registered here.`)],
        ),
      );
      continue;
    }
    byShape.set(shapeKey, r);
    if (r.paramMismatch === 400 && !r.segments.some((s) => s.type === "param" && s.ptype.type !== "string")) {
      diagnostics.push(
        diag(
          "CZ2005",
          `Route ${key} has the option paramMismatch: 400 but no typed parameter (like \`:id(int)\`), ` +
            "so no request can fail a type check; the option does nothing here.",
          at(r.pathSpan),
        ),
      );
    }
    kept.push(r);
  }

  const ids = new Map<AnalyzedRoute, number>(kept.map((r, id) => [r, id]));
  const routes: PlannedRoute[] = kept.map((r, id) => ({
    id,
    method: r.method,
    // A notFound route is never matched by method: 0 fills the field.
    methodNum: r.notFound ? 0 : (METHODS as readonly string[]).indexOf(r.method),
    path: r.path,
    segments: r.segments,
    params: r.params,
    kind: r.kind,
    flags: r.flags,
    response: r.response,
    paramErrors: r.paramMismatch === 400 ? paramErrors(r.segments) : null,
    schema: r.schema,
    bodyLimit: r.bodyLimit,
    source: location(r.handlerSpan, base),
    span: r.handlerSpan,
    reason: r.reason,
    type: r.type,
    middleware: r.middleware.map((l) => ({ label: l.label, source: location(l.span, base), kind: l.kind })),
    onError: r.onError ? location(r.onError.span, base) : null,
    notFound: r.notFound,
    preflightOf: r.preflightOf ? (ids.get(r.preflightOf) ?? null) : null,
    chain: r.chain,
  }));
  // notFound routes are reached by C's prefix table (emit/c.ts), never by matching.
  const matched = routes.filter((r) => !r.notFound);
  return { plan: { routes, trie: buildTrie(matched), fingerprint: fingerprintOf(routes) }, diagnostics };
}

/** Hash of what the native table and the dispatch module must agree on. */
export function fingerprintOf(routes: PlannedRoute[]): string {
  const canonical = JSON.stringify([
    ROUTES_ABI_VERSION,
    routes.map((r) => [
      r.id,
      r.method,
      r.path,
      r.kind,
      r.flags,
      r.params,
      r.paramErrors !== null,
      // Only what changes the table or the dispatch module's contract: routes without a chain hash as before.
      ...(r.chain !== null || r.notFound || r.preflightOf !== null
        ? [r.chain, r.middleware.length, r.onError !== null, r.notFound, r.preflightOf]
        : []),
    ]),
  ]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** What each typed param expects, in words: "an integer", "a number", "one of: a, b". */
function expected(t: ParamType): string {
  if (t.type === "int") return "an integer";
  if (t.type === "number") return "a number";
  if (t.type === "enum") return `one of: ${t.values.join(", ")}`;
  return "any non-empty segment";
}

/**
 * The JSON bodies of the 400s for a route with `paramMismatch: 400`, one per param (null
 * for untyped ones): `{"error":"Bad Request","message":…,"param":"id","expected":"int"}`.
 */
function paramErrors(segments: Segment[]): (string | null)[] {
  const out: (string | null)[] = [];
  for (const s of segments) {
    if (s.type === "wildcard") out.push(null);
    if (s.type !== "param") continue;
    if (s.ptype.type === "string") {
      out.push(null);
      continue;
    }
    out.push(
      JSON.stringify({
        error: "Bad Request",
        message: `Path parameter '${s.name}' must be ${expected(s.ptype)}.`,
        param: s.name,
        expected: ptypeKey(s.ptype),
      }),
    );
  }
  return out;
}
