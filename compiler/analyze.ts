/**
 * The analyze pass: classify every handler (kind, via the type checker) and compute which
 * request members it reads (flags). The kind starts from the handler's type; then a route
 * with `{ blocking: true }` becomes blocking, and a sync handler that ignores the request
 * and returns a value known at compile time becomes const (constroute.ts).
 */
import { ts } from "ts-morph";
import { blockingCalls } from "./blocking.js";
import { classify } from "./classify.js";
import { constResponse } from "./constroute.js";
import { diagAt } from "./diagnostics.js";
import { skipOuter } from "./shared/ast.js";
import { STREAM_REASON } from "./shared/streams.js";
import type { AppProgram } from "./project.js";
import type { AnalyzedRoute, Diagnostic, Registration } from "./types.js";
import { routeSchema } from "./schema/index.js";
import { FLAG_BODY, FLAG_HEADERS, FLAG_QUERY, FLAG_STREAM } from "./types.js";
import { returnProblems, statusProblems } from "./returns.js";
import { membersRead, requestFlags } from "./usage.js";
import { analyzeChain, chainKind, chainMode, type ChainCache } from "./chain.js";

export interface Analysis {
  routes: AnalyzedRoute[];
  diagnostics: Diagnostic[];
}

export function analyze(
  app: AppProgram,
  registrations: Registration[],
  options: { constRoutes: boolean } = { constRoutes: true },
): Analysis {
  const routes: AnalyzedRoute[] = [];
  const diagnostics: Diagnostic[] = [];
  const inlineHandlers = new Set<ts.Node>();
  const warnedCalls = new Set<ts.Node>();
  const chains: ChainCache = new Map();
  for (const reg of registrations) {
    const fn = skipOuter(reg.handler);
    if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) inlineHandlers.add(fn);
  }
  for (const reg of registrations) {
    const hidden = notAFunctionBehindCast(reg.handler, app.checker);
    if (hidden) {
      // `42 as any` type-checks and would be `maybe`, then throw when the app registers it.
      diagnostics.push(diagAt("CZ1003", `The handler must be a function; ${hidden}.`, reg.handler));
      continue;
    }
    const c = classify(reg.handler, app.checker, app.promiseType);
    if (!c.ok) {
      diagnostics.push(
        diagAt("CZ1003", `The handler must be a function; its type is '${c.type}' (${c.reason}).`, reg.handler),
      );
      continue;
    }
    // A streamed result is `maybe` by design, not by doubt: nothing to warn about.
    if (c.kind === "maybe" && c.reason !== STREAM_REASON) {
      diagnostics.push(
        diagAt(
          "CZ2001",
          `Handler for ${reg.method ?? "?"} ${reg.path ?? "?"} may or may not return a promise: ${c.reason} ` +
            `(type '${c.type}'). It runs on the checked path; give it a precise return type to make it sync or async.`,
          reg.handler,
        ),
      );
    }
    // What it returns must be something the runtime can send (compiler/returns.ts).
    const label = `${reg.method ?? "?"} ${reg.path ?? "?"}`;
    diagnostics.push(...returnProblems(reg.handler, label, app.checker, app.program));
    let { kind, reason } = c;
    let response: Buffer | null = null;
    if (reg.blocking) {
      kind = "blocking";
      reason = `route option { blocking: true } (a ${c.kind} handler, run on the worker pool)`;
    } else if (kind === "sync") {
      for (const b of blockingCalls(reg.handler, app.checker)) {
        if (warnedCalls.has(b.node)) continue;
        warnedCalls.add(b.node);
        diagnostics.push(
          diagAt(
            "CZ2003",
            `The sync handler for ${reg.method ?? "?"} ${reg.path ?? "?"} calls ${b.api}, which blocks the event loop ` +
              "and every other request with it. Pass `{ blocking: true }` as the route's options, after the handler " +
              `(\`app.${(reg.method ?? "get").toLowerCase()}(path, handler, { blocking: true })\`), to run it on the ` +
              "worker pool, or use the asynchronous API in an async handler.",
            b.node,
          ),
        );
      }
    }
    // A declared request schema is checked before the handler runs (compiler/schema/).
    // Read with form() or formData(): a declared body is a form (compiler/schema/form.ts).
    const readers = membersRead(reg.handler, app.checker, BODY_READERS);
    const form = readers.has("form") || readers.has("formData");
    const declared = routeSchema(reg.handler, label, app.checker, app.program, form);
    diagnostics.push(...declared.diagnostics);
    if (declared.schema?.form) diagnostics.push(...formRouteProblems(reg.handler, label, readers, kind));
    const schema = declared.schema;
    // Middleware, onError, notFound (compiler/chain.ts): the chain decides the kind.
    const chain = analyzeChain(reg, app, chains, diagnostics);
    const composed = chain.links.length > 0 || chain.onError !== null || reg.notFound === true;
    // A blocking route's chain runs on the main thread around the pool's answer: always async.
    const mode = !composed ? null : kind === "blocking" ? "async" : chainMode(kind, chain);
    if (composed && kind !== "blocking") {
      const k = chainKind(kind, reason, chain);
      kind = k.kind;
      reason = k.reason;
    }
    // A route that checks its request reads it: never const. A result schema filters the value,
    // so a const route's value must already be what the filter leaves (constroute.ts).
    if (kind === "sync" && !composed && options.constRoutes && !(schema && schemaFlags(schema))) {
      const filter = schema?.response ? { schema: schema.response, defs: new Map(schema.defs.map((d) => [d.id, d])) } : null;
      const k = constResponse(reg.handler, app.checker, app.appFiles, inlineHandlers, filter);
      if (k.ok) {
        kind = "const";
        reason = `ignores the request and returns a value known at compile time (${k.status})`;
        response = k.bytes;
      }
    }
    routes.push({
      method: reg.method,
      path: reg.path,
      segments: reg.segments,
      params: reg.params,
      kind,
      reason,
      type: c.type,
      flags: kind === "const" ? 0 : streamable(requestFlags(reg.handler, app.checker) | schemaFlags(schema) | chain.flags, kind, schema),
      response,
      paramMismatch: reg.paramMismatch,
      bodyLimit: reg.bodyLimit,
      schema,
      call: reg.call,
      pathSpan: reg.pathSpan,
      handlerSpan: reg.handlerSpan,
      middleware: chain.links,
      onError: chain.onError,
      notFound: reg.notFound === true,
      chain: mode,
      preflightOf: null,
    });
  }
  // Statuses written as constants anywhere in the app, as the runtime will check them.
  diagnostics.push(...statusProblems(app.appFiles, app.checker));
  return { routes, diagnostics };
}

/** The request methods that read a body, as JSON or as a form. */
const BODY_READERS = ["json", "form", "formData"] as const;

/** A typed form body cannot also be read as JSON (CZ1033), nor cross to a worker (CZ1034). */
function formRouteProblems(handler: ts.Expression, label: string, readers: Set<string>, kind: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (readers.has("json")) {
    out.push(
      diagAt(
        "CZ1033",
        `The handler for ${label} declares a body type and reads the body both as JSON (json()) and as a form ` +
          "(form() or formData()), so the compiler cannot tell which to check. Read it one way.",
        handler,
      ),
    );
  }
  if (kind === "blocking") {
    out.push(
      diagAt(
        "CZ1034",
        `The blocking route ${label} declares a form body type: a form's files do not cross to the worker pool. ` +
          "Take the form in an async route and hand the worker what it needs.",
        handler,
      ),
    );
  }
  return out;
}

/**
 * A body read as it arrives needs JS to hold the request before the body is in: not so for
 * a blocking route (its worker gets a copy) or a JSON body schema (checked before the handler).
 * Those read a buffered body, which stream() and formData() read as well.
 */
function streamable(flags: number, kind: string, schema: { body: unknown; form?: true } | null): number {
  // A typed form is checked as it is parsed, as the body arrives (form-check.ts), under the form limits.
  return kind === "blocking" || (schema?.body && !schema.form) ? flags & ~FLAG_STREAM : flags;
}

/** The request parts a route's schema check reads, whatever the handler itself reads. */
function schemaFlags(schema: { body: unknown; query: unknown; headers: unknown } | null): number {
  if (!schema) return 0;
  return (schema.body ? FLAG_BODY : 0) | (schema.query ? FLAG_QUERY : 0) | (schema.headers ? FLAG_HEADERS : 0);
}

/**
 * The handler is a cast (`x as any`, `<any>x`, `x!`) of an expression whose own type is known
 * and has no call signature: why it is not a function, else null.
 */
function notAFunctionBehindCast(handler: ts.Expression, checker: ts.TypeChecker): string | null {
  const inner = skipOuter(handler);
  if (inner === handler) return null;
  const t = checker.getTypeAtLocation(inner);
  const members = t.isUnion() ? t.types : [t];
  if (members.some((m) => m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter))) return null;
  if (members.every((m) => checker.getSignaturesOfType(m, ts.SignatureKind.Call).length === 0)) {
    return `'${inner.getText()}' has type '${checker.typeToString(t)}', which has no call signature (a cast hides it)`;
  }
  return null;
}
