/**
 * What a handler's result is when it is an object but not plain data (docs/handlers.md,
 * "What a handler returns"): writer.ts sends plain objects and arrays with JSON.stringify
 * and asks here only about the rest, so plain data pays one prototype test and nothing more.
 *
 *   a Web Response        its status, headers (each Set-Cookie apart) and body; a body that
 *                         is whole at once goes out with Content-Length, one that takes
 *                         longer is streamed (web-body.ts); a null body is sent as none
 *   a stream              stream(), sse(), a Node Readable, a ReadableStream, an async iterable
 *   bytes                 any ArrayBuffer view (Uint8Array and Buffer are caught before)
 *   toJSON()              what it returns, as JSON.stringify does (Date, URL, your classes)
 *   anything else         sent as its own enumerable fields, unless it has none ("{}" would
 *                         hide the mistake: a Map, an Error, a class of methods) or is an
 *                         EventEmitter (a Writable, a socket: its fields are internals) or
 *                         a sync iterator (a generator: not a stream, nor data):
 *                         then it is an UnsendableResult, a 500 logged with what was returned
 *
 * The compiler applies the same rule to the declared return type (compiler/returns.ts,
 * CZ1040), so a typed handler hears about it at build time.
 */
import { EventEmitter } from "node:events";
import { checkStatus, CONTENT_TYPES, CzResponse, formatHead } from "./response.js";
import { CzStream, isStreamSource } from "./stream.js";

/** A handler returned something that cannot be sent; `what` names it for the log line. */
export class UnsendableResult extends TypeError {
  constructor(
    readonly what: string,
    readonly why: string,
  ) {
    super(`catzilla: the handler returned ${what}, which cannot be sent: ${why}`);
    this.name = "UnsendableResult";
  }
}

/** An answer with no body (a Web Response whose body is null): status and header lines. */
export interface BodilessAnswer {
  status: number;
  head: string;
}

/** Is `v` a plain object or array, whose JSON is its data? */
export function isPlainData(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === Array.prototype || proto === null;
}

/**
 * A non-plain object result as something writer.ts sends: a CzStream, bytes, JSON text, or
 * a bodiless answer. Throws UnsendableResult for what has no faithful form.
 */
export function fromObject(v: object): CzStream | Uint8Array | string | BodilessAnswer {
  if (v instanceof CzStream) return v;
  if (isWebResponse(v)) return fromWebResponse(v);
  if (isStreamSource(v)) return new CzStream(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return jsonOf(v);
  if (isSyncIterator(v)) {
    throw new UnsendableResult("a sync iterator", "a generator is not a stream (an async generator is) and has no JSON form");
  }
  if (v instanceof EventEmitter) {
    throw new UnsendableResult(nameOf(v), "an EventEmitter (a Writable, a socket) is neither data nor a readable stream");
  }
  const json = jsonOf(v);
  if (json === "{}") {
    throw new UnsendableResult(nameOf(v), "it has no enumerable fields, so JSON.stringify would send {}");
  }
  return json;
}

/** A generator object or a lib iterator (`array.values()`): next() and [Symbol.iterator], no data. */
function isSyncIterator(v: object): boolean {
  const it = v as { next?: unknown; [Symbol.iterator]?: unknown };
  return typeof it.next === "function" && typeof it[Symbol.iterator] === "function" && Object.keys(v).length === 0;
}

function jsonOf(v: object): string {
  const json = JSON.stringify(v);
  if (json === undefined) throw new UnsendableResult(nameOf(v), "its toJSON() returned nothing JSON can hold");
  return json;
}

/** A Fetch Response, from this realm or another (undici's own, a polyfill): by its shape. */
export function isWebResponse(v: unknown): v is Response {
  if (v === null || typeof v !== "object") return false;
  if (typeof Response === "function" && v instanceof Response) return true;
  const r = v as Partial<Response>;
  return (
    typeof r.status === "number" &&
    typeof r.arrayBuffer === "function" &&
    typeof r.headers?.get === "function" &&
    "body" in r &&
    "bodyUsed" in r
  );
}

/** A Web Response: statusText is not sent (the server writes the standard reason phrase). */
function fromWebResponse(r: Response): CzStream | BodilessAnswer {
  // Response.error() has status 0: nothing a server can answer with.
  const status = checkStatus(r.status, "a returned Response's status");
  if (r.body === null) return { status, head: formatHead(null, r.headers) };
  if (r.bodyUsed) throw new UnsendableResult("a Response", "its body was already read");
  const s = new CzStream(r.body, { status, headers: r.headers });
  s.fromResponse = true;
  return s;
}

/**
 * A Web Response with its body read whole: for a blocking route, whose answer crosses from
 * its worker as bytes (a stream cannot cross).
 */
export async function bufferedResponse(r: Response): Promise<CzResponse> {
  const status = checkStatus(r.status, "a returned Response's status");
  const bytes = r.body === null ? "" : new Uint8Array(await r.arrayBuffer());
  return new CzResponse(status, bytes, r.body === null ? null : CONTENT_TYPES.bytes, r.headers);
}

/** `a Map`, `a ReadStream`, `an instance of User`: what the log line says was returned. */
export function nameOf(v: object): string {
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof name !== "string" || name === "") return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}
