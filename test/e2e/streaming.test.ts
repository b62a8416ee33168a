/**
 * Streamed results over real sockets: stream(), async iterables, ReadableStreams and Node
 * Readables returned by handlers; backpressure from a client that does not read (the
 * producer stops being pulled), a client that goes mid-stream (req.signal aborts, the source
 * is stopped, the server serves the next connection), a source that throws, a big stream
 * with flat memory, and req.signal on a handler timeout.
 */
import type { Socket } from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { openSocket } from "../helpers/raw.js";
import type { Server } from "../../runtime/server.js";
import {
  CHUNK_KIB,
  compileStreamingApp,
  decodeChunked,
  reset,
  splitHead,
  startStreamingApp,
  stats,
  until,
} from "../helpers/streaming-app.js";

/** scripts/sanitize-native.sh runs this file against an AddressSanitizer build. */
const ASAN = /asan/.test(process.env.LD_PRELOAD ?? "");

let app: RunningApp;
beforeAll(async () => {
  app = await startStreamingApp("streaming");
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

/** Sends a GET on a fresh socket; returns the socket and a live view of what arrived. */
async function request(path: string, extra = ""): Promise<{ sock: Socket; data: () => string; closed: () => boolean }> {
  const sock = await openSocket(app.port);
  let data = "";
  let closed = false;
  sock.on("data", (d: Buffer) => (data += d.toString("latin1")));
  sock.on("close", () => (closed = true));
  sock.on("error", () => (closed = true));
  sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`);
  return { sock, data: () => data, closed: () => closed };
}

async function served(): Promise<void> {
  const r = await fetch(`${app.url}/echo/next`);
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ id: "next" });
}

describe("streamed results", () => {
  it("stream() of an async generator is sent chunked, one chunk per item", async () => {
    const r = await fetch(`${app.url}/count?n=4`);
    expect(r.status).toBe(200);
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    expect(r.headers.get("content-length")).toBeNull();
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(await r.text()).toBe("0\n1\n2\n3\n");
  });

  it("an async iterable returned directly is streamed too", async () => {
    expect(await (await fetch(`${app.url}/direct`)).text()).toBe("0\n1\n2\n");
  });

  it("an async handler's stream() keeps its status, headers and content type; framing headers are the server's", async () => {
    const r = await fetch(`${app.url}/async`);
    expect(r.status).toBe(201);
    expect(r.headers.get("x-stream")).toBe("yes");
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(r.headers.get("content-length")).toBeNull();
    expect(await r.text()).toBe("0\n1\n");
  });

  it("strings are UTF-8, bytes as they are, and an empty item sends nothing", async () => {
    const c = await request("/bytes");
    await until(async () => c.data().includes("0\r\n\r\n"), 3000, "the last chunk");
    const head = splitHead(c.data())!;
    const body = decodeChunked(head.rest);
    expect(body.complete).toBe(true);
    expect(Buffer.from(body.body, "latin1").toString("utf8")).toBe("hi!é");
    expect(body.sizes).toEqual([2, 1, 2]); // no zero-size chunk before the end
    c.sock.destroy();
  });

  it("a Web ReadableStream and a Node Readable are sources", async () => {
    expect(await (await fetch(`${app.url}/web`)).text()).toBe("web");
    expect(await (await fetch(`${app.url}/node`)).text()).toBe("node");
  });
});

describe("backpressure", () => {
  for (const [route, counter] of [
    ["/flood", "pulls"],
    ["/web-flood", "webPulls"],
    ["/node-flood", "nodePulls"],
  ] as const) {
    it(`a client that does not read stops ${route}'s producer; reading resumes it`, async () => {
      await reset(app);
      const c = await request(route);
      c.sock.pause(); // read nothing: the kernel's buffers fill, then the server's
      await until(async () => (await stats(app))[counter] > 0, 3000, "the first pull");
      // Let it fill everything it can, then look twice: no more pulls.
      await new Promise((r) => setTimeout(r, 800));
      const first = (await stats(app))[counter];
      await new Promise((r) => setTimeout(r, 600));
      const second = (await stats(app))[counter];
      expect(second).toBe(first);
      // Bounded by the socket buffers (about 4 MiB on loopback here) and the server's
      // high-water mark, not by the stream, which never ends.
      expect(first * CHUNK_KIB).toBeLessThan(24 * 1024);
      // Reading again pulls again.
      c.sock.resume();
      await until(async () => (await stats(app))[counter] > second + 10, 5000, "pulls after resume");
      c.sock.destroy();
      await served();
    });
  }
});

describe("the client goes mid-stream", () => {
  it("req.signal aborts, the generator's return() runs, and the server serves the next connection", async () => {
    await reset(app);
    const c = await request("/flood");
    await until(async () => c.data().length > 256 * 1024, 8000, "some of the stream");
    c.sock.destroy();
    await until(async () => {
      const s = await stats(app);
      return s.returned === 1 && s.aborted === 1;
    }, 8000, "return() and abort");
    const s = await stats(app);
    expect(s).toMatchObject({ started: 1, returned: 1, aborted: 1 });
    await served();
  });

  it("a ReadableStream is cancelled and a Node Readable destroyed", async () => {
    await reset(app);
    for (const route of ["/web-flood", "/node-flood"]) {
      const c = await request(route);
      await until(async () => c.data().length > 128 * 1024, 8000, "some of the stream");
      c.sock.destroy();
    }
    await until(async () => {
      const s = await stats(app);
      return s.cancelled === 1 && s.destroyed === 1;
    }, 3000, "cancel() and destroy()");
    await served();
  });
});

describe("a source that fails mid-stream", () => {
  it("a throw closes the connection without the last chunk, logged once", async () => {
    // One log line (JSON, through the server's logger) names the request and the error.
    const failures = () =>
      app
        .stderr()
        .split("\n")
        .filter((l) => l.includes("streamed response for GET /throw failed") && l.includes("boom mid-stream")).length;
    const before = failures();
    const c = await request("/throw");
    await until(async () => c.closed(), 3000, "the close");
    const head = splitHead(c.data())!;
    expect(head.status).toBe(200);
    const body = decodeChunked(head.rest);
    expect(body.body).toBe("one\n");
    expect(body.complete).toBe(false); // the client can tell the body is cut short
    await until(async () => failures() === before + 1, 2000, "the log line");
    await new Promise((r) => setTimeout(r, 100));
    expect(failures()).toBe(before + 1); // once
    await served();
  });

  it("an item that is neither text nor bytes is the same failure", async () => {
    const c = await request("/bad-chunk");
    await until(async () => c.closed(), 3000, "the close");
    const body = decodeChunked(splitHead(c.data())!.rest);
    expect(body).toMatchObject({ body: "ok", complete: false });
    expect(app.stderr()).toContain("only strings and bytes can be sent");
    await served();
  });
});

describe("a big stream", () => {
  it("40 MB go out with flat server memory", async () => {
    const rssBefore = ((await (await fetch(`${app.url}/rss`)).json()) as { rss: number }).rss;
    const r = await fetch(`${app.url}/big?mb=40`);
    let n = 0;
    let peak = rssBefore;
    let i = 0;
    for await (const part of r.body!) {
      n += (part as Uint8Array).byteLength;
      if (++i % 64 === 0) {
        peak = Math.max(peak, ((await (await fetch(`${app.url}/rss`)).json()) as { rss: number }).rss);
      }
    }
    expect(n).toBe(40 * 1024 * 1024);
    // Holding the stream would be 40 MB and more; what is in flight is a few chunks. (Under
    // AddressSanitizer freed chunks sit in its quarantine, so RSS says nothing there.)
    if (!ASAN) expect(peak - rssBefore).toBeLessThan(16 * 1024 * 1024);
  }, 60_000);
});

describe("req.signal", () => {
  it("is not aborted while the client waits, and costs a sync handler nothing visible", async () => {
    expect(await (await fetch(`${app.url}/signal-sync`)).json()).toEqual({ aborted: false });
  });

  it("aborts (AbortError) when the client of a pending async handler goes", async () => {
    await reset(app);
    const c = await request("/wait-signal");
    await new Promise((r) => setTimeout(r, 100));
    expect((await stats(app)).gone).toBe(0);
    c.sock.destroy();
    // The handler resumes only through the abort; its late answer is dropped.
    await until(async () => (await stats(app)).gone === 1, 3000, "the abort");
    await served();
  });

  it("aborts with a TimeoutError when the handler times out (handlerTimeoutMs)", async () => {
    const timed = await startStreamingApp("streaming-timeout", { handlerTimeoutMs: 150 });
    try {
      const r = await fetch(`${timed.url}/wait-signal`);
      expect(r.status).toBe(503);
      await until(async () => (await stats(timed)).timedOut === 1, 2000, "the timeout abort");
    } finally {
      await timed.stop();
    }
  }, 120_000);
});

describe("server.inject()", () => {
  it("reads a streamed response whole, through the real server", async () => {
    const out = await compileStreamingApp("streaming-inject");
    const { server } = (await import(pathToFileURL(path.join(out, "server.js")).href)) as { server: Server };
    try {
      const r = await server.inject({ url: "/count?n=3" });
      expect(r.status).toBe(200);
      expect(r.headers["transfer-encoding"]).toBe("chunked");
      expect(r.text()).toBe("0\n1\n2\n");
      const ev = await server.inject({ url: "/events?n=0" });
      expect(ev.headers["content-type"]).toBe("text/event-stream");
      expect(ev.text()).toContain("event: greeting\nid: 1\ndata: hello\ndata: world\n\n");
    } finally {
      await server.close();
    }
  }, 120_000);
});
