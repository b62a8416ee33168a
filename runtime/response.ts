/**
 * Response helpers. A handler returns a plain value (object → JSON, string → text,
 * Uint8Array → bytes, undefined → 204) or one of these when it needs a status or headers.
 * Framing headers (Content-Length, Transfer-Encoding, Connection, Date) belong to the
 * server and are dropped; a CR or LF in a header name or value is rejected.
 *
 * The rules every answer follows are defined here once: which statuses a handler may send
 * (`checkStatus`) and which carry no body, hence no body headers (`bodyless`, `bodylessHead`).
 */

export type HeadersInit = Record<string, string | number | readonly string[]> | Iterable<[string, string]>;

export interface ResponseInit {
  status?: number;
  headers?: HeadersInit;
}

const CT_JSON = "application/json";
const CT_TEXT = "text/plain; charset=utf-8";
const CT_HTML = "text/html; charset=utf-8";
const CT_BYTES = "application/octet-stream";

/** Headers the server writes itself; a handler's copies are ignored. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "date", "keep-alive", "upgrade"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values are HTAB, SP, VCHAR and obs-text (RFC 9110 5.5): no other controls, nothing past U+00FF. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;

/**
 * The statuses a handler's answer may have: 200..599, as Fetch's `new Response()` allows.
 * 1xx are interim answers the server sends itself (100 Continue); a handler's is final.
 * Every response, HttpError and stream is checked with this, where it is made.
 */
export function checkStatus(status: number, what = "status"): number {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`catzilla: ${what} must be an integer 200..599, got ${status}`);
  }
  return status;
}

/** 204 and 304 carry no body (RFC 9110 6.4.1): no Content-Type, no Content-Length. */
export function bodyless(status: number): boolean {
  return status === 204 || status === 304;
}

const CONTENT_TYPE_LINE = /^content-type:/i;

/**
 * Header lines fit for a bodyless status: without Content-Type (the server already writes
 * no Content-Length there). Applied where answers are written (writer.ts, streaming.ts,
 * const routes), so a status a middleware changed later is covered too.
 */
export function bodylessHead(head: string): string {
  if (head === "" || !/content-type:/i.test(head)) return head;
  return head
    .split("\r\n")
    .filter((l) => l !== "" && !CONTENT_TYPE_LINE.test(l))
    .map((l) => l + "\r\n")
    .join("");
}

export class CzResponse {
  /** Extra header lines, already formatted as `Name: value\r\n` (validated). */
  readonly head: string;
  constructor(
    readonly status: number,
    readonly body: string | Uint8Array,
    contentType: string | null,
    headers: HeadersInit | undefined,
  ) {
    checkStatus(status);
    this.head = formatHead(bodyless(status) ? null : contentType, headers);
  }
}

/**
 * One header line, validated as a handler's headers are: `Name: value\r\n`, or "" for a
 * framing header the server writes itself. Throws on a bad name or value.
 */
export function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`catzilla: invalid header name ${JSON.stringify(name)}`);
  if (FRAMING.has(name.toLowerCase())) return "";
  if (BAD_VALUE.test(value)) throw new TypeError(`catzilla: invalid value for header ${name}`);
  return `${name}: ${value}\r\n`;
}

/**
 * A response from header lines already validated (`head`, as CzResponse keeps them): what a
 * middleware's changed response is sent as, without formatting its headers again.
 */
export function responseFromHead(status: number, body: string | Uint8Array, head: string): CzResponse {
  const r = Object.create(CzResponse.prototype) as { status: number; body: string | Uint8Array; head: string };
  r.status = status;
  r.body = body;
  r.head = head;
  return r as CzResponse;
}

/** Header lines `Name: value\r\n` for a response (validated; framing headers dropped). */
export function formatHead(contentType: string | null, headers: HeadersInit | undefined): string {
  let head = "";
  let hasType = false;
  if (headers !== undefined) {
    const pairs: Iterable<[string, unknown]> =
      Symbol.iterator in headers ? (headers as Iterable<[string, string]>) : Object.entries(headers);
    for (const [name, value] of pairs) {
      if (!TOKEN.test(name)) throw new TypeError(`catzilla: invalid header name ${JSON.stringify(name)}`);
      const lower = name.toLowerCase();
      if (FRAMING.has(lower)) continue;
      if (lower === "content-type") hasType = true;
      for (const v of Array.isArray(value) ? value : [value]) {
        const s = String(v);
        if (BAD_VALUE.test(s)) throw new TypeError(`catzilla: invalid value for header ${name}`);
        head += `${name}: ${s}\r\n`;
      }
    }
  }
  if (!hasType && contentType !== null) head = `Content-Type: ${contentType}\r\n` + head;
  return head;
}

/** JSON response: `json({ ok: true }, { status: 201 })`. */
export function json(data: unknown, init?: ResponseInit): CzResponse {
  const body = JSON.stringify(data);
  return new CzResponse(init?.status ?? 200, body === undefined ? "null" : body, CT_JSON, init?.headers);
}

/** Plain text response (UTF-8). */
export function text(body: string, init?: ResponseInit): CzResponse {
  return new CzResponse(init?.status ?? 200, body, CT_TEXT, init?.headers);
}

/** HTML response (UTF-8). */
export function html(body: string, init?: ResponseInit): CzResponse {
  return new CzResponse(init?.status ?? 200, body, CT_HTML, init?.headers);
}

/** Raw bytes (or a string) with a content type of your choice. */
export function body(data: string | Uint8Array, init?: ResponseInit & { contentType?: string }): CzResponse {
  const type = init?.contentType ?? (typeof data === "string" ? CT_TEXT : CT_BYTES);
  return new CzResponse(init?.status ?? 200, data, type, init?.headers);
}

/**
 * No body, only a status and headers: `empty(204, { headers: { ETag: tag } })`, or
 * `empty(304)`. Sent without Content-Type (and, for 204 and 304, without Content-Length).
 */
export function empty(status = 204, init?: { headers?: HeadersInit }): CzResponse {
  return new CzResponse(status, "", null, init?.headers);
}

/** Redirect: `redirect("/login")` is a 302; 301, 303, 307 and 308 are accepted too. */
export function redirect(url: string, status: 301 | 302 | 303 | 307 | 308 = 302): CzResponse {
  if (![301, 302, 303, 307, 308].includes(status)) {
    throw new RangeError(`catzilla: ${status} is not a redirect status`);
  }
  return new CzResponse(status, "", null, { Location: url });
}

/**
 * Throw from a handler (or anything it calls) to answer with this status and
 * `{ "error": message, ...details }`: `throw new HttpError(409, "taken", { field: "email" })`.
 * `headers` are added to that answer (`{ "Retry-After": "5" }` on a 429).
 */
export class HttpError extends Error {
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(
    readonly status: number,
    message: string,
    details?: Record<string, unknown>,
    readonly headers?: HeadersInit,
  ) {
    super(message);
    this.name = "HttpError";
    // Checked here, where the mistake is written, not when the answer is being sent.
    checkStatus(status, "HttpError status");
    if (details !== undefined && !isPlainObject(details)) {
      throw new TypeError("catzilla: HttpError details must be a plain object (merged into the JSON body)");
    }
    this.details = details;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export const CONTENT_TYPES = { json: CT_JSON, text: CT_TEXT, html: CT_HTML, bytes: CT_BYTES } as const;
