/**
 * Streamed results (docs/streaming.md): `stream(source, init?)` and what a handler may
 * return directly (an async iterable, a Web ReadableStream, a Node Readable) become a
 * CzStream, whose body is sent chunk by chunk as the source produces it. This file holds
 * the plain parts: the response object, recognising a source, and turning one into an
 * async iterator of bytes. streaming.ts sends them.
 */
import { bodyless, bodylessHead, checkStatus, CONTENT_TYPES, formatHead, type HeadersInit } from "./response.js";

/** What a streamed body may come from; its items are strings (sent as UTF-8) or bytes. */
export type StreamSource = AsyncIterable<unknown> | ReadableStream<unknown> | NodeJS.ReadableStream;

export interface StreamInit {
  status?: number;
  headers?: HeadersInit;
  /** Content-Type of the body: application/octet-stream unless given (here or in headers). */
  contentType?: string;
}

/**
 * A streamed response. `status` and `headers` may be changed (by a middleware, say) until
 * the runtime writes the head, which happens once the handler's result reaches it.
 */
export class CzStream {
  status: number;
  readonly headers: Headers;
  /**
   * A returned Web Response's body (result-object.ts): streaming.ts reads what is ready
   * first and sends it as an ordinary answer with Content-Length when that is all of it.
   */
  fromResponse = false;

  constructor(
    readonly source: StreamSource,
    init: StreamInit = {},
  ) {
    this.status = checkStatus(init.status ?? 200);
    this.headers = toHeaders(init.headers);
    if (!this.headers.has("content-type")) this.headers.set("content-type", init.contentType ?? CONTENT_TYPES.bytes);
  }

  /** A stream has no JSON form (runtime/writer.ts relies on it to tell one from data). */
  toJSON(): undefined {
    return undefined;
  }

  /** The extra header lines of the head, as they stand now (framing headers dropped; no Content-Type on a 204 or 304). */
  head(): string {
    checkStatus(this.status);
    const head = formatHead(null, this.headers);
    return bodyless(this.status) ? bodylessHead(head) : head;
  }
}

/** `stream(numbers(req.signal))`: send what the source yields as it yields it, chunked. */
export function stream(source: StreamSource, init?: StreamInit): CzStream {
  if (!isStreamSource(source)) {
    throw new TypeError("catzilla: stream() needs an async iterable, a ReadableStream or a Node Readable");
  }
  return new CzStream(source, init);
}

/** Is v something a handler may return to stream its body? (Strings and arrays are not.) */
export function isStreamSource(v: unknown): v is StreamSource {
  if (v === null || typeof v !== "object") return false;
  return (
    typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function" ||
    typeof (v as { getReader?: unknown }).getReader === "function"
  );
}

/** The source as an iterator whose `return()` stops it: a ReadableStream is cancelled, a Readable destroyed. */
export function openSource(source: StreamSource): AsyncIterator<unknown> {
  const rs = source as ReadableStream<unknown>;
  if (typeof rs.getReader === "function") {
    const reader = rs.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<unknown>>,
      return: async () => {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    };
  }
  // A Node Readable's iterator destroys the stream on return().
  return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
}

/** A chunk as bytes: strings are UTF-8; anything else but bytes is the producer's mistake. */
export function chunkBytes(v: unknown): Uint8Array {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(
    `catzilla: a stream yielded ${v === null ? "null" : typeof v}; only strings and bytes can be sent`,
  );
}

/** HeadersInit (a record whose values may be arrays, or pairs) as a Web Headers. */
function toHeaders(init: HeadersInit | undefined): Headers {
  const h = new Headers();
  if (init === undefined) return h;
  const pairs: Iterable<[string, unknown]> =
    Symbol.iterator in init ? (init as Iterable<[string, string]>) : Object.entries(init);
  for (const [name, value] of pairs) {
    for (const v of Array.isArray(value) ? value : [value]) h.append(name, String(v));
  }
  return h;
}
