/**
 * sse() over real sockets: the event-stream format (event, id, retry, multi-line and JSON
 * data), its headers, the heartbeat comment while the source is quiet, the source stopped
 * (its iterator's return()) and req.signal aborted when the client goes, and an event that
 * cannot be sent (a newline in its name) ending the stream without its last chunk.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApp } from "../helpers/app.js";
import { openSocket } from "../helpers/raw.js";
import { decodeChunked, reset, splitHead, startStreamingApp, stats, until } from "../helpers/streaming-app.js";

let app: RunningApp;
beforeAll(async () => {
  app = await startStreamingApp("sse");
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

async function request(path: string): Promise<{ sock: Socket; data: () => string; closed: () => boolean }> {
  const sock = await openSocket(app.port);
  let data = "";
  let closed = false;
  sock.on("data", (d: Buffer) => (data += d.toString("latin1")));
  sock.on("close", () => (closed = true));
  sock.on("error", () => (closed = true));
  sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  return { sock, data: () => data, closed: () => closed };
}

describe("sse()", () => {
  it("sends text/event-stream, no-cache, and each event in the wire format", async () => {
    const r = await fetch(`${app.url}/events?n=2`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    expect(await r.text()).toBe(
      "event: greeting\nid: 1\ndata: hello\ndata: world\n\n" +
        'retry: 500\ndata: {"n":1,"list":[1,2]}\n\n' +
        "data: plain\n\n" +
        "id: e0\ndata: 0\n\n" +
        "id: e1\ndata: 1\n\n",
    );
  });

  it("each event leaves as it is produced, one chunk per event", async () => {
    const c = await request("/events?n=0");
    await until(async () => c.data().includes("0\r\n\r\n"), 3000, "the end");
    const body = decodeChunked(splitHead(c.data())!.rest);
    expect(body.complete).toBe(true);
    expect(body.sizes.length).toBe(3);
    c.sock.destroy();
  });

  it("sends a ':' comment every heartbeatMs while the source is quiet", async () => {
    await reset(app);
    const c = await request("/quiet");
    await until(async () => (c.data().match(/:\n\n/g)?.length ?? 0) >= 3, 5000, "three heartbeats");
    const head = splitHead(c.data())!;
    expect(head.headers["content-type"]).toBe("text/event-stream");
    const body = decodeChunked(head.rest);
    // 50 ms heartbeats while the source says nothing: several, and nothing else.
    expect(body.body).toMatch(/^(:\n\n){3,}$/);
    expect(body.complete).toBe(false);
    c.sock.destroy();
    // Leaving stops the source (its finally ran through return()) and aborts req.signal.
    await until(async () => {
      const s = await stats(app);
      return s.quietReturned === 1 && s.quietAborted === 1;
    }, 3000, "the source's return()");
  });

  it("calls a hand-written source iterator's return() when the client goes", async () => {
    await reset(app);
    const c = await request("/quiet-it");
    await until(async () => c.data().includes(":\n\n"), 3000, "a heartbeat");
    expect((await stats(app)).quietReturned).toBe(0);
    c.sock.destroy();
    await until(async () => (await stats(app)).quietReturned === 1, 3000, "return()");
    expect(await (await fetch(`${app.url}/echo/1`)).json()).toEqual({ id: "1" });
  });

  it("refuses a newline in an event name: the stream ends without its last chunk, logged", async () => {
    const c = await request("/sse-bad");
    await until(async () => c.closed(), 3000, "the close");
    const body = decodeChunked(splitHead(c.data())!.rest);
    expect(body).toMatchObject({ body: "data: first\n\n", complete: false });
    expect(app.stderr()).toContain("must not contain a line break");
    expect(await (await fetch(`${app.url}/echo/2`)).json()).toEqual({ id: "2" });
  });
});
