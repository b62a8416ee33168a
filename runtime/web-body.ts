/**
 * A returned Web Response's body, read before the server chooses how to send it
 * (docs/handlers.md, "A Web Response"). Most Responses carry a body that is already whole
 * (`new Response("hi")`, `Response.json(data)`, bytes, a Blob): their stream yields it within
 * a few microtasks and ends. Those go out as an ordinary answer with Content-Length, as a
 * string or bytes result does. A body that makes the reader wait longer (an SSE stream, a
 * ReadableStream fed over time) is streamed, starting with what was already read.
 *
 * "Ready" means settled within READY_TICKS microtask turns: no timer, no I/O, so a real
 * stream never waits on the probe and a whole body never waits on the event loop.
 */
import { chunkBytes } from "./stream.js";

/**
 * Microtask turns a read may take and still count as ready. undici needs 2 for a string
 * or bytes and 6 for the first part of a FormData (Node 20); the margin covers other
 * versions and polyfills.
 */
const READY_TICKS = 16;
/**
 * Past this many bytes read the body is streamed even if more is ready: a source that
 * always has more (a generator behind a pull()) must not be buffered without end.
 */
const WHOLE_MAX_BYTES = 1 << 20;

/** The body read to its end, or what was read and the rest to stream. */
export type ReadBody =
  | { whole: true; bytes: Uint8Array }
  | { whole: false; rest: AsyncIterable<unknown> };

const NOT_YET = Symbol("not yet");

/** NOT_YET after READY_TICKS microtask turns; stops turning as soon as `read` settles (it won). */
async function ticks(read: Promise<unknown>): Promise<typeof NOT_YET> {
  let settled = false;
  const stop = (): void => void (settled = true);
  read.then(stop, stop);
  for (let k = 0; k < READY_TICKS && !settled; k++) await undefined;
  return NOT_YET;
}

/**
 * Reads what `body` has ready. Rejects when the stream fails before it is whole (nothing
 * was sent yet, so the caller can still answer 500).
 */
export async function readBody(body: ReadableStream<unknown>): Promise<ReadBody> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (size > WHOLE_MAX_BYTES) return { whole: false, rest: rest(chunks, reader, undefined) };
      const read = reader.read();
      const r = await Promise.race([read, ticks(read)]);
      if (r === NOT_YET) return { whole: false, rest: rest(chunks, reader, read) };
      if (r.done) return { whole: true, bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) };
      const bytes = chunkBytes(r.value);
      chunks.push(bytes);
      size += bytes.length;
    }
  } catch (err) {
    // A chunk that is not bytes: the source is still open.
    reader.cancel(err).catch(() => {});
    throw err;
  }
}

/** The chunks already read, then the pending read, then the reader to its end; return() cancels it. */
function rest(
  chunks: Uint8Array[],
  reader: ReadableStreamDefaultReader<unknown>,
  pending: Promise<ReadableStreamReadResult<unknown>> | undefined,
): AsyncIterable<unknown> {
  let next: Promise<ReadableStreamReadResult<unknown>> | undefined = pending;
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<unknown>> => {
        const head = chunks.shift();
        if (head !== undefined) return { done: false, value: head };
        const p = next ?? reader.read();
        next = undefined;
        const r = await p;
        return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
      },
      return: async (): Promise<IteratorResult<unknown>> => {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    }),
  };
}
