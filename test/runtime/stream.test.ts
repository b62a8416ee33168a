/**
 * The plain parts of streaming (runtime/stream.ts, runtime/sse.ts): what counts as a
 * stream source, chunks as bytes, the response object a middleware may still change, and
 * the event-stream format.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatEvent, sse } from "../../runtime/sse.js";
import { chunkBytes, CzStream, isStreamSource, stream } from "../../runtime/stream.js";
import { encodeResult } from "../../runtime/writer.js";

async function* gen() {
  yield "a";
}

describe("stream sources", () => {
  it("are async iterables, ReadableStreams and Readables; strings, arrays and plain objects are not", () => {
    expect(isStreamSource(gen())).toBe(true);
    expect(isStreamSource(new ReadableStream())).toBe(true);
    expect(isStreamSource(Readable.from(["x"]))).toBe(true);
    for (const v of ["text", ["a"], { a: 1 }, null, 3, new Uint8Array(2)]) expect(isStreamSource(v)).toBe(false);
    expect(() => stream("text" as never)).toThrow(TypeError);
  });

  it("a returned source is encoded as a stream, everything else as before", () => {
    const s = gen();
    const e = encodeResult(s);
    expect(e.stream).toBeInstanceOf(CzStream);
    expect(e.stream!.source).toBe(s);
    expect(encodeResult({ a: 1 }).stream).toBeUndefined();
    expect(encodeResult(["a"]).body).toBe('["a"]');
  });

  it("chunks are UTF-8 strings or bytes; anything else is refused", () => {
    expect([...chunkBytes("é")]).toEqual([0xc3, 0xa9]);
    const u = new Uint8Array([1, 2, 3]);
    expect(chunkBytes(u)).toBe(u);
    expect([...chunkBytes(new Uint16Array([0x0201]))]).toEqual([1, 2]);
    expect([...chunkBytes(new Uint8Array([9]).buffer)]).toEqual([9]);
    expect(() => chunkBytes(42)).toThrow(/only strings and bytes/);
    expect(() => chunkBytes({})).toThrow(TypeError);
  });
});

describe("the streamed response object", () => {
  it("has a status and Web Headers a middleware can change before the head is written", () => {
    const s = stream(gen(), { headers: { "X-A": "1", "Set-Cookie": ["a=1", "b=2"] } });
    expect(s.status).toBe(200);
    s.status = 202;
    s.headers.set("x-served-by", "catzilla");
    expect(s.head()).toBe(
      "content-type: application/octet-stream\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-a: 1\r\nx-served-by: catzilla\r\n",
    );
    expect(s.status).toBe(202);
  });

  it("drops framing headers and refuses a bad status", () => {
    const s = stream(gen(), { headers: { "Content-Length": "5", "Transfer-Encoding": "gzip" }, contentType: "text/csv" });
    expect(s.head()).toBe("content-type: text/csv\r\n");
    expect(() => stream(gen(), { status: 99 })).toThrow(RangeError);
    s.status = 1000;
    expect(() => s.head()).toThrow(RangeError);
  });
});

describe("sse()", () => {
  it("sets the event-stream headers (Cache-Control can be overridden)", () => {
    const s = sse(gen() as AsyncIterable<string>);
    expect(s.headers.get("content-type")).toBe("text/event-stream");
    expect(s.headers.get("cache-control")).toBe("no-cache");
    expect(sse(gen() as AsyncIterable<string>, { headers: { "Cache-Control": "no-store" } }).headers.get("cache-control")).toBe(
      "no-store",
    );
    expect(() => sse(gen() as AsyncIterable<string>, { heartbeatMs: -1 })).toThrow(RangeError);
  });

  it("formats events: one data line per line of data (any line ending), JSON for the rest", () => {
    expect(formatEvent({ data: "a\r\nb\rc\nd" })).toBe("data: a\ndata: b\ndata: c\ndata: d\n\n");
    expect(formatEvent({ event: "e", id: 7, retry: 10, data: { x: [1] } })).toBe('event: e\nid: 7\nretry: 10\ndata: {"x":[1]}\n\n');
    expect(formatEvent("plain")).toBe("data: plain\n\n");
    expect(formatEvent({ data: "" })).toBe("data: \n\n");
  });

  it("refuses line breaks in event and id, and a retry that is not a whole number", () => {
    expect(() => formatEvent({ event: "a\nb", data: 1 })).toThrow(/line break/);
    expect(() => formatEvent({ id: "1\r", data: 1 })).toThrow(/line break/);
    expect(() => formatEvent({ retry: 1.5, data: 1 })).toThrow(/retry/);
  });

  it("stops its source at once when stopped, even while an event is awaited", async () => {
    let returned = 0;
    const src: AsyncIterableIterator<string> = {
      [Symbol.asyncIterator]: () => src,
      next: () => new Promise(() => {}),
      return: async () => (returned++, { done: true, value: undefined }),
    };
    const it = (sse(src, { heartbeatMs: 0 }).source as AsyncIterable<string>)[Symbol.asyncIterator]();
    void it.next();
    await it.return!();
    expect(returned).toBe(1);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
