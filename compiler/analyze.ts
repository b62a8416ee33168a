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
import type { AppProgram } from "./project.js";
import type { AnalyzedRoute, Diagnostic, Registration } from "./types.js";
import { requestFlags } from "./usage.js";

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
  for (const reg of registrations) {
    const fn = skipOuter(reg.handler);
    if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) inlineHandlers.add(fn);
  }
  for (const reg of registrations) {
    const c = classify(reg.handler, app.checker, app.promiseType);
    if (!c.ok) {
      diagnostics.push(
        diagAt("CZ1003", `The handler must be a function; its type is '${c.type}' (${c.reason}).`, reg.handler),
      );
      continue;
    }
    if (c.kind === "maybe") {
      diagnostics.push(
        diagAt(
          "CZ2001",
          `Handler for ${reg.method ?? "?"} ${reg.path ?? "?"} may or may not return a promise: ${c.reason} ` +
            `(type '${c.type}'). It runs on the checked path; give it a precise return type to make it sync or async.`,
          reg.handler,
        ),
      );
    }
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
              "and every other request with it. Pass `{ blocking: true }` as the route's options to run it on the " +
              "worker pool, or use the asynchronous API in an async handler.",
            b.node,
          ),
        );
      }
    }
    if (kind === "sync" && options.constRoutes) {
      const k = constResponse(reg.handler, app.checker, app.appFiles, inlineHandlers);
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
      flags: kind === "const" ? 0 : requestFlags(reg.handler, app.checker),
      response,
      paramMismatch: reg.paramMismatch,
      call: reg.call,
      pathSpan: reg.pathSpan,
      handlerSpan: reg.handlerSpan,
    });
  }
  return { routes, diagnostics };
}
