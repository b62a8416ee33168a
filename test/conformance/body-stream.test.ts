// Framing of streamed request bodies (routes that read req.stream()/formData(): JS gets the
// request at headers-complete, the body follows): Content-Length and chunked bodies sent whole
// and byte by byte, malformed chunking, pipelined requests after a streamed body, Expect:
// 100-continue, a client that stops sending mid-body (408) or goes away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
import { check, MODES, type Case } from "./helpers.js";

const TE = "Transfer-Encoding: chunked\r\n";
const post = (path: string, head: string, body: string) => `POST ${path} HTTP/1.1\r\nHost: t\r\n${head}\r\n${body}`;
const cl = (path: string, body: string) => post(path, `Content-Length: ${Buffer.byteLength(body, "latin1")}\r\n`, body);
const text = (s: string) => JSON.stringify({ text: s });
const Q = get("/query?a=1");
const QBODY = '{"a":["1"],"brackets":[],"last":"1"}';

const CASES: Case[] = [
  { name: "a Content-Length body, then a pipelined GET", req: cl("/stream-as/text", "hello") + Q, statuses: [200, 200], close: false, bodies: [text("hello"), QBODY] },
  {
    name: "a chunked body with extensions and a trailer, then a pipelined GET",
    req: post("/stream-as/text", TE, "3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n") + Q,
    statuses: [200, 200],
    close: false,
    bodies: [text("hello"), QBODY],
  },
  {
    name: "three streamed bodies pipelined, Content-Length and chunked",
    req: cl("/stream-as/text", "one") + post("/stream-as/text", TE, "3\r\ntwo\r\n0\r\n\r\n") + cl("/stream-as/text", "three"),
    statuses: [200, 200, 200],
    close: false,
    bodies: [text("one"), text("two"), text("three")],
  },
  { name: "an empty chunked body", req: post("/stream-as/text", TE, "0\r\n\r\n") + Q, statuses: [200, 200], close: false, bodies: [text(""), QBODY] },
  { name: "a streamed body on a closing request", req: post("/stream-as/text", "Connection: close\r\nContent-Length: 2\r\n", "hi") + Q, statuses: [200], close: true, bodies: [text("hi")] },
  { name: "chunk data longer than its size → 400", req: post("/stream-as/text", TE, "5\r\nhello!\r\n0\r\n\r\n") + Q, statuses: [400], close: true },
  { name: "a chunk size that is not hexadecimal → 400", req: post("/stream-as/text", TE, "2\r\nhe\r\nzz\r\n") + Q, statuses: [400], close: true },
  { name: "a Content-Length trailer → 400", req: post("/stream-as/text", TE, "2\r\nhi\r\n0\r\nContent-Length: 5\r\n\r\n") + Q, statuses: [400], close: true },
];

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/streamed/.catzilla", { headersTimeoutMs: 1000 });
});
afterAll(async () => {
  await app?.stop();
});

async function lastError(): Promise<string> {
  return ((await (await fetch(`${app.url}/last-error`)).json()) as { lastError: string }).lastError;
}

describe("streamed bodies on the wire", () => {
  for (const c of CASES) {
    for (const mode of MODES) {
      it.concurrent(`${c.name} (${mode})`, async ({ expect }) => {
        await check(expect, app.port, c, mode);
      });
    }
  }

  it("Expect: 100-continue: 100 at once, then the body is read as it comes", async () => {
    const sock = await openSocket(app.port);
    const first = await exchangeOn(sock, ["POST /stream HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n"], {
      idleMs: 200,
    });
    expect(first.data).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    const rest = await exchangeOn(sock, ["abc", "def"], { responses: 1, gapMs: 50 });
    const r = parseResponses(rest.data).responses;
    expect(r.map((x) => x.status)).toEqual([200]);
    expect(JSON.parse(r[0].body)).toMatchObject({ bytes: 6 });
    const again = await exchangeOn(sock, [Q], { responses: 1 }, true);
    expect(parseResponses(again.data).responses[0]?.body).toBe(QBODY);
  });

  it("Expect: 100-continue behind a pending response: 100 only once that response is out", async () => {
    const sock = await openSocket(app.port);
    const out = await exchangeOn(
      sock,
      [cl("/stream-as/text", "first") + "POST /stream-as/text HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"],
      { idleMs: 200 },
    );
    expect(out.data.indexOf("HTTP/1.1 100 Continue")).toBeGreaterThan(out.data.indexOf(text("first")));
    const done = await exchangeOn(sock, ["ok"], { responses: 1 }, true);
    expect(parseResponses(done.data).responses[0]?.body).toBe(text("ok"));
  });

  it("a client that stops sending mid-body: 408 after headersTimeoutMs, the reader's stream errors 408", async () => {
    const sock = await openSocket(app.port);
    const r = await exchangeOn(sock, ["POST /record-error HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"], { idleMs: 2500 }, true);
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
    await expect.poll(lastError).toBe("408 Request body timeout");
  });

  it("malformed chunking mid-body: 400, the reader's stream errors 400", async () => {
    const sock = await openSocket(app.port);
    const r = await exchangeOn(sock, [post("/record-error", TE, "3\r\nabc\r\n"), "zz\r\n"], { idleMs: 800, gapMs: 100 }, true);
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([400]);
    await expect.poll(lastError).toBe("400 Malformed request body");
  });

  it("a client that goes away mid-body: the reader's stream errors, and the server serves the next client", async () => {
    const sock = await openSocket(app.port);
    sock.write(post("/record-error", TE, "3\r\nabc\r\n"));
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    await expect.poll(lastError).toBe("400 The request body was aborted: the connection closed");
    const s2 = await openSocket(app.port);
    const next = await exchangeOn(s2, [Q], { responses: 1 }, true);
    expect(parseResponses(next.data).responses[0]?.body).toBe(QBODY);
  });
});
