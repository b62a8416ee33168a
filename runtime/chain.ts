/**
 * A route's middleware chain, composed once when the server binds (docs/middleware.md).
 * The compiler decided the route's kind from every link: a route whose links are all sync
 * gets `composeSync` (next() returns the response at once, no promise per request); any
 * other gets `composeAsync`. `onError` (the innermost registrar's) wraps the whole chain and
 * answers every error but an HttpError (which keeps its own status and body).
 */
import { logHandlerError } from "./answers.js";
import type { ServerLog } from "./log.js";
import type { ResultFilter, RouteInfo, RuntimeHooks } from "./bind.js";
import { PendingResponse, unwrap, wrap, type ChainResponse } from "./chain-response.js";
import type { Request } from "./request.js";
import { CzResponse, HttpError, responseFromHead } from "./response.js";
import { isWebResponse } from "./result-object.js";
import { CzStream } from "./stream.js";
import type { RouteEntry } from "./router.js";
import type { CzRequest, ErrorHandler, Middleware } from "./types.js";
import { checkForm, isFormCheck } from "./form-check.js";
import { checkRequest, type RouteCheck } from "./validate.js";
import { encodeError, encodeResult, type Encoded } from "./writer.js";

type Fn = (req: Request) => unknown;

/** What a throw inside onError is answered with. */
const PLAIN_500 = (): CzResponse =>
  new CzResponse(500, '{"error":"Internal Server Error"}', "application/json", undefined);

export interface ChainSpec {
  /** Outer → inner. */
  middleware: readonly Middleware[];
  onError: ErrorHandler | undefined;
  /** A notFound handler: a plain value it returns is sent with status 404. */
  notFound: boolean;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/**
 * A notFound handler's value: a response (stream(), a Web Response) as it is, anything else
 * sent as it would be, with 404: a bare stream (a Readable, an async iterable) is a body,
 * as a string is, so a 404 page piped from a file is still a 404.
 */
function asNotFound(v: unknown): unknown {
  if (v instanceof CzResponse) return v;
  const e = encodeResult(v);
  if (e.stream !== undefined) {
    if (!(v instanceof CzStream) && !isWebResponse(v)) e.stream.status = 404;
    return e.stream;
  }
  return responseFromHead(isWebResponse(v) ? e.status : 404, e.body, e.head);
}

/** A failed check's 400, as a response the middleware around it can add headers to. */
const problem = (bad: Encoded): CzResponse => responseFromHead(bad.status, bad.body, bad.head);

/**
 * The handler behind the route's request check (innermost, so middleware runs first: an
 * auth middleware answers 401 before a body is judged, CORS headers reach a 400). A typed
 * form is parsed and checked asynchronously: the compiler makes such a chain async.
 */
function checked(h: Fn, check: RouteCheck | undefined): Fn {
  if (check === undefined) return h;
  if (isFormCheck(check)) {
    return (req) => checkForm(req as never, check).then((bad) => (bad === undefined ? h(req) : problem(bad)));
  }
  return (req) => {
    const bad = checkRequest(req as never, check);
    return bad === undefined ? h(req) : problem(bad);
  };
}

/** The handler with its request check and result filters (the route's serializer, notFound's 404). */
function innermost(h: Function, out: ResultFilter | undefined, notFound: boolean, check: RouteCheck | undefined): Fn {
  const filter: ResultFilter | undefined =
    out && notFound ? (v) => asNotFound(out(v)) : notFound ? asNotFound : out;
  const run = checked(h as Fn, check);
  if (filter === undefined) return run;
  return (req) => {
    const v = run(req);
    return isThenable(v) ? v.then(filter) : filter(v);
  };
}

/**
 * onError's answer for `err`; a throw (or rejection) inside it is the plain 500, logged. An
 * HttpError is an answer, not a failure: it keeps its status and body, as anywhere else.
 */
function handleError(onError: ErrorHandler, err: unknown, req: Request, log: ServerLog): unknown {
  if (err instanceof HttpError) throw err;
  let v: unknown;
  try {
    v = onError(err, req as unknown as CzRequest);
  } catch (e) {
    logHandlerError(log, req, e);
    return PLAIN_500();
  }
  if (!isThenable(v)) return v;
  return Promise.resolve(v).then(
    (x) => x,
    (e) => (logHandlerError(log, req, e), PLAIN_500()),
  );
}

/**
 * What next() gives for an error thrown inside it: the error's answer, so that the outer
 * middleware still add their headers (CORS on a 401). An HttpError is its own answer; any
 * other error is onError's, or the plain 500 (logged once, here).
 */
function errorAnswer(err: unknown, req: Request, onError: ErrorHandler | undefined, dev: boolean, log: ServerLog): unknown {
  if (err instanceof HttpError || onError === undefined) {
    logHandlerError(log, req, err);
    const e = encodeError(err, dev);
    return responseFromHead(e.status, e.body, e.head);
  }
  return handleError(onError, err, req, log);
}

/** Every link sync: next() returns the rest's response at once. `handler`: innermost()'s link. */
export function composeSync(spec: ChainSpec, handler: Fn, dev: boolean, log: ServerLog): Fn {
  let chain = handler;
  const onErr = spec.onError;
  for (let k = spec.middleware.length - 1; k >= 0; k--) {
    const mw = spec.middleware[k];
    const inner = chain;
    const next = (req: Request): ChainResponse => {
      try {
        return wrap(inner(req));
      } catch (err) {
        return wrap(errorAnswer(err, req, onErr, dev, log));
      }
    };
    // A closure per request, not one per link: a next() kept past its request must still
    // run that request, never a later one's.
    chain = (req) => mw(req as unknown as CzRequest, () => next(req));
  }
  const run = chain;
  const onError = spec.onError;
  if (onError === undefined) return (req) => unwrap(run(req));
  return (req) => {
    try {
      return unwrap(run(req));
    } catch (err) {
      return handleError(onError, err, req, log);
    }
  };
}

/** Some link async (or maybe): each next() is awaitable; the chain's result is a promise. `handler`: innermost()'s link. */
export function composeAsync(spec: ChainSpec, handler: Fn, dev: boolean, log: ServerLog): Fn {
  let chain = handler;
  const onErr = spec.onError;
  for (let k = spec.middleware.length - 1; k >= 0; k--) {
    const mw = spec.middleware[k];
    const inner = chain;
    const settle = async (req: Request): Promise<unknown> => {
      try {
        return await inner(req);
      } catch (err) {
        return errorAnswer(err, req, onErr, dev, log);
      }
    };
    chain = (req) => mw(req as unknown as CzRequest, () => new PendingResponse(settle(req)));
  }
  const run = chain;
  const onError = spec.onError;
  if (onError === undefined) return async (req) => unwrap(await run(req));
  return async (req) => {
    try {
      return unwrap(await run(req));
    } catch (err) {
      return handleError(onError, err, req, log);
    }
  };
}

/**
 * Per compiled route, its chain as registered at run time: the middleware of every
 * registrar it was registered through (outer → inner) then its own `{ use }`, and the
 * innermost onError. A synthetic CORS preflight route takes the chain of the route it was
 * made for. Throws when a chain's length differs from what the compiler saw.
 */
export function chainSpecs(
  routes: readonly RouteInfo[],
  records: readonly Pick<RouteEntry, "method" | "path" | "scopes" | "options">[],
): (ChainSpec | undefined)[] {
  const byKey = new Map<string, Pick<RouteEntry, "method" | "path" | "scopes" | "options">>();
  for (const r of records) byKey.set(`${r.method} ${r.path}`, r);
  const wrong: string[] = [];
  const specs = routes.map((route) => {
    if (!route.composed) return undefined;
    const from = route.preflight !== undefined ? routes[route.preflight] : route;
    const entry = from && byKey.get(`${from.method} ${from.path}`);
    if (entry === undefined) return undefined; // bindHandlers names it
    const scopes = entry.scopes ?? [];
    const middleware = [...scopes.flatMap((s) => s.middleware), ...(entry.options?.use ?? [])];
    let onError: ErrorHandler | undefined;
    for (const s of scopes) onError = s.errorHandler ?? onError;
    const compiled = route.middleware?.length ?? 0;
    if (middleware.length !== compiled || (onError !== undefined) !== (route.onError !== undefined)) {
      wrong.push(
        `  ${route.method} ${route.path} (${route.source}): compiled with ${compiled} middleware` +
          `${route.onError ? " and an onError" : ""}, registered with ${middleware.length}${onError ? " and an onError" : ""}`,
      );
    }
    return { middleware, onError, notFound: route.notFound === true };
  });
  if (wrong.length > 0) {
    throw new Error(
      `catzilla: the app's middleware differs from the compiled route table; rerun catzilla-compile.\n${wrong.join("\n")}`,
    );
  }
  return specs;
}

/** The dispatch module's `rt.compose(id, mode, handler, out?, check?)`, over the specs chainSpecs made. */
export function composer(specs: readonly (ChainSpec | undefined)[], dev: boolean, log: ServerLog): RuntimeHooks["compose"] {
  return (id, mode, h, out, check) => {
    const spec = specs[id] ?? { middleware: [], onError: undefined, notFound: false };
    const handler = innermost(h, out, spec.notFound, check);
    return mode === "sync" ? composeSync(spec, handler, dev, log) : composeAsync(spec, handler, dev, log);
  };
}
