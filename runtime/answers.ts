/**
 * The async answer queue: requests that did not answer within their batch (async and maybe
 * routes that went async, blocking routes) are answered here when their result arrives.
 * Answers that settle in one microtask checkpoint are written into asyncData one after
 * another and handed to C together (`respondMany`): one crossing and one write per
 * connection for all of them, as for a batch of sync answers.
 */
import type { ResultFilter } from "./bind.js";
import { RES_CTX, RES_GEN, RES_STRIDE, RESPOND_MANY_MAX } from "./abi.js";
import type { ArenaHold } from "./hold.js";
import { CTX, DONE, GEN, SLOT, type Request } from "./request.js";
import { HttpError } from "./response.js";
import { UnsendableResult } from "./result-object.js";
import type { RequestFields, ServerLog } from "./log.js";
import { abortRequest } from "./signal.js";
import type { CzStream } from "./stream.js";
import { ArenaWriter, encodeError, encodeResult, putPending, type Encoded } from "./writer.js";

/** Hands C `n` answers described in `meta` (bytes in asyncData, large bodies apart). */
export type SendAnswers = (meta: Int32Array, n: number, large: (Uint8Array | undefined)[] | undefined) => void;

/**
 * Writes the answer of a request that waited (SLOT set) into its batch's own slot while C
 * has not read that batch's answers yet (batch.ts `inBatchAnswer`); false when it cannot.
 */
export type InBatchAnswer = (req: Request, e: Encoded) => boolean;

export interface Answers {
  /**
   * Request i of the batch waits for `p`: its slot says pending; answered when `p` settles.
   * (Members are plain functions, safe to pass around unbound.)
   */
  wait(i: number, req: Request, p: PromiseLike<unknown>, out?: ResultFilter): void;
  /** An answer already encoded (a blocking-pool worker's); dropped when the request has one. */
  answer(req: Request, e: Encoded): void;
  /** The handler failed: its error's answer, logged unless an HttpError; dropped when the request has one. */
  fail(req: Request, err: unknown): void;
  /**
   * The answer of a request already marked answered whose result took a while to become
   * bytes (a Web Response's body read whole: streaming.ts); `err` when that failed.
   */
  late(req: Request, e: Encoded | undefined, err?: unknown): void;
}

const SETTLED = Promise.resolve();

/** The answer for an async handler that did not settle within `handlerTimeoutMs`. */
const TIMEOUT: Encoded = {
  status: 503,
  head: "Content-Type: application/json\r\n",
  body: '{"error":"Service Unavailable"}',
};

/**
 * `resMeta`: the batch's answer slots (a request that goes async is marked pending there);
 * `asyncData`: the arena answers are written into; `timeoutMs`: handlerTimeoutMs (0: none);
 * `inBatch`: the way around asyncData and respondMany for an answer that settles while its
 * batch is open (most async handlers: `await req.json()` waits for nothing).
 */
export function createAnswers(
  resMeta: Int32Array,
  asyncData: Buffer,
  hold: ArenaHold,
  timeoutMs: number,
  send: SendAnswers,
  log: ServerLog,
  inBatch?: InBatchAnswer,
  stream?: (req: Request, s: CzStream) => void,
  /** listen({ dev: true }): a 500's body carries the error's message and stack. */
  dev = false,
): Answers {
  const writer = new ArenaWriter(asyncData);
  const meta = new Int32Array(RESPOND_MANY_MAX * RES_STRIDE);
  let queued = 0;
  const flush = (): void => {
    const n = queued;
    if (n === 0) return;
    queued = 0;
    const large = writer.large;
    writer.reset();
    send(meta, n, large);
  };
  const respond = (req: Request, e: Encoded): void => {
    hold.unhold(req);
    if (inBatch !== undefined && req[SLOT] >= 0 && inBatch(req, e)) return;
    if (queued === RESPOND_MANY_MAX || writer.room() < e.head.length) flush();
    // A reaction on a settled promise, not queueMicrotask(): same place in the queue, but
    // Node's queueMicrotask builds an AsyncResource per call.
    if (queued === 0) void SETTLED.then(flush);
    const i = queued;
    try {
      writer.put(meta, i, e);
    } catch (err) {
      // Runs inside a promise callback: a throw here would be an unhandled rejection.
      logHandlerError(log, req, err);
      writer.put(meta, i, encodeError(err, dev));
    }
    meta[i * RES_STRIDE + RES_CTX] = req[CTX];
    meta[i * RES_STRIDE + RES_GEN] = req[GEN];
    queued = i + 1;
  };
  const settle = (req: Request, value: unknown, out: ResultFilter | undefined): void => {
    if (req[DONE]) return;
    req[DONE] = true;
    let e: Encoded;
    try {
      e = encodeResult(out === undefined ? value : out(value));
    } catch (err) {
      logHandlerError(log, req, err);
      e = encodeError(err, dev);
    }
    if (e.stream !== undefined && stream !== undefined) stream(req, e.stream);
    else respond(req, e);
  };
  const fail = (req: Request, err: unknown): void => {
    if (req[DONE]) return;
    req[DONE] = true;
    logHandlerError(log, req, err);
    respond(req, encodeError(err, dev));
  };
  const timedOut = (req: Request): void => {
    if (req[DONE]) return;
    req[DONE] = true;
    const fields = requestFields(req);
    log.warn(
      { ...fields, timeoutMs },
      `handler for ${fields?.method} ${fields?.path} did not settle within ${timeoutMs} ms; answering 503`,
    );
    abortRequest(req, new DOMException(`catzilla: the handler did not settle within ${timeoutMs} ms`, "TimeoutError"));
    // The handler runs on, but the answer closes the request to reads (request.ts ANSWERED):
    // no copy of its bytes is taken, since nothing may read it.
    respond(req, TIMEOUT);
  };
  return {
    wait: (i, req, p, out) => {
      putPending(resMeta, i);
      req[SLOT] = i;
      hold.borrow(req);
      if (timeoutMs > 0) {
        const timer = setTimeout(timedOut, timeoutMs, req);
        p.then(
          (v) => (clearTimeout(timer), settle(req, v, out)),
          (err) => (clearTimeout(timer), fail(req, err)),
        );
        return;
      }
      p.then(
        (v) => settle(req, v, out),
        (err) => fail(req, err),
      );
    },
    answer: (req, e) => {
      if (req[DONE]) return;
      req[DONE] = true;
      respond(req, e);
    },
    fail,
    late: (req, e, err) => {
      if (e !== undefined) return respond(req, e);
      logHandlerError(log, req, err);
      respond(req, encodeError(err, dev));
    },
  };
}

/**
 * Logs a handler's failure once, with its request (method, path, request id) and the error
 * with its stack. HttpError is an answer, not a failure. The one place a 500 is logged.
 */
export function logHandlerError(log: ServerLog, req: Request, err: unknown): void {
  if (err instanceof HttpError) return;
  if (err instanceof UnsendableResult) {
    // The handler did not fail; what it returned is the mistake: say what, not a stack into the runtime.
    const fields = requestFields(req);
    const where = fields === undefined ? "a handler" : `${fields.method} ${fields.path}`;
    log.error({ ...fields, returned: err.what }, `${where} returned ${err.what}, which cannot be sent (${err.why}); answering 500`);
    return;
  }
  log.handlerError(requestFields(req), err);
}

/** method, path and request id, or what of them can still be read (a stale request throws). */
export function requestFields(req: Request): RequestFields | undefined {
  try {
    return { method: req.method, path: req.path, reqId: req.id };
  } catch {
    return undefined;
  }
}
