/**
 * Where routes registered on a `Router` end up: the static prefixes of every place it is
 * mounted. A router is followed through
 *
 *   app.group("/api", (r) => r.get(…))            the callback's parameter, nested groups too
 *   app.group("/api", registerApi)                 a named callback
 *   const r = new Router(); app.mount("/api", r)   every mount of that const (also across modules)
 *   app.mount("/api", new Router().get(…))         an inline router
 *   function users(r: Router) {…}  users(router)   a helper's parameter, at each call site
 *
 * and chained calls (`r.get(…).post(…)`: every registrar method returns its receiver). A
 * receiver that is an app (a `Catzilla`) has the prefix "". Anything else cannot be
 * followed: an error that says why (CZ1012).
 */
import { ts } from "ts-morph";
import { joinPath, type RegistrarKind } from "../runtime/router.js";
import { evalStatic, explain } from "./staticval.js";

export interface PrefixContext {
  checker: ts.TypeChecker;
  files: readonly ts.SourceFile[];
  /** Does this name refer to a method of a catzilla registrar class (discover.ts)? */
  isRegistrarMethod(name: ts.Node): boolean;
  /** Which kind of registrar an expression's type is: an app, a Router, or neither (null). */
  registrarOf(e: ts.Expression): RegistrarKind | null;
}

/**
 * One place routes registered on a registrar end up: the static prefix, and the routers
 * (group calls, const routers, inline `new Router()`s) they pass through on the way to the
 * app, outer → inner. A router's middleware (`r.use`) applies to the routes of every
 * placement whose `scopes` include it (compiler/middleware.ts).
 */
export interface Placement {
  prefix: string;
  scopes: ts.Node[];
}

export type Prefixes =
  | { ok: true; prefixes: string[]; placements: Placement[] }
  | { ok: false; why: string; node: ts.Node };

function placed(placements: Placement[]): Prefixes {
  return { ok: true, prefixes: placements.map((p) => p.prefix), placements };
}

export function prefixesOf(expr: ts.Expression, ctx: PrefixContext, seen: Set<ts.Node> = new Set()): Prefixes {
  const fail = (why: string, node: ts.Node = expr): Prefixes => ({
    ok: false,
    why,
    node,
  });
  let e = expr;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  if (seen.has(e) || seen.size > 64) return fail("its registrations are recursive");
  seen = new Set(seen).add(e);
  const kind = ctx.registrarOf(e);
  if (kind === "app") return placed([{ prefix: "", scopes: [] }]);
  if (kind !== "router") return fail("it is not a Catzilla app or a Router");

  // r.get(…).post(…): every registrar method returns its receiver.
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    if (ctx.isRegistrarMethod(e.expression.name)) return prefixesOf(e.expression.expression, ctx, seen);
  }
  if (ts.isNewExpression(e)) return inlineRouter(e, ctx, seen);
  return routerPlacements(e, ctx, seen, fail);
}

function routerPlacements(
  e: ts.Expression,
  ctx: PrefixContext,
  seen: Set<ts.Node>,
  fail: (why: string, node?: ts.Node) => Prefixes,
): Prefixes {
  if (!ts.isIdentifier(e)) return fail("the compiler cannot tell which router this is");
  let sym = ctx.checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = ctx.checker.getAliasedSymbol(sym);
  const decl = sym?.valueDeclaration;
  if (!sym || !decl) return fail(`\`${e.text}\` cannot be resolved`);
  if (ts.isParameter(decl)) return parameterPrefixes(decl, ctx, seen);
  if (ts.isVariableDeclaration(decl) && ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const && decl.initializer) {
    return mountsOf(sym, decl, ctx, seen);
  }
  return fail(`\`${e.text}\` is not a const, a group callback's parameter or a function parameter`);
}

/** Product of the receiver's placements with one static prefix argument, through the router `self`. */
function under(
  receiver: ts.Expression,
  prefixArg: ts.Expression | undefined,
  ctx: PrefixContext,
  seen: Set<ts.Node>,
  self: ts.Node,
): Prefixes {
  if (!prefixArg)
    return {
      ok: false as const,
      why: "the prefix argument is missing",
      node: receiver,
    };
  const v = evalStatic(prefixArg, { checker: ctx.checker });
  if (!v.ok)
    return {
      ok: false as const,
      why: `its prefix is not known at compile time: ${explain(v)}`,
      node: prefixArg,
    };
  if (typeof v.value !== "string")
    return {
      ok: false as const,
      why: "its prefix is not a string",
      node: prefixArg,
    };
  const outer = prefixesOf(receiver, ctx, seen);
  if (!outer.ok) return outer;
  const prefix = v.value;
  return placed(outer.placements.map((p) => ({ prefix: joinPath(p.prefix, prefix), scopes: [...p.scopes, self] })));
}

/** `x.group(prefix, fn)` / `x.mount(prefix, router)` calls: the call when `node` is that argument. */
function hostCall(node: ts.Node, method: "group" | "mount", ctx: PrefixContext): ts.CallExpression | null {
  const call = node.parent;
  if (!ts.isCallExpression(call) || call.arguments[1] !== node) return null;
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== method) return null;
  return ctx.isRegistrarMethod(call.expression.name) ? call : null;
}

function parameterPrefixes(param: ts.ParameterDeclaration, ctx: PrefixContext, seen: Set<ts.Node>): Prefixes {
  const fn = param.parent;
  const index = fn.parameters.indexOf(param);
  let outer: ts.Node = fn;
  while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  const group = hostCall(outer, "group", ctx);
  if (group && index === 0)
    return under((group.expression as ts.PropertyAccessExpression).expression, group.arguments[0], ctx, seen, group);
  // A named function: every place it is called (or passed to group) decides its prefixes.
  const name =
    ts.isFunctionDeclaration(fn) && fn.name
      ? fn.name
      : (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(outer.parent)
        ? outer.parent.name
        : undefined;
  if (!name || !ts.isIdentifier(name)) {
    return {
      ok: false,
      why: "it is a parameter of a function the compiler cannot follow to its callers",
      node: param,
    };
  }
  const fnSym = ctx.checker.getSymbolAtLocation(name);
  if (!fnSym) return { ok: false, why: "its function cannot be resolved", node: param };
  const out: Placement[] = [];
  for (const ref of references(fnSym, name.text, ctx)) {
    if (ref === name) continue;
    const call = ref.parent;
    if (ts.isCallExpression(call) && call.expression === ref) {
      const arg = call.arguments[index];
      if (!arg) continue; // a missing argument is TypeScript's error
      const p = prefixesOf(arg, ctx, seen);
      if (!p.ok) return p;
      out.push(...p.placements);
      continue;
    }
    const g = hostCall(ref, "group", ctx);
    if (g && index === 0) {
      const p = under((g.expression as ts.PropertyAccessExpression).expression, g.arguments[0], ctx, seen, g);
      if (!p.ok) return p;
      out.push(...p.placements);
      continue;
    }
    if (ts.isImportSpecifier(ref.parent) || ts.isExportSpecifier(ref.parent)) continue;
    return {
      ok: false,
      why: `\`${name.text}\` is used here other than by a call or as a group callback`,
      node: ref,
    };
  }
  return placed(out);
}

/** Every `x.mount(prefix, r)` of the const router `sym` (declared by `decl`). */
function mountsOf(sym: ts.Symbol, decl: ts.Node, ctx: PrefixContext, seen: Set<ts.Node>): Prefixes {
  const out: Placement[] = [];
  for (const ref of references(sym, sym.name, ctx)) {
    const m = hostCall(ref, "mount", ctx);
    if (!m) continue;
    const p = under((m.expression as ts.PropertyAccessExpression).expression, m.arguments[0], ctx, seen, decl);
    if (!p.ok) return p;
    out.push(...p.placements);
  }
  return placed(out);
}

/** `app.mount("/x", new Router().get(…))`: climb the chain to the mount call. */
function inlineRouter(e: ts.NewExpression, ctx: PrefixContext, seen: Set<ts.Node>): Prefixes {
  let top: ts.Node = e;
  while (
    ts.isPropertyAccessExpression(top.parent) &&
    ts.isCallExpression(top.parent.parent) &&
    top.parent.parent.expression === top.parent &&
    ctx.isRegistrarMethod(top.parent.name)
  ) {
    top = top.parent.parent;
  }
  const m = hostCall(top, "mount", ctx);
  if (!m)
    return {
      ok: false,
      why: "this router is never mounted where the compiler can see it",
      node: e,
    };
  return under((m.expression as ts.PropertyAccessExpression).expression, m.arguments[0], ctx, seen, e);
}

/** Identifiers in the app's files that refer to `sym` (imports resolved, renamed ones too). */
function references(sym: ts.Symbol, name: string, ctx: PrefixContext): ts.Identifier[] {
  const names = localNames(sym, name, ctx);
  const out: ts.Identifier[] = [];
  for (const sf of ctx.files) {
    if (![...names].some((n) => sf.text.includes(n))) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && names.has(n.text)) {
        let s = ctx.checker.getSymbolAtLocation(n);
        if (s && s.flags & ts.SymbolFlags.Alias) s = ctx.checker.getAliasedSymbol(s);
        if (s === sym) out.push(n);
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/**
 * `name` and every other name the app's modules give `sym`: `import { api as users }`,
 * `export { api as users }`, a default import. Looking identifiers up by name keeps
 * `references` from asking the checker about every identifier of every file.
 */
function localNames(sym: ts.Symbol, name: string, ctx: PrefixContext): Set<string> {
  const names = new Set([name]);
  const resolves = (id: ts.Identifier): boolean => {
    let s = ctx.checker.getSymbolAtLocation(id);
    if (s && s.flags & ts.SymbolFlags.Alias) s = ctx.checker.getAliasedSymbol(s);
    return s === sym;
  };
  const consider = (local: ts.Identifier, imported: string): boolean => {
    if (names.has(local.text) || !(names.has(imported) || imported === "default") || !resolves(local)) return false;
    names.add(local.text);
    return true;
  };
  // A renamed import can be re-exported under yet another name: repeat until nothing is new.
  for (let grew = true; grew; ) {
    grew = false;
    for (const sf of ctx.files) {
      for (const st of sf.statements) {
        if (ts.isImportDeclaration(st) && st.importClause) {
          const c = st.importClause;
          if (c.name && consider(c.name, "default")) grew = true;
          if (c.namedBindings && ts.isNamedImports(c.namedBindings)) {
            for (const el of c.namedBindings.elements) {
              if (consider(el.name, (el.propertyName ?? el.name).text)) grew = true;
            }
          }
        } else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) {
            if (ts.isIdentifier(el.name) && consider(el.name, (el.propertyName ?? el.name).text)) grew = true;
          }
        }
      }
    }
  }
  return names;
}
