/**
 * Pass 1: find every route registration. A registration is a call
 * `x.get|post|put|patch|delete|head|options(path, handler)` or `x.route(method, path, handler)`
 * whose method the type checker resolves to the `Catzilla` class of the package named
 * "catzilla" (so subclasses and chained calls count; look-alikes do not).
 */
import { ts } from "ts-morph";
import { METHODS } from "../runtime/app.js";
import { diag, diagAt, relatedAt, spanOf } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import { parsePath } from "./routepath.js";
import { joinPath } from "../runtime/router.js";
import { prefixesOf, type Owner, type PrefixContext, type Prefixes } from "./prefixes.js";
import { packageNameOf } from "./shared/package.js";
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
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== ""));

export interface Discovery {
  registrations: Registration[];
  diagnostics: Diagnostic[];
}

export function discover(app: AppProgram): Discovery {
  const { checker } = app;
  const registrations: Registration[] = [];
  const diagnostics: Diagnostic[] = [];
  const classes = catzillaClasses(app);
  const ownerOf = methodOwner(checker, classes);
  const isCatzilla = (name: ts.Node) => ownerOf(name) !== null;
  const ctx: PrefixContext = {
    checker,
    files: app.appFiles,
    ownerOf,
    classOf: classOwner(checker, classes),
  };

  for (const sf of app.appFiles) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const callee = node.expression;
        const owner = METHOD_NAMES.has(callee.name.text) ? ownerOf(callee.name) : null;
        if (owner && !insideCatzilla(callee)) {
          const p: Prefixes = owner === "Catzilla" ? { ok: true, prefixes: [""] } : prefixesOf(callee.expression, ctx);
          if (!p.ok) {
            diagnostics.push(
              diagAt(
                "CZ1012",
                `Cannot tell where routes registered on this Router are served: ${p.why}.`,
                callee.expression,
                [relatedAt(p.node, "The compiler stopped following the router here.")],
              ),
            );
          } else if (p.prefixes.length === 0) {
            diagnostics.push(
              diagAt(
                "CZ2004",
                "This route is registered on a Router that is never mounted (`app.mount(prefix, router)`), so it is not served.",
                node,
              ),
            );
          } else {
            registrations.push(...readCall(node, callee.name.text, checker, diagnostics, p.prefixes));
          }
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
  if (registrations.length === 0) diagnostics.push(noRoutes(app));
  return { registrations, diagnostics };
}

/** CZ1007, at the top of the first entry: an app without a route cannot be served. */
function noRoutes(app: AppProgram): Diagnostic {
  const first = app.entryFiles[0];
  const at = first ? { span: { file: first.fileName, line: 1, col: 1, start: 0, length: 0 }, text: first.text } : undefined;
  return diag(
    "CZ1007",
    "No routes found: no call like `app.get(path, handler)` on a Catzilla app from the 'catzilla' package in the program.",
    at,
  );
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
  prefixes: string[],
): Registration[] {
  const args = call.arguments;
  const isRoute = name === "route";
  const want = isRoute ? 3 : 2;
  if (args.some(ts.isSpreadElement)) {
    out.push(diagAt("CZ1002", "Route arguments must be written out, not spread.", call));
    return [];
  }
  if (args.length < want) return []; // TypeScript reports the missing argument (CZ1006)
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
          `Unknown HTTP method ${JSON.stringify(m.value)}; llhttp accepts ${[...KNOWN_METHODS].join(", ")}.`,
          methodArg,
        ),
      );
      method = null;
    } else {
      method = m.value.toUpperCase();
    }
  }

  const { blocking, paramMismatch } = readOptions(args[want], out);
  const p = staticText(pathArg, checker);
  if (!p.ok) {
    out.push(
      diagAt(
        "CZ1002",
        `The route path must be known at compile time, but ${p.why}. Build it from string literals, ` +
          "consts, templates and `+` of those, or properties of a const object (`ROUTES.users`).",
        pathArg,
      ),
    );
  }
  const base = {
    method,
    call: spanOf(call),
    methodSpan: spanOf(methodArg),
    pathSpan: spanOf(pathArg),
    handlerSpan: spanOf(handler),
    handler,
    blocking,
    paramMismatch,
  };
  if (!p.ok) return [{ ...base, path: null, segments: [], params: [] }];
  return prefixes.map((prefix) => {
    const full = joinPath(prefix, p.value);
    const parsed = parsePath(full);
    if (parsed.ok)
      return {
        ...base,
        path: full,
        segments: parsed.segments,
        params: parsed.params,
      };
    out.push(diagAt(parsed.code, parsed.message, pathArg));
    return { ...base, path: null, segments: [], params: [] };
  });

  function readOptions(
    arg: ts.Expression | undefined,
    diags: Diagnostic[],
  ): { blocking: boolean; paramMismatch: 400 | 404 } {
    const none = { blocking: false, paramMismatch: 404 as const };
    if (!arg) return none;
    const v = evalStatic(arg, { checker });
    if (!v.ok) {
      diags.push(diagAt("CZ1002", `Route options must be known at compile time, but ${explain(v)}.`, arg));
      return none;
    }
    const o = v.value;
    if (o === null || typeof o !== "object" || Array.isArray(o)) return none;
    const pm = o.paramMismatch;
    if (pm !== undefined && pm !== 400 && pm !== 404) {
      diags.push(
        diagAt("CZ1014", `Route option paramMismatch must be 400 or 404, not ${JSON.stringify(pm) ?? String(pm)}.`, arg),
      );
    }
    return { blocking: o.blocking === true, paramMismatch: pm === 400 ? 400 : 404 };
  }
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
function catzillaClasses(app: AppProgram): Map<ts.ClassDeclaration, Owner> {
  const { checker } = app;
  const found = new Map<ts.ClassDeclaration, Owner>();
  const seenModules = new Set<ts.Symbol>();
  for (const sf of app.appFiles) {
    for (const st of sf.statements) {
      const spec = ts.isImportDeclaration(st) || ts.isExportDeclaration(st) ? st.moduleSpecifier : undefined;
      if (!spec || !ts.isStringLiteral(spec) || spec.text !== "catzilla") continue;
      const mod = checker.getSymbolAtLocation(spec);
      if (!mod || seenModules.has(mod)) continue;
      seenModules.add(mod);
      for (const owner of ["Catzilla", "Router"] as const) {
        let sym = checker.getExportsOfModule(mod).find((e) => e.name === owner);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        for (const d of sym?.declarations ?? []) {
          if (ts.isClassDeclaration(d) && packageNameOf(d.getSourceFile().fileName) === "catzilla") found.set(d, owner);
        }
      }
    }
  }
  return found;
}

/** The catzilla class (Catzilla or Router) that declares the method `name` refers to, or null. */
function methodOwner(
  checker: ts.TypeChecker,
  classes: Map<ts.ClassDeclaration, Owner>,
): (name: ts.Node) => Owner | null {
  const cache = new Map<ts.Symbol, Owner | null>();
  return (name) => {
    const sym = checker.getSymbolAtLocation(name);
    if (!sym) return null;
    let hit = cache.get(sym);
    if (hit === undefined) {
      const decls = sym.declarations ?? [];
      const owners = decls.map((d) =>
        ts.isMethodDeclaration(d) && ts.isClassDeclaration(d.parent) ? (classes.get(d.parent) ?? null) : null,
      );
      hit = owners.length > 0 && owners.every((o) => o !== null && o === owners[0]) ? owners[0] : null;
      cache.set(sym, hit);
    }
    return hit;
  };
}

/** The catzilla class an expression's type is, or derives from. */
function classOwner(
  checker: ts.TypeChecker,
  classes: Map<ts.ClassDeclaration, Owner>,
): (e: ts.Expression) => Owner | null {
  const visit = (t: ts.Type, depth: number): Owner | null => {
    for (const d of t.getSymbol()?.declarations ?? []) {
      const o = ts.isClassDeclaration(d) ? classes.get(d) : undefined;
      if (o) return o;
    }
    if (depth > 8) return null;
    const target = (t as ts.TypeReference).target ?? t;
    if (!target.isClassOrInterface()) return null;
    for (const b of checker.getBaseTypes(target)) {
      const o = visit(b, depth + 1);
      if (o) return o;
    }
    return null;
  };
  return (e) => visit(checker.getTypeAtLocation(e), 0);
}
