/**
 * Values known at compile time. `evalStatic(expr)` evaluates the subset of TypeScript
 * whose result cannot depend on anything that happens at run time: literals (string,
 * number, boolean, null, `undefined`), templates and `+` over those, unary `-`/`+`/`!`,
 * object and array literals (with spreads of static values), `as const`/`satisfies`/
 * parentheses, property reads on static values (`ROUTES.users`), and identifiers bound
 * by `const` (through imports and re-exports) to a static initializer.
 *
 * Everything else (calls, `let`, parameters, `this`, getters, computed keys that are not
 * static, bigint) is "not static", with the reason and the node at fault.
 *
 * Object-valued consts can be mutated at run time (`CONFIG.a = 2`); callers that bake a
 * value into the response bytes must check `objectConsts` with `constObjectIsFrozen`.
 */
import { ts } from "ts-morph";
import { skipOuter } from "./shared/ast.js";

export type StaticValue = string | number | boolean | null | undefined | StaticObject | StaticValue[];
export interface StaticObject {
  [key: string]: StaticValue;
}

export type Evaluated = { ok: true; value: StaticValue } | { ok: false; why: string; node: ts.Node };

export interface EvalContext {
  checker: ts.TypeChecker;
  /** Declarations of object/array-valued consts read on the way (filled in by evalStatic). */
  objectConsts?: Set<ts.VariableDeclaration>;
}

const MAX_DEPTH = 32;

/** The binary operators on numbers the compiler evaluates (besides '+', which also joins strings). */
const NUMBER_OPS: Partial<Record<ts.SyntaxKind, (a: number, b: number) => number>> = {
  [ts.SyntaxKind.MinusToken]: (a, b) => a - b,
  [ts.SyntaxKind.AsteriskToken]: (a, b) => a * b,
  [ts.SyntaxKind.SlashToken]: (a, b) => a / b,
  [ts.SyntaxKind.PercentToken]: (a, b) => a % b,
  [ts.SyntaxKind.AsteriskAsteriskToken]: (a, b) => a ** b,
  [ts.SyntaxKind.LessThanLessThanToken]: (a, b) => a << b,
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: (a, b) => a >> b,
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: (a, b) => a >>> b,
  [ts.SyntaxKind.AmpersandToken]: (a, b) => a & b,
  [ts.SyntaxKind.BarToken]: (a, b) => a | b,
  [ts.SyntaxKind.CaretToken]: (a, b) => a ^ b,
};

export function evalStatic(expr: ts.Expression, ctx: EvalContext, depth = 0): Evaluated {
  const fail = (why: string, node: ts.Node = expr): Evaluated => ({ ok: false, why, node });
  if (depth > MAX_DEPTH) return fail("is nested too deeply");
  const ev = (e: ts.Expression) => evalStatic(e, ctx, depth + 1);
  const e = skipOuter(expr);
  if (e !== expr) return ev(e);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { ok: true, value: e.text };
  if (ts.isNumericLiteral(e)) return { ok: true, value: Number(e.text.replace(/_/g, "")) };
  if (e.kind === ts.SyntaxKind.TrueKeyword) return { ok: true, value: true };
  if (e.kind === ts.SyntaxKind.FalseKeyword) return { ok: true, value: false };
  if (e.kind === ts.SyntaxKind.NullKeyword) return { ok: true, value: null };
  if (ts.isTemplateExpression(e)) {
    let s = e.head.text;
    for (const span of e.templateSpans) {
      const v = ev(span.expression);
      if (!v.ok) return v;
      if (typeof v.value === "object" && v.value !== null) return fail("is an object inside a template", span.expression);
      s += String(v.value) + span.literal.text;
    }
    return { ok: true, value: s };
  }
  if (ts.isPrefixUnaryExpression(e)) {
    const v = ev(e.operand);
    if (!v.ok) return v;
    if (e.operator === ts.SyntaxKind.ExclamationToken) return { ok: true, value: !v.value };
    if (typeof v.value !== "number") return fail("applies a unary operator to a non-number");
    if (e.operator === ts.SyntaxKind.MinusToken) return { ok: true, value: -v.value };
    if (e.operator === ts.SyntaxKind.PlusToken) return { ok: true, value: v.value };
    return fail("uses an operator the compiler does not evaluate");
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = ev(e.left);
    if (!l.ok) return l;
    const r = ev(e.right);
    if (!r.ok) return r;
    const isPrim = (x: StaticValue) => x === null || typeof x !== "object";
    if (!isPrim(l.value) || !isPrim(r.value)) return fail("applies '+' to an object");
    if (typeof l.value === "string" || typeof r.value === "string") {
      return { ok: true, value: String(l.value) + String(r.value) };
    }
    if (typeof l.value === "number" && typeof r.value === "number") return { ok: true, value: l.value + r.value };
    return fail("applies '+' to values other than strings and numbers");
  }
  const arith = ts.isBinaryExpression(e) ? NUMBER_OPS[e.operatorToken.kind] : undefined;
  if (ts.isBinaryExpression(e) && arith !== undefined) {
    // Sizes are written as `1 << 30` or `64 * 1024 * 1024`.
    const l = ev(e.left);
    if (!l.ok) return l;
    const r = ev(e.right);
    if (!r.ok) return r;
    if (typeof l.value !== "number" || typeof r.value !== "number") return fail("applies an arithmetic operator to a non-number");
    return { ok: true, value: arith(l.value, r.value) };
  }
  if (ts.isArrayLiteralExpression(e)) {
    const out: StaticValue[] = [];
    for (const el of e.elements) {
      if (ts.isOmittedExpression(el)) return fail("is an array with holes", el);
      if (ts.isSpreadElement(el)) {
        const v = ev(el.expression);
        if (!v.ok) return v;
        if (!Array.isArray(v.value)) return fail("spreads something other than a static array", el);
        out.push(...v.value);
      } else {
        const v = ev(el);
        if (!v.ok) return v;
        out.push(v.value);
      }
    }
    return { ok: true, value: out };
  }
  if (ts.isObjectLiteralExpression(e)) {
    const out: StaticObject = {};
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        const v = ev(p.expression);
        if (!v.ok) return v;
        if (v.value === null || v.value === undefined) continue;
        if (typeof v.value !== "object") return fail("spreads a non-object", p);
        Object.assign(out, v.value);
        continue;
      }
      if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) {
        return fail("is a method or accessor", p);
      }
      const key = propertyKey(p.name, ctx, depth);
      if (key === null) return fail("is a computed key that is not static", p.name);
      if (key === "__proto__") return fail("is a '__proto__' key", p.name);
      const v = ts.isPropertyAssignment(p) ? ev(p.initializer) : identifierValue(p.name, ctx, depth, p);
      if (!v.ok) return v;
      out[key] = v.value;
    }
    return { ok: true, value: out };
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    if (e.questionDotToken) return fail("uses optional chaining");
    const obj = ev(e.expression);
    if (!obj.ok) return obj;
    let key: string | null;
    if (ts.isPropertyAccessExpression(e)) {
      if (ts.isPrivateIdentifier(e.name)) return fail("uses a private name");
      key = e.name.text;
    } else {
      const k = ev(e.argumentExpression);
      key = k.ok && (typeof k.value === "string" || typeof k.value === "number") ? String(k.value) : null;
    }
    if (key === null) return fail("has a property key that is not static");
    const o = obj.value;
    if (typeof o === "string") {
      if (key === "length") return { ok: true, value: o.length };
      return fail(`reads the property '${key}' of a string`);
    }
    if (o === null || typeof o !== "object") return fail(`reads the property '${key}' of a non-object`);
    if (Array.isArray(o) && key === "length") return { ok: true, value: o.length };
    if (!Object.prototype.hasOwnProperty.call(o, key)) return fail(`has no property '${key}'`);
    return { ok: true, value: (o as StaticObject)[key] };
  }
  if (ts.isIdentifier(e)) return identifierValue(e, ctx, depth, e);
  return fail(`is ${describe(e)}, evaluated at run time`);
}

function identifierValue(id: ts.Identifier, ctx: EvalContext, depth: number, at: ts.Node): Evaluated {
  const fail = (why: string): Evaluated => ({ ok: false, why, node: at });
  const { checker } = ctx;
  const sym0 = ts.isShorthandPropertyAssignment(at)
    ? checker.getShorthandAssignmentValueSymbol(at)
    : checker.getSymbolAtLocation(id);
  let sym = sym0;
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  if (!sym) return fail("cannot be resolved");
  // The global `undefined` has no declaration; a local named undefined does.
  if (id.text === "undefined" && !sym.declarations?.length) return { ok: true, value: undefined };
  const decl = sym.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name)) {
    return fail("is not a const");
  }
  if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return fail("is not a const");
  if (!decl.initializer) return fail("has no initializer");
  if (decl.getSourceFile().isDeclarationFile) return fail("is declared without a value");
  const v = evalStatic(decl.initializer, ctx, depth + 1);
  if (!v.ok) return { ok: false, why: `is a const whose value is not static: ${explain(v)}`, node: at };
  if (v.value !== null && typeof v.value === "object") ctx.objectConsts?.add(decl);
  return v;
}

/** "`Math.random()` is a call, evaluated at run time": the failing node's source and why. */
export function explain(v: { why: string; node: ts.Node }): string {
  const text = v.node.getText().replace(/\s+/g, " ");
  return `\`${text.length > 48 ? text.slice(0, 45) + "..." : text}\` ${v.why}`;
}

function propertyKey(name: ts.PropertyName, ctx: EvalContext, depth: number): string | null {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return String(Number(name.text.replace(/_/g, "")));
  if (ts.isComputedPropertyName(name)) {
    const v = evalStatic(name.expression, ctx, depth + 1);
    if (v.ok && (typeof v.value === "string" || typeof v.value === "number")) return String(v.value);
  }
  return null;
}

function describe(e: ts.Node): string {
  if (ts.isCallExpression(e)) return "a call";
  if (ts.isNewExpression(e)) return "a 'new' expression";
  if (e.kind === ts.SyntaxKind.ThisKeyword) return "'this'";
  if (ts.isBigIntLiteral(e)) return "a bigint";
  if (ts.isConditionalExpression(e)) return "a conditional expression";
  if (ts.isBinaryExpression(e)) return `the operator '${ts.tokenToString(e.operatorToken.kind)}'`;
  if (ts.isFunctionLike(e)) return "a function";
  return "this expression";
}

/**
 * True when no code in `files` can change the object a const holds: every reference to it
 * is either in `allowed` (positions whose value is copied at compile time) or a chain of
 * property reads (`X.a.b`) ending in a primitive that is not written, deleted or called.
 */
export function constObjectIsFrozen(
  decl: ts.VariableDeclaration,
  files: readonly ts.SourceFile[],
  ctx: EvalContext,
  allowed: (ref: ts.Identifier) => boolean,
): boolean {
  const { checker } = ctx;
  const target = checker.getSymbolAtLocation(decl.name);
  if (!target) return false;
  const name = (decl.name as ts.Identifier).text;
  let ok = true;
  for (const sf of files) {
    if (!ok) break;
    if (!sf.text.includes(name)) continue;
    const visit = (n: ts.Node): void => {
      if (!ok) return;
      if (ts.isIdentifier(n) && n.text === name && n !== decl.name) {
        let sym = ts.isShorthandPropertyAssignment(n.parent)
          ? checker.getShorthandAssignmentValueSymbol(n.parent)
          : checker.getSymbolAtLocation(n);
        const isImportOrExport =
          ts.isImportSpecifier(n.parent) || ts.isExportSpecifier(n.parent) || ts.isImportClause(n.parent);
        if (sym && sym.flags & ts.SymbolFlags.Alias) {
          if (isImportOrExport) return; // the binding itself, not a use
          sym = checker.getAliasedSymbol(sym);
        }
        if (sym === target && !allowed(n) && !safeRead(n, ctx)) ok = false;
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return ok;
}

function safeRead(ref: ts.Identifier, ctx: EvalContext): boolean {
  let top: ts.Expression = ref;
  while (
    (ts.isPropertyAccessExpression(top.parent) || ts.isElementAccessExpression(top.parent)) &&
    top.parent.expression === top
  ) {
    top = top.parent;
  }
  if (top === ref) return false;
  const v = evalStatic(top, { checker: ctx.checker });
  if (!v.ok || (v.value !== null && typeof v.value === "object")) return false;
  const p = top.parent;
  const k = ts.isBinaryExpression(p) && p.left === top ? p.operatorToken.kind : undefined;
  if (k !== undefined && k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment) return false;
  if (ts.isDeleteExpression(p) || ts.isPostfixUnaryExpression(p)) return false;
  if (
    ts.isPrefixUnaryExpression(p) &&
    (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)
  ) {
    return false;
  }
  if (ts.isCallExpression(p) && p.expression === top) return false;
  return true;
}
