/**
 * Which request members a handler reads → route flags (CZ_ROUTE_HEADERS/QUERY/BODY/STREAM).
 * Only a handler we can see the body of (inline function, function declaration or const
 * function, through imports) whose first parameter is used solely as `req.member` of a
 * known member gets precise flags; anything else reads "everything" (FLAG_ALL).
 */
import { ts } from "ts-morph";
import { skipOuter } from "./shared/ast.js";
import { FLAG_ALL, FLAG_BODY, FLAG_HEADERS, FLAG_QUERY, FLAG_STREAM } from "./types.js";

const MEMBER_FLAGS: Record<string, number> = {
  headers: FLAG_HEADERS,
  // Parsed from the Cookie header: C must copy the header block for it too.
  cookies: FLAG_HEADERS,
  query: FLAG_QUERY,
  searchParams: FLAG_QUERY,
  url: FLAG_QUERY,
  text: FLAG_BODY,
  json: FLAG_BODY,
  bytes: FLAG_BODY,
  // Read as the body arrives; formData() also reads Content-Type.
  stream: FLAG_BODY | FLAG_STREAM,
  formData: FLAG_BODY | FLAG_STREAM | FLAG_HEADERS,
  // The form as an object (typed by a body schema: compiler/schema/form.ts).
  form: FLAG_BODY | FLAG_STREAM | FLAG_HEADERS,
  method: 0,
  path: 0,
  params: 0,
  id: 0,
  // X-Forwarded-For / Forwarded / -Proto / -Host and Host, when trustProxy is set.
  ip: FLAG_HEADERS,
  protocol: FLAG_HEADERS,
  host: FLAG_HEADERS,
  // An AbortSignal the runtime makes on first access: no request bytes needed.
  signal: 0,
};

type FunctionNode = ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration;

/** `param`: which parameter is the request (0; 1 for an onError handler `(err, req)`). */
export function requestFlags(handler: ts.Expression, checker: ts.TypeChecker, param = 0): number {
  const fn = resolveFunction(handler, checker);
  return fn ? functionFlags(fn, checker, param) : FLAG_ALL;
}

/** The function whose body runs for this handler expression, when it is statically known. */
export function resolveFunction(expr: ts.Expression, checker: ts.TypeChecker): FunctionNode | null {
  const e = skipOuter(expr);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
  if (!ts.isIdentifier(e)) return null;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  for (const d of sym?.declarations ?? []) {
    if (ts.isFunctionDeclaration(d) && d.body) return d;
    if (ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) {
      const init = skipOuter(d.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
  }
  return null;
}

/**
 * Which of `members` the handler itself reads from its request (`req.form()`, `const {
 * formData } = req`): how the compiler knows a body schema is a form (compiler/schema/form.ts).
 * Empty when the handler's body cannot be seen.
 */
export function membersRead(handler: ts.Expression, checker: ts.TypeChecker, members: readonly string[]): Set<string> {
  const out = new Set<string>();
  const fn = resolveFunction(handler, checker);
  const p = fn?.parameters[0];
  if (!fn || !p) return out;
  if (ts.isObjectBindingPattern(p.name)) {
    for (const el of p.name.elements) {
      const key = el.propertyName ?? el.name;
      if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && members.includes(key.text)) out.add(key.text);
    }
    return out;
  }
  if (!ts.isIdentifier(p.name)) return out;
  const sym = checker.getSymbolAtLocation(p.name);
  const visit = (n: ts.Node): void => {
    // `req.form` and `req["form"]`, as useFlags reads them.
    const name = ts.isPropertyAccessExpression(n)
      ? n.name.text
      : ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression)
        ? n.argumentExpression.text
        : undefined;
    if (
      name !== undefined &&
      ts.isIdentifier((n as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression) &&
      members.includes(name) &&
      checker.getSymbolAtLocation((n as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression) === sym
    ) {
      out.add(name);
    }
    ts.forEachChild(n, visit);
  };
  if (sym) ts.forEachChild(fn, visit);
  return out;
}

function functionFlags(fn: FunctionNode, checker: ts.TypeChecker, param: number): number {
  if (!ts.isArrowFunction(fn) && usesArguments(fn)) return FLAG_ALL;
  if (fn.parameters.slice(0, param).some((p) => p.dotDotDotToken)) return FLAG_ALL;
  const p = fn.parameters[param];
  if (!p) return 0;
  if (p.dotDotDotToken) return FLAG_ALL;
  if (ts.isObjectBindingPattern(p.name)) return patternFlags(p.name);
  if (!ts.isIdentifier(p.name)) return FLAG_ALL;
  const sym = checker.getSymbolAtLocation(p.name);
  if (!sym) return FLAG_ALL;
  let flags = 0;
  const paramName = p.name;
  const visit = (n: ts.Node): void => {
    if (flags === FLAG_ALL) return;
    if (ts.isShorthandPropertyAssignment(n) && checker.getShorthandAssignmentValueSymbol(n) === sym) {
      flags = FLAG_ALL;
      return;
    }
    if (ts.isIdentifier(n) && n !== paramName && n.text === paramName.text && checker.getSymbolAtLocation(n) === sym) {
      flags |= useFlags(n);
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn, visit);
  return flags;
}

/** Flags for one read of the request identifier. */
function useFlags(id: ts.Identifier): number {
  const parent = id.parent;
  let member: string | undefined;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === id) member = parent.name.text;
  else if (
    ts.isElementAccessExpression(parent) &&
    parent.expression === id &&
    ts.isStringLiteralLike(parent.argumentExpression)
  ) {
    member = parent.argumentExpression.text;
  }
  if (member === undefined || !Object.prototype.hasOwnProperty.call(MEMBER_FLAGS, member)) return FLAG_ALL;
  const access = parent.parent;
  // Writing to the request (or deleting) is not a plain read; be conservative.
  if (ts.isBinaryExpression(access) && access.left === parent && isAssignment(access.operatorToken.kind))
    return FLAG_ALL;
  if (ts.isDeleteExpression(access)) return FLAG_ALL;
  return MEMBER_FLAGS[member];
}

function patternFlags(pattern: ts.ObjectBindingPattern): number {
  let flags = 0;
  for (const el of pattern.elements) {
    if (el.dotDotDotToken) return FLAG_ALL;
    const key = el.propertyName ?? el.name;
    let member: string;
    if (ts.isIdentifier(key) || ts.isStringLiteral(key)) member = key.text;
    else return FLAG_ALL;
    if (!Object.prototype.hasOwnProperty.call(MEMBER_FLAGS, member)) return FLAG_ALL;
    flags |= MEMBER_FLAGS[member];
  }
  return flags;
}

function usesArguments(fn: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === "arguments") found = true;
    else if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n))
      return; // their own `arguments`
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn, visit);
  return found;
}

function isAssignment(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;
}
