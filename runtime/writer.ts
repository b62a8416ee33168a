/**
 * Turns what a handler returned into response bytes in the shared arenas
 * (docs/internals.md, "JS → C"). The native server adds the status line, Date,
 * Content-Length and Connection; this writes only extra header lines and the body.
 */
import {
  RES_BODY_LEN,
  RES_BODY_OFF,
  RES_CT_BYTES,
  RES_CT_JSON,
  RES_CT_TEXT,
  RES_FLAGS,
  RES_FLAG_LARGE,
  RES_HEAD_LEN,
  RES_HEAD_OFF,
  RES_STATUS,
  RES_STRIDE,
  STATUS_PENDING,
} from "./abi.js";
import { bodyless, bodylessHead, CONTENT_TYPES, CzResponse, HttpError } from "./response.js";
import { fromObject, isPlainData, UnsendableResult } from "./result-object.js";
import { JsonText } from "./serialize.js";
import { CzStream, isStreamSource } from "./stream.js";

interface FastBuffer extends Buffer {
  latin1Write(s: string, offset: number, length?: number): number;
  utf8Write(s: string, offset: number, length?: number): number;
}

const HEAD_JSON = `Content-Type: ${CONTENT_TYPES.json}\r\n`;
const HEAD_TEXT = `Content-Type: ${CONTENT_TYPES.text}\r\n`;
const HEAD_BYTES = `Content-Type: ${CONTENT_TYPES.bytes}\r\n`;

/** A response reduced to what crosses into C. */
export interface Encoded {
  status: number;
  head: string;
  body: string | Uint8Array;
  /** A streamed result: sent by streaming.ts, not through the arenas (status, head, body unused). */
  stream?: CzStream;
}

/**
 * Maps a handler's return value to status, header lines and body. Plain data pays one
 * prototype test before JSON.stringify; other objects are sorted out by result-object.ts.
 * Throws on values that cannot be sent (UnsendableResult) or that JSON cannot hold.
 */
export function encodeResult(value: unknown): Encoded {
  if (value instanceof CzResponse) return { status: value.status, head: value.head, body: value.body };
  if (value instanceof JsonText) return { status: 200, head: HEAD_JSON, body: value.text };
  if (typeof value === "string") return { status: 200, head: HEAD_TEXT, body: value };
  if (value === undefined) return { status: 204, head: "", body: "" };
  if (value instanceof Uint8Array) return { status: 200, head: HEAD_BYTES, body: value };
  if (value instanceof ArrayBuffer) return { status: 200, head: HEAD_BYTES, body: new Uint8Array(value) };
  if (typeof value === "object" && value !== null && !isPlainData(value)) return encodeObject(value);
  const json = JSON.stringify(value);
  // Functions and symbols have no JSON form; saying so beats an empty 200.
  if (json === undefined) throw new UnsendableResult(`a ${typeof value}`, "JSON has no form for it");
  // An object literal with [Symbol.asyncIterator] is streamed too; its JSON is "{}".
  if (json.length === 2 && isStreamSource(value)) return { status: 0, head: "", body: "", stream: new CzStream(value) };
  return { status: 200, head: HEAD_JSON, body: json };
}

/** A result that is an object but not plain data (result-object.ts says what it is). */
function encodeObject(value: object): Encoded {
  const r = fromObject(value);
  if (typeof r === "string") return { status: 200, head: HEAD_JSON, body: r };
  if (r instanceof Uint8Array) return { status: 200, head: HEAD_BYTES, body: r };
  if (r instanceof CzStream) return { status: 0, head: "", body: "", stream: r };
  return { status: r.status, head: r.head, body: "" };
}

/**
 * The response for a thrown error or rejected promise. Any error but an HttpError is a 500
 * whose body says nothing about it, unless `dev` (listen({ dev: true }), `catzilla dev`):
 * then it carries the message and the stack.
 */
export function encodeError(err: unknown, dev = false): Encoded {
  if (err instanceof HttpError) {
    const head = HEAD_JSON + (err.headers ? new CzResponse(err.status, "", null, err.headers).head : "");
    return { status: err.status, head, body: errorBody(err) };
  }
  if (dev) return { status: 500, head: HEAD_JSON, body: devErrorBody(err) };
  return { status: 500, head: HEAD_JSON, body: '{"error":"Internal Server Error"}' };
}

/** `{"error":"Internal Server Error","message":…,"stack":…}` for listen({ dev: true }). */
function devErrorBody(err: unknown): string {
  const e = err instanceof Error ? err : undefined;
  let message: string;
  try {
    message = e ? e.message : String(err);
  } catch {
    message = "(unprintable)";
  }
  return JSON.stringify({ error: "Internal Server Error", message, ...(e?.stack ? { stack: e.stack } : {}) });
}

/** `{ "error": message, ...details }`; details JSON cannot hold (a BigInt, a cycle) are dropped, not a crash. */
function errorBody(err: HttpError): string {
  if (err.details !== undefined) {
    try {
      return JSON.stringify({ error: err.message, ...err.details });
    } catch {
      // fall through to the message alone
    }
  }
  return JSON.stringify({ error: err.message });
}

/** Marks answer slot `i` pending: C leaves the request open for a later `respondMany`. */
export function putPending(meta: Int32Array, i: number): void {
  meta[i * RES_STRIDE + RES_STATUS] = STATUS_PENDING;
}

/**
 * Writes encoded responses into one arena: header lines, then body.
 * A body that does not fit what is left goes out as its own Buffer (`large`).
 */
export class ArenaWriter {
  private readonly data: FastBuffer;
  private off = 0;
  /** Per-request large bodies of the current batch, or undefined when none. */
  large: (Uint8Array | undefined)[] | undefined;

  constructor(data: Buffer) {
    this.data = data as FastBuffer;
  }

  reset(): void {
    this.off = 0;
    this.large = undefined;
  }

  /** Writes `e` and records it in `meta` at slot `i`. */
  put(meta: Int32Array, i: number, e: Encoded): void {
    const b = i * RES_STRIDE;
    const data = this.data;
    const headOff = this.off;
    let off = headOff;
    // 204 and 304 carry no body: no Content-Type either (C writes no Content-Length there).
    const head = bodyless(e.status) ? bodylessHead(e.head) : e.head;
    if (head.length > data.length - off) {
      // Header lines larger than the whole arena: nothing sensible fits; fail the request.
      throw new RangeError("catzilla: response headers too large");
    }
    // The usual heads are one Content-Type line that C writes from a flag: no write here.
    let flags =
      head === HEAD_JSON ? RES_CT_JSON : head === HEAD_TEXT ? RES_CT_TEXT : head === HEAD_BYTES ? RES_CT_BYTES : 0;
    if (flags === 0 && head.length !== 0) off += data.latin1Write(head, off);
    meta[b + RES_STATUS] = e.status;
    meta[b + RES_HEAD_OFF] = headOff;
    meta[b + RES_HEAD_LEN] = off - headOff;
    meta[b + RES_BODY_OFF] = off;
    const body = e.body;
    if (typeof body === "string") {
      const room = data.length - off;
      if (body.length * 3 <= room || Buffer.byteLength(body) <= room) {
        const n = body.length === 0 ? 0 : data.utf8Write(body, off, room);
        meta[b + RES_BODY_LEN] = n;
        off += n;
      } else {
        flags |= this.putLarge(meta, i, Buffer.from(body));
      }
    } else if (body.length <= data.length - off) {
      data.set(body, off);
      meta[b + RES_BODY_LEN] = body.length;
      off += body.length;
    } else {
      flags |= this.putLarge(meta, i, body);
    }
    meta[b + RES_FLAGS] = flags;
    this.off = off;
  }

  /** Does `e` fit what is left of the arena, body included (put() would need no `large`)? */
  fits(e: Encoded): boolean {
    const room = this.data.length - this.off - e.head.length;
    if (room < 0) return false;
    const body = e.body;
    if (typeof body !== "string") return body.length <= room;
    return body.length * 3 <= room || Buffer.byteLength(body) <= room;
  }

  /** Bytes left in the arena. */
  room(): number {
    return this.data.length - this.off;
  }

  private putLarge(meta: Int32Array, i: number, body: Uint8Array): number {
    (this.large ??= [])[i] = body;
    meta[i * RES_STRIDE + RES_BODY_LEN] = body.length;
    return RES_FLAG_LARGE;
  }
}
