/**
 * Server-sent events (docs/streaming.md): `sse(source, { heartbeatMs })` streams the
 * source's events in the text/event-stream format, with a comment line every heartbeatMs
 * while the source is quiet (so proxies and clients keep the connection), and stops the
 * source (its iterator's return()) when the client goes.
 */
import { CzStream, type StreamInit } from "./stream.js";

/** One event. `data` is a string or anything JSON can hold (sent as JSON). */
export interface SseEvent {
  event?: string;
  data: unknown;
  id?: string | number;
  /** Reconnection delay the client should use, in ms. */
  retry?: number;
}

export interface SseOptions extends Omit<StreamInit, "contentType"> {
  /** A `:` comment is sent after this long without an event; 0 = never. Default 15000. */
  heartbeatMs?: number;
}

export const SSE_HEARTBEAT_MS = 15_000;
/** The comment line a heartbeat sends. */
export const SSE_HEARTBEAT = ":\n\n";

/** `sse(ticks(req.signal))`: an event stream of the source's items (an SseEvent, or a string as data). */
export function sse(source: AsyncIterable<SseEvent | string>, options: SseOptions = {}): CzStream {
  if (source === null || typeof (source as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] !== "function") {
    throw new TypeError("catzilla: sse() needs an async iterable of events");
  }
  const heartbeatMs = options.heartbeatMs ?? SSE_HEARTBEAT_MS;
  if (!(Number.isFinite(heartbeatMs) && heartbeatMs >= 0)) {
    throw new RangeError(`catzilla: sse heartbeatMs must be a non-negative number, got ${heartbeatMs}`);
  }
  const body: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => new SseIterator(source[Symbol.asyncIterator](), heartbeatMs),
  };
  const s = new CzStream(body, { ...options, contentType: "text/event-stream" });
  if (!s.headers.has("cache-control")) s.headers.set("cache-control", "no-cache");
  return s;
}

/** One event in the wire format (ends with the blank line). Throws on a newline in event or id. */
export function formatEvent(item: SseEvent | string): string {
  if (typeof item === "string") return dataLines(item) + "\n";
  if (item === null || typeof item !== "object") {
    throw new TypeError("catzilla: an sse event must be an object { event?, data, id?, retry? } or a string");
  }
  let out = "";
  if (item.event !== undefined) out += `event: ${field("event", String(item.event))}\n`;
  if (item.id !== undefined) out += `id: ${field("id", String(item.id))}\n`;
  if (item.retry !== undefined) {
    if (!Number.isInteger(item.retry) || item.retry < 0) {
      throw new TypeError(`catzilla: sse retry must be a non-negative integer, got ${String(item.retry)}`);
    }
    out += `retry: ${item.retry}\n`;
  }
  const data = typeof item.data === "string" ? item.data : JSON.stringify(item.data);
  return out + dataLines(data ?? "") + "\n";
}

/** Each line of data as its own `data:` line (a client joins them with "\n"). */
function dataLines(data: string): string {
  return data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}\n`)
    .join("");
}

function field(name: string, v: string): string {
  // A line break would end the field and let the rest forge another one.
  if (/[\r\n\0]/.test(v)) throw new TypeError(`catzilla: an sse ${name} must not contain a line break`);
  return v;
}

const BEAT = Symbol("heartbeat");

/**
 * The event stream's bytes: the source's next item raced against a heartbeat timer. Its
 * return() stops the source at once, even while an item is awaited (an async generator's
 * own return() would wait for that item).
 */
class SseIterator implements AsyncIterator<string> {
  #pending: Promise<IteratorResult<SseEvent | string>> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    private readonly src: AsyncIterator<SseEvent | string>,
    private readonly heartbeatMs: number,
  ) {}

  async next(): Promise<IteratorResult<string>> {
    if (this.#done) return { done: true, value: undefined };
    const pending = (this.#pending ??= this.src.next());
    let r: IteratorResult<SseEvent | string> | typeof BEAT;
    if (this.heartbeatMs > 0) {
      const beat = new Promise<typeof BEAT>((resolve) => (this.#timer = setTimeout(resolve, this.heartbeatMs, BEAT)));
      try {
        r = await Promise.race([pending, beat]);
      } finally {
        clearTimeout(this.#timer);
      }
    } else {
      r = await pending;
    }
    if (this.#done) return { done: true, value: undefined };
    if (r === BEAT) return { done: false, value: SSE_HEARTBEAT };
    this.#pending = undefined;
    if (r.done) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: formatEvent(r.value) };
  }

  async return(): Promise<IteratorResult<string>> {
    if (!this.#done) {
      this.#done = true;
      clearTimeout(this.#timer);
      // An item still awaited is dropped; its rejection must not go unhandled.
      this.#pending?.catch(() => {});
      await this.src.return?.();
    }
    return { done: true, value: undefined };
  }
}
