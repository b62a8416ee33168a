// The async answer queue's way around respondMany: an answer that settles while its batch
// is open (C has not read the batch's answers: HOLD_OPEN) goes into the batch's own slot;
// any other goes to asyncData and one respondMany per microtask checkpoint.
import { describe, expect, it } from "vitest";
import { HOLD_OPEN, REQ_STRIDE, RES_BODY_LEN, RES_BODY_OFF, RES_STATUS, RES_STRIDE } from "../../runtime/abi.js";
import { createAnswers } from "../../runtime/answers.js";
import { inBatchAnswer } from "../../runtime/batch.js";
import { createArenaHold } from "../../runtime/hold.js";
import { ServerLog } from "../../runtime/log.js";
import { Request, type ArenaClock } from "../../runtime/request.js";
import { ArenaWriter } from "../../runtime/writer.js";

function setup(resDataSize = 4096) {
  const resMeta = new Int32Array(8 * RES_STRIDE);
  const resData = Buffer.alloc(resDataSize);
  const batch = new ArenaWriter(resData);
  const hold = createArenaHold();
  const clock: ArenaClock = { batch: 0 };
  const sent: { n: number; statuses: number[] }[] = [];
  const answers = createAnswers(
    resMeta,
    Buffer.alloc(64 * 1024),
    hold,
    0,
    (meta, n) => sent.push({ n, statuses: Array.from({ length: n }, (_, k) => meta[k * RES_STRIDE + RES_STATUS]) }),
    new ServerLog(false),
    inBatchAnswer(batch, resMeta, hold, clock),
  );
  const reqMeta = new Int32Array(8 * REQ_STRIDE);
  /** What the batch loop does at the start of each batch. */
  const nextBatch = () => {
    batch.reset();
    clock.batch++;
    hold.nextBatch();
  };
  const request = (i: number) => new Request(Buffer.alloc(16), reqMeta, i * REQ_STRIDE, undefined, { names: [] }, clock);
  const body = (i: number) => resData.latin1Slice(resMeta[i * RES_STRIDE + RES_BODY_OFF], resMeta[i * RES_STRIDE + RES_BODY_OFF] + resMeta[i * RES_STRIDE + RES_BODY_LEN]);
  return { resMeta, hold, answers, sent, nextBatch, request, body };
}
const checkpoint = () => new Promise<void>((r) => setImmediate(r));

describe("answers that settle while their batch is open", () => {
  it("go into the batch's slot, with no respondMany", async () => {
    const t = setup();
    t.nextBatch();
    t.answers.wait(2, t.request(2), Promise.resolve("two"));
    t.answers.wait(5, t.request(5), Promise.resolve({ five: 5 }));
    expect(t.resMeta[2 * RES_STRIDE + RES_STATUS]).toBe(0); // pending until it settles
    await checkpoint();
    expect(t.sent).toEqual([]);
    expect([t.resMeta[2 * RES_STRIDE + RES_STATUS], t.body(2)]).toEqual([200, "two"]);
    expect([t.resMeta[5 * RES_STRIDE + RES_STATUS], t.body(5)]).toEqual([200, '{"five":5}']);
  });

  it("go through respondMany once C has read the batch (HOLD_OPEN cleared)", async () => {
    const t = setup();
    t.nextBatch();
    t.answers.wait(1, t.request(1), Promise.resolve("late"));
    t.hold.hold[HOLD_OPEN] = 0; // what the binding does after cz_server_batch_done
    await checkpoint();
    expect(t.sent).toEqual([{ n: 1, statuses: [200] }]);
    expect(t.resMeta[1 * RES_STRIDE + RES_STATUS]).toBe(0);
  });

  it("a request of an earlier batch settling during a later one goes through respondMany", async () => {
    const t = setup();
    t.nextBatch();
    let resolve!: (v: string) => void;
    t.answers.wait(3, t.request(3), new Promise<string>((r) => (resolve = r)));
    await checkpoint();
    t.nextBatch(); // the next batch is open; request 3 of the last one settles in it
    resolve("old");
    await checkpoint();
    expect(t.sent).toEqual([{ n: 1, statuses: [200] }]);
    expect(t.resMeta[3 * RES_STRIDE + RES_STATUS]).toBe(0); // slot 3 of this batch untouched
  });

  it("an answer that does not fit what is left of resData goes through respondMany", async () => {
    const t = setup(64);
    t.nextBatch();
    t.answers.wait(0, t.request(0), Promise.resolve("x".repeat(100)));
    t.answers.wait(1, t.request(1), Promise.resolve("fits"));
    await checkpoint();
    expect(t.sent).toEqual([{ n: 1, statuses: [200] }]);
    expect([t.resMeta[1 * RES_STRIDE + RES_STATUS], t.body(1)]).toEqual([200, "fits"]);
  });

  it("a rejection in the open batch is its error answer, in the slot", async () => {
    const t = setup();
    t.nextBatch();
    t.answers.wait(4, t.request(4), Promise.reject(new Error("expected by the test")));
    const err = console.error;
    console.error = () => {};
    try {
      await checkpoint();
    } finally {
      console.error = err;
    }
    expect(t.sent).toEqual([]);
    expect([t.resMeta[4 * RES_STRIDE + RES_STATUS], t.body(4)]).toEqual([500, '{"error":"Internal Server Error"}']);
  });
});
