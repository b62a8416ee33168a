/**
 * An async request's loan of the request arena. A pending request keeps reading reqMeta and
 * reqData after its batch returns, until C is about to write the next batch over them; only
 * then (release) are the still-pending ones copied out. Most settle within their own
 * batch's microtask checkpoint and are never copied. C reads hold[0]: while it is not 0,
 * it calls release() before it writes the next batch (docs/internals.md, "The boundary").
 * hold[1] (HOLD_OPEN) is 1 from the start of a batch until C has read its answers, after
 * the batch's microtask checkpoint: answers.ts writes an answer that settles until then
 * into the batch's own slot.
 */
import { HOLD_OPEN, HOLD_PENDING } from "./abi.js";
import { ANSWERED, DETACH, HELD, type Request } from "./request.js";

export interface ArenaHold {
  /** hold[0]: requests of the last batch that are pending and not copied; hold[1]: the batch is open (shared with C). */
  readonly hold: Int32Array;
  /** `req` went async and still reads the arena. */
  borrow(req: Request): void;
  /**
   * `req` was answered (its answer went to C, or its stream ended): it returns its loan, if
   * it had one, and is closed to reads (request.ts ANSWERED), borrowed or not.
   */
  unhold(req: Request): void;
  /** C is about to reuse the arena: every request still borrowing it takes its own copy. */
  release(): void;
  /** A batch begins: forgets the last one's loans when all were returned; the batch is open. */
  nextBatch(): void;
  /** Are the current batch's answers still unread by C (HOLD_OPEN)? */
  isOpen(): boolean;
}

export function createArenaHold(): ArenaHold {
  const hold = new Int32Array(2);
  const borrowed: Request[] = [];
  return {
    hold,
    borrow(req) {
      req[HELD] = true;
      borrowed.push(req);
      hold[HOLD_PENDING]++;
    },
    unhold(req) {
      req[ANSWERED]();
      if (!req[HELD]) return;
      req[HELD] = false;
      hold[HOLD_PENDING]--;
    },
    release() {
      for (const req of borrowed) {
        if (!req[HELD]) continue;
        req[HELD] = false;
        req[DETACH]();
      }
      borrowed.length = 0;
      hold[HOLD_PENDING] = 0;
    },
    nextBatch() {
      if (hold[HOLD_PENDING] === 0) borrowed.length = 0;
      hold[HOLD_OPEN] = 1;
    },
    isOpen: () => hold[HOLD_OPEN] === 1,
  };
}
