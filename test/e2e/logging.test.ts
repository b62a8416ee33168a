/**
 * The server's own messages through the `logger` listen option (a real pino instance writing
 * to a stream read here), the default JSON-lines logger on stderr, request ids, and the
 * access log (`accessLog`): real servers on 127.0.0.1, real sockets.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import type { Server } from "../../runtime/server.js";
import { copyFixture, ROOT } from "../compiler/helpers.js";
import { serve } from "../helpers/app.js";
import { exchange, get, openSocket, parseResponses } from "../helpers/raw.js";

type Line = Record<string, unknown> & { level: number; msg: string; time: number };

let server: Server;
let outDir: string;

beforeAll(async () => {
  const dir = copyFixture("logs");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.ok).toBe(true);
  outDir = path.join(dir, ".catzilla");
  ({ server } = (await import(pathToFileURL(path.join(outDir, "server.js")).href)) as { server: Server });
}, 120_000);

afterEach(async () => {
  await server?.close();
});
afterAll(async () => {
  await server?.close();
});

/** A pino logger whose lines land, parsed, in `lines`. */
function capture(level = "debug"): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l !== "") lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting for a log line");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;

describe("logger: the server's own messages", () => {
  it("a pino logger gets the start line (address, port), and the close lines", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    const start = lines.find((l) => l.msg.startsWith("listening"));
    expect(start).toMatchObject({ level: 30, name: "catzilla", address: "127.0.0.1", port: server.port });
    await server.close();
    expect(lines.map((l) => l.msg)).toEqual([start!.msg, "closing: draining connections", "closed"]);
  });

  it.each([
    ["/throw", "sync boom"],
    ["/reject", "async boom"],
  ])("%s: a 500, one error line with method, path, request id and the stack; the next request is served", async (p, message) => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    const res = await fetch(url(p));
    expect(res.status).toBe(500);
    expect((await fetch(url("/ok"))).status).toBe(200);
    await until(() => lines.some((l) => l.level === 50));
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: "catzilla", method: "GET", path: p, msg: `handler for GET ${p} failed` });
    expect(errors[0].reqId).toMatch(/^[1-9]\d*$/);
    const err = errors[0].err as { type: string; message: string; stack: string };
    expect(err.type).toBe("Error");
    expect(err.message).toBe(message);
    expect(err.stack).toContain(`Error: ${message}\n    at `);
  });

  it("a blocking route's failure on its worker thread is logged by the server's logger", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    expect((await fetch(url("/blocking-throw"))).status).toBe(500);
    expect((await fetch(url("/ok"))).status).toBe(200);
    await until(() => lines.some((l) => l.level === 50));
    const [e] = lines.filter((l) => l.level === 50);
    expect(e).toMatchObject({ method: "GET", path: "/blocking-throw", msg: "handler for GET /blocking-throw failed" });
    expect(e.reqId).toMatch(/^\d+$/);
    expect(e.err).toMatchObject({ type: "Error", message: "worker boom" });
    expect((e.err as { stack: string }).stack).toContain("app.js"); // the worker's stack, not the main thread's
    expect((e.err as { stack: string }).stack).toContain("Error: worker boom\n");
  });

  it("an HttpError is an answer, not a failure: nothing at error level", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    expect((await fetch(url("/teapot"))).status).toBe(418);
    expect((await fetch(url("/ok"))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("a logger without child() is used as given; logger: false writes nothing", async () => {
    const got: [string, object, string?][] = [];
    const plain = {
      debug: (o: object, m?: string) => got.push(["debug", o, m]),
      info: (o: object, m?: string) => got.push(["info", o, m]),
      warn: (o: object, m?: string) => got.push(["warn", o, m]),
      error: (o: object, m?: string) => got.push(["error", o, m]),
    };
    await server.listen({ port: 0, logger: plain });
    expect((await fetch(url("/throw"))).status).toBe(500);
    await server.close();
    expect(got.map((g) => g[0])).toEqual(["info", "error", "info", "info"]);
    expect(got[1][1]).toMatchObject({ method: "GET", path: "/throw" });
    expect((got[1][1] as { err: Error }).err).toBeInstanceOf(Error);

    await server.listen({ port: 0, logger: false });
    expect((await fetch(url("/throw"))).status).toBe(500);
    expect((await fetch(url("/ok"))).status).toBe(200);
  });

  it("C's own log lines reach the logger too (a status C refuses: 500, the server goes on)", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    expect((await fetch(url("/bad-status"))).status).toBe(500);
    expect((await fetch(url("/ok"))).status).toBe(200);
    await until(() => lines.some((l) => l.source === "native"));
    expect(lines.filter((l) => l.source === "native")).toMatchObject([
      { level: 50, name: "catzilla", msg: "handler returned invalid status 150; answering 500" },
    ]);
  });

  it("a logger that throws costs its line only: the request is answered, the server goes on", async () => {
    const boom = () => {
      throw new Error("logger down");
    };
    await server.listen({ port: 0, logger: { debug: boom, info: boom, warn: boom, error: boom } });
    expect((await fetch(url("/throw"))).status).toBe(500);
    expect((await fetch(url("/ok"))).status).toBe(200);
  });

  it("a logger that is not one is refused at listen", async () => {
    await expect(server.listen({ port: 0, logger: { info: () => {} } as never })).rejects.toThrow(/logger/);
    await expect(server.listen({ port: 0, accessLog: "yes" as never })).rejects.toThrow(/accessLog/);
  });
});

describe("req.id", () => {
  it("a counter per request, distinct across requests and connections, the one the error line names", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger });
    const a = ((await (await fetch(url("/id"))).json()) as { id: string }).id;
    const b = ((await (await fetch(url("/id"))).json()) as { id: string }).id;
    expect(Number(b)).toBeGreaterThan(Number(a));
    // Requests answered in C (404) take an id too.
    expect((await fetch(url("/nope"))).status).toBe(404);
    const c = ((await (await fetch(url("/ip-async"))).json()) as { id: string }).id;
    expect(Number(c)).toBe(Number(b) + 2);
    expect((await fetch(url("/throw"))).status).toBe(500);
    await until(() => lines.some((l) => l.level === 50));
    expect(lines.find((l) => l.level === 50)!.reqId).toBe(String(Number(c) + 1));
  });
});

describe("the default logger: JSON lines on stderr", () => {
  it("every line parses, with pino's fields; the handler error names method, path, request id and stack; access lines too", async () => {
    const app = await serve(outDir, { accessLog: true });
    try {
      expect((await fetch(`${app.url}/throw`)).status).toBe(500);
      expect((await fetch(`${app.url}/ok`)).status).toBe(200);
      await until(() => app.stderr().includes("sync boom") && app.stderr().split("request completed").length === 3);
    } finally {
      await app.stop();
    }
    // The child's last stderr bytes may arrive after its exit event.
    await until(() => app.stderr().includes('"msg":"closed"'));
    const lines = app
      .stderr()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
    for (const l of lines) {
      expect(Object.keys(l).slice(0, 4)).toEqual(["level", "time", "pid", "hostname"]);
      expect(typeof l.msg).toBe("string");
      expect(Math.abs(l.time - Date.now())).toBeLessThan(60_000);
    }
    expect(lines[0]).toMatchObject({ level: 30, name: "catzilla", address: "127.0.0.1", port: app.port });
    const err = lines.find((l) => l.level === 50)!;
    expect(err).toMatchObject({ method: "GET", path: "/throw", msg: "handler for GET /throw failed" });
    expect(err.reqId).toMatch(/^\d+$/);
    expect((err.err as { stack: string }).stack).toMatch(/^Error: sync boom\n {4}at /);
    // Access lines: written in one string per drain, the same fields as through pino.
    const access = lines.filter((l) => l.msg === "request completed");
    expect(access.map((l) => [l.method, l.path, l.status, l.remoteAddress, l.name])).toEqual([
      ["GET", "/throw", 500, "127.0.0.1", "catzilla"],
      ["GET", "/ok", 200, "127.0.0.1", "catzilla"],
    ]);
    expect(access[0].reqId).toBe(err.reqId);
    expect(Object.keys(access[0])).toEqual([
      "level", "time", "pid", "hostname", "name", "reqId", "method", "path", "status", "bytes",
      "durationMs", "remoteAddress", "remotePort", "endTime", "msg",
    ]);
    expect(lines.at(-1)!.msg).toBe("closed");
  });
});

describe("accessLog", () => {
  it("with logger: false, accessLog: true still writes its lines (JSON on stderr), and nothing else", async () => {
    const app = await serve(outDir, { logger: false, accessLog: true });
    try {
      expect((await fetch(`${app.url}/throw`)).status).toBe(500);
      await until(() => app.stderr().includes("request completed"));
    } finally {
      await app.stop();
    }
    const lines = app
      .stderr()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => [l.msg, l.path, l.status])).toEqual([["request completed", "/throw", 500]]);
  });

  it("one line per request (C-answered ones too), with method, path, status, bytes, duration, id and peer", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger, accessLog: true });
    const ids: string[] = [];
    const statuses: number[] = [];
    for (const p of ["/ok", "/const", "/nope", "/throw", "/id?x=1", "/reject", "/ip-async"]) {
      const res = await fetch(url(p));
      statuses.push(res.status);
      if (p.startsWith("/id")) ids.push(((await res.json()) as { id: string }).id);
      else await res.arrayBuffer();
    }
    const post = await fetch(url("/echo"), { method: "POST", body: "x".repeat(20_000) });
    expect((await post.text()).length).toBe(20_000);
    await until(() => lines.filter((l) => l.msg === "request completed").length >= 8);
    const access = lines.filter((l) => l.msg === "request completed");
    expect(access).toHaveLength(8);
    expect(access.map((l) => [l.method, l.path, l.status])).toEqual([
      ["GET", "/ok", 200],
      ["GET", "/const", 200],
      ["GET", "/nope", 404],
      ["GET", "/throw", 500],
      ["GET", "/id", 200],
      ["GET", "/reject", 500],
      ["GET", "/ip-async", 200],
      ["POST", "/echo", 200],
    ]);
    expect(statuses).toEqual([200, 200, 404, 500, 200, 500, 200]);
    expect(access[4].reqId).toBe(ids[0]);
    const reqIds = access.map((l) => Number(l.reqId));
    expect(reqIds).toEqual(reqIds.map((_, i) => reqIds[0] + i));
    for (const l of access) {
      expect(l).toMatchObject({ level: 30, remoteAddress: "127.0.0.1" });
      expect(l.remotePort).toBeGreaterThan(0);
      expect(l.durationMs).toBeGreaterThanOrEqual(0);
      expect(Math.abs((l.endTime as number) - Date.now())).toBeLessThan(10_000);
    }
    expect(access[7].bytes).toBeGreaterThan(20_000); // a body queued apart (>= 16 KiB) counts
    // It slept 20 ms. A timer counts from the loop's cached time, which can be behind the
    // real one by the work done earlier in that loop turn: never by 15 ms here.
    expect(access[5].durationMs).toBeGreaterThanOrEqual(5);
  });

  it("bytes are the bytes the client read, and the peer is the client's socket; ids follow the pipeline's order", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger, accessLog: true });
    const sock = await openSocket(server.port);
    const localPort = sock.localPort;
    sock.destroy();
    // A body of 16 KiB or more is queued apart from the head (a body source): counted too.
    const big = "y".repeat(40_000);
    const post = `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${big.length}\r\n\r\n${big}`;
    const r = await exchange(server.port, [get("/ok") + post + get("/nope") + get("/const", "Connection: close\r\n")], {
      responses: 4,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([200, 200, 404, 200]);
    expect(responses[1].body).toBe(big);
    await until(() => lines.filter((l) => l.msg === "request completed").length >= 4);
    // Lines come as responses are ready (the async echo after the 404 queued behind it);
    // the ids are the requests' order.
    const access = lines.filter((l) => l.msg === "request completed").sort((a, b) => Number(a.reqId) - Number(b.reqId));
    expect(access.map((l) => l.path)).toEqual(["/ok", "/echo", "/nope", "/const"]);
    expect(access.map((l) => Number(l.reqId) - Number(access[0].reqId))).toEqual([0, 1, 2, 3]);
    expect(access.reduce((n, l) => n + (l.bytes as number), 0)).toBe(Buffer.byteLength(r.data, "latin1"));
    expect(new Set(access.map((l) => l.remotePort)).size).toBe(1);
    expect(access[0].remotePort).not.toBe(localPort);
  });

  it("a file's and a stream's bytes are all their pieces' bytes (head, every chunk, the last chunk)", async () => {
    const dir = path.join(ROOT, "test", ".tmp", "logs-static");
    fs.mkdirSync(dir, { recursive: true });
    // Larger than one 128 KiB read: the file leaves in several pieces.
    fs.writeFileSync(path.join(dir, "big.bin"), Buffer.alloc(300_000, 7));
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger, accessLog: true });
    const r = await exchange(server.port, [get("/files/big.bin") + get("/stream") + get("/ok", "Connection: close\r\n")], {
      responses: 3,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(responses[0].body.length).toBe(300_000);
    expect(responses[1].body).toBe("s".repeat(50_000));
    await until(() => lines.filter((l) => l.msg === "request completed").length >= 3);
    const access = lines.filter((l) => l.msg === "request completed").sort((a, b) => Number(a.reqId) - Number(b.reqId));
    expect(access.map((l) => l.path)).toEqual(["/files/big.bin", "/stream", "/ok"]);
    expect(access[0].bytes).toBeGreaterThan(300_000);
    expect(access[1].bytes).toBeGreaterThan(50_000);
    expect(access.reduce((n, l) => n + (l.bytes as number), 0)).toBe(Buffer.byteLength(r.data, "latin1"));
  });

  it("a rejected request (400) is logged; the server serves the next one", async () => {
    const { logger, lines } = capture();
    await server.listen({ port: 0, logger, accessLog: true });
    const r = await exchange(server.port, ["GET /ok HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n"]);
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([400]);
    expect((await fetch(url("/ok"))).status).toBe(200);
    await until(() => lines.filter((l) => l.msg === "request completed").length >= 2);
    const access = lines.filter((l) => l.msg === "request completed");
    expect(access.map((l) => l.status)).toEqual([400, 200]);
  });

  it("to a logger of its own; the lines of the last requests are written at close; off by default", async () => {
    const main = capture();
    const own = capture();
    await server.listen({ port: 0, logger: main.logger, accessLog: own.logger });
    for (let i = 0; i < 30; i++) expect((await fetch(url("/ok"))).status).toBe(200);
    await server.close(); // no wait: the close drains what the timer has not taken yet
    expect(own.lines.filter((l) => l.msg === "request completed")).toHaveLength(30);
    expect(main.lines.filter((l) => l.msg === "request completed")).toHaveLength(0);

    const off = capture();
    await server.listen({ port: 0, logger: off.logger, accessLog: false });
    expect((await fetch(url("/ok"))).status).toBe(200);
    await server.close();
    expect(off.lines.filter((l) => l.msg === "request completed")).toHaveLength(0);
  });
});
