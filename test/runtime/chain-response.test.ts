/**
 * What next() gives a middleware (runtime/chain-response.ts): Fetch-Headers-like header
 * lines, the status, the untouched value passed through as it was, and a changed response
 * sent as the writer would send it.
 */
import { describe, expect, it } from "vitest";
import { ChainResponse, HeaderList, PendingResponse } from "../../runtime/chain-response.js";
import { CzResponse, json } from "../../runtime/response.js";
import { encodeResult } from "../../runtime/writer.js";

const sent = (r: ChainResponse) => encodeResult(r.result());

describe("ChainResponse", () => {
  it("passes the handler's value through untouched when nothing reads or changes it", () => {
    const value = { a: 1 };
    expect(new ChainResponse(value).result()).toBe(value);
  });

  it("reads and changes status and headers of a plain value", () => {
    const r = new ChainResponse({ a: 1 });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    r.status = 201;
    r.headers.set("X-Id", "7");
    expect(sent(r)).toEqual({ status: 201, head: "Content-Type: application/json\r\nX-Id: 7\r\n", body: '{"a":1}' });
  });

  it("refuses a status outside 200..599 and header values with CR/LF", () => {
    const r = new ChainResponse("x");
    expect(() => (r.status = 99)).toThrow(RangeError);
    expect(() => r.headers.set("x-a", "a\r\nb: c")).toThrow(TypeError);
    expect(() => r.headers.append("bad name", "v")).toThrow(TypeError);
  });

  it("drops framing headers the server owns", () => {
    const r = new ChainResponse("x");
    r.headers.set("Content-Length", "99");
    r.headers.append("connection", "close");
    expect(sent(r).head).toBe("Content-Type: text/plain; charset=utf-8\r\n");
  });
});

describe("HeaderList", () => {
  it("is case-insensitive; set replaces every line of the name, append adds one", () => {
    const h = new HeaderList("Content-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n");
    expect(h.get("X-a")).toBe("1, 2");
    expect(h.has("x-A")).toBe(true);
    h.set("x-a", "3");
    expect(h.get("x-a")).toBe("3");
    h.append("X-B", "4");
    h.delete("content-type");
    expect([...h]).toEqual([
      ["x-a", "3"],
      ["x-b", "4"],
    ]);
    expect(h.text()).toBe("x-a: 3\r\nX-B: 4\r\n");
  });

  it("keeps Set-Cookie lines apart", () => {
    const r = new ChainResponse(json({ ok: true }, { headers: { "Set-Cookie": ["a=1", "b=2"] } }));
    r.headers.append("Set-Cookie", "c=3");
    expect(r.headers.getSetCookie()).toEqual(["a=1", "b=2", "c=3"]);
    expect(sent(r).head).toBe("Content-Type: application/json\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nSet-Cookie: c=3\r\n");
  });

  it("set of a name already among the unparsed lines replaces it, not adds", () => {
    const h = new HeaderList("Content-Type: text/plain\r\nVary: Accept\r\n");
    h.set("vary", "Origin");
    expect(h.text()).toBe("Content-Type: text/plain\r\nvary: Origin\r\n");
  });
});

describe("PendingResponse (next() in a route with an async link)", () => {
  it("applies headers and status set before it settles; reading them first says to await", async () => {
    const p = new PendingResponse(Promise.resolve(new CzResponse(200, "x", "text/plain", undefined)));
    p.headers.set("x-early", "1");
    p.status = 202;
    expect(() => p.status).toThrow(/await next\(\)/);
    expect(() => p.headers.get("x-early")).toThrow(/await next\(\)/);
    const r = await p;
    expect(sent(r)).toEqual({ status: 202, head: "Content-Type: text/plain\r\nx-early: 1\r\n", body: "x" });
  });
});
