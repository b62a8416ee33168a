/**
 * Pass 1: find every route registration. A registration is a call
 * `x.get|post|put|patch|delete|head|options(path, handler)` or `x.route(method, path, handler)`
 * whose method the type checker resolves to a registrar class of the package named
 * "catzilla": one whose instances carry runtime/router.ts's REGISTRAR property (so
 * subclasses and chained calls count; look-alikes do not, and the runtime may arrange its
 * classes as it likes).
 */
import { ts } from "ts-morph";
import { METHODS } from "../runtime/app.js";
import { diag, diagAt, relatedAt, spanOf } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import { parsePath } from "./routepath.js";
import { joinPath, REGISTRAR, VERBS, type RegistrarKind } from "../runtime/router.js";
import { HOOK_METHODS, ScopeHooks } from "./middleware.js";
import { prefixesOf, type Placement, type PrefixContext, type Prefixes } from "./prefixes.js";
import { packageNameOf } from "./shared/package.js";
import { evalStatic, explain } from "./staticval.js";
import { skipOuter } from "./shared/ast.js";
import type { Diagnostic, MiddlewareRef, Registration, Span } from "./types.js";

const VERB_OF: Readonly<Record<string, string>> = VERBS;
const METHOD_NAMES = new Set([...Object.keys(VERB_OF), "route"]);
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== ""));
/** routes.c's body_limit is a uint32_t (catzilla_routes.h). */
const MAX_BODY_LIMIT = 0xffffffff;

export interface Discovery {
  registrations: Registration[];
  /** `static(prefix, dir, options?)` calls, one per prefix they are served at. */
  statics: DiscoveredStatic[];
  diagnostics: Diagnostic[];
}

/** A static mount as discovered (location made relative by the caller: StaticRecord). */
export interface DiscoveredStatic {
  prefix: string | null;
  dir: string | null;
  options: Record<string, unknown> | null;
  span: Span;
}

/** The registrar method that mounts a directory (runtime/router.ts `static`). */
const STATIC_METHOD = "static";

export function discover(app: AppProgram): Discovery {
  const { checker } = app;
  const registrations: Registration[] = [];
  const statics: DiscoveredStatic[] = [];
  const diagnostics: Diagnostic[] = [];
  const registrars = registrarsOf(app);
  const isRegistrarMethod = registrars.isMethod;
  const ctx: PrefixContext = {
    checker,
    files: app.appFiles,
    isRegistrarMethod: registrars.isMethod,
    registrarOf: registrars.kindOf,
  };
  const hooks = new ScopeHooks(checker, registrars.ours);

  for (const sf of app.appFiles) {
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === STATIC_METHOD &&
        isRegistrarMethod(node.expression.name)
      ) {
        const p: Prefixes = prefixesOf(node.expression.expression, ctx);
        // A mount on a router that cannot be followed is still served at run time; the
        // compiler only records what it can know.
        statics.push(...readStatic(node, checker, p.ok ? p.prefixes : [null]));
      } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const callee = node.expression;
        if (HOOK_METHODS.has(callee.name.text) && isRegistrarMethod(callee.name)) {
          // x.use(…), x.onError(h), x.notFound(h): where x's routes are, for middleware.ts.
          const p = prefixesOf(callee.expression, ctx);
          if (!p.ok) {
            diagnostics.push(
              diagAt(
                "CZ1012",
                `Cannot tell which routes this ${callee.name.text}() applies to: ${p.why}.`,
                callee.expression,
                [relatedAt(p.node, "The compiler stopped following the router here.")],
              ),
            );
          } else if (node.arguments.some(ts.isSpreadElement)) {
            diagnostics.push(
              diagAt("CZ1002", `The arguments of ${callee.name.text}() must be written out, not spread, so the compiler sees the chain.`, node),
            );
          } else hooks.record(callee.name.text, node, p.placements);
        } else if (METHOD_NAMES.has(callee.name.text) && isRegistrarMethod(callee.name)) {
          const p: Prefixes = prefixesOf(callee.expression, ctx);
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
            registrations.push(...readCall(node, callee.name.text, checker, diagnostics, p.placements, hooks));
          }
        }
      } else if (ts.isPropertyAccessExpression(node) && METHOD_NAMES.has(node.name.text)) {
        const called = ts.isCallExpression(node.parent) && node.parent.expression === node;
        if (!called && isRegistrarMethod(node.name)) diagnostics.push(unfollowed(node));
      } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
        if (METHOD_NAMES.has(node.argumentExpression.text) && isRegistrarMethod(node.argumentExpression)) {
          diagnostics.push(unfollowed(node));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  if (registrations.length === 0) diagnostics.push(noRoutes(app));
  hooks.finish(registrations);
  return { registrations, statics, diagnostics };
}

/** Reads `x.static(prefix, dir, options?)`: what is known at compile time, null for the rest. */
function readStatic(call: ts.CallExpression, checker: ts.TypeChecker, prefixes: (string | null)[]): DiscoveredStatic[] {
  const [prefixArg, dirArg, optionsArg] = call.arguments;
  const text = (e: ts.Expression | undefined): string | null => {
    if (!e || ts.isSpreadElement(e)) return null;
    const v = staticText(e, checker);
    return v.ok ? v.value : null;
  };
  const prefix = text(prefixArg);
  const dir = text(dirArg);
  let options: Record<string, unknown> | null = {};
  if (optionsArg) {
    const v = evalStatic(optionsArg, { checker });
    options = v.ok && v.value !== null && typeof v.value === "object" && !Array.isArray(v.value) ? { ...v.value } : null;
  }
  return prefixes.map((under) => ({
    prefix: prefix === null || under === null ? null : joinPath(under, prefix),
    dir,
    options,
    span: spanOf(call),
  }));
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
  placements: Placement[],
  hooks: ScopeHooks,
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

  let method: string | null = VERB_OF[name] ?? null;
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

  const { blocking, paramMismatch, use, bodyLimit } = readOptions(args[want], out);
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
    use,
    middleware: [],
    onError: null,
    bodyLimit,
  };
  if (!p.ok) return [{ ...base, path: null, segments: [], params: [], scopes: [] }];
  return placements.map(({ prefix, scopes }) => {
    const full = joinPath(prefix, p.value);
    const parsed = parsePath(full);
    if (parsed.ok)
      return {
        ...base,
        path: full,
        segments: parsed.segments,
        params: parsed.params,
        scopes,
      };
    out.push(diagAt(parsed.code, parsed.message, pathArg));
    return { ...base, path: null, segments: [], params: [], scopes };
  });

  function readOptions(
    arg: ts.Expression | undefined,
    diags: Diagnostic[],
  ): { blocking: boolean; paramMismatch: 400 | 404; use: MiddlewareRef[]; bodyLimit: number } {
    const none = { blocking: false, paramMismatch: 404 as const, use: [], bodyLimit: 0 };
    if (!arg) return none;
    // `{ use: [auth, cors(…)] }`: functions, not values; read apart from the static rest.
    const use: MiddlewareRef[] = [];
    const opts = skipOuter(arg);
    if (ts.isObjectLiteralExpression(opts)) {
      const useProp = opts.properties.find(
        (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propName(p) === "use",
      );
      if (useProp) {
        const list = skipOuter(useProp.initializer);
        if (!ts.isArrayLiteralExpression(list) || list.elements.some(ts.isSpreadElement)) {
          diags.push(
            diagAt(
              "CZ1002",
              "The route option `use` must be an array literal of middleware (`{ use: [auth] }`), so the compiler sees the chain.",
              useProp.initializer,
            ),
          );
        } else use.push(...list.elements.map((e) => hooks.ref(e)));
        const o: Record<string, unknown> = {};
        for (const p of opts.properties) {
          if (p === useProp) continue;
          const name = ts.isPropertyAssignment(p) ? propName(p) : undefined;
          const pv = name !== undefined && ts.isPropertyAssignment(p) ? evalStatic(p.initializer, { checker }) : undefined;
          if (pv === undefined || !pv.ok) {
            const why = pv === undefined ? "it is not a plain `name: value` property" : explain(pv);
            diags.push(diagAt("CZ1002", `Route options must be known at compile time, but ${why}.`, p));
            return { ...none, use };
          }
          o[name!] = pv.value;
        }
        return { ...optionValues(o, arg, diags), use };
      }
    }
    const v = evalStatic(arg, { checker });
    if (!v.ok) {
      diags.push(diagAt("CZ1002", `Route options must be known at compile time, but ${explain(v)}.`, arg));
      return none;
    }
    return { ...optionValues(v.value, arg, diags), use };
  }

  function optionValues(
    value: unknown,
    arg: ts.Expression,
    diags: Diagnostic[],
  ): { blocking: boolean; paramMismatch: 400 | 404; bodyLimit: number } {
    const none = { blocking: false, paramMismatch: 404 as const, bodyLimit: 0 };
    if (value === null || typeof value !== "object" || Array.isArray(value)) return none;
    const o = value as Record<string, unknown>;
    const pm = o.paramMismatch;
    if (pm !== undefined && pm !== 400 && pm !== 404) {
      diags.push(
        diagAt("CZ1014", `Route option paramMismatch must be 400 or 404, not ${JSON.stringify(pm) ?? String(pm)}.`, arg),
      );
    }
    const mb = o.maxBodyBytes;
    const okLimit = typeof mb === "number" && Number.isInteger(mb) && mb >= 1 && mb <= MAX_BODY_LIMIT;
    if (mb !== undefined && !okLimit) {
      diags.push(
        diagAt(
          "CZ1014",
          `Route option maxBodyBytes must be an integer from 1 to ${MAX_BODY_LIMIT} (bytes), not ${JSON.stringify(mb) ?? String(mb)}.`,
          arg,
        ),
      );
    }
    return {
      blocking: o.blocking === true,
      paramMismatch: pm === 400 ? 400 : 404,
      bodyLimit: okLimit ? (mb as number) : 0,
    };
  }
}

function propName(p: ts.PropertyAssignment): string | undefined {
  return ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : undefined;
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

/**
 * The app's registrars, recognised by runtime/router.ts's REGISTRAR property rather than
 * by class names: `kindOf(e)` says whether an expression is an app ("app": routes served
 * at their own path) or a Router ("router": served where it is mounted), `isMethod(name)`
 * whether `x.name` is a member catzilla declares on a registrar `x` (a class method, or a
 * verb shortcut typed from VERBS). Only declarations of the package named "catzilla",
 * outside the app's own files, count: a class the app writes with the same members, or a
 * member a subclass of the app overrides, is not a registration.
 */
function registrarsOf(app: AppProgram): {
  kindOf(e: ts.Expression): RegistrarKind | null;
  isMethod(name: ts.Node): boolean;
  ours(d: ts.Node): boolean;
} {
  const { checker } = app;
  const appFiles = new Set(app.appFiles);
  const ours = (d: ts.Node): boolean => {
    const sf = d.getSourceFile();
    return !appFiles.has(sf) && packageNameOf(sf.fileName) === "catzilla";
  };
  /** The type's REGISTRAR property when catzilla declares it. */
  const markOf = (t: ts.Type): ts.Symbol | undefined => {
    const mark = checker.getPropertyOfType(checker.getApparentType(t), REGISTRAR); // `this` too
    const decls = mark?.declarations ?? [];
    return decls.length > 0 && decls.every(ours) ? mark : undefined;
  };
  const members = new Map<ts.Symbol, boolean>();
  return {
    ours,
    kindOf: (e) => {
      const mark = markOf(checker.getTypeAtLocation(e));
      const v = mark && checker.getTypeOfSymbol(mark);
      return v?.isStringLiteral() && (v.value === "app" || v.value === "router") ? v.value : null;
    },
    isMethod: (name) => {
      const access = name.parent;
      if (!ts.isPropertyAccessExpression(access) && !ts.isElementAccessExpression(access)) return false;
      const sym = checker.getSymbolAtLocation(name);
      if (!sym) return false;
      let declared = members.get(sym);
      if (declared === undefined) {
        const decls = sym.declarations ?? [];
        declared = decls.length > 0 && decls.every(ours);
        members.set(sym, declared);
      }
      return declared && markOf(checker.getTypeAtLocation(access.expression)) !== undefined;
    },
  };
}
