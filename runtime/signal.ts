/**
 * `req.signal`: an AbortSignal that aborts when the client goes before its response is
 * sent, or when the handler times out (handlerTimeoutMs). Nothing exists until a handler
 * reads it: the controller is made on first access and kept beside the request (a
 * WeakMap, so a request that never reads it carries no field for it), and only then does
 * C learn to report the request's loss (the server's SignalOwner, streaming.ts).
 */
import type { Request } from "./request.js";

/** The server side of req.signal: asks C to report (ctx, gen) if it is dropped unanswered. */
export interface SignalOwner {
  watch(req: Request, ctl: AbortController): void;
}

const controllers = new WeakMap<Request, AbortController>();

export function requestSignal(req: Request, owner: SignalOwner | undefined): AbortSignal {
  let ctl = controllers.get(req);
  if (ctl !== undefined) return ctl.signal;
  ctl = new AbortController();
  controllers.set(req, ctl);
  owner?.watch(req, ctl);
  return ctl.signal;
}

/** The client went away (reason: an AbortError DOMException). */
export function goneReason(): DOMException {
  return new DOMException("catzilla: the client disconnected", "AbortError");
}

/** Aborts req.signal if a handler read it. */
export function abortRequest(req: Request, reason: unknown): void {
  controllers.get(req)?.abort(reason);
}
