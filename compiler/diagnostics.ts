/**
 * Diagnostic codes, spans, code frames and the tsc-like text format:
 *
 *   app.ts:4:15 - error CZ1001: Duplicate route GET /a.
 *
 *   4 app.get("/a", () => 2);
 *             ^~~~
 *
 * Errors are CZ1xxx, warnings CZ2xxx. docs/diagnostics.md documents every code.
 */
import * as path from "node:path";
import type { ts } from "ts-morph";
import type { Diagnostic, RelatedInfo, Severity, Span } from "./types.js";

export const CODES = {
  CZ1001: { severity: "error", title: "duplicate route" },
  CZ1002: { severity: "error", title: "non-static path or method" },
  CZ1003: { severity: "error", title: "handler is not a function" },
  CZ1004: { severity: "error", title: "unknown HTTP method" },
  CZ1005: { severity: "error", title: "invalid path pattern" },
  CZ1006: { severity: "error", title: "TypeScript error" },
  CZ1007: { severity: "error", title: "no routes found" },
  CZ1008: { severity: "error", title: "too many path parameters" },
  CZ1009: { severity: "error", title: "C compiler failed" },
  CZ1010: { severity: "error", title: "route shadowed by another with other parameter names" },
  CZ1011: { severity: "error", title: "cannot read input" },
  CZ1012: { severity: "error", title: "cannot follow a Router to where it is mounted" },
  CZ1013: { severity: "error", title: "blocking route in a module that imports the generated server" },
  CZ1014: { severity: "error", title: "invalid route option" },
  CZ1015: { severity: "error", title: "output directory outside the tsconfig's rootDir" },
  // What a handler returns and its statuses (compiler/returns.ts) are 1040..1049.
  CZ1040: { severity: "error", title: "handler returns a value that cannot be sent" },
  CZ1041: { severity: "error", title: "invalid constant status" },
  // Schema codes (compiler/schema/) start at 1030 / 2030.
  CZ1030: { severity: "error", title: "request type cannot be represented as JSON" },
  CZ1031: { severity: "error", title: "query or header type cannot be coerced from a string" },
  CZ1032: { severity: "error", title: "form body type has a member a form field cannot hold" },
  CZ1033: { severity: "error", title: "body read both as JSON and as a form" },
  CZ1034: { severity: "error", title: "typed form body on a blocking route" },
  CZ2030: { severity: "note", title: "result sent with JSON.stringify, not serialized by its type" },
  CZ2001: { severity: "warning", title: "handler may or may not return a promise" },
  CZ2002: { severity: "warning", title: "Catzilla method used in a way the compiler cannot follow" },
  CZ2003: { severity: "warning", title: "sync handler calls a blocking API" },
  CZ2004: { severity: "warning", title: "route on a Router that is never mounted" },
  CZ2005: { severity: "warning", title: "paramMismatch: 400 on a route without typed parameters" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type Code = keyof typeof CODES;

/** Span of `node` (from its first token, trivia excluded). */
export function spanOf(node: ts.Node, sf: ts.SourceFile = node.getSourceFile()): Span {
  const start = node.getStart(sf);
  return spanAt(sf, start, node.getEnd() - start);
}

export function spanAt(sf: ts.SourceFile, start: number, length: number): Span {
  const lc = sf.getLineAndCharacterOfPosition(start);
  return { file: sf.fileName, line: lc.line + 1, col: lc.character + 1, start, length };
}

/** One source line with a caret line under the span (clipped to that line). */
export function codeFrame(text: string, span: Span): string {
  let lineStart = span.start;
  while (lineStart > 0 && text[lineStart - 1] !== "\n") lineStart--;
  let lineEnd = text.indexOf("\n", span.start);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd).replace(/\r$/, "").replace(/\t/g, " ");
  const gutter = `${span.line} `;
  const col = span.start - lineStart;
  const width = Math.max(1, Math.min(span.length, line.length - col));
  return `${gutter}${line}\n${" ".repeat(gutter.length + col)}^${"~".repeat(width - 1)}`;
}

export function diag(
  code: Code,
  message: string,
  at?: { span: Span; text: string },
  related?: RelatedInfo[],
): Diagnostic {
  const d: Diagnostic = { code, severity: CODES[code].severity, message };
  if (at) {
    d.span = at.span;
    d.frame = codeFrame(at.text, at.span);
  }
  if (related && related.length) d.related = related;
  return d;
}

/** diag() located at a node. */
export function diagAt(code: Code, message: string, node: ts.Node, related?: RelatedInfo[]): Diagnostic {
  const sf = node.getSourceFile();
  return diag(code, message, { span: spanOf(node, sf), text: sf.text }, related);
}

export function relatedAt(node: ts.Node, message: string): RelatedInfo {
  const sf = node.getSourceFile();
  const span = spanOf(node, sf);
  return { span, message, frame: codeFrame(sf.text, span) };
}

/** "app.ts:4:21", the file relative to `base`, POSIX separators. */
export function location(span: Span, base: string): string {
  return `${relPosix(base, span.file)}:${span.line}:${span.col}`;
}

export function relPosix(base: string, file: string): string {
  const rel = path.relative(base, file) || path.basename(file);
  return rel.split(path.sep).join("/");
}

/** Stable order: by file, then position, then code; errors without a span last. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => {
    if (!a.span || !b.span) return (a.span ? 0 : 1) - (b.span ? 0 : 1) || cmp(a.code, b.code);
    return cmp(a.span.file, b.span.file) || a.span.start - b.span.start || cmp(a.code, b.code);
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** tsc-like text for one diagnostic; paths relative to `cwd`. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const where = d.span ? `${location(d.span, cwd)} - ` : "";
  let out = `${where}${d.severity} ${d.code}: ${d.message}\n`;
  if (d.frame) out += `\n${d.frame}\n`;
  for (const r of d.related ?? []) {
    out += `\n  ${location(r.span, cwd)}\n${indent(r.frame, "  ")}\n    ${r.message}\n`;
  }
  return out;
}

function indent(s: string, by: string): string {
  return s
    .split("\n")
    .map((l) => by + l)
    .join("\n");
}
