/**
 * Const routes: a sync handler that ignores the request and returns a value known at
 * compile time is answered by C from bytes built here, without entering JS.
 *
 * The bytes are produced by the runtime's own code (`encodeResult` and the response
 * helpers from runtime/), so they are what the same handler would send as a sync route:
 *
 *   HTTP/1.1 <status> <reason>\r\n          (reason as native cz_http_reason)
 *   Content-Length: <n>\r\n                 (not for 204 and 304, as cz_http_render)
 *   <head lines from the runtime>            (Content-Type first, then the handler's headers)
 *   \r\n
 *   <body>                                   (none for 204 and 304)
 *
 * The server inserts Date (and Connection where needed) after the status line, and drops
 * the body for HEAD (catzilla_routes.h, cz_http_render_const).
 */
import { ts } from "ts-morph";
import { body as bodyHelper, bodyless, bodylessHead, empty, html, json, redirect, text } from "../runtime/response.js";
import { encodeResult, type Encoded } from "../runtime/writer.js";
import { packageNameOf } from "./shared/package.js";
import { reasonPhrase } from "./shared/reasons.js";
import { constObjectIsFrozen, evalStatic, explain, type EvalContext, type StaticValue } from "./staticval.js";
import { resolveFunction } from "./usage.js";
import { sentAsIs } from "./schema/as-is.js";
import type { Def, Schema } from "./schema/ir.js";

/** Bodies larger than this stay sync (the table is not the place for big blobs). */
export const CONST_MAX_BYTES = 64 * 1024;

const HELPERS: Record<string, (...args: never[]) => unknown> = {
  json,
  text,
  html,
  body: bodyHelper,
  empty,
  redirect,
};

export type ConstVerdict = { ok: true; bytes: Buffer; status: number } | { ok: false; why: string };

/** The type a route's result is serialized (and filtered) by: schema/index.ts `response`. */
export interface ResultFilter {
  schema: Schema;
  defs: ReadonlyMap<string, Def>;
}

/**
 * The response bytes when `handler` is a const route, else why not. `appFiles` is where to
 * look for code that could mutate an object const the value is read from. `filter`, the
 * route's result type, must leave the value as it is (schema/as-is.ts): the bytes are the
 * value's JSON, not its serializer's.
 */
export function constResponse(
  handler: ts.Expression,
  checker: ts.TypeChecker,
  appFiles: readonly ts.SourceFile[],
  inlineHandlers: ReadonlySet<ts.Node>,
  filter: ResultFilter | null = null,
): ConstVerdict {
  const fn = resolveFunction(handler, checker);
  if (!fn) return { ok: false, why: "the handler's body is not visible" };
  if (fn.asteriskToken) return { ok: false, why: "a generator" };
  if (ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return { ok: false, why: "async" };
  for (const p of fn.parameters) {
    if (p.initializer || !ts.isIdentifier(p.name)) return { ok: false, why: "a parameter with a default or pattern" };
    if (isReferenced(p.name, fn, checker)) return { ok: false, why: `it reads '${p.name.text}'` };
  }
  const returned = returnedExpression(fn);
  if (returned === null) return { ok: false, why: "its body is more than one return statement" };
  const ctx: EvalContext = { checker, objectConsts: new Set() };
  let value: unknown;
  if (returned === undefined) {
    value = undefined;
  } else {
    const helper = helperCall(returned, checker);
    if (helper) {
      const args: StaticValue[] = [];
      for (const a of helper.call.arguments) {
        if (ts.isSpreadElement(a)) return { ok: false, why: "a spread argument" };
        const v = evalStatic(a, ctx);
        if (!v.ok) return { ok: false, why: explain(v) };
        args.push(v.value);
      }
      try {
        value = (helper.fn as (...a: StaticValue[]) => unknown)(...args);
      } catch (err) {
        return { ok: false, why: `the response helper throws: ${(err as Error).message}` };
      }
    } else {
      const v = evalStatic(returned, ctx);
      if (!v.ok) return { ok: false, why: explain(v) };
      value = v.value;
      if (filter && !sentAsIs(value, filter.schema, filter.defs)) {
        return { ok: false, why: "its value is not exactly its result type (the response filter would change it)" };
      }
    }
  }
  // A const object read here must not be changed by code elsewhere, or the bytes would go stale.
  const allowed = (ref: ts.Identifier) => copiedOut(ref, inlineHandlers, checker);
  for (const decl of ctx.objectConsts!) {
    if (!constObjectIsFrozen(decl, appFiles, ctx, allowed)) {
      return { ok: false, why: `'${decl.name.getText()}' is an object that other code may change` };
    }
  }
  let e: Encoded;
  try {
    e = encodeResult(value);
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
  const bytes = responseBytes(e);
  if (bytes.length > CONST_MAX_BYTES) return { ok: false, why: `the response is over ${CONST_MAX_BYTES} bytes` };
  return { ok: true, bytes, status: e.status };
}

/** The full const response for an encoded result (see the file comment). */
export function responseBytes(e: Encoded): Buffer {
  // As writer.ts for a sync route: a 204 or 304 has no body, no Content-Length, no Content-Type.
  const none = bodyless(e.status);
  const body = none ? Buffer.alloc(0) : typeof e.body === "string" ? Buffer.from(e.body, "utf8") : Buffer.from(e.body);
  const status = `HTTP/1.1 ${e.status} ${reasonPhrase(e.status)}\r\n` + (none ? "" : `Content-Length: ${body.length}\r\n`);
  const head = none ? bodylessHead(e.head) : e.head;
  return Buffer.concat([Buffer.from(status, "latin1"), Buffer.from(head, "latin1"), Buffer.from("\r\n"), body]);
}

/** The returned expression; undefined for a body that returns nothing; null when the body does more. */
function returnedExpression(fn: ts.SignatureDeclaration & { body?: ts.Node }): ts.Expression | undefined | null {
  const b = fn.body;
  if (!b) return null;
  if (!ts.isBlock(b)) return b as ts.Expression;
  if (b.statements.length === 0) return undefined;
  if (b.statements.length !== 1) return null;
  const st = b.statements[0];
  if (!ts.isReturnStatement(st)) return null;
  return st.expression;
}

/** `json(...)`, `text(...)`, `html(...)`, `body(...)`, `redirect(...)` from the catzilla package. */
function helperCall(
  e: ts.Expression,
  checker: ts.TypeChecker,
): { call: ts.CallExpression; fn: (...args: never[]) => unknown } | null {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  if (!ts.isCallExpression(e)) return null;
  const callee = ts.isPropertyAccessExpression(e.expression) ? e.expression.name : e.expression;
  if (!ts.isIdentifier(callee)) return null;
  let sym = checker.getSymbolAtLocation(callee);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.[0];
  if (!decl || !ts.isFunctionDeclaration(decl) || !decl.name) return null;
  const name = decl.name.text;
  if (!Object.prototype.hasOwnProperty.call(HELPERS, name)) return null;
  if (packageNameOf(decl.getSourceFile().fileName) !== "catzilla") return null;
  return { call: e, fn: HELPERS[name] };
}

function isReferenced(name: ts.Identifier, fn: ts.Node, checker: ts.TypeChecker): boolean {
  const sym = checker.getSymbolAtLocation(name);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n !== name && n.text === name.text) {
      const s = ts.isShorthandPropertyAssignment(n.parent)
        ? checker.getShorthandAssignmentValueSymbol(n.parent)
        : checker.getSymbolAtLocation(n);
      if (s === sym) found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn, visit);
  return found;
}

/**
 * True when `ref` only flows, through literals and property reads, into what an inline route
 * handler returns (or into a response helper's arguments there): the runtime serialises that
 * value and never changes it, so such a use cannot mutate the object.
 */
function copiedOut(ref: ts.Identifier, inlineHandlers: ReadonlySet<ts.Node>, checker: ts.TypeChecker): boolean {
  let n: ts.Node = ref;
  for (;;) {
    const p: ts.Node = n.parent;
    if (inlineHandlers.has(p) && (p as ts.ArrowFunction).body === n) return true;
    if (ts.isReturnStatement(p)) {
      const block = p.parent;
      return ts.isBlock(block) && block.statements.length === 1 && inlineHandlers.has(block.parent);
    }
    if (ts.isCallExpression(p)) {
      if (p.expression === n || !helperCall(p, checker)) return false;
    } else if (
      !(
        ts.isParenthesizedExpression(p) ||
        ts.isAsExpression(p) ||
        ts.isSatisfiesExpression(p) ||
        ts.isObjectLiteralExpression(p) ||
        ts.isArrayLiteralExpression(p) ||
        ts.isSpreadElement(p) ||
        ts.isSpreadAssignment(p) ||
        ts.isShorthandPropertyAssignment(p) ||
        (ts.isPropertyAssignment(p) && p.initializer === n) ||
        ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === n) ||
        ts.isTemplateSpan(p) ||
        ts.isTemplateExpression(p)
      )
    ) {
      return false;
    }
    n = p;
  }
}
