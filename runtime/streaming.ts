/**
 * Sending streamed responses (stream.ts: what they are) and the server's side of
 * req.signal. A stream's head goes to C at once (streamStart); then each item the source
 * yields is pushed (streamPush) and the next one is pulled only when C says it wants more:
 * when the connection's unwritten bytes pass CZ_STREAM_HIGH, C answers "wait" and reports
 * a drain event later, so a slow client stops the producer instead of filling memory.
 * When the client goes, C reports the request gone: the source is stopped at once (its
 * iterator's return(): a ReadableStream is cancelled, a Readable destroyed) and
 * req.signal aborts. A source that throws ends the response without its last chunk.
 */
import type { ServerLog } from "./log.js";
import {
  EV_DRAIN,
  EV_GONE,
  STREAM_GONE,
  STREAM_NOBODY,
  STREAM_WAIT,
} from "./abi.js";
import type { ArenaHold } from "./hold.js";
import type { NativeBinding, NativeHandle } from "./native.js";
import { CTX, DONE, GEN, HELD, type Request } from "./request.js";
import { goneReason, type SignalOwner } from "./signal.js";
import { chunkBytes, openSource, type CzStream, type StreamSource } from "./stream.js";
import { readBody, type ReadBody } from "./web-body.js";
import type { Answers } from "./answers.js";

const EMPTY = Buffer.alloc(0);

type StreamNative = Pick<NativeBinding, "streamStart" | "streamPush" | "streamEnd" | "watch">;

/** One stream's state, as the C events and the send loop share it. */
class Pump {
  /** The client went (or the response was abandoned): pull nothing more. */
  gone = false;
  it: AsyncIterator<unknown> | undefined;
  #wake: (() => void) | undefined;
  #ready = false;
  #closed = false;

  /** Resolves at the next drain (or when the client goes). */
  wait(): Promise<void> {
    if (this.#ready || this.gone) {
      this.#ready = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#wake = resolve));
  }

  drain(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake !== undefined) wake();
    else this.#ready = true;
  }

  /** Stops the source at once: its iterator's return(), whatever it is awaiting. */
  stop(): void {
    this.gone = true;
    this.drain();
    if (this.it !== undefined && !this.#closed) {
      this.#closed = true;
      closeIterator(this.it);
    }
  }
}

/** What C may report about a request: a stream's pump, a read req.signal, or both. */
interface Watch {
  gen: number;
  pump?: Pump;
  ctl?: AbortController;
}

export interface Streams extends SignalOwner {
  /** The native server's event hook (createServer's `event`). */
  readonly event: (ev: number, ctx: number, gen: number) => void;
  /** Sends `s` as request `req`'s response (the request is pending in C and marked answered). */
  start(req: Request, s: CzStream): void;
}

/**
 * `late`: where a Web Response whose body turned out whole is answered (answers.ts; a
 * getter, since the answer queue is made after this). Without it every body is streamed.
 */
export function createStreams(
  native: StreamNative,
  handle: () => NativeHandle,
  hold: ArenaHold,
  log?: ServerLog,
  late?: () => Answers["late"],
): Streams {
  // By context index; a context is reused only once its generation moved on, so an entry
  // left by a request answered normally is simply replaced (or ignored: gen differs).
  const watches = new Map<number, Watch>();

  const entry = (ctx: number, gen: number): Watch => {
    let w = watches.get(ctx);
    if (w === undefined || w.gen !== gen) watches.set(ctx, (w = { gen }));
    return w;
  };
  const forget = (ctx: number, gen: number): void => {
    if (watches.get(ctx)?.gen === gen) watches.delete(ctx);
  };

  // Called by C in the middle of its own work, with no callback scope: note the event now
  // (in order with C's reuse of the context), act from setImmediate, whose callback runs
  // promise jobs after it (a promise resolved here would wait for some later callback).
  const event = (ev: number, ctx: number, gen: number): void => {
    const w = watches.get(ctx);
    if (w === undefined || w.gen !== gen) return;
    if (ev === EV_DRAIN) {
      if (w.pump !== undefined) setImmediate(drainLater, w.pump);
      return;
    }
    if (ev !== EV_GONE) return;
    watches.delete(ctx);
    if (w.pump !== undefined) w.pump.gone = true; // no push from here on
    setImmediate(goneLater, w);
  };

  const watch = (req: Request, ctl: AbortController): void => {
    if (req[DONE] && !req[HELD]) return; // answered already: nothing left to abort
    const ctx = req[CTX];
    const gen = req[GEN];
    const w = watches.get(ctx);
    if (w !== undefined && w.gen === gen && w.pump !== undefined) {
      w.ctl = ctl; // a stream's context is watched already
      if (w.pump.gone) ctl.abort(goneReason());
      return;
    }
    if (!native.watch(handle(), ctx, gen)) {
      if (!req[DONE]) ctl.abort(goneReason()); // the client went before the handler asked
      return;
    }
    entry(ctx, gen).ctl = ctl;
  };

  const run = async (req: Request, ctx: number, gen: number, pump: Pump, source: StreamSource, waiting: boolean) => {
    let pulling = false;
    try {
      const it = (pump.it = openSource(source));
      if (waiting) await pump.wait();
      while (!pump.gone) {
        pulling = true;
        const r = await it.next();
        pulling = false;
        if (pump.gone) break;
        if (r.done) {
          native.streamEnd(handle(), ctx, gen, false);
          break;
        }
        const rc = native.streamPush(handle(), ctx, gen, chunkBytes(r.value));
        if (rc === STREAM_GONE) pump.stop();
        else if (rc === STREAM_WAIT) await pump.wait();
      }
    } catch (err) {
      if (!pump.gone) {
        logStreamError(req, err, log);
        native.streamEnd(handle(), ctx, gen, true);
        // Our side failed (a chunk that is not bytes): the source is still open.
        if (pulling) pump.gone = true;
        else pump.stop();
      }
    } finally {
      forget(ctx, gen);
      hold.unhold(req);
    }
  };

  const start = (req: Request, s: CzStream): void => {
    req[DONE] = true;
    // The source may read the request after the handler returned: keep it readable.
    if (!req[HELD]) hold.borrow(req);
    if (s.fromResponse && late !== undefined) void whole(req, s, late());
    else open(req, s, s.source);
  };

  // A Web Response: what its body has ready decides (web-body.ts). Whole, it is an
  // ordinary answer (Content-Length, the arena when it fits); else it streams from there.
  const whole = async (req: Request, s: CzStream, answer: Answers["late"]): Promise<void> => {
    let body: ReadBody;
    let head = "";
    try {
      body = await readBody(s.source as ReadableStream<unknown>);
      if (body.whole) head = s.head();
    } catch (err) {
      // Nothing was sent yet: the failure is still the request's answer (a 500, logged).
      answer(req, undefined, err);
      return;
    }
    if (body.whole) answer(req, { status: s.status, head, body: body.bytes });
    else open(req, s, body.rest);
  };

  const open = (req: Request, s: CzStream, source: StreamSource): void => {
    const ctx = req[CTX];
    const gen = req[GEN];
    let head: Buffer | undefined;
    try {
      head = Buffer.from(s.head(), "latin1");
    } catch (err) {
      logStreamError(req, err, log);
    }
    const w = entry(ctx, gen);
    const pump = (w.pump = new Pump());
    // Status 0 makes C answer a plain 500 for a head that could not be written.
    const rc = native.streamStart(handle(), ctx, gen, head === undefined ? 0 : s.status, 0, head ?? EMPTY);
    if (rc === STREAM_GONE || rc === STREAM_NOBODY) {
      if (rc === STREAM_NOBODY) native.streamEnd(handle(), ctx, gen, false);
      pump.gone = true;
      forget(ctx, gen);
      hold.unhold(req);
      closeIterator(openSource(source)); // HEAD, or the client is gone: never pulled
      if (rc === STREAM_GONE) w.ctl?.abort(goneReason());
      return;
    }
    void run(req, ctx, gen, pump, source, rc === STREAM_WAIT);
  };

  return { event, watch, start };
}

function drainLater(pump: Pump): void {
  pump.drain();
}

/** The client went: stop the source and abort req.signal (user code: listeners, finally). */
function goneLater(w: Watch): void {
  w.pump?.stop();
  w.ctl?.abort(goneReason());
}

function closeIterator(it: AsyncIterator<unknown>): void {
  try {
    const p = it.return?.();
    if (p !== undefined) void Promise.resolve(p).catch(() => {});
  } catch {
    // a source that fails while being stopped has nothing left to send anyway
  }
}

function logStreamError(req: Request, err: unknown, log: ServerLog | undefined): void {
  let fields: { method: string; path: string; reqId: string } | undefined;
  try {
    fields = { method: req.method, path: req.path, reqId: req.id };
  } catch {
    // the request is no longer readable
  }
  const where = fields ? `${fields.method} ${fields.path}` : "request";
  if (log === undefined) console.error(`catzilla: streamed response for ${where} failed:`, err);
  else log.error({ ...fields, err }, `streamed response for ${where} failed`);
}
