/**
 * The contract with a generated dispatch module (compiler/emit/dispatch.ts writes it) and
 * the pairing of its compiled routes with the handlers the app registered at run time.
 * Plain data and pure functions; the server (server-impl.ts) and the blocking-pool
 * workers (blocking-worker.ts) both bind through here.
 */
import type { RouteCheck } from "./validate.js";
import type { FormCheck } from "./form-check.js";
import { registeredRoutes } from "./app.js";
import { paramSpec, type ParamSpec, type Request } from "./request.js";
import { CzResponse } from "./response.js";
import type { RouteEntry } from "./router.js";

export type RouteKind = "sync" | "async" | "maybe" | "const" | "blocking";

export interface RouteInfo {
  id: number;
  method: string;
  path: string;
  kind: RouteKind;
  params: readonly string[];
  /** Per param: "string" | "int" | "number" | "enum" (absent in older dispatch modules). */
  paramTypes?: readonly string[];
  flags: number;
  source: string;
  /** The route runs through rt.compose: it has middleware, an onError, or is a notFound or preflight route. */
  composed?: boolean;
  /** Its middleware as the compiler saw it, outer → inner ("name file:line:col"). */
  middleware?: readonly string[];
  /** Where its onError handler is registered. */
  onError?: string;
  /** The app's (or a group's) notFound handler: C dispatches unmatched paths under `path` to it. */
  notFound?: boolean;
  /** A CORS preflight route the compiler added: the id of the route whose chain it runs. */
  preflight?: number;
}

/** What a generated dispatch module calls back into, once per request. */
/** A route's generated result serializer (serializers.js `out<id>`): the value to encode instead. */
export type ResultFilter = (value: unknown) => unknown;

export interface RuntimeHooks {
  sync(i: number, req: Request, value: unknown, out?: ResultFilter): void;
  async(i: number, req: Request, value: PromiseLike<unknown>, out?: ResultFilter): void;
  maybe(i: number, req: Request, value: unknown, out?: ResultFilter): void;
  unknown(i: number, req: Request, route: number): void;
  /** A `{ blocking: true }` route: runs on the worker pool, answered like an async one. */
  blocking(i: number, req: Request, route: number): void;
  /** A route with a request schema and no chain: false when the request was invalid and is answered 400. */
  accept(i: number, req: Request, check: RouteCheck): boolean;
  /**
   * A route with a typed form body (its check has `form`) and no chain: parses and checks the
   * body, then runs `handler` and answers as an async route does;
   * an invalid form is answered 400 and the handler never runs. runtime/form-check.ts
   */
  form(i: number, req: Request, check: RouteCheck & { form: FormCheck }, handler: (req: Request) => unknown, out?: ResultFilter): void;
  /**
   * Route `id`'s handler inside its middleware chain and onError (runtime/chain.ts), made
   * once per bind: "sync" when every link is sync, "async" otherwise (always for a typed
   * form). `check`, the route's request schema, runs innermost: after the middleware.
   */
  compose(id: number, mode: "sync" | "async", handler: Function, out?: ResultFilter, check?: RouteCheck): (req: Request) => unknown;
  /**
   * A `{ blocking: true }` route with middleware: its handler as the chain's innermost link,
   * run on the worker pool and resolving with its response (the chain runs on this thread).
   */
  onPool(id: number): (req: Request) => Promise<unknown>;
}

export type DispatchFn = (route: number, req: Request, i: number) => void;

export interface DispatchModule {
  fingerprint: string;
  routes: readonly RouteInfo[];
  createDispatch(rt: RuntimeHooks, handlers: readonly Function[]): DispatchFn;
  /** URL of serializers.js when a blocking route's result is serialized (on the worker, by `out<id>`). */
  blockingSerializers?: string;
}

/** Registrations to bind (the dev server passes the slice its latest import of the app made). */
export type HandlerRecords = readonly Pick<RouteEntry, "method" | "path" | "handler" | "scopes" | "options">[];

/**
 * Per route, the handler registered for its method and path (undefined: none), and the
 * `METHOD path` of registrations no route took.
 */
export function matchHandlers(
  routes: readonly Pick<RouteInfo, "method" | "path" | "preflight">[],
  records: HandlerRecords,
): { handlers: (Function | undefined)[]; extra: string[] } {
  const byKey = new Map<string, Function>();
  for (const r of records) byKey.set(`${r.method} ${r.path}`, r.handler);
  const handlers = routes.map((r) => {
    if (r.preflight !== undefined) return preflightHandler(routes, r.path);
    const key = `${r.method} ${r.path}`;
    const h = byKey.get(key);
    byKey.delete(key);
    return h;
  });
  return { handlers, extra: [...byKey.keys()] };
}

/**
 * Matches the handlers registered at run time to the routes compiled into the table; throws,
 * naming each, when a route has no handler or a handler no route.
 * `records`: the registrations to match (default: every one in this process).
 */
export function bindHandlers(routes: readonly RouteInfo[], records: HandlerRecords = registeredRoutes()): Function[] {
  const { handlers, extra } = matchHandlers(routes, records);
  const missing = routes.filter((_, k) => handlers[k] === undefined);
  if (missing.length > 0 || extra.length > 0) {
    const lines = [
      ...missing.map((r) => `  compiled but not registered at run time: ${r.method} ${r.path} (${r.source})`),
      ...extra.map((k) => `  registered at run time but not compiled: ${k}`),
    ];
    throw new Error(
      `catzilla: the app's routes differ from the compiled route table; rerun catzilla-compile.\n${lines.join("\n")}`,
    );
  }
  return handlers as Function[];
}

/** A compiled CORS preflight route's own handler, for OPTIONS requests cors() passes on: 204 with Allow. */
function preflightHandler(routes: readonly Pick<RouteInfo, "method" | "path">[], path: string): Function {
  const methods = new Set(routes.filter((r) => r.path === path).map((r) => r.method));
  if (methods.has("GET")) methods.add("HEAD");
  const allow = [...methods].sort().join(", ");
  return () => new CzResponse(204, "", null, { Allow: allow });
}

/** Per route: its param names and which are numeric, for Request.params. */
export function paramSpecs(routes: readonly { params?: readonly string[]; paramTypes?: readonly string[] }[]): ParamSpec[] {
  return routes.map((r) => paramSpec(r.params ?? [], r.paramTypes));
}

/** With `enableAsync: false`, an app may have no async or maybe route; the error names each. */
export function assertSyncOnly(routes: readonly RouteInfo[]): void {
  const asyncRoutes = routes.filter((r) => r.kind === "async" || r.kind === "maybe");
  if (asyncRoutes.length === 0) return;
  const list = asyncRoutes.map((r) => `  ${r.method} ${r.path} (${r.kind}, ${r.source})`).join("\n");
  throw new Error(`catzilla: enableAsync is false but these routes are async or maybe:\n${list}`);
}
