/**
 * A route's chain in the analyze pass (docs/middleware.md): each middleware (and the onError
 * handler) is classified like a handler (classify.ts) and its request reads counted
 * (usage.ts). The route's kind is the chain's: any async link makes it async, else any maybe
 * link maybe, else it stays sync (next() returns at once: no promise per request). An async
 * onError only matters when something throws, so it makes a sync route `maybe`, not async.
 * Routes in a cors() scope get an OPTIONS route for preflights when they have none.
 */
import { ts } from "ts-morph";
import { classify } from "./classify.js";
import { diagAt } from "./diagnostics.js";
import type { AppProgram } from "./project.js";
import { shapeOf } from "./routepath.js";
import { FLAG_HEADERS } from "./types.js";
import type { AnalyzedRoute, ChainLink, Diagnostic, Kind, MiddlewareRef, Registration } from "./types.js";
import { requestFlags, resolveFunction } from "./usage.js";

/** Per middleware expression: its link (a middleware shared by many routes is analysed once). */
export type ChainCache = Map<ts.Node, { link: ChainLink; flags: number } | null>;

export interface ChainInfo {
  links: ChainLink[];
  onError: ChainLink | null;
  /** The request parts the middleware and onError read. */
  flags: number;
}

function analyzeLink(
  ref: MiddlewareRef,
  app: AppProgram,
  cache: ChainCache,
  diagnostics: Diagnostic[],
  what: "middleware" | "onError handler",
): { link: ChainLink; flags: number } | null {
  const hit = cache.get(ref.expr);
  if (hit !== undefined) return hit;
  let out: { link: ChainLink; flags: number } | null;
  if (ref.cors) {
    // The built-in: sync, and it reads the Origin and Access-Control-Request-* headers.
    out = { link: { label: ref.label, span: ref.span, kind: "sync", cors: true }, flags: FLAG_HEADERS };
  } else {
    // `const auth: Middleware = (req, next) => …`: the function's own type says more than the annotation.
    const fn = resolveFunction(ref.expr, app.checker);
    const target = fn && !ts.isFunctionDeclaration(fn) ? fn : ref.expr;
    const c = classify(target, app.checker, app.promiseType);
    if (!c.ok) {
      diagnostics.push(diagAt("CZ1003", `The ${what} must be a function; its type is '${c.type}' (${c.reason}).`, ref.expr));
      out = null;
    } else {
      const kind = c.kind === "async" || c.kind === "maybe" ? c.kind : "sync";
      const param = what === "onError handler" ? 1 : 0;
      out = {
        link: { label: ref.label, span: ref.span, kind, cors: false },
        flags: requestFlags(ref.expr, app.checker, param),
      };
    }
  }
  cache.set(ref.expr, out);
  return out;
}

export function analyzeChain(reg: Registration, app: AppProgram, cache: ChainCache, diagnostics: Diagnostic[]): ChainInfo {
  const links: ChainLink[] = [];
  let flags = 0;
  for (const ref of reg.middleware) {
    const a = analyzeLink(ref, app, cache, diagnostics, "middleware");
    if (a === null) continue;
    links.push(a.link);
    flags |= a.flags;
  }
  let onError: ChainLink | null = null;
  if (reg.onError) {
    const a = analyzeLink(reg.onError, app, cache, diagnostics, "onError handler");
    if (a !== null) {
      onError = a.link;
      flags |= a.flags;
    }
  }
  return { links, onError, flags };
}

/** The route's kind given its handler's and its chain's. */
export function chainKind(handler: Kind, reason: string, chain: ChainInfo): { kind: Kind; reason: string } {
  const asyncLink = chain.links.find((l) => l.kind === "async");
  if (handler !== "async" && asyncLink) return { kind: "async", reason: `middleware ${asyncLink.label} is async` };
  if (handler === "async") return { kind: "async", reason };
  const maybeLink = chain.links.find((l) => l.kind === "maybe");
  if (handler !== "maybe" && maybeLink) {
    return { kind: "maybe", reason: `middleware ${maybeLink.label} may or may not return a promise` };
  }
  if (handler === "maybe") return { kind: "maybe", reason };
  if (chain.onError && chain.onError.kind !== "sync") {
    return { kind: "maybe", reason: `its onError handler ${chain.onError.label} is ${chain.onError.kind}` };
  }
  return { kind: "sync", reason: chain.links.length > 0 ? `${reason}; every middleware is sync` : reason };
}

/** How the dispatch module composes a route: "sync" when the handler and every middleware are sync. */
export function chainMode(handler: Kind, chain: ChainInfo): "sync" | "async" {
  return handler === "sync" && chain.links.every((l) => l.kind === "sync") ? "sync" : "async";
}

/**
 * An OPTIONS route for each path whose routes have cors() in their chain and no OPTIONS
 * route of their own, so a preflight reaches the middleware instead of C's 405.
 */
export function preflightRoutes(routes: readonly AnalyzedRoute[]): AnalyzedRoute[] {
  const options = new Set<string>();
  for (const r of routes) if (r.method === "OPTIONS" && r.path !== null) options.add(shapeOf(r.segments));
  const out: AnalyzedRoute[] = [];
  for (const r of routes) {
    if (r.notFound || r.path === null || r.method === null || !r.middleware.some((l) => l.cors)) continue;
    const shape = shapeOf(r.segments);
    if (options.has(shape)) continue;
    options.add(shape);
    const sync = r.middleware.every((l) => l.kind === "sync");
    const asyncOnError = r.onError !== null && r.onError.kind !== "sync";
    out.push({
      ...r,
      method: "OPTIONS",
      kind: sync ? (asyncOnError ? "maybe" : "sync") : r.middleware.some((l) => l.kind === "async") ? "async" : "maybe",
      reason: "CORS preflight route added by the compiler (cors() is in the chain of this path's routes)",
      type: "(preflight)",
      response: null,
      schema: null,
      paramMismatch: 404,
      chain: sync ? "sync" : "async",
      preflightOf: r,
    });
  }
  return out;
}
