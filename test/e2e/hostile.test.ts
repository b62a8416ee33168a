// Bad input from the network: the right 4xx, a closed connection, and a server that goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", {
    maxHeaderBytes: 4096,
    maxUrlBytes: 1024,
    maxHeaderCount: 20,
    maxBodyBytes: 64 * 1024,
    headersTimeoutMs: 300,
    keepAliveTimeoutMs: 400,
  });
});
afterAll(async () => {
  await app?.stop();
});

async function stillServes() {
  const r = await exchange(app.port, [get("/sync")], { responses: 1 });
  expect(parseResponses(r.data).responses[0]?.body).toBe('{"type":"sync"}');
}

/** Sends `bytes`, expects exactly one response with `status`, then a close. */
async function rejects(bytes: string, status: number) {
  const r = await exchange(app.port, [bytes], { idleMs: 1000 });
  const { responses } = parseResponses(r.data);
  expect(responses.map((x) => x.status)).toEqual([status]);
  expect(responses[0].headers.connection).toBe("close");
  expect(r.closed).toBe(true);
  await stillServes();
}

describe("limits", () => {
  it("URL longer than maxUrlBytes → 414", async () => {
    await rejects(get("/users/" + "a".repeat(2000)), 414);
  });

  it("headers larger than maxHeaderBytes → 431", async () => {
    await rejects(get("/sync", `X-Big: ${"b".repeat(5000)}\r\n`), 431);
  });

  it("more headers than maxHeaderCount → 431", async () => {
    const many = Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join("");
    await rejects(get("/sync", many), 431);
  });

  it("a Content-Length over maxBodyBytes → 413 before the body is read", async () => {
    await rejects(`POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: ${1 << 20}\r\n\r\n`, 413);
  });

  it("a chunked body growing past maxBodyBytes → 413", async () => {
    const chunk = "a".repeat(16 * 1024);
    const body = Array.from({ length: 6 }, () => `4000\r\n${chunk}\r\n`).join("") + "0\r\n\r\n";
    await rejects(`POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 413);
  });

  it("headers not complete within headersTimeoutMs → 408 (slowloris)", async () => {
    const t0 = Date.now();
    const r = await exchange(app.port, ["GET /sync HTTP/1.1\r\nHost: t\r\n", "X-Slow: 1\r\n"], {
      gapMs: 100,
      idleMs: 2000,
    });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
    await stillServes();
  });

  it("an idle keep-alive connection is closed quietly after keepAliveTimeoutMs", async () => {
    const r = await exchange(app.port, [get("/sync")], { idleMs: 3000 });
    expect(parseResponses(r.data).responses).toHaveLength(1);
    expect(r.closed).toBe(true);
  });
});

describe("RFC 9112 strictness", () => {
  const cases: [string, string][] = [
    ["Transfer-Encoding with Content-Length", "POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["duplicate Content-Length", "POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"],
    ["invalid Content-Length", "POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 5x\r\n\r\nhello"],
    ["Transfer-Encoding not ending in chunked", "POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"],
    ["obs-fold", "GET /sync HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["bare LF line ends", "GET /sync HTTP/1.1\nHost: t\n\n"],
    ["control character in a header value", "GET /sync HTTP/1.1\r\nHost: t\r\nX-A: a\x01b\r\n\r\n"],
    ["space before the colon", "GET /sync HTTP/1.1\r\nHost : t\r\n\r\n"],
    ["missing Host on HTTP/1.1", "GET /sync HTTP/1.1\r\n\r\n"],
    ["invalid method", "G@T /sync HTTP/1.1\r\nHost: t\r\n\r\n"],
    ["invalid version", "GET /sync HTTP/1.7\r\nHost: t\r\n\r\n"],
    ["chunk size overflow", "POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n"],
  ];
  it.each(cases)("%s → 400 and close", async (_name, bytes) => {
    await rejects(bytes, 400);
  });

  it("Transfer-Encoding on HTTP/1.0 → 400", async () => {
    await rejects("POST /echo-text HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  });

  it("bytes pipelined after a rejected request are never parsed as a request", async () => {
    const smuggled = get("/throw");
    const before = app.stderr().split("sync boom").length;
    const r = await exchange(app.port, [
      "POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\n" + smuggled,
    ]);
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(app.stderr().split("sync boom").length).toBe(before);
  });
});
