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
import { prefixesOf, type PrefixContext, type Prefixes } from "./prefixes.js";
import { packageNameOf } from "./shared/package.js";
import { evalStatic, explain } from "./staticval.js";
import type { Diagnostic, Registration } from "./types.js";

const VERB_OF: Readonly<Record<string, string>> = VERBS;
const METHOD_NAMES = new Set([...Object.keys(VERB_OF), "route"]);
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== ""));
/** routes.c's body_limit is a uint32_t (catzilla_routes.h). */
const MAX_BODY_LIMIT = 0xffffffff;

export interface Discovery {
  registrations: Registration[];
  diagnostics: Diagnostic[];
}

export function discover(app: AppProgram): Discovery {
  const { checker } = app;
  const registrations: Registration[] = [];
  const diagnostics: Diagnostic[] = [];
  const registrars = registrarsOf(app);
  const isRegistrarMethod = registrars.isMethod;
  const ctx: PrefixContext = {
    checker,
    files: app.appFiles,
    isRegistrarMethod: registrars.isMethod,
    registrarOf: registrars.kindOf,
  };

  for (const sf of app.appFiles) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const callee = node.expression;
        if (METHOD_NAMES.has(callee.name.text) && isRegistrarMethod(callee.name)) {
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
            registrations.push(...readCall(node, callee.name.text, checker, diagnostics, p.prefixes));
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

  const { blocking, paramMismatch, bodyLimit } = readOptions(args[want], out);
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
    bodyLimit,
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
  ): { blocking: boolean; paramMismatch: 400 | 404; bodyLimit: number } {
    const none = { blocking: false, paramMismatch: 404 as const, bodyLimit: 0 };
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
