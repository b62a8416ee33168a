// RFC 9112 6.1 and 7.1 for streamed responses, byte for byte over raw TCP: a body of unknown
// length is chunked to HTTP/1.1 clients (the connection stays usable after the last chunk),
// close-delimited to HTTP/1.0 clients, absent for HEAD; and a streamed response keeps its
// place in the pipeline: responses after it wait for its last chunk, whatever finishes first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { exchange } from "../helpers/raw.js";
import { decodeChunked, reset, splitHead, startStreamingApp, stats } from "../helpers/streaming-app.js";

let app: RunningApp;
beforeAll(async () => {
  app = await startStreamingApp("conformance-streaming");
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

/** How long the server may stay silent before an exchange on a kept-alive connection ends
 * (generous: a sanitizer build is slow). */
const IDLE_MS = 1500;

const get = (path: string, version = "1.1", extra = "") => `GET ${path} HTTP/${version}\r\nHost: t\r\n${extra}\r\n`;

/** Reads responses off `data` in order: chunked or Content-Length framed (HEAD: no body). */
function responses(data: string, heads: number[] = []): { status: number; headers: Record<string, string>; body: string }[] {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = data;
  while (rest.length > 0) {
    const h = splitHead(rest);
    if (h === null) throw new Error(`unparsed bytes: ${JSON.stringify(rest.slice(0, 80))}`);
    if (heads.includes(out.length)) {
      out.push({ status: h.status, headers: h.headers, body: "" });
      rest = h.rest;
    } else if (h.headers["transfer-encoding"] === "chunked") {
      const c = decodeChunked(h.rest);
      if (!c.complete) throw new Error("incomplete chunked body");
      out.push({ status: h.status, headers: h.headers, body: c.body });
      rest = c.rest;
    } else {
      const n = Number(h.headers["content-length"] ?? NaN);
      if (Number.isNaN(n)) {
        out.push({ status: h.status, headers: h.headers, body: h.rest }); // close-delimited
        rest = "";
      } else {
        out.push({ status: h.status, headers: h.headers, body: h.rest.slice(0, n) });
        rest = h.rest.slice(n);
      }
    }
  }
  return out;
}

describe("chunked framing (HTTP/1.1)", () => {
  it("each item is one chunk, the body ends with the last chunk, and the connection stays open", async () => {
    const r = await exchange(app.port, [get("/count?n=3") + get("/echo/after")], { idleMs: IDLE_MS });
    expect(r.closed).toBe(false);
    const h = splitHead(r.data)!;
    expect(h.version).toBe("HTTP/1.1");
    expect(h.headers["transfer-encoding"]).toBe("chunked");
    expect(h.headers["content-length"]).toBeUndefined();
    expect(h.headers.connection).toBeUndefined();
    expect(h.rest.startsWith("2\r\n0\n\r\n2\r\n1\n\r\n2\r\n2\n\r\n0\r\n\r\n")).toBe(true);
    const all = responses(r.data);
    expect(all.map((x) => [x.status, x.body])).toEqual([
      [200, "0\n1\n2\n"],
      [200, '{"id":"after"}'],
    ]);
  });

  it("a request with Connection: close gets the whole stream, then the close", async () => {
    const r = await exchange(app.port, [get("/count?n=2", "1.1", "Connection: close\r\n")], { idleMs: 1000 });
    expect(r.closed).toBe(true);
    const [one] = responses(r.data);
    expect(one.headers.connection).toBe("close");
    expect(one.body).toBe("0\n1\n");
  });
});

describe("HTTP/1.0 clients", () => {
  for (const extra of ["", "Connection: keep-alive\r\n"]) {
    it(`get a close-delimited body${extra ? " (even asking for keep-alive)" : ""}`, async () => {
      const r = await exchange(app.port, [get("/count?n=3", "1.0", extra)], { idleMs: 1000 });
      expect(r.closed).toBe(true);
      const h = splitHead(r.data)!;
      expect(h.status).toBe(200);
      expect(h.headers["transfer-encoding"]).toBeUndefined();
      expect(h.headers["content-length"]).toBeUndefined();
      expect(h.headers.connection).toBe("close");
      expect(h.rest).toBe("0\n1\n2\n");
    });
  }
});

describe("HEAD", () => {
  it("gets the head a GET would (chunked), no body, the source never pulled, and the connection goes on", async () => {
    await reset(app);
    const r = await exchange(app.port, [`HEAD /head-probe HTTP/1.1\r\nHost: t\r\n\r\n` + get("/echo/9")], {
      idleMs: IDLE_MS,
    });
    expect(r.closed).toBe(false);
    const all = responses(r.data, [0]);
    expect(all.map((x) => x.status)).toEqual([200, 200]);
    expect(all[0].headers["transfer-encoding"]).toBe("chunked");
    expect(all[1].body).toBe('{"id":"9"}');
    expect((await stats(app)).headPulls).toBe(0);
  });
});

describe("the pipeline", () => {
  it("a response after a stream waits for its last chunk, though it was ready first", async () => {
    const r = await exchange(app.port, [get("/slow") + get("/echo/7") + get("/count?n=1")], { idleMs: IDLE_MS });
    const all = responses(r.data);
    expect(all.map((x) => x.body)).toEqual(["abc", '{"id":"7"}', "0\n"]);
    // Nothing of the second response before the first one's end.
    expect(r.data.indexOf('{"id":"7"}')).toBeGreaterThan(r.data.indexOf("0\r\n\r\n"));
  });

  it("a stream behind a slower one is held until its turn, then sent whole and in order", async () => {
    const r = await exchange(app.port, [get("/slow") + get("/count?n=3") + get("/slow")], { idleMs: IDLE_MS });
    expect(responses(r.data).map((x) => x.body)).toEqual(["abc", "0\n1\n2\n", "abc"]);
  });
});
