/** Public types shared by the runtime and apps. */
import type { CzResponse } from "./response.js";
import type { RequestSchema, SchemaBody, SchemaForm, SchemaHeaders, SchemaQuery } from "./schema-types.js";

/** `a | b | c` for "a|b|c". */
type Literals<T extends string> = T extends `${infer A}|${infer B}` ? A | Literals<B> : T;
/** The value type of a `:name(type)` parameter: int and number are numbers, literals a union. */
type ParamValue<T extends string> = T extends "int" | "number" ? number : T extends "string" ? string : Literals<T>;
/** `{ id: number }` for "id(int)", `{ id: string }` for "id". */
type ParamEntry<S extends string> = S extends `${infer N}(${infer T})` ? { [K in N]: ParamValue<T> } : { [K in S]: string };

/**
 * Any route's params, what `Request` (no path) has: a typed one (`:id(int)`, `:x(number)`) is
 * a number, any other a string, so every route's params are assignable to it.
 */
export type AnyParams = Record<string, string | number>;

/**
 * Any route's query, what `Request` (no path, no schema) has: strings, or what a route's query
 * schema coerced them to (numbers, booleans…); narrow a value before use.
 */
export type AnyQuery = Readonly<Record<string, unknown>>;

/**
 * `{ id: string }` for "/users/:id", `{ id: number }` for "/users/:id(int)" (also `number`),
 * `{ kind: "a" | "b" }` for "/:kind(a|b)", `{ "*": string }` for a trailing wildcard;
 * AnyParams for a path not known to the type checker (`Request` alone).
 */
// `string extends P` comes last, not first: tested first, it makes the type checker measure
// CzRequest invariant in P, and a route's request would not be assignable to `Request`.
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? ParamEntry<Name> & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? ParamEntry<Name>
    : P extends `${string}*`
      ? { "*": string }
      : string extends P
        ? AnyParams
        : Record<never, string>;

/**
 * Case-insensitive, read-only view of the request headers; `H`: the headers a route's schema
 * declares (lower-case names), which `get` returns validated and coerced to their types.
 */
export type RequestHeaders<H = {}> = [keyof H] extends [never]
  ? HeaderView
  : { get<K extends keyof H & string>(name: K): H[K] } & HeaderView;

/** The request headers as received (a subset of the Fetch `Headers`). */
export interface HeaderView extends Iterable<[string, string]> {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(fn: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  toJSON(): Record<string, string>;
}

/**
 * `req.query`'s type: the schema's query, else strings for a route's path, AnyQuery for any
 * path (`string`). Tested by shape, not `string extends P` (see PathParams).
 */
type QueryOf<P extends string, S> = S extends { query: object }
  ? SchemaQuery<S>
  : P extends `${string}/${string}`
    ? SchemaQuery<S>
    : AnyQuery;

/**
 * `P`: the route's path, which types `params`; `S` (optional): what the handler accepts,
 * `{ body?, query?, headers? }` as TypeScript types. The compiler generates validators from
 * them; invalid input is answered 400 before the handler runs, so `await req.json()` is
 * typed (and is) the body type.
 *
 * `Request` alone is any route's request: a helper typed `(req: Request)` takes the request
 * of every route (typed params, schemas and all), with `params` as AnyParams and `query` as
 * AnyQuery; one that needs a route's own types takes `Request<"/notes/:id(int)">`.
 *
 * Valid while the handler runs; once the request is answered every member but `signal`
 * throws (README, "The request is a view…").
 */
export interface CzRequest<P extends string = string, S extends RequestSchema = {}> {
  /** "GET", "POST", ... (a HEAD request to a GET route says "HEAD"). */
  readonly method: string;
  /** The path as received, without the query string, not percent-decoded. */
  readonly path: string;
  /** The request target as received: path and query string. */
  readonly url: string;
  /** The server's id for this request (a counter), as its log lines and access log line show it. */
  readonly id: string;
  /**
   * The client's address: the connection's peer (IPv4 or IPv6 text), or with `trustProxy`
   * the rightmost untrusted address of X-Forwarded-For / Forwarded. "" when there is no IP
   * peer (inject()) or the connection closed while the handler ran.
   */
  readonly ip: string;
  /** "http", or with `trustProxy` X-Forwarded-Proto (or Forwarded's proto) from a trusted proxy. */
  readonly protocol: string;
  /** The Host header, or with `trustProxy` X-Forwarded-Host (or Forwarded's host) from a trusted proxy. */
  readonly host: string;
  /** Path parameters, percent-decoded. */
  readonly params: PathParams<P>;
  /**
   * Query string parameters (parsed on first access); repeated keys keep the last value.
   * With a `query` schema: validated and coerced to its types (numbers, booleans, literals).
   */
  readonly query: QueryOf<P, S>;
  /** The query string parsed as URLSearchParams (on first access). */
  readonly searchParams: URLSearchParams;
  readonly headers: RequestHeaders<SchemaHeaders<S>>;
  /**
   * The request's cookies (from its Cookie header, percent-decoded, parsed on first access);
   * a missing cookie is undefined: `req.cookies.session ?? null`.
   */
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /**
   * Aborts when the client disconnects before the response is sent (a streamed one
   * included), or when the handler times out (handlerTimeoutMs). Made on first access.
   */
  readonly signal: AbortSignal;
  /** The body as text (UTF-8). */
  text(): Promise<string>;
  /**
   * The body parsed as JSON; a malformed body rejects with an HttpError(400). With a `body`
   * schema it is the validated body, typed as declared.
   */
  json<T = SchemaBody<S>>(): Promise<T>;
  /** The body bytes. */
  bytes(): Promise<Uint8Array>;
  /**
   * The body as a Web FormData (`application/x-www-form-urlencoded` or `multipart/form-data`;
   * file parts are `File`s). Over a limit (maxFileBytes, maxFiles, maxFields, maxFieldBytes,
   * maxBodyBytes) it rejects with HttpError 413, a malformed body 400, another content type 415.
   * A route that calls it reads its body as it arrives. docs/bodies.md
   */
  formData(): Promise<FormData>;
  /**
   * The form body (urlencoded or multipart) as an object. With a `body` schema, the route
   * takes a form: the body was checked before the handler ran, fields coerced to their types
   * (numbers, booleans, literals, `Date`, lists, `File`s), and this is that typed value.
   * Without one, each field by name, a repeated field as an array. docs/validation.md
   */
  form<T = SchemaForm<S>>(): Promise<T>;
  /**
   * The body as a Web ReadableStream, as it arrives: the server stops reading from the client
   * while the stream is not read (backpressure). A body is read once: as a stream, or whole.
   * docs/bodies.md
   */
  stream(): ReadableStream<Uint8Array>;
}

/** What a handler may return (or resolve to). */
export type HandlerResult =
  | CzResponse
  | string
  | Uint8Array
  | undefined
  | void
  | null
  | number
  | boolean
  | object;

/** Per-route options: the third argument of `get`/`post`/… (fourth of `route`). */
export interface RouteOptions {
  /**
   * The handler blocks (sync file, process or crypto calls, long CPU work): run it on the
   * worker-thread pool so it cannot stall the event loop every connection shares.
   */
  blocking?: boolean;
  /**
   * What a request gets when its path fits this route but a typed parameter's value does
   * not (`/users/abc` for `/users/:id(int)`), and no other route matches: 404 (the default:
   * the route does not match), or 400 with a JSON body naming the parameter and what it
   * must be. Answered in C; the handler never runs.
   */
  paramMismatch?: 400 | 404;
  /**
   * Middleware for this route only, run inside the app's and the enclosing groups' (in
   * array order, outer → inner). Listed literally (`{ use: [auth] }`) so the compiler sees
   * the chain. docs/middleware.md.
   */
  use?: readonly Middleware[];
  /**
   * This route's request body limit in bytes (1 to 4 294 967 295), instead of the listen option
   * `maxBodyBytes`: raise it for uploads (with `req.stream()` the body is never held whole),
   * or lower it. Read by the compiler, so it must be a value known at compile time.
   */
  maxBodyBytes?: number;
}

/**
 * A Fetch-Headers-like view of a response's header lines (names case-insensitive): a
 * middleware changes them after `next()`. `Set-Cookie` lines stay separate: `append` adds
 * one more, `getSetCookie()` lists them, `get` joins the others with ", ".
 */
export interface ResponseHeaders extends Iterable<[string, string]> {
  get(name: string): string | null;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  has(name: string): boolean;
  getSetCookie(): string[];
  forEach(fn: (value: string, name: string) => void): void;
  entries(): IterableIterator<[string, string]>;
}

/**
 * What `next()` gives a middleware: the response of the rest of the chain, whose `status`
 * and `headers` can be changed; return it (or anything a handler may return instead).
 */
export interface MiddlewareResponse {
  status: number;
  readonly headers: ResponseHeaders;
  /** The body as it will be sent (encoded on first access). */
  readonly body: string | Uint8Array;
}

/**
 * Runs the rest of the chain (the inner middleware and the handler). In a route whose
 * every link is sync it returns the response at once; when any link is async it returns it
 * awaitable (`await next()`), and a sync middleware may still change its status and
 * headers before returning it.
 */
export type Next = () => MiddlewareResponse;

/**
 * A middleware: `(req, next) => result`. Call `next()` for the rest's response (and change
 * or return it), or return anything a handler may return without calling it (the chain
 * stops there), or throw. Sync or async, like a handler: the compiler decides per route.
 */
export type Middleware = (req: CzRequest, next: Next) => unknown;

/** `app.onError((err, req) => result)`: the answer for an error thrown by a handler, middleware or body parsing. */
export type ErrorHandler = (err: unknown, req: CzRequest) => unknown;

/** `app.notFound((req) => result)`: the answer for a path no route matches (a plain value is sent as a 404). */
export type NotFoundHandler = (req: CzRequest) => unknown;

/**
 * A route handler. Its result may be typed `unknown` (what `await (await fetch(u)).json()`
 * gives): the compiler then makes the route `maybe` (or `async`) and sends it as HandlerResult
 * says at run time; a precise HandlerResult type is what makes a route sync and serializable.
 */
export type Handler<P extends string = string, S extends RequestSchema = {}> = (req: CzRequest<P, S>) => unknown;
