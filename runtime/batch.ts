/**
 * The hot batch loop: what runs for every request. C hands over a batch (`dispatch(n,
 * bodies)`, docs/internals.md); for each request this builds a Request over the shared
 * arena, runs the dispatch of the app version its route table belongs to, and writes a sync
 * result into resData/resMeta before the batch returns. A result that is a promise leaves
 * the request pending for the answer queue (answers.ts).
 */
import { REQ_FLAG_BODY_ARENA, REQ_FLAGS, REQ_ROUTE, REQ_STRIDE, REQ_TABLE } from "./abi.js";
import { logHandlerError, type Answers } from "./answers.js";
import type { RuntimeHooks } from "./bind.js";
import { checkRequest } from "./validate.js";
import { checkForm } from "./form-check.js";
import type { ArenaHold } from "./hold.js";
import { ANSWERED, BATCH_OF, DONE, Request, SLOT, type ArenaClock } from "./request.js";
import type { BodyIn } from "./request-body.js";
import type { Versions } from "./versions.js";
import type { ServerLog } from "./log.js";
import type { SignalOwner } from "./signal.js";
import type { Streams } from "./streaming.js";
import { putPending, encodeError, encodeResult, type ArenaWriter, type Encoded } from "./writer.js";

/** The native server's `dispatch` callback: returns the batch's large bodies, if any. */
export type BatchFn = (
  n: number,
  bodies: (Buffer | null | undefined)[] | undefined,
) => (Uint8Array | undefined)[] | undefined;

/**
 * The hooks a version's dispatch calls with each handler's result (all but `blocking`). `out`:
 * the route's generated serializer, for a declared result type (serializers.js).
 */
export function resultHooks(
  batch: ArenaWriter,
  resMeta: Int32Array,
  answers: Answers,
  streams?: Streams,
): Omit<RuntimeHooks, "blocking" | "compose" | "onPool"> {
  // A streamed result leaves the request pending in C; streaming.ts sends it from here (and
  // closes the request when the stream ends). Any other is the request's answer: closed now.
  const put = (i: number, req: Request, e: Encoded): void => {
    if (e.stream === undefined || streams === undefined) {
      batch.put(resMeta, i, e);
      req[ANSWERED]();
    } else {
      putPending(resMeta, i);
      // A Web Response whose body turns out whole is answered into this slot while the batch is open.
      req[SLOT] = i;
      streams.start(req, e.stream);
    }
  };
  return {
    sync: (i, req, value, out) => put(i, req, encodeResult(out === undefined ? value : out(value))),
    async: answers.wait,
    maybe: (i, req, value, out) => {
      if (isThenable(value)) answers.wait(i, req, value, out);
      else put(i, req, encodeResult(out === undefined ? value : out(value)));
    },
    // A route with a request schema: an invalid request gets its 400 here, and no handler.
    accept: (i, req, check) => {
      const bad = checkRequest(req, check);
      if (bad === undefined) return true;
      req[DONE] = true;
      batch.put(resMeta, i, bad);
      req[ANSWERED]();
      return false;
    },
    // A typed form body is parsed before it is checked: the request waits as an async one,
    // then either its 400 is answered (settle sees DONE and drops the undefined) or the handler runs.
    form: (i, req, check, handler, out) => {
      const run = checkForm(req, check).then((bad) => {
        if (bad === undefined) return handler(req);
        answers.answer(req, bad);
        return undefined;
      });
      answers.wait(i, req, run, out);
    },
    unknown: (_i, _req, route) => {
      throw new Error(`catzilla: route id ${route} is not in the dispatch module`);
    },
  };
}

/**
 * answers.ts's way around respondMany: an async answer that settles while its batch is open
 * (C reads a batch's answers after the batch's microtask checkpoint, and clears HOLD_OPEN)
 * is written into the batch's own slot, as a sync result is. False when it cannot be: a
 * request of an earlier batch, C has read this one's, or the answer does not fit resData.
 */
export function inBatchAnswer(batch: ArenaWriter, resMeta: Int32Array, hold: ArenaHold, clock: ArenaClock) {
  return (req: Request, e: Encoded): boolean => {
    if (!hold.isOpen() || req[BATCH_OF] !== clock.batch || !batch.fits(e)) return false;
    batch.put(resMeta, req[SLOT], e);
    return true;
  };
}

/**
 * The batch loop over `reqMeta`/`reqData`, answering into `batch` (over resData) and
 * `resMeta`; `clock` counts its batches (shared with inBatchAnswer).
 */
export function createBatchLoop(
  reqMeta: Int32Array,
  reqData: Buffer,
  resMeta: Int32Array,
  batch: ArenaWriter,
  versions: Versions,
  hold: ArenaHold,
  log: ServerLog,
  clock: ArenaClock = { batch: 0, owner: undefined },
  owner?: SignalOwner,
  /** listen({ dev: true }): a 500's body carries the error's message and stack. */
  dev = false,
  /** Form limits for bodies, and streamed bodies' channels (request-body.ts). */
  bodyIn?: BodyIn,
): BatchFn {
  if (owner !== undefined) clock.owner = owner;
  return (n, bodies) => {
    batch.reset();
    clock.batch++; // requests of earlier batches that were not copied are stale from here
    hold.nextBatch();
    // Read once per batch: the dev server may have swapped versions since the last one.
    const current = versions.current;
    const currentGen = versions.gen;
    for (let i = 0; i < n; i++) {
      const base = i * REQ_STRIDE;
      const route = reqMeta[base + REQ_ROUTE];
      const gen = reqMeta[base + REQ_TABLE];
      const v = gen === currentGen ? current : versions.of(gen);
      const req = new Request(reqData, reqMeta, base, bodies?.[i], v.names[route], clock);
      if (bodies !== undefined && bodies[i] !== undefined) bodyIn?.attach(req, bodies[i]!);
      // A body beside the head (a route not marked as reading a form: formData() through a
      // helper) still parses under the listen options' form limits.
      else if ((reqMeta[base + REQ_FLAGS] & REQ_FLAG_BODY_ARENA) !== 0) bodyIn?.limit(req);
      try {
        v.dispatch(route, req, i);
      } catch (err) {
        logHandlerError(log, req, err);
        // A thenable may have settled before throwing; its answer is already on its way, or
        // (it waited in slot i: SLOT) already in the slot, where it stays.
        if (req[DONE]) {
          if (req[SLOT] !== i) putPending(resMeta, i);
        }
        else {
          req[DONE] = true;
          batch.put(resMeta, i, encodeError(err, dev));
          hold.unhold(req); // answered (and, had it gone async before `then` threw, its loan back)
        }
      }
    }
    return batch.large;
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}
