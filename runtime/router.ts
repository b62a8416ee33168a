/**
 * Registering routes. `Registrar` is the one piece of code behind every way to register a
 * route (the verb shortcuts, `route`, `group`, `mount`); the app (`Catzilla`, app.ts) and
 * `Router` differ only in where a registration goes. A `Router` records routes; mounting it
 * on an app (or on another router) with a prefix registers each of them at `prefix + path`,
 * including routes added after the mount. `app.group(prefix, (r) => …)` is a router mounted
 * at once.
 *
 * `catzilla-compile` follows the same calls statically (compiler/discover.ts): it resolves
 * every prefix, so the compiled table holds the full paths the app registers at run time.
 * It knows a registrar by its REGISTRAR property, not by its class's name, so a method
 * added here (returning `this`) is followed through chains without a compiler change.
 */
import type { RequestSchema } from "./schema-types.js";
import { checkStatic, type StaticMount, type StaticOptions } from "./static.js";
import type { ErrorHandler, Handler, Middleware, NotFoundHandler, RouteOptions } from "./types.js";

/** The verb shortcuts: method name → HTTP method. catzilla-compile reads this same table. */
export const VERBS = {
  get: "GET",
  post: "POST",
  put: "PUT",
  patch: "PATCH",
  delete: "DELETE",
  head: "HEAD",
  options: "OPTIONS",
} as const;

/**
 * The name of the property catzilla-compile recognises a registrar by (declared, never set):
 * its type says where routes registered on it are served, "app" at their own path,
 * "router" wherever the router is mounted.
 */
export const REGISTRAR = "~registrar";
export type RegistrarKind = "app" | "router";

/** One registration, as a registrar records it. */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
  readonly options?: RouteOptions;
  /**
   * The registrars the route was registered through, outer → inner (the app first when it
   * reached one): their `use`, `onError` are read when the server binds (docs/middleware.md).
   */
  readonly scopes?: readonly Registrar<string>[];
}

/**
 * The method of the registration `notFound(handler)` makes: not an HTTP method, so it never
 * matches a request; C dispatches to it the requests no route matched under its prefix.
 */
export const NOT_FOUND_METHOD = "*";

/**
 * `prefix` + `path`: "/api" + "/users" = "/api/users"; "/api/" + "/users" = "/api/users";
 * "/api" + "/" = "/api"; "" or "/" + "/users" = "/users". The compiler uses this same function.
 */
export function joinPath(prefix: string, path: string): string {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (p === "") return path;
  return path === "/" ? p : p + path;
}

/**
 * The full path type of `path` registered under `Prefix`: `path` itself under "" (an app),
 * so that inference sees exactly `Handler<P>` there, and the template otherwise.
 */
type Under<Prefix extends string, P extends string> = Prefix extends "" ? P : `${Prefix}${P}`;

/** A verb shortcut: `r.get(path, handler, options?)` is `r.route("GET", path, handler, options?)`; returns `r`. */
type Shortcut<Prefix extends string> = <Self, P extends string, S extends RequestSchema = {}>(
  this: Self,
  path: P,
  // S: the request schema a handler typed `Request<Path, S>` declares (compiler/schema/).
  handler: Handler<Under<Prefix, P>, S>,
  options?: RouteOptions,
) => Self;

/** One shortcut per VERBS entry: adding a verb there adds the method, its type and its compilation. */
type Shortcuts<Prefix extends string> = { readonly [K in keyof typeof VERBS]: Shortcut<Prefix> };

// The shortcuts' types, merged into the class below (defined on its prototype from VERBS).
export interface Registrar<Prefix extends string = ""> extends Shortcuts<Prefix> {}

/**
 * What routes are registered on. `Prefix` is the static prefix the routes will be served
 * under, so that a handler's `req.params` is typed from the full path. Every method
 * returns `this`, so calls chain.
 */
export abstract class Registrar<Prefix extends string = ""> {
  /** For catzilla-compile only (see REGISTRAR); no value exists at run time. */
  declare readonly [REGISTRAR]: RegistrarKind;

  /** Registers a handler for any method llhttp knows (upper case, e.g. "PROPFIND"). */
  route<P extends string, S extends RequestSchema = {}>(
    method: string,
    path: P,
    handler: Handler<Under<Prefix, P>, S>,
    options?: RouteOptions,
  ): this {
    if (typeof handler !== "function") {
      throw new TypeError(`catzilla: handler for ${method} ${path} is not a function`);
    }
    if (options?.use !== undefined) {
      if (!Array.isArray(options.use) || options.use.some((m) => typeof m !== "function")) {
        throw new TypeError(`catzilla: the use option of ${method} ${path} must be an array of middleware functions`);
      }
    }
    this.add({ method: method.toUpperCase(), path, handler: handler as unknown as Handler, options, scopes: [] });
    return this;
  }
  /** Routes registered inside `fn` get `prefix` in front of their path: `app.group("/api", (r) => r.get("/x", h))`. */
  group<G extends string>(prefix: G, fn: (r: Router<Under<Prefix, NoInfer<G>>>) => void): this {
    const r = new Router<Under<Prefix, G>>();
    r.attach(this, prefix);
    fn(r);
    return this;
  }
  /** Registers every route of `router` (also those added later) here at `prefix` + its path. */
  mount(prefix: string, router: Router<string>): this {
    router.attach(this, prefix);
    return this;
  }
  /**
   * Serves the files under `dir` (relative to the working directory when the server
   * listens) at `prefix` + their path, from C: `app.static("/assets", "./public")`. A route
   * registered for a path wins over a file at the same path. docs/static.md.
   */
  static(prefix: string, dir: string, options?: StaticOptions): this {
    checkStatic(prefix, dir, options);
    this.addStatic({ prefix, dir, options });
    return this;
  }
  /**
   * Middleware for every route registered on this registrar (and on the groups and routers
   * under it), whenever they are registered: before or after this call. Order: the app's,
   * then each enclosing group's outer → inner, then the route's own `{ use }`; within a
   * registrar, in `use` order. docs/middleware.md.
   */
  use(...middleware: Middleware[]): this {
    for (const m of middleware) {
      if (typeof m !== "function") throw new TypeError("catzilla: middleware is not a function");
      this.middleware.push(m);
    }
    return this;
  }
  /**
   * What a handler, a middleware or body parsing throws goes here (the innermost registrar
   * with one, so a group may have its own); its result is the answer. A throw inside it is
   * the plain 500. docs/errors.md.
   */
  onError(handler: ErrorHandler): this {
    if (typeof handler !== "function") throw new TypeError("catzilla: onError handler is not a function");
    this.errorHandler = handler;
    return this;
  }
  /**
   * Answers requests whose path no route matches, under this registrar's prefix (the longest
   * prefix wins), instead of the plain 404; a plain value it returns is sent with status 404.
   * A path that exists for other methods is still a 405. docs/errors.md.
   */
  notFound(handler: NotFoundHandler): this {
    if (typeof handler !== "function") throw new TypeError("catzilla: notFound handler is not a function");
    this.add({ method: NOT_FOUND_METHOD, path: "/", handler: handler as Handler, scopes: [] });
    return this;
  }
  /** @internal This registrar's middleware, in `use` order (read when the server binds). */
  readonly middleware: Middleware[] = [];
  /** @internal Set by onError. */
  errorHandler: ErrorHandler | undefined;
  /** Where a registration goes: the process's registry (an app), or a router's list and its mounts. */
  protected abstract add(route: RouteEntry): void;
  /** @internal A registration from a router mounted here: `scopes` say where it came from. */
  receive(route: RouteEntry): void {
    this.add(route);
  }
  /** Where a static mount goes, as `add` for a route. */
  protected abstract addStatic(mount: StaticMount): void;
}

// The verb shortcuts, one per VERBS entry (typed by Shortcuts above).
for (const [name, method] of Object.entries(VERBS)) {
  Object.defineProperty(Registrar.prototype, name, {
    value: function (this: Registrar<string>, path: string, handler: Handler, options?: RouteOptions) {
      return this.route(method, path, handler, options);
    },
    writable: true,
    configurable: true,
  });
}

export class Router<Prefix extends string = ""> extends Registrar<Prefix> {
  declare readonly [REGISTRAR]: "router";
  private readonly recorded: RouteEntry[] = [];
  private readonly mounts: { sink: Registrar<string>; prefix: string }[] = [];
  private readonly statics: StaticMount[] = [];

  protected add(r: RouteEntry): void {
    this.recorded.push(r);
    for (const m of this.mounts) m.sink.receive(this.under(m.prefix, r));
  }
  protected addStatic(s: StaticMount): void {
    this.statics.push(s);
    for (const m of this.mounts) m.sink.static(joinPath(m.prefix, s.prefix), s.dir, s.options);
  }
  /** @internal Mounts this router on `sink` at `prefix`, replaying the routes recorded so far. */
  attach(sink: Registrar<string>, prefix: string): void {
    this.mounts.push({ sink, prefix });
    for (const r of this.recorded) sink.receive(this.under(prefix, r));
    for (const s of this.statics) sink.static(joinPath(prefix, s.prefix), s.dir, s.options);
  }
  /** `r` as its sink sees it: at `prefix` + its path, registered through this router. */
  private under(prefix: string, r: RouteEntry): RouteEntry {
    return { ...r, path: joinPath(prefix, r.path), scopes: [this, ...(r.scopes ?? [])] };
  }
}
