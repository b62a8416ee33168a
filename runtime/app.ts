/**
 * The Catzilla app: a place to register routes. Registration only records
 * (method, path, handler); `catzilla-compile` reads the same calls from source,
 * decides each handler's kind, and the generated server binds the recorded
 * handlers to the compiled route table when it starts listening.
 */
import { METHOD_NAMES } from "./abi.js";
import { Router } from "./router.js";
import type { RequestSchema } from "./schema-types.js";
import type { Handler, RouteOptions } from "./types.js";

export interface RouteRecord {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
  readonly app: Catzilla;
  readonly options?: RouteOptions;
}

/** Every route registered in this process, in registration order. */
const registry: RouteRecord[] = [];

/** Routes registered so far (read by the generated server at listen time). */
export function registeredRoutes(): readonly RouteRecord[] {
  return registry;
}

/** HTTP methods a route may use (llhttp's set), indexed by llhttp's method number ("" = none). */
export const METHODS: readonly string[] = METHOD_NAMES;

export class Catzilla {
  get<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("GET", path, handler, options);
  }
  post<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("POST", path, handler, options);
  }
  put<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("PUT", path, handler, options);
  }
  patch<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("PATCH", path, handler, options);
  }
  delete<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("DELETE", path, handler, options);
  }
  head<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("HEAD", path, handler, options);
  }
  options<P extends string, S extends RequestSchema = {}>(path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    return this.route("OPTIONS", path, handler, options);
  }
  /** Registers a handler for any method llhttp knows (upper case, e.g. "PROPFIND"). */
  route<P extends string, S extends RequestSchema = {}>(method: string, path: P, handler: Handler<P, S>, options?: RouteOptions): this {
    if (typeof handler !== "function") {
      throw new TypeError(`catzilla: handler for ${method} ${path} is not a function`);
    }
    registry.push({
      method: method.toUpperCase(),
      path,
      handler: handler as Handler,
      app: this,
      options,
    });
    return this;
  }
  /** Routes registered inside `fn` get `prefix` in front of their path: `app.group("/api", (r) => r.get("/x", h))`. */
  group<G extends string>(prefix: G, fn: (r: Router<NoInfer<G>>) => void): this {
    const r = new Router<G>();
    r.attach(this, prefix);
    fn(r);
    return this;
  }
  /** Registers every route of `router` (also those added later) at `prefix` + its path. */
  mount(prefix: string, router: Router<string>): this {
    router.attach(this, prefix);
    return this;
  }
}
