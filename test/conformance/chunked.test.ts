// RFC 9112 7.1: the chunked coding. Every part of it a client can make endless (the
// chunk-size line, chunk extensions, trailers) is bounded, so one connection cannot keep a
// core busy for ever (the shape of CVE-2024-22019); trailers may not carry framing fields.
import { afterAll, beforeAll, describe, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { get } from "../helpers/raw.js";
import { check, flood, MODES, post, type Case } from "./helpers.js";

const KIB = 1024;
/** The target: an endless chunk line is cut within this many bytes (Node: 64-128 KiB). */
const CUT_WITHIN = 128 * KIB;
/** What may be in flight between our writes and the server's reads when it answers. */
const SLACK = 16 * KIB;
const TE = "Transfer-Encoding: chunked\r\n";
const NEXT = get("/sync");
const SYNC = '{"type":"sync"}';

const refused = (name: string, body: string): Case => ({ name, req: post(TE, body) + NEXT, statuses: [400], close: true });
const served = (name: string, body: string, echo: string): Case => ({
  name,
  req: post(TE, body) + NEXT,
  statuses: [200, 200],
  close: false,
  bodies: [echo, SYNC],
});

const CASES: Case[] = [
  served("a chunk extension", "5;name=value\r\nhello\r\n0\r\n\r\n", "hello"),
  served("two chunk extensions", "5;a=b;c\r\nhello\r\n0\r\n\r\n", "hello"),
  served("a quoted chunk extension", '5;name="v a l"\r\nhello\r\n0;x\r\n\r\n', "hello"),
  served("a harmless trailer", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", "hello"),
  served("zeros before the chunk size", "0005\r\nhello\r\n000\r\n\r\n", "hello"),
  // Trailers named like the fields that frame or route the message (RFC 9110 6.5.1).
  refused("a Content-Length trailer", "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n"),
  refused("a lower-case content-length trailer", "5\r\nhello\r\n0\r\ncontent-length: 40\r\n\r\n"),
  refused("a Transfer-Encoding trailer", "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n"),
  refused("a Host trailer", "5\r\nhello\r\n0\r\nHost: evil.example\r\n\r\n"),
  // The trailer section follows the header section's syntax.
  refused("a folded trailer", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n folded\r\n\r\n"),
  refused("a trailer with a space before the colon", "5\r\nhello\r\n0\r\nX-Trailer : 1\r\n\r\n"),
  // The chunk lines themselves.
  refused("whitespace after the chunk size", "5 \r\nhello\r\n0\r\n\r\n"),
  refused("bare LF after the chunk size", "5\nhello\r\n0\r\n\r\n"),
  refused("chunk data longer than its size", "5\r\nhello!\r\n0\r\n\r\n"),
  refused("a chunk size that is not hexadecimal", "5g\r\nhello\r\n0\r\n\r\n"),
  refused("a negative chunk size", "-5\r\nhello\r\n0\r\n\r\n"),
  refused("a control character in a chunk extension", "5;a=\x01\r\nhello\r\n0\r\n\r\n"),
];

let app: RunningApp;
let small: RunningApp;
beforeAll(async () => {
  [app, small] = await Promise.all([
    serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 3000 }),
    serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 3000, maxHeaderBytes: 4096, maxBodyBytes: 64 * KIB }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.stop(), small?.stop()]);
});

describe.each(MODES)("chunked coding (%s)", (mode) => {
  it.concurrent.for(CASES)("$name", async (c, { expect }) => {
    await check(expect, app.port, c, mode);
  });
});

describe("endless chunk lines are cut (default limits)", () => {
  const head = post(TE);
  it.concurrent.for([
    ["an endless chunk extension", "1;x=", "a".repeat(4 * KIB)],
    ["an endless list of chunk extensions", "1", ";x=y".repeat(KIB)],
    ["an endless chunk-size line of zeros", "", "0".repeat(4 * KIB)],
  ])("%s → 413 within 128 KiB, closed", async ([_name, start, piece], { expect }) => {
    const f = await flood(app.port, head + start, piece, 8 * CUT_WITHIN);
    expect(f.outcome.statuses).toEqual([413]);
    expect(f.outcome.responses[0].headers.connection).toBe("close");
    expect(f.outcome.closed).toBe(true);
    expect(f.sentBefore).toBeLessThanOrEqual(CUT_WITHIN + SLACK);
    await check(expect, app.port, { name: "after", req: NEXT, statuses: [200], close: false, bodies: [SYNC] }, "whole");
  });

  it("an endless trailer section → 431 within maxHeaderBytes, closed", async ({ expect }) => {
    const f = await flood(small.port, head + "5\r\nhello\r\n0\r\n", "X-Trailer: " + "t".repeat(100) + "\r\n", 8 * CUT_WITHIN);
    expect(f.outcome.statuses).toEqual([431]);
    expect(f.outcome.closed).toBe(true);
    expect(f.sentBefore).toBeLessThanOrEqual(4096 + SLACK);
  });

  it("an endless trailer line → 431 within maxHeaderBytes, closed", async ({ expect }) => {
    const f = await flood(small.port, head + "5\r\nhello\r\n0\r\nX-Trailer: ", "t".repeat(KIB), 8 * CUT_WITHIN);
    expect(f.outcome.statuses).toEqual([431]);
    expect(f.outcome.closed).toBe(true);
    expect(f.sentBefore).toBeLessThanOrEqual(4096 + SLACK);
  });

  it("extensions on many small chunks count against maxBodyBytes → 413, closed", async ({ expect }) => {
    // 1 KiB of extension per 1-byte chunk: the body is tiny, what the server reads is not.
    const f = await flood(small.port, head, `1;x=${"e".repeat(KIB)}\r\nx\r\n`, 8 * CUT_WITHIN);
    expect(f.outcome.statuses).toEqual([413]);
    expect(f.outcome.closed).toBe(true);
    expect(f.sentBefore).toBeLessThanOrEqual(64 * KIB + SLACK);
  });
});
