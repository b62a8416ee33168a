// A returned Web Response whose body is whole at once is an ordinary answer: from a sync
// handler it lands in its batch's own answer slot (the fast writer path: no stream, no
// extra respondMany); a body that makes its reader wait starts a stream.
import { describe, expect, it } from "vitest";
import { REQ_STRIDE, RES_BODY_LEN, RES_BODY_OFF, RES_HEAD_LEN, RES_HEAD_OFF, RES_STATUS, RES_STRIDE } from "../../runtime/abi.js";
import { createAnswers } from "../../runtime/answers.js";
import { inBatchAnswer, resultHooks } from "../../runtime/batch.js";
import { createArenaHold } from "../../runtime/hold.js";
import { ServerLog } from "../../runtime/log.js";
import type { NativeHandle } from "../../runtime/native.js";
import { Request, type ArenaClock } from "../../runtime/request.js";
import { createStreams } from "../../runtime/streaming.js";
import { ArenaWriter } from "../../runtime/writer.js";

function setup() {
  const resMeta = new Int32Array(8 * RES_STRIDE);
  const resData = Buffer.alloc(4096);
  const batch = new ArenaWriter(resData);
  const hold = createArenaHold();
  const clock: ArenaClock = { batch: 0 };
  const sent: number[] = [];
  const started: number[] = [];
  const native = {
    streamStart: (_h: NativeHandle, ctx: number, _g: number, status: number) => (started.push(status), 2 /* NOBODY */),
    streamPush: () => -1,
    streamEnd: () => 0,
    watch: () => true,
  };
  const log = new ServerLog(false);
  const streams = createStreams(native as never, () => 0 as unknown as NativeHandle, hold, log, () => answers.late);
  const answers = createAnswers(resMeta, Buffer.alloc(64 * 1024), hold, 0, (_m, n) => sent.push(n), log, inBatchAnswer(batch, resMeta, hold, clock), streams.start);
  const hooks = resultHooks(batch, resMeta, answers, streams);
  batch.reset();
  clock.batch++;
  hold.nextBatch();
  const reqMeta = new Int32Array(8 * REQ_STRIDE);
  const request = (i: number) => new Request(Buffer.alloc(16), reqMeta, i * REQ_STRIDE, undefined, { names: [] }, clock);
  const slice = (i: number, off: number, len: number) =>
    resData.latin1Slice(resMeta[i * RES_STRIDE + off], resMeta[i * RES_STRIDE + off] + resMeta[i * RES_STRIDE + len]);
  return { resMeta, hooks, sent, started, request, slice };
}
const checkpoint = () => new Promise<void>((r) => setImmediate(r));

describe("a sync handler's Web Response", () => {
  it("whole at once: written into its batch slot within the batch's microtask checkpoint", async () => {
    const t = setup();
    t.hooks.sync(3, t.request(3), new Response("hi", { status: 201, headers: { "X-A": "1" } }), undefined);
    expect(t.resMeta[3 * RES_STRIDE + RES_STATUS]).toBe(0); // pending while its body is read
    await checkpoint();
    expect(t.started).toEqual([]);
    expect(t.sent).toEqual([]);
    expect(t.resMeta[3 * RES_STRIDE + RES_STATUS]).toBe(201);
    expect(t.slice(3, RES_BODY_OFF, RES_BODY_LEN)).toBe("hi");
    expect(t.slice(3, RES_HEAD_OFF, RES_HEAD_LEN)).toBe("content-type: text/plain;charset=UTF-8\r\nx-a: 1\r\n");
  });

  it("a body that waits on a timer: streamed", async () => {
    const t = setup();
    let cancelled = false;
    const body = new ReadableStream({
      pull: (c) => new Promise<void>((r) => setTimeout(() => (cancelled || c.enqueue(new Uint8Array(1)), r()), 5)),
      cancel: () => void (cancelled = true),
    });
    t.hooks.sync(1, t.request(1), new Response(body, { status: 202 }), undefined);
    await checkpoint();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.started).toEqual([202]);
    expect(t.sent).toEqual([]);
    expect(cancelled).toBe(true); // the fake C says "no body" (a HEAD): the source is stopped
  });
});
