/** Raw-socket helpers for protocol tests: exact bytes in, exact bytes out. */
import { connect, type Socket } from "node:net";

export interface Exchange {
  /** Everything the server sent, latin1-decoded. */
  data: string;
  /** True when the server closed the connection (rather than our idle timeout firing). */
  closed: boolean;
}

export interface ExchangeOptions {
  /** Pause between chunks, ms. */
  gapMs?: number;
  /** Stop waiting once the server has been silent this long, ms (default 400). */
  idleMs?: number;
  /** Hard cap on the whole exchange, ms (default 5000). */
  timeoutMs?: number;
  /** Stop as soon as this many complete responses have arrived. */
  responses?: number;
  /** Indexes of responses that carry no body whatever their Content-Length (HEAD). */
  noBody?: number[];
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends `chunks` (with optional gaps) and collects the reply until close, idle or timeout. */
export async function exchange(port: number, chunks: (string | Buffer)[], opts: ExchangeOptions = {}): Promise<Exchange> {
  const sock = await openSocket(port);
  return exchangeOn(sock, chunks, opts, true);
}

/** Like exchange() on an open socket; leaves it open unless the server closed it or `end`. */
export function exchangeOn(
  sock: Socket,
  chunks: (string | Buffer)[],
  opts: ExchangeOptions = {},
  end = false,
): Promise<Exchange> {
  const idleMs = opts.idleMs ?? 400;
  return new Promise((resolve) => {
    let data = "";
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(hard);
      sock.off("data", onData);
      sock.off("close", onClose);
      sock.off("error", onError);
      if (end || closed) sock.destroy();
      resolve({ data, closed });
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), idleMs);
    };
    const onData = (d: Buffer) => {
      data += d.toString("latin1");
      if (opts.responses !== undefined) {
        const parsed = parseResponses(data, opts.noBody);
        if (parsed.responses.length >= opts.responses && parsed.rest === "") {
          // Give a closing server a moment to close, so `closed` is meaningful.
          clearTimeout(idle);
          idle = setTimeout(() => finish(false), 50);
          return;
        }
      }
      arm();
    };
    const onClose = () => finish(true);
    const onError = () => finish(true);
    sock.on("data", onData);
    sock.on("close", onClose);
    sock.on("error", onError);
    const hard = setTimeout(() => finish(false), opts.timeoutMs ?? 5000);
    (async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        if (done || sock.destroyed) return;
        sock.write(chunks[i]);
      }
      arm();
    })();
  });
}

export interface RawResponse {
  status: number;
  reason: string;
  version: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Header lines as received, in order. */
  rawHeaders: string[];
  body: string;
}

/** A chunked body starting at `at`: its data and where the next response starts; undefined if incomplete. */
function dechunk(data: string, at: number): [string, number] | undefined {
  let body = "";
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = parseInt(data.slice(at, eol), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line: ${JSON.stringify(data.slice(at, eol))}`);
    if (size === 0) {
      // The first blank line from the size line's CRLF on ends the trailers (often there are none).
      const end = data.indexOf("\r\n\r\n", eol);
      return end < 0 ? undefined : [body, end + 4];
    }
    if (data.length < eol + 2 + size + 2) return undefined;
    body += data.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Splits a byte stream into HTTP/1.x responses using Content-Length or chunked framing. */
export function parseResponses(data: string, noBody: number[] = []): { responses: RawResponse[]; rest: string } {
  const responses: RawResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const lines = rest.slice(0, end).split("\r\n");
    const m = /^(HTTP\/1\.[01]) (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      const k = line.slice(0, i).toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    const status = Number(m[2]);
    const bodyless = noBody.includes(responses.length) || status === 204 || status === 304 || status < 200;
    let body: string;
    let next: number;
    if (!bodyless && /(^|,)\s*chunked\s*$/i.test(headers["transfer-encoding"] ?? "")) {
      const chunked = dechunk(rest, end + 4);
      if (chunked === undefined) break;
      [body, next] = chunked;
    } else {
      const len = bodyless ? 0 : Number(headers["content-length"] ?? 0);
      if (rest.length < end + 4 + len) break;
      body = rest.slice(end + 4, end + 4 + len);
      next = end + 4 + len;
    }
    responses.push({ status, reason: m[3], version: m[1], headers, rawHeaders: lines.slice(1), body });
    rest = rest.slice(next);
  }
  return { responses, rest };
}

/** A minimal GET request. */
export function get(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
}
