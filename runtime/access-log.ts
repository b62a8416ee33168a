/**
 * The access log (`accessLog` listen option, docs/logging.md): one line per finished
 * request. C keeps a fixed-size record of numbers per response as it is queued
 * (native/src/cz_alog.c: no text is formatted on the response path); this takes them in
 * batches on a timer, off the hot path, and writes each as one logger call.
 */
import { ALOG, ALOG_STRIDE, METHOD_NAMES } from "./abi.js";
import { BULK, LOG_LEVELS, type BulkWriter, type ServerLogger } from "./log.js";
import type { NativeAccessBatch } from "./native.js";

/** How often the records are taken, ms: a line is written at most this long after its response. */
export const ACCESS_LOG_INTERVAL_MS = 100;

/** The message of an access log line (pino-http's, so filters written for it match). */
export const ACCESS_MSG = "request completed";

/** One access log line's fields. */
export interface AccessRecord {
  reqId: string;
  method: string;
  path: string;
  status: number;
  /** Response bytes (status line, headers and body). */
  bytes: number;
  /** From the end of the request head to the response being queued, ms (µs precision). */
  durationMs: number;
  /** The connection's peer ("" when not IP: inject()); the peer, not a proxied client. */
  remoteAddress: string;
  remotePort: number;
  /** When the response was queued (epoch ms). */
  endTime: number;
}

/** The records of one drain, decoded. Pure: what the tests and the timer share. */
export function decodeAccessBatch(b: NativeAccessBatch, nowMs: number): AccessRecord[] {
  const out: AccessRecord[] = [];
  const r = b.recs;
  const now = b.nowHi * 2 ** 32 + b.nowLo;
  const peer = new PeerCache();
  let pathOff = -1;
  let pathLen = -1;
  let path = "";
  for (let base = 0; base + ALOG_STRIDE <= r.length; base += ALOG_STRIDE) {
    const end = (r[base + ALOG.END_HI] >>> 0) * 2 ** 32 + (r[base + ALOG.END_LO] >>> 0);
    const off = r[base + ALOG.PATH_OFF];
    const len = r[base + ALOG.PATH_LEN];
    if (off !== pathOff || len !== pathLen) {
      pathOff = off;
      pathLen = len;
      path = b.paths.toString("latin1", off, off + len);
    }
    const method = r[base + ALOG.METHOD];
    out.push({
      reqId: String(r[base + ALOG.ID] >>> 0),
      method: method >= 0 ? (METHOD_NAMES[method] ?? String(method)) : "-",
      path,
      status: r[base + ALOG.STATUS],
      bytes: (r[base + ALOG.BYTES_HI] >>> 0) * 2 ** 32 + (r[base + ALOG.BYTES_LO] >>> 0),
      durationMs: r[base + ALOG.DUR_US] / 1000,
      remoteAddress: peer.at(r, base),
      remotePort: r[base + ALOG.PORT],
      endTime: Math.round(nowMs - (now - end) / 1e6),
    });
  }
  return out;
}

/**
 * Address bytes (network order, in int32 slots from `at`) as text, as inet_ntop (and so
 * req.ip) writes them: dotted IPv4; IPv6 per RFC 5952 (longest zero run as `::`, an
 * IPv4-mapped address as `::ffff:a.b.c.d`).
 */
export function formatAddress(family: number, slots: Int32Array, at: number): string {
  if (family !== 4 && family !== 6) return "";
  const bytes = new Uint8Array(slots.buffer, slots.byteOffset + at * 4, family === 4 ? 4 : 16);
  if (family === 4) return bytes.join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${bytes.subarray(12).join(".")}`;
  let bestAt = -1;
  let bestLen = 1; // a single zero word is not compressed (RFC 5952 4.2.2)
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(":");
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

/**
 * The records of one drain as JSON lines, the fields in AccessRecord's order, written
 * straight from the record numbers (no object per record): what a jsonLogger() gets in one
 * write. `lead` is `{"level":30,"time":<now>,<the logger's members>,`.
 */
export function formatAccessLines(b: NativeAccessBatch, nowMs: number, lead: string): string {
  const r = b.recs;
  const now = b.nowHi * 2 ** 32 + b.nowLo;
  const peer = new PeerCache();
  let text = "";
  let pathOff = -1;
  let pathLen = -1;
  let pathJson = "";
  for (let base = 0; base + ALOG_STRIDE <= r.length; base += ALOG_STRIDE) {
    const end = (r[base + ALOG.END_HI] >>> 0) * 2 ** 32 + (r[base + ALOG.END_LO] >>> 0);
    // C points a record at the previous one's path bytes when they are equal: decode once.
    const off = r[base + ALOG.PATH_OFF];
    const len = r[base + ALOG.PATH_LEN];
    if (off !== pathOff || len !== pathLen) {
      pathOff = off;
      pathLen = len;
      pathJson = JSON.stringify(b.paths.toString("latin1", off, off + len));
    }
    const method = r[base + ALOG.METHOD];
    text +=
      `${lead}"reqId":"${r[base + ALOG.ID] >>> 0}","method":"${method >= 0 ? (METHOD_NAMES[method] ?? method) : "-"}",` +
      `"path":${pathJson},"status":${r[base + ALOG.STATUS]},` +
      `"bytes":${(r[base + ALOG.BYTES_HI] >>> 0) * 2 ** 32 + (r[base + ALOG.BYTES_LO] >>> 0)},` +
      `"durationMs":${r[base + ALOG.DUR_US] / 1000},"remoteAddress":"${peer.at(r, base)}","remotePort":${r[base + ALOG.PORT]},` +
      `"endTime":${Math.round(nowMs - (now - end) / 1e6)},"msg":"${ACCESS_MSG}"}\n`;
  }
  return text;
}

/** The address of a record, formatted once per run of records from one peer address. */
class PeerCache {
  #family = -1;
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  #text = "";
  at(r: Int32Array, base: number): string {
    const at = base + ALOG.ADDR;
    const family = r[base + ALOG.FAMILY];
    if (family !== this.#family || r[at] !== this.#a || r[at + 1] !== this.#b || r[at + 2] !== this.#c || r[at + 3] !== this.#d) {
      this.#family = family;
      this.#a = r[at];
      this.#b = r[at + 1];
      this.#c = r[at + 2];
      this.#d = r[at + 3];
      this.#text = formatAddress(family, r, at);
    }
    return this.#text;
  }
}

/** A server's access log: drains C's records every ACCESS_LOG_INTERVAL_MS, and once at close. */
export class AccessLog {
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly drainNative: () => NativeAccessBatch | undefined,
    private readonly logger: ServerLogger,
  ) {
    this.#timer = setInterval(() => this.drain(), ACCESS_LOG_INTERVAL_MS);
    this.#timer.unref(); // the access log never keeps the process alive
  }

  /** Writes every record C holds now. */
  drain(): void {
    let b: NativeAccessBatch | undefined;
    try {
      b = this.drainNative();
    } catch {
      return; // the server is gone
    }
    if (b === undefined) return;
    const logger = this.logger;
    try {
      const bulk = (logger as { [BULK]?: BulkWriter })[BULK];
      const now = Date.now();
      if (bulk !== undefined) {
        // The default logger: every line of the drain in one string, one write.
        if (bulk.min <= LOG_LEVELS.info) {
          bulk.write(formatAccessLines(b, now, `{"level":${LOG_LEVELS.info},"time":${now},${bulk.members}${bulk.members ? "," : ""}`));
        }
      } else for (const rec of decodeAccessBatch(b, now)) logger.info(rec, ACCESS_MSG);
      if (b.dropped > 0) logger.warn({ dropped: b.dropped }, "access log: records dropped (buffer full between drains)");
    } catch (err) {
      process.stderr.write(`catzilla: access logger threw: ${String(err)}\n`);
    }
  }

  /** The server closed: the last records, then no more timer. */
  stop(): void {
    clearInterval(this.#timer);
    this.drain();
  }
}
