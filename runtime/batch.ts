/**
 * The hot batch loop: what runs for every request. C hands over a batch (`dispatch(n,
 * bodies)`, docs/internals.md); for each request this builds a Request over the shared
 * arena, runs the dispatch of the app version its route table belongs to, and writes a sync
 * result into resData/resMeta before the batch returns. A result that is a promise leaves
 * the request pending for the answer queue (answers.ts).
 */
import { REQ_ROUTE, REQ_STRIDE, REQ_TABLE } from "./abi.js";
import { logHandlerError, type Answers } from "./answers.js";
import type { RuntimeHooks } from "./bind.js";
import { checkRequest } from "./validate.js";
import type { ArenaHold } from "./hold.js";
import { DONE, Request, type ArenaClock } from "./request.js";
import type { BodyIn } from "./request-body.js";
import type { Versions } from "./versions.js";
import { putPending, encodeError, encodeResult, type ArenaWriter } from "./writer.js";

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
): Omit<RuntimeHooks, "blocking"> {
  return {
    sync: (i, _req, value, out) => batch.put(resMeta, i, encodeResult(out === undefined ? value : out(value))),
    async: answers.wait,
    maybe: (i, req, value, out) => {
      if (isThenable(value)) answers.wait(i, req, value, out);
      else batch.put(resMeta, i, encodeResult(out === undefined ? value : out(value)));
    },
    // A route with a request schema: an invalid request gets its 400 here, and no handler.
    accept: (i, req, check) => {
      const bad = checkRequest(req, check);
      if (bad === undefined) return true;
      req[DONE] = true;
      batch.put(resMeta, i, bad);
      return false;
    },
    unknown: (_i, _req, route) => {
      throw new Error(`catzilla: route id ${route} is not in the dispatch module`);
    },
  };
}

/** The batch loop over `reqMeta`/`reqData`, answering into `batch` (over resData) and `resMeta`. */
export function createBatchLoop(
  reqMeta: Int32Array,
  reqData: Buffer,
  resMeta: Int32Array,
  batch: ArenaWriter,
  versions: Versions,
  hold: ArenaHold,
  /** Form limits for bodies, and streamed bodies' channels (request-body.ts). */
  bodyIn?: BodyIn,
): BatchFn {
  const clock: ArenaClock = { batch: 0 };
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
      try {
        v.dispatch(route, req, i);
      } catch (err) {
        logHandlerError(req, err);
        // A thenable may have settled before throwing; its answer is already on its way.
        if (req[DONE]) putPending(resMeta, i);
        else {
          req[DONE] = true;
          batch.put(resMeta, i, encodeError(err));
          hold.unhold(req); // it went async, then `then` threw
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
