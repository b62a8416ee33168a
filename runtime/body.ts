/**
 * Streamed request bodies (routes whose handler calls `req.stream()` or `req.formData()`:
 * CZ_ROUTE_STREAM). C hands the request to JS at headers-complete; each read's bytes then
 * arrive through the addon's `body(ctx, gen, chunk, event)` callback, which this module
 * answers with "want more" while the reader's queue is under BODY_HIGH_WATER. Past it, C
 * stops reading the socket until the reader drains the queue, which calls `bodyPull`: the
 * client's upload waits in its own socket buffer, not in the server's memory.
 *
 * A body is read once: as a stream, or whole by text()/json()/bytes()/formData() (which
 * keep the whole bytes so later calls of those give them again).
 */
import { BODY_ABORT, BODY_DATA, BODY_END } from "./abi.js";
import { HttpError } from "./response.js";

/** Queued bytes past which C stops reading the client until the reader takes some. */
export const BODY_HIGH_WATER = 256 * 1024;

/** The reason a body that C ended with an error status gives its reader. */
const FAILED: Readonly<Record<number, string>> = {
  400: "Malformed request body",
  408: "Request body timeout",
  413: "Request body too large",
};

/** What a body that ended in error throws at its reader. */
export function bodyError(event: number): HttpError {
  if (event === BODY_ABORT) return new HttpError(400, "The request body was aborted: the connection closed");
  return new HttpError(event >= 400 && event <= 599 ? event : 400, FAILED[event] ?? "Request body failed");
}

/** One streamed body: the chunks C delivered and the reader has not taken yet. */
export class BodyChannel {
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: HttpError | undefined = undefined;
  /** The reader waits for the next chunk, the end or an error. */
  #wake: (() => void) | undefined = undefined;
  /** C was told "enough" and waits for bodyPull. */
  #paused = false;
  /** A reader (stream, or a whole read) took the body. */
  taken = false;

  constructor(
    readonly ctx: number,
    readonly gen: number,
    private readonly pull: (ch: BodyChannel) => void,
  ) {}

  /** From C: a chunk and what follows it. Returns whether C may go on reading. */
  push(chunk: Uint8Array | undefined, event: number): boolean {
    if (chunk !== undefined && chunk.length > 0 && this.#error === undefined) {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
    }
    if (event === BODY_END) this.#ended = true;
    else if (event !== BODY_DATA) this.#error ??= bodyError(event);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    const more = this.#queued < BODY_HIGH_WATER;
    if (!more) this.#paused = true;
    return more;
  }

  /** The body's end or error has arrived (C will call no more). */
  get settled(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** The next chunk, null at the end; rejects with the body's error. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        if (this.#paused && this.#queued < BODY_HIGH_WATER) {
          this.#paused = false;
          this.pull(this);
        }
        return chunk;
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The rest of the body as an async iterable of chunks. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for (let c = await this.next(); c !== null; c = await this.next()) yield c;
  }
}

/**
 * The streamed bodies of one server, by context: what the addon's `body` callback reaches.
 * C ends every streamed body with exactly one END, ABORT or error status, which removes it.
 */
export class BodyStreams {
  readonly #open = new Map<number, BodyChannel>();

  constructor(private readonly pull: (ctx: number, gen: number) => void) {}

  /** A streamed request just dispatched: its channel, which C's chunks reach from now on. */
  open(ctx: number, gen: number): BodyChannel {
    // A context is reused only after its request's body ended, so this is defensive.
    this.#open.get(ctx)?.push(undefined, BODY_ABORT);
    const ch = new BodyChannel(ctx, gen, (c) => this.pull(c.ctx, c.gen));
    this.#open.set(ctx, ch);
    return ch;
  }

  /** The addon's `body` callback. */
  readonly onBody = (ctx: number, gen: number, chunk: Uint8Array | undefined, event: number): boolean => {
    const ch = this.#open.get(ctx);
    if (ch === undefined || ch.gen !== gen) return true; // not ours (any more): let C go on
    const more = ch.push(chunk, event);
    if (ch.settled) this.#open.delete(ctx);
    return more;
  };

  /** Bodies still arriving (tests). */
  get size(): number {
    return this.#open.size;
  }
}

/** A Web ReadableStream over a channel's chunks, pulled only when its reader reads. */
export function channelStream(ch: BodyChannel): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await ch.next();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (err) {
          controller.error(err);
        }
      },
    },
    // No queue of its own: every byte waits in the channel, where it is counted.
    { highWaterMark: 0 },
  );
}

/** A ReadableStream of bytes already in memory (a buffered body). */
export function bytesStream(bytes: Uint8Array | undefined): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes !== undefined && bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Reads a channel to its end: the chunks as one Buffer. */
export async function readAll(ch: BodyChannel): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of ch.chunks()) {
    parts.push(c);
    n += c.length;
  }
  return Buffer.concat(parts, n);
}
