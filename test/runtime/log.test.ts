// The pure parts of logging and proxies: the default JSON-lines logger, error serialization,
// Forwarded parsing, address formatting of access log records.
import { describe, expect, it } from "vitest";
import { decodeAccessBatch, formatAccessLines, formatAddress } from "../../runtime/access-log.js";
import { ALOG, ALOG_STRIDE } from "../../runtime/abi.js";
import { deserializeError, jsonLogger, serializeError } from "../../runtime/log.js";
import { clientIp, compileTrust, nodeAddress, parseForwarded } from "../../runtime/proxy.js";

describe("jsonLogger", () => {
  it("writes one JSON object per line with pino's field names and level numbers; below the level, nothing", () => {
    const out: string[] = [];
    const log = jsonLogger({ write: (l) => out.push(l), level: "info" });
    log.debug({ a: 1 }, "hidden");
    log.info({ a: 1 }, "shown");
    log.warn("text only");
    log.child!({ name: "x" }).error({ err: new TypeError("bad") }, "failed");
    expect(out.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, "shown"],
      [40, "text only"],
      [50, "failed"],
    ]);
    expect(Object.keys(lines[0])).toEqual(["level", "time", "pid", "hostname", "a", "msg"]);
    expect(lines[2].name).toBe("x");
    expect(lines[2].err).toMatchObject({ type: "TypeError", message: "bad" });
    expect((lines[2].err as { stack: string }).stack).toMatch(/^TypeError: bad\n/);
  });

  it("a field that cannot be serialized does not throw", () => {
    const out: string[] = [];
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    jsonLogger({ write: (l) => out.push(l) }).info({ cyc, n: 10n }, "m");
    expect(JSON.parse(out[0])).toMatchObject({ level: 30, msg: "m" });
  });

  it("serializeError keeps own fields and causes", () => {
    const e = Object.assign(new Error("outer", { cause: new Error("inner") }), { code: "E_X" });
    expect(serializeError(e)).toMatchObject({ type: "Error", message: "outer", code: "E_X", cause: { message: "inner" } });
    expect(serializeError("str")).toEqual({ type: "string", message: "str" });
  });

  it("deserializeError gives back an Error of the same class, message, stack and fields", () => {
    const e = Object.assign(new TypeError("bad", { cause: new RangeError("inner") }), { code: "E_T" });
    const back = deserializeError(structuredClone(serializeError(e)));
    expect(back).toBeInstanceOf(TypeError);
    expect([back.message, back.stack, (back as { code?: string }).code]).toEqual(["bad", e.stack, "E_T"]);
    expect(back.cause).toBeInstanceOf(RangeError);
    class MyError extends Error {
      override name = "MyError";
    }
    const mine = deserializeError(serializeError(new MyError("x")));
    expect([mine instanceof Error, mine.name, mine.message]).toEqual([true, "MyError", "x"]);
  });
});

describe("Forwarded (RFC 7239)", () => {
  it.each([
    ["for=192.0.2.60;proto=http;by=203.0.113.43", [{ for: "192.0.2.60", proto: "http", by: "203.0.113.43" }]],
    ['for="[2001:db8:cafe::17]:4711"', [{ for: "[2001:db8:cafe::17]:4711" }]],
    ["for=192.0.2.43, for=198.51.100.17", [{ for: "192.0.2.43" }, { for: "198.51.100.17" }]],
    ['FOR="a\\"b" ; Host=x.example', [{ for: 'a"b', host: "x.example" }]],
    ['for="unterminated, for=1.2.3.4', []],
    ["", []],
  ])("%s", (header, want) => {
    expect(parseForwarded(header)).toEqual(want);
  });

  it("node addresses lose brackets and ports; names stay", () => {
    expect(nodeAddress("[2001:db8::1]:4711")).toBe("2001:db8::1");
    expect(nodeAddress("192.0.2.43:47011")).toBe("192.0.2.43");
    expect(nodeAddress("2001:db8::1")).toBe("2001:db8::1");
    expect(nodeAddress("unknown")).toBe("unknown");
  });
});

describe("trust", () => {
  const hdr = (h: Record<string, string>) => (n: string) => h[n];
  it("IPv4-mapped peers match IPv4 entries (as Express and Fastify)", () => {
    const trust = compileTrust(["127.0.0.1"]);
    expect(clientIp("::ffff:127.0.0.1", hdr({ "x-forwarded-for": "1.2.3.4" }), trust)).toBe("1.2.3.4");
    expect(clientIp("::ffff:10.0.0.1", hdr({ "x-forwarded-for": "1.2.3.4" }), trust)).toBe("::ffff:10.0.0.1");
  });
  it("false, 0 and [] trust no one", () => {
    expect(compileTrust(false)).toBeUndefined();
    expect(compileTrust(0)).toBeUndefined();
    expect(compileTrust([])).toBeUndefined();
  });
});

describe("formatAddress", () => {
  const v6 = (hex: string) => {
    const b = Buffer.from(hex.replace(/:/g, ""), "hex");
    return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 16));
  };
  it.each([
    ["0000:0000:0000:0000:0000:0000:0000:0001", "::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"],
    ["0000:0000:0000:0000:0000:ffff:7f00:0001", "::ffff:127.0.0.1"],
    ["fe80:0000:0000:0000:0000:0000:0000:0000", "fe80::"],
  ])("%s → %s (as inet_ntop)", (hex, want) => {
    expect(formatAddress(6, v6(hex), 0)).toBe(want);
  });
  it("IPv4, and no address", () => {
    expect(formatAddress(4, new Int32Array(new Uint8Array([10, 0, 0, 255]).buffer), 0)).toBe("10.0.0.255");
    expect(formatAddress(0, new Int32Array(4), 0)).toBe("");
  });
});

describe("access log records", () => {
  it("formatAccessLines writes, per record, the fields decodeAccessBatch gives (one JSON line each)", () => {
    const paths = Buffer.from('/a/b"q\\/x');
    const recs = new Int32Array(3 * ALOG_STRIDE);
    const put = (i: number, v: Partial<Record<keyof typeof ALOG, number>>) => {
      for (const [k, x] of Object.entries(v)) recs[i * ALOG_STRIDE + ALOG[k as keyof typeof ALOG]] = x;
    };
    put(0, { ID: 7, METHOD: 1, STATUS: 200, FAMILY: 4, BYTES_LO: 130, DUR_US: 1500, END_LO: 1_000_000, PORT: 5000, ADDR: 0x0100007f, PATH_OFF: 0, PATH_LEN: 7 });
    put(1, { ID: -1, METHOD: -1, STATUS: 400, FAMILY: 0, BYTES_HI: 1, BYTES_LO: -1, PATH_OFF: 0, PATH_LEN: 0 });
    put(2, { ID: 9, METHOD: 3, STATUS: 201, FAMILY: 4, BYTES_LO: 10, END_LO: 3_000_000, ADDR: 0x0100007f, PATH_OFF: 7, PATH_LEN: 2 });
    const batch = { recs, paths, nowHi: 0, nowLo: 5_000_000, dropped: 0 };
    const decoded = decodeAccessBatch(batch, 1000);
    expect(decoded.map((d) => [d.reqId, d.method, d.path, d.status, d.bytes, d.durationMs, d.remoteAddress, d.endTime])).toEqual([
      ["7", "GET", '/a/b"q\\', 200, 130, 1.5, "127.0.0.1", 996],
      ["4294967295", "-", "", 400, 2 ** 33 - 1, 0, "", 995],
      ["9", "POST", "/x", 201, 10, 0, "127.0.0.1", 998],
    ]);
    const text = formatAccessLines(batch, 1000, '{"level":30,"time":1000,');
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(decoded.map((d) => ({ level: 30, time: 1000, ...d, msg: "request completed" })));
  });
});
