/**
 * Middleware, onError and notFound as the compiler sees them (docs/middleware.md). discover
 * records every `x.use(…)`, `x.onError(h)` and `x.notFound(h)` on a registrar with the
 * placements of `x` (compiler/prefixes.ts); then each route's chain is, like the runtime
 * composes it (runtime/chain.ts): the app's middleware, then each router the route passed
 * through outer → inner, then its own `{ use: [...] }`. Within one registrar, in source
 * order (file, then position), which is `use` order for calls made at module load.
 * A `use` applies to every route of its registrar, registered before it or after.
 */
import { ts } from "ts-morph";
import { joinPath, NOT_FOUND_METHOD } from "../runtime/router.js";
import { spanOf } from "./diagnostics.js";
import type { Placement } from "./prefixes.js";
import { skipOuter } from "./shared/ast.js";
import type { MiddlewareRef, Registration, Span } from "./types.js";

/** The methods this file follows, besides the route methods discover reads. */
export const HOOK_METHODS = new Set(["use", "onError", "notFound"]);

/** The key of the app's own scope (routers are keyed by their declaring node). */
const APP = Symbol("app");
type ScopeKey = ts.Node | typeof APP;

interface Hook {
  ref: MiddlewareRef;
  call: ts.Node;
}

function order(a: Span, b: Span): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.start - b.start;
}

/** What a middleware expression is called in listings: `auth`, `cors(…)`, `(inline)`. */
export function labelOf(e: ts.Expression): string {
  const x = skipOuter(e);
  if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) return x.getText();
  if (ts.isCallExpression(x)) return `${x.expression.getText()}(…)`;
  if (ts.isFunctionExpression(x) && x.name) return x.name.text;
  if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) return "(inline)";
  return "(expression)";
}

/** Whether `e` is a call of catzilla's own `cors(…)` (through a const, across modules). */
export function isCorsCall(e: ts.Expression, checker: ts.TypeChecker, ours: (d: ts.Node) => boolean): boolean {
  let x = skipOuter(e);
  for (let hops = 0; ts.isIdentifier(x) && hops < 8; hops++) {
    let sym = checker.getSymbolAtLocation(x);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const d = sym?.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const)) {
      return false;
    }
    x = skipOuter(d.initializer);
  }
  if (!ts.isCallExpression(x)) return false;
  let sym = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(x.expression) ? x.expression.name : x.expression);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decls = sym?.declarations ?? [];
  return sym?.name === "cors" && decls.length > 0 && decls.every(ours);
}

export class ScopeHooks {
  private readonly uses = new Map<ScopeKey, Hook[]>();
  private readonly errors = new Map<ScopeKey, Hook>();
  private readonly notFounds: { call: ts.CallExpression; handler: ts.Expression; placement: Placement }[] = [];

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly ours: (d: ts.Node) => boolean,
  ) {}

  /** A middleware reference for `e`. */
  ref(e: ts.Expression): MiddlewareRef {
    return { expr: e, span: spanOf(e), label: labelOf(e), cors: isCorsCall(e, this.checker, this.ours) };
  }

  /** `x.use(…)` / `x.onError(h)` / `x.notFound(h)`, with the placements of `x`. */
  record(method: string, call: ts.CallExpression, placements: readonly Placement[]): void {
    const seen = new Set<ScopeKey>();
    for (const p of placements) {
      const key: ScopeKey = p.scopes.length > 0 ? p.scopes[p.scopes.length - 1] : APP;
      if (method === "notFound") {
        if (call.arguments[0]) this.notFounds.push({ call, handler: call.arguments[0], placement: p });
        continue;
      }
      if (seen.has(key)) continue; // a router mounted twice is one scope
      seen.add(key);
      if (method === "use") {
        const list = this.uses.get(key) ?? [];
        for (const arg of call.arguments) if (!ts.isSpreadElement(arg)) list.push({ ref: this.ref(arg), call });
        this.uses.set(key, list);
      } else if (method === "onError" && call.arguments[0]) {
        const prev = this.errors.get(key);
        const next = { ref: this.ref(call.arguments[0]), call };
        // Called more than once: the last call (in source order) is the one that stays.
        if (!prev || order(spanOf(prev.call), spanOf(call)) < 0) this.errors.set(key, next);
      }
    }
  }

  private keys(scopes: readonly ts.Node[]): ScopeKey[] {
    return [APP, ...scopes];
  }

  /** The middleware of a route registered through `scopes`, with its own `use`. */
  chainOf(scopes: readonly ts.Node[], own: readonly MiddlewareRef[]): MiddlewareRef[] {
    const out: MiddlewareRef[] = [];
    for (const k of this.keys(scopes)) {
      const list = [...(this.uses.get(k) ?? [])].sort((a, b) => order(a.ref.span, b.ref.span));
      out.push(...list.map((h) => h.ref));
    }
    return [...out, ...own];
  }

  /** The innermost onError of a route registered through `scopes`. */
  onErrorOf(scopes: readonly ts.Node[]): MiddlewareRef | null {
    let found: MiddlewareRef | null = null;
    for (const k of this.keys(scopes)) found = this.errors.get(k)?.ref ?? found;
    return found;
  }

  /** Fills in each registration's chain and onError; adds one registration per notFound placement. */
  finish(registrations: Registration[]): void {
    for (const r of registrations) {
      r.middleware = this.chainOf(r.scopes, r.use);
      r.onError = this.onErrorOf(r.scopes);
    }
    for (const nf of this.notFounds) {
      const path = joinPath(nf.placement.prefix, "/");
      const scopes = nf.placement.scopes;
      const callSpan = spanOf(nf.call);
      registrations.push({
        method: NOT_FOUND_METHOD,
        path,
        bodyLimit: 0,
        segments: [],
        params: [],
        call: callSpan,
        methodSpan: callSpan,
        pathSpan: callSpan,
        handlerSpan: spanOf(nf.handler),
        handler: nf.handler,
        blocking: false,
        paramMismatch: 404,
        scopes,
        use: [],
        middleware: this.chainOf(scopes, []),
        onError: this.onErrorOf(scopes),
        notFound: true,
      });
    }
  }
}
