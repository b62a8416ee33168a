/**
 * Pass 1: find every route registration. A registration is a call
 * `x.get|post|put|patch|delete|head|options(path, handler)` or `x.route(method, path, handler)`
 * whose method the type checker resolves to the `Catzilla` class of the package named
 * "catzilla" (so subclasses and chained calls count; look-alikes do not).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ts } from "ts-morph";
import { METHODS } from "../runtime/app.js";
import { diagAt, spanOf } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import { parsePath } from "./routepath.js";
import { evalStatic, explain } from "./staticval.js";
import type { Diagnostic, Registration } from "./types.js";

const VERBS: Record<string, string> = {
  get: "GET",
  post: "POST",
  put: "PUT",
  patch: "PATCH",
  delete: "DELETE",
  head: "HEAD",
  options: "OPTIONS",
};
const METHOD_NAMES = new Set([...Object.keys(VERBS), "route"]);
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

export interface Discovery {
  registrations: Registration[];
  diagnostics: Diagnostic[];
}

export function discover(app: AppProgram): Discovery {
  const { checker } = app;
  const registrations: Registration[] = [];
  const diagnostics: Diagnostic[] = [];
  const isCatzilla = catzillaMethodTest(checker, catzillaClasses(app));

  for (const sf of app.appFiles) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const callee = node.expression;
        if (METHOD_NAMES.has(callee.name.text) && isCatzilla(callee.name) && !insideCatzilla(callee)) {
          const reg = readCall(node, callee.name.text, checker, diagnostics);
          if (reg) registrations.push(reg);
        }
      } else if (ts.isPropertyAccessExpression(node) && METHOD_NAMES.has(node.name.text)) {
        const called = ts.isCallExpression(node.parent) && node.parent.expression === node;
        if (!called && isCatzilla(node.name)) diagnostics.push(unfollowed(node));
      } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
        if (METHOD_NAMES.has(node.argumentExpression.text) && isCatzilla(node.argumentExpression)) {
          diagnostics.push(unfollowed(node));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { registrations, diagnostics };
}

function unfollowed(node: ts.Node): Diagnostic {
  return diagAt(
    "CZ2002",
    "A Catzilla route method is used here other than as a direct call `app.get(path, handler)`; " +
      "routes registered this way are not compiled and fail when the server starts.",
    node,
  );
}

function readCall(
  call: ts.CallExpression,
  name: string,
  checker: ts.TypeChecker,
  out: Diagnostic[],
): Registration | null {
  const args = call.arguments;
  const isRoute = name === "route";
  const want = isRoute ? 3 : 2;
  if (args.some(ts.isSpreadElement)) {
    out.push(diagAt("CZ1002", "Route arguments must be written out, not spread.", call));
    return null;
  }
  if (args.length < want) return null; // TypeScript reports the missing argument (CZ1006)
  const [methodArg, pathArg, handler] = isRoute ? args : [call.expression, args[0], args[1]];

  let method: string | null = VERBS[name] ?? null;
  if (isRoute) {
    const m = staticText(methodArg, checker);
    if (!m.ok) {
      out.push(
        diagAt(
          "CZ1002",
          `The method of \`route(method, path, handler)\` must be known at compile time, but ${m.why}. ` +
            "Write a string literal or a const initialised with one.",
          methodArg,
        ),
      );
      method = null;
    } else if (!KNOWN_METHODS.has(m.value.toUpperCase())) {
      out.push(
        diagAt(
          "CZ1004",
          `Unknown HTTP method ${JSON.stringify(m.value)}; llhttp accepts ${METHODS.join(", ")}.`,
          methodArg,
        ),
      );
      method = null;
    } else {
      method = m.value.toUpperCase();
    }
  }

  const p = staticText(pathArg, checker);
  let path: string | null = p.ok ? p.value : null;
  let segments: Registration["segments"] = [];
  let params: string[] = [];
  if (!p.ok) {
    out.push(
      diagAt(
        "CZ1002",
        `The route path must be known at compile time, but ${p.why}. Build it from string literals, ` +
          "consts, templates and `+` of those, or properties of a const object (`ROUTES.users`).",
        pathArg,
      ),
    );
  } else {
    const parsed = parsePath(p.value);
    if (parsed.ok) {
      segments = parsed.segments;
      params = parsed.params;
    } else {
      out.push(diagAt(parsed.code, parsed.message, pathArg));
      path = null;
    }
  }
  return {
    method,
    path,
    segments,
    params,
    call: spanOf(call),
    methodSpan: spanOf(methodArg),
    pathSpan: spanOf(pathArg),
    handlerSpan: spanOf(handler),
    handler,
  };
}

/** A string known at compile time (see staticval.ts), or why it is not one. */
export function staticText(
  expr: ts.Expression,
  checker: ts.TypeChecker,
): { ok: true; value: string } | { ok: false; why: string } {
  const v = evalStatic(expr, { checker });
  if (!v.ok) return { ok: false, why: explain(v) };
  if (typeof v.value !== "string") return { ok: false, why: `its value is a ${typeof v.value}, not a string` };
  return { ok: true, value: v.value };
}

export function skipOuter(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** Registrations made by the Catzilla class itself (`this.route(...)` inside get()) are not app routes. */
function insideCatzilla(callee: ts.PropertyAccessExpression): boolean {
  if (callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
  for (let n: ts.Node | undefined = callee; n; n = n.parent) {
    if (ts.isClassDeclaration(n)) return n.name?.text === "Catzilla";
  }
  return false;
}

/**
 * The `Catzilla` class declarations the app can reach through the module "catzilla"
 * (every import or re-export of it in the app's files), kept only when the declaring file
 * belongs to a package named "catzilla". A class merely named Catzilla is not one.
 */
function catzillaClasses(app: AppProgram): Set<ts.ClassDeclaration> {
  const { checker } = app;
  const found = new Set<ts.ClassDeclaration>();
  const seenModules = new Set<ts.Symbol>();
  for (const sf of app.appFiles) {
    for (const st of sf.statements) {
      const spec = ts.isImportDeclaration(st) || ts.isExportDeclaration(st) ? st.moduleSpecifier : undefined;
      if (!spec || !ts.isStringLiteral(spec) || spec.text !== "catzilla") continue;
      const mod = checker.getSymbolAtLocation(spec);
      if (!mod || seenModules.has(mod)) continue;
      seenModules.add(mod);
      let sym = checker.getExportsOfModule(mod).find((e) => e.name === "Catzilla");
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      for (const d of sym?.declarations ?? []) {
        if (ts.isClassDeclaration(d) && packageNameOf(d.getSourceFile().fileName) === "catzilla") found.add(d);
      }
    }
  }
  return found;
}

function catzillaMethodTest(checker: ts.TypeChecker, classes: Set<ts.ClassDeclaration>): (name: ts.Node) => boolean {
  const cache = new Map<ts.Symbol, boolean>();
  return (name) => {
    const sym = checker.getSymbolAtLocation(name);
    if (!sym) return false;
    let hit = cache.get(sym);
    if (hit === undefined) {
      const decls = sym.declarations ?? [];
      hit =
        decls.length > 0 &&
        decls.every((d) => ts.isMethodDeclaration(d) && ts.isClassDeclaration(d.parent) && classes.has(d.parent));
      cache.set(sym, hit);
    }
    return hit;
  };
}

const pkgNameCache = new Map<string, string | null>();

/** The `name` of the nearest package.json above `file`, or null. */
export function packageNameOf(file: string): string | null {
  const dir = path.dirname(file);
  const cached = pkgNameCache.get(dir);
  if (cached !== undefined) return cached;
  let name: string | null = null;
  const pj = path.join(dir, "package.json");
  if (fs.existsSync(pj)) {
    try {
      const v = JSON.parse(fs.readFileSync(pj, "utf8")).name;
      name = typeof v === "string" ? v : null;
    } catch {
      name = null;
    }
  } else if (path.dirname(dir) !== dir) {
    name = packageNameOf(dir);
  }
  pkgNameCache.set(dir, name);
  return name;
}
