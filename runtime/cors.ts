/**
 * `cors(options)`: the built-in CORS middleware (docs/cors.md). It answers preflights
 * (OPTIONS with Access-Control-Request-Method from an allowed origin) with 204 and the
 * allow headers, and adds Access-Control-Allow-Origin (and the others asked for) to real
 * responses; every response it sees gets `Vary: Origin` unless the origin is "*". A request
 * from an origin that is not allowed gets no CORS header. The compiler adds an OPTIONS
 * route to every path in its scope that has none, so preflights reach it (not a 405).
 */
import { CzResponse } from "./response.js";
import type { CzRequest, MiddlewareResponse, Next } from "./types.js";

export interface CorsOptions {
  /**
   * Which origins may read responses: "*" (any; the default), one origin, a list, a RegExp
   * tested against the request's Origin, or a function of it. Anything but "*" sends the
   * request's own origin back when it is allowed.
   */
  origin?: string | readonly string[] | RegExp | ((origin: string) => boolean);
  /** Methods a preflight allows (default GET, HEAD, PUT, POST, DELETE, PATCH). */
  methods?: readonly string[];
  /** Request headers a preflight allows (default: those the preflight asks for). */
  allowHeaders?: readonly string[];
  /** Response headers the browser may read (Access-Control-Expose-Headers). */
  exposeHeaders?: readonly string[];
  /** Access-Control-Allow-Credentials: true (cookies, Authorization). Default false. */
  credentials?: boolean;
  /** How long a preflight may be cached, seconds (Access-Control-Max-Age). */
  maxAge?: number;
}

/** The methods a preflight allows when `methods` is not given. */
export const CORS_DEFAULT_METHODS: readonly string[] = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"];

/** A cors() middleware: sync, so a route whose other links are sync stays sync. */
export type CorsMiddleware = (req: CzRequest, next: Next) => MiddlewareResponse | CzResponse;

export function cors(options: CorsOptions = {}): CorsMiddleware {
  const allowOrigin = originCheck(options.origin ?? "*");
  const any = options.origin === undefined || options.origin === "*";
  const methods = (options.methods ?? CORS_DEFAULT_METHODS).map((m) => m.toUpperCase()).join(", ");
  const allowHeaders = options.allowHeaders?.join(", ");
  const expose = options.exposeHeaders?.length ? options.exposeHeaders.join(", ") : undefined;
  const credentials = options.credentials === true;
  const maxAge = options.maxAge === undefined ? undefined : String(Math.trunc(options.maxAge));

  return (req, next) => {
    const origin = req.headers.get("origin");
    const allowed = origin === null ? null : allowOrigin(origin);
    if (req.method === "OPTIONS" && allowed !== null && req.headers.has("access-control-request-method")) {
      const headers: [string, string][] = [["Access-Control-Allow-Origin", allowed]];
      if (credentials) headers.push(["Access-Control-Allow-Credentials", "true"]);
      headers.push(["Access-Control-Allow-Methods", methods]);
      const asked = req.headers.get("access-control-request-headers");
      const vary = any ? [] : ["Origin"];
      if (allowHeaders !== undefined) headers.push(["Access-Control-Allow-Headers", allowHeaders]);
      else if (asked) {
        headers.push(["Access-Control-Allow-Headers", asked]);
        vary.push("Access-Control-Request-Headers");
      }
      if (maxAge !== undefined) headers.push(["Access-Control-Max-Age", maxAge]);
      if (vary.length > 0) headers.push(["Vary", vary.join(", ")]);
      return new CzResponse(204, "", null, headers);
    }
    const res = next();
    if (allowed !== null) {
      res.headers.set("Access-Control-Allow-Origin", allowed);
      if (credentials) res.headers.set("Access-Control-Allow-Credentials", "true");
      if (expose !== undefined) res.headers.set("Access-Control-Expose-Headers", expose);
    }
    if (!any) res.headers.append("Vary", "Origin");
    return res;
  };
}

/** The Access-Control-Allow-Origin value for a request's Origin, or null when it is not allowed. */
function originCheck(o: NonNullable<CorsOptions["origin"]>): (origin: string) => string | null {
  if (o === "*") return () => "*";
  if (typeof o === "string") return (origin) => (origin === o ? origin : null);
  if (o instanceof RegExp) return (origin) => (o.test(origin) ? origin : null);
  if (typeof o === "function") return (origin) => (o(origin) ? origin : null);
  const set = new Set(o);
  return (origin) => (set.has(origin) ? origin : null);
}
