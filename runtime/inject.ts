/**
 * server.inject(): one HTTP/1.1 exchange over a socketpair whose other end the native server
 * serves as if accepted (binding.cc `inject`), so a request goes through the real C parser,
 * limits, matcher and dispatch without a port. This file writes the request bytes and reads
 * the response back; server-impl.ts owns the native server.
 */
import { closeSync } from "node:fs";
import { Socket } from "node:net";

export interface InjectOptions {
  /** Request method, sent as given (default "GET"). */
  method?: string;
  /** Request target: path and query, e.g. "/users/42?full=1". */
  url: string;
  /**
   * Request headers. `host` defaults to "localhost:80"; `content-length` is set for a body;
   * `connection` is always "close" (one request per injected connection). Names and values
   * are sent as given (latin1), so a malformed one reaches the parser and is answered 400.
   */
  headers?: Record<string, string | number | readonly string[]>;
  /**
   * Request body: a string (UTF-8), bytes, or any other value, sent as JSON with
   * content-type application/json unless a content-type header is given.
   */
  body?: string | Uint8Array | unknown;
}

export interface InjectResponse {
  status: number;
  /** The reason phrase of the status line. */
  statusMessage: string;
  /**
   * Response headers by lower-case name. A header sent once is a string; one sent more
   * than once (Set-Cookie, for instance) is an array of its values in order.
   */
  headers: Record<string, string | string[]>;
  /** The body bytes (chunked bodies decoded; empty for HEAD, 204, 304). */
  body: Buffer;
  /** The body as UTF-8. */
  text(): string;
  /** The body parsed as JSON (throws SyntaxError if it is not). */
  json<T = unknown>(): T;
}

/** The request's bytes. */
export function requestBytes(opts: InjectOptions): Buffer {
  if (opts === null || typeof opts !== "object") throw new TypeError("catzilla: inject(options): options object expected");
  if (typeof opts.url !== "string" || opts.url === "") throw new TypeError("catzilla: inject: url must be a non-empty string");
  const method = opts.method ?? "GET";
  if (typeof method !== "string" || method === "") throw new TypeError("catzilla: inject: method must be a non-empty string");

  const lines: string[] = [];
  let hasHost = false;
  let hasType = false;
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    const lower = name.toLowerCase();
    // Framing and connection handling are the injector's: one request, then the server closes.
    if (lower === "connection" || lower === "content-length" || lower === "transfer-encoding") continue;
    if (lower === "host") hasHost = true;
    if (lower === "content-type") hasType = true;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(v)}`);
  }
  let body: Buffer | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === "string") body = Buffer.from(opts.body, "utf8");
    else if (opts.body instanceof Uint8Array) body = Buffer.from(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength);
    else {
      body = Buffer.from(JSON.stringify(opts.body) ?? "null", "utf8");
      if (!hasType) lines.push("content-type: application/json");
    }
  }
  if (!hasHost) lines.unshift("host: localhost:80");
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  lines.push("connection: close");
  const head = Buffer.from(`${method} ${opts.url} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return body === undefined || body.length === 0 ? head : Buffer.concat([head, body]);
}

class Response implements InjectResponse {
  constructor(
    readonly status: number,
    readonly statusMessage: string,
    readonly headers: Record<string, string | string[]>,
    readonly body: Buffer,
  ) {}
  text(): string {
    return this.body.toString("utf8");
  }
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

/**
 * Parses the one final response of a connection the server closed after it: interim 1xx
 * responses are skipped; the body is framed by chunked encoding, Content-Length, or the
 * close. null when `data` holds no complete response.
 */
export function parseResponse(data: Buffer, method: string): InjectResponse | null {
  let off = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", off, "latin1");
    if (end < 0) return null;
    const lines = data.toString("latin1", off, end).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (m === null) return null;
    const status = Number(m[1]);
    off = end + 4;
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string | string[]> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const rest = data.subarray(off);
    let body: Buffer;
    if (method.toUpperCase() === "HEAD" || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (/\bchunked\b/i.test(String(headers["transfer-encoding"] ?? ""))) {
      const decoded = decodeChunked(rest);
      if (decoded === null) return null;
      body = decoded;
    } else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (!Number.isSafeInteger(n) || n < 0 || rest.length < n) return null;
      body = Buffer.from(rest.subarray(0, n));
    } else body = Buffer.from(rest);
    return new Response(status, m[2] ?? "", headers, body);
  }
}

function decodeChunked(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let off = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", off, "latin1");
    if (eol < 0) return null;
    const size = parseInt(data.toString("latin1", off, eol).split(";")[0]!.trim(), 16);
    if (!Number.isInteger(size) || size < 0) return null;
    off = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < off + size + 2) return null;
    parts.push(data.subarray(off, off + size));
    off += size + 2;
  }
}

/**
 * Sends `req` on the connected socket `fd` (now owned here: the socket closes it exactly
 * once, whatever happens) and resolves with the response once the server closes the
 * connection. A server that closes mid-request (a 413 or 400 answered before the whole
 * request was read) can make writing fail: the response already read still counts.
 */
export function exchange(fd: number, req: Buffer, method: string): Promise<InjectResponse> {
  return new Promise<InjectResponse>((resolve, reject) => {
    let sock: Socket;
    try {
      sock = new Socket({ fd, readable: true, writable: true });
    } catch (err) {
      closeSync(fd); // not wrapped: still ours alone
      reject(err as Error);
      return;
    }
    const chunks: Buffer[] = [];
    let done = false;
    let failure: Error | undefined;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      sock.destroy();
      const data = Buffer.concat(chunks);
      const res = parseResponse(data, method);
      if (res !== null) resolve(res);
      else
        reject(
          err ??
            new Error(
              `catzilla: inject: the server closed the connection without a complete response (${data.length} bytes read)`,
            ),
        );
    };
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("end", () => finish());
    sock.on("close", () => finish(failure));
    // EPIPE after the server answered early and closed (a 413 or 400 while the request was
    // still being written): what was read still counts; the error only explains a missing response.
    sock.on("error", (err) => {
      failure = err;
    });
    sock.write(req);
  });
}
