/**
 * Route groups and mountable routers. A `Router` records routes; mounting it on an app (or
 * on another router) with a prefix registers each of them at `prefix + path`, including
 * routes added after the mount. `app.group(prefix, (r) => …)` is a router mounted at once.
 *
 * `catzilla-compile` follows the same calls statically: it resolves every prefix, so the
 * compiled table holds the full paths the app registers at run time.
 */
import type { RequestSchema } from "./schema-types.js";
import type { Handler, RouteOptions } from "./types.js";

/** Whatever routes can be registered on: an app or another router. */
export interface RouteSink {
  route(method: string, path: string, handler: Handler<string>, options?: RouteOptions): unknown;
}

/**
 * `prefix` + `path`: "/api" + "/users" = "/api/users"; "/api/" + "/users" = "/api/users";
 * "/api" + "/" = "/api"; "" or "/" + "/users" = "/users". The compiler uses this same function.
 */
export function joinPath(prefix: string, path: string): string {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (p === "") return path;
  return path === "/" ? p : p + path;
}

interface Recorded {
  method: string;
  path: string;
  handler: Handler<string>;
  options: RouteOptions | undefined;
}

export class Router<Prefix extends string = ""> {
  private readonly recorded: Recorded[] = [];
  private readonly mounts: { sink: RouteSink; prefix: string }[] = [];

  get<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("GET", path, handler, options);
  }
  post<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("POST", path, handler, options);
  }
  put<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("PUT", path, handler, options);
  }
  patch<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("PATCH", path, handler, options);
  }
  delete<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("DELETE", path, handler, options);
  }
  head<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("HEAD", path, handler, options);
  }
  options<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    return this.route("OPTIONS", path, handler, options);
  }
  /** Any method llhttp knows (upper case, e.g. "PROPFIND"). */
  route<P extends string, S extends RequestSchema = {}>(method: string, path: P, handler: Handler<`${Prefix}${P}`, S>, options?: RouteOptions): this {
    if (typeof handler !== "function") {
      throw new TypeError(`catzilla: handler for ${method} ${path} is not a function`);
    }
    const r: Recorded = {
      method: method.toUpperCase(),
      path,
      handler: handler as Handler<string>,
      options,
    };
    this.recorded.push(r);
    for (const m of this.mounts) m.sink.route(r.method, joinPath(m.prefix, r.path), r.handler, r.options);
    return this;
  }
  /** Routes registered inside `fn` get `prefix` in front of their path. */
  group<G extends string>(prefix: G, fn: (r: Router<`${Prefix}${NoInfer<G>}`>) => void): this {
    const r = new Router<`${Prefix}${G}`>();
    r.attach(this, prefix);
    fn(r);
    return this;
  }
  /** Every route of `router` (also those added later) is registered here at `prefix` + its path. */
  mount(prefix: string, router: Router<string>): this {
    router.attach(this, prefix);
    return this;
  }
  /** @internal Mounts this router on `sink` at `prefix`, replaying the routes recorded so far. */
  attach(sink: RouteSink, prefix: string): void {
    this.mounts.push({ sink, prefix });
    for (const r of this.recorded) sink.route(r.method, joinPath(prefix, r.path), r.handler, r.options);
  }
}
