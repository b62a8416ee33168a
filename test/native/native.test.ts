// The native server on its own: test/native/driver.mjs stands in for runtime/ and a
// hand-written route table (routes.fixture.c) for the compiler. Raw TCP for exact bytes,
// fetch for a real client. Every server a test starts is closed in afterEach.
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
// @ts-ignore -- plain ESM helper without types
import { addon, buildFixture, buildSo, FINGERPRINT, startServer } from "./driver.mjs";

type Server = ReturnType<typeof startServer>;
const servers: Server[] = [];
function start(opts: Record<string, unknown> = {}): Server {
  const s = startServer(opts);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(0)));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting for condition");
    await sleep(5);
  }
}
const url = (s: Server, path: string) => `http://127.0.0.1:${s.port}${path}`;
const DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe("basics", () => {
  it("serves sync routes with params and query over fetch", async () => {
    const s = start();
    const r = await fetch(url(s, "/users/42?x=1&y=2"));
    expect(r.status).toBe(200);
    expect(r.headers.get("date")).toMatch(DATE);
    expect(await r.json()).toEqual({ route: 1, id: "42", query: "x=1&y=2" });
    const f = await fetch(url(s, "/files/a/b/c.txt"));
    expect(await f.json()).toEqual({ route: 3, rest: "a/b/c.txt" });
    const two = await fetch(url(s, "/a/1/b/2"));
    expect(await two.json()).toEqual({ route: 12, params: ["1", "2"] });
  });

  it("answers a const route in C with Date and the precomputed bytes", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/const"), get("/const")], { responses: 2 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.body)).toEqual(["const hello", "const hello"]);
    expect(responses[0].headers.date).toMatch(DATE);
    expect(s.batches).toEqual([]); // never entered JS
  });

  it("keeps a connection alive across requests, with Date and Content-Length", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    for (let i = 0; i < 3; i++) {
      const r = await exchangeOn(sock, [get("/hello")], { responses: 1 });
      const [resp] = parseResponses(r.data).responses;
      expect(resp.status).toBe(200);
      expect(resp.body).toBe("hello");
      expect(resp.headers["content-length"]).toBe("5");
      expect(resp.headers.date).toMatch(DATE);
      expect(resp.headers.connection).toBeUndefined();
      expect(r.closed).toBe(false);
    }
    sock.destroy();
  });

  it("Connection: close answers, says close, closes, and ignores later bytes", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/hello", "Connection: close\r\n") + get("/hello")], {
      idleMs: 1000,
    });
    const { responses, rest } = parseResponses(r.data);
    expect(responses).toHaveLength(1);
    expect(rest).toBe("");
    expect(responses[0].headers.connection).toBe("close");
    expect(r.closed).toBe(true);
  });

  it("HTTP/1.0: closes by default, keeps alive when asked", async () => {
    const s = start();
    const a = await exchange(s.port, ["GET /hello HTTP/1.0\r\n\r\n"], { idleMs: 1000 });
    const [ra] = parseResponses(a.data).responses;
    expect(ra.version).toBe("HTTP/1.1");
    expect(ra.headers.connection).toBe("close");
    expect(a.closed).toBe(true);

    const sock = await openSocket(s.port);
    const req = "GET /misc HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const b = await exchangeOn(sock, [req], { responses: 1 });
    const [rb] = parseResponses(b.data).responses;
    expect(rb.headers.connection).toBe("keep-alive");
    expect(JSON.parse(rb.body).flags & 3).toBe(3); // keep-alive + HTTP/1.0
    const c = await exchangeOn(sock, [req], { responses: 1 });
    expect(parseResponses(c.data).responses[0].status).toBe(200);
    sock.destroy();
  });

  it("HEAD is answered from the GET route without a body, keeping Content-Length", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    const r = await exchangeOn(sock, ["HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/hello")], {
      responses: 2,
      noBody: [0],
    });
    const { responses, rest } = parseResponses(r.data, [0]);
    expect(responses.map((x) => [x.status, x.headers["content-length"], x.body])).toEqual([
      [200, "5", ""],
      [200, "5", "hello"],
    ]);
    expect(rest).toBe("");
    const c = await exchangeOn(sock, ["HEAD /const HTTP/1.1\r\nHost: t\r\n\r\n"], { responses: 1, noBody: [0] });
    expect(c.data.endsWith("\r\n\r\n")).toBe(true);
    expect(c.data).toContain("Content-Length: 11");
    sock.destroy();
  });

  it("404 and 405 (sorted Allow) in C with a JSON body", async () => {
    const s = start();
    const r404 = await fetch(url(s, "/nope"));
    expect(r404.status).toBe(404);
    expect(r404.headers.get("content-type")).toBe("application/json");
    expect(await r404.text()).toBe('{"error":"Not Found"}');
    const r405 = await fetch(url(s, "/users/7"), { method: "DELETE" });
    expect(r405.status).toBe(405);
    expect(r405.headers.get("allow")).toBe("GET, HEAD, PUT");
    expect(await r405.text()).toBe('{"error":"Method Not Allowed"}');
    const p = await fetch(url(s, "/hello"), { method: "POST", body: "x".repeat(100) });
    expect(p.status).toBe(405);
    expect(p.headers.get("allow")).toBe("GET, HEAD");
    await p.text();
    expect(s.batches).toEqual([]);
  });

  it("204 and 304 carry no Content-Length and no body", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/misc?kind=204") + get("/misc?kind=304") + get("/hello")], {
      responses: 3,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([204, 304, 200]);
    expect(responses[0].headers["content-length"]).toBeUndefined();
    expect(responses[1].headers["content-length"]).toBeUndefined();
    expect(responses[1].headers.etag).toBe('"x"');
    expect(responses[2].body).toBe("hello");
  });

  it("a JS close flag closes the connection after that response", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/misc?kind=close") + get("/hello")], { idleMs: 1000 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => [x.status, x.body, x.headers.connection])).toEqual([[200, "bye", "close"]]);
    expect(r.closed).toBe(true);
  });

  it("a large response body (large[] path) arrives intact", async () => {
    const s = start();
    const r = await fetch(url(s, "/misc?kind=big"));
    const buf = Buffer.from(await r.arrayBuffer());
    expect(buf.length).toBe(3 << 20);
    expect(buf.every((b) => b === 120)).toBe(true);
  });

  it("long bodies (body sources) arrive intact and in order: sync, late, out of order, borrowed", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    sock.pause(); // the client reads nothing yet: the socket fills, writes stay partial
    sock.write(get("/hang") + get("/misc?kind=mid") + get("/hang") + get("/hello"));
    await until(() => s.pending.length === 2);
    // B is not next in line: its body is copied into its slot.
    expect(s.respondLate(s.pending[1], Buffer.alloc(100 << 10, 98))).toBe(true);
    // A is next in line, nothing is being written, no batch is running: its 4 MiB body is
    // written from the caller's buffer as far as the socket takes it, and the rest is
    // copied before respond() returns. Overwriting the buffer afterwards changes nothing.
    const a = Buffer.alloc(4 << 20, 97);
    expect(s.respondLate(s.pending[0], a)).toBe(true);
    a.fill(122);
    const data: Buffer[] = [];
    sock.on("data", (d: Buffer) => data.push(d));
    sock.resume();
    const want = 4 << 20 | 0;
    await until(() => data.reduce((n, d) => n + d.length, 0) > want + (300 << 10), 10_000);
    await sleep(100);
    sock.destroy();
    const { responses } = parseResponses(Buffer.concat(data).toString("latin1"));
    expect(responses.map((x) => [x.status, x.body.length])).toEqual([
      [200, 4 << 20],
      [200, 200 << 10],
      [200, 100 << 10],
      [200, 5],
    ]);
    expect(responses[0].body).toBe("a".repeat(4 << 20));
    expect(responses[1].body).toBe("m".repeat(200 << 10));
    expect(responses[2].body).toBe("b".repeat(100 << 10));
    expect(responses[3].body).toBe("hello");
  });

  it("headers reach JS lowercased, trimmed, in order, duplicates kept", async () => {
    const s = start();
    const r = await exchange(
      s.port,
      ["GET /headers HTTP/1.1\r\nHost: t\r\nX-Dup: one  \r\nX-MiXeD: \tv a l\t\r\nx-dup: two\r\n\r\n"],
      { responses: 1 },
    );
    const body = JSON.parse(parseResponses(r.data).responses[0].body);
    expect(body.count).toBe(4);
    expect(body.headers).toEqual([
      ["host", "t"],
      ["x-dup", "one"],
      ["x-mixed", "v a l"],
      ["x-dup", "two"],
    ]);
  });
});

describe("pipelining", () => {
  it("keeps request order when a slow async response precedes fast sync ones", async () => {
    const s = start();
    const reqs = [get("/slow?ms=80"), get("/hello"), get("/slow?ms=-1"), get("/const"), get("/users/9")];
    const r = await exchange(s.port, [reqs.join("")], { responses: 5 });
    const { responses, rest } = parseResponses(r.data);
    expect(rest).toBe("");
    expect(responses.map((x) => x.body)).toEqual([
      '{"route":4,"ms":80,"q":"ms=80"}',
      "hello",
      '{"route":4,"ms":-1,"q":"ms=-1"}',
      "const hello",
      '{"route":1,"id":"9","query":""}',
    ]);
    // One crossing into JS for the four JS requests of that read.
    expect(s.batches).toEqual([4]);
  });

  it("an error after pipelined requests is written after their responses", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/slow?ms=50") + get("/hello") + "BAD REQUEST\r\n\r\n" + get("/hello")], {
      idleMs: 1000,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([200, 200, 400]);
    expect(responses[2].headers.connection).toBe("close");
    expect(r.closed).toBe(true);
  });

  it("maxPipelined stops reading while that many responses are pending, then resumes", async () => {
    const s = start({ limits: { maxPipelined: 2 } });
    const n = 7;
    const reqs = Array.from({ length: n }, (_, i) => get(`/slow?ms=${i % 2 ? 5 : 20}&i=${i}`)).join("");
    const r = await exchange(s.port, [reqs], { responses: n, timeoutMs: 5000 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => JSON.parse(x.body).q)).toEqual(
      Array.from({ length: n }, (_, i) => `ms=${i % 2 ? 5 : 20}&i=${i}`),
    );
    expect(Math.max(...s.batches)).toBeLessThanOrEqual(2);
  });

  it("many pipelined requests in one write come back complete and in order", async () => {
    const s = start();
    const n = 300; // more than a batch (256)
    const reqs = Array.from({ length: n }, (_, i) => get(`/users/${i}`)).join("");
    const r = await exchange(s.port, [reqs], { responses: n, timeoutMs: 10000 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => JSON.parse(x.body).id)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it("a small reqData splits a batch instead of overflowing", async () => {
    const s = start({ reqDataSize: 4096, limits: { maxHeaderBytes: 2048 } });
    const pad = "X-Pad: " + "p".repeat(1000) + "\r\n";
    const n = 10;
    const reqs = Array.from({ length: n }, (_, i) => get(`/headers?i=${i}`, pad)).join("");
    const r = await exchange(s.port, [reqs], { responses: n });
    const { responses } = parseResponses(r.data);
    expect(responses).toHaveLength(n);
    expect(s.batches.length).toBeGreaterThan(1);
    expect(s.batches.reduce((a: number, b: number) => a + b, 0)).toBe(n);
  });
});

describe("request bodies", () => {
  it("Content-Length body is handed to JS", async () => {
    const s = start();
    const r = await fetch(url(s, "/echo"), {
      method: "POST",
      body: "hello body",
      headers: { "content-type": "text/x-test", "x-test": "yes" },
    });
    expect(r.headers.get("content-type")).toBe("text/x-test");
    expect(r.headers.get("x-got-test")).toBe("yes");
    expect(await r.text()).toBe("hello body");
  });

  it("chunked body split over several writes", async () => {
    const s = start();
    const r = await exchange(
      s.port,
      [
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "5\r\nhello\r\n",
        "6\r\n world\r\n",
        "0\r\nX-Trailer: t\r\n\r\n",
      ],
      { gapMs: 20, responses: 1 },
    );
    expect(parseResponses(r.data).responses[0].body).toBe("hello world");
  });

  it("a binary body of 512 KiB round-trips", async () => {
    const s = start();
    const body = Buffer.alloc(512 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 255;
    const r = await fetch(url(s, "/echo"), { method: "POST", body });
    expect(Buffer.from(await r.arrayBuffer()).equals(body)).toBe(true);
  });

  it("async route gets its body", async () => {
    const s = start();
    const r = await fetch(url(s, "/async-echo"), { method: "POST", body: "later" });
    expect(await r.text()).toBe("later");
  });

  it("Expect: 100-continue gets 100 Continue before the body is sent", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    const head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
    const first = await exchangeOn(sock, [head], { idleMs: 300 });
    expect(first.data).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    const second = await exchangeOn(sock, ["ping"], { responses: 1 });
    const [resp] = parseResponses(second.data).responses;
    expect(resp.status).toBe(200);
    expect(resp.body).toBe("ping");
    sock.destroy();
  });

  it("another expectation → 417", async () => {
    const s = start();
    const r = await exchange(s.port, ["POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: magic\r\n\r\n"], {
      idleMs: 1000,
    });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([417]);
    expect(r.closed).toBe(true);
  });

  it("a body sent to a 404 path is read and discarded, and the connection goes on", async () => {
    const s = start();
    const r = await exchange(
      s.port,
      ["POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + get("/hello")],
      { responses: 2 },
    );
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([404, 200]);
  });
});

describe("request bodies in reqData", () => {
  const echo = (body: string, extra = "") =>
    `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

  it("a body up to a quarter of reqData is written beside its head; a longer one is its own Buffer", async () => {
    const s = start(); // reqData 256 KiB: bodies up to 65536 bytes go into it
    const sizes = [10, 65536, 65537, 300_000];
    const bodies = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n));
    const chunked = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    const r = await exchange(s.port, [bodies.map((b) => echo(b)).join("") + chunked + echo("")], { responses: 6, timeoutMs: 8000 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => [x.status, x.body])).toEqual([...bodies.map((b) => [200, b]), [200, "hello"], [200, ""]]);
    // Content-Length: 0 frames no body; the chunked one is in reqData too.
    expect(s.bodies).toEqual([
      { len: 10, arena: true },
      { len: 65536, arena: true },
      { len: 65537, arena: false },
      { len: 300_000, arena: false },
      { len: 5, arena: true },
    ]);
  });

  it("bodies that do not fit what is left of reqData run the batch first, and all arrive intact", async () => {
    const s = start({ reqDataSize: 40_000 }); // bodies up to 10000 bytes go into it
    const bodies = Array.from({ length: 9 }, (_, i) => String.fromCharCode(65 + i).repeat(9000 + i));
    const r = await exchange(s.port, [bodies.map((b) => echo(b)).join("")], { responses: 9, timeoutMs: 8000 });
    expect(parseResponses(r.data).responses.map((x) => x.body)).toEqual(bodies);
    expect(s.bodies.every((b) => b.arena)).toBe(true);
    expect(s.batches.length).toBeGreaterThanOrEqual(3); // at most 4 such requests fit one batch
    expect(s.batches.reduce((x, y) => x + y, 0)).toBe(9);
  });
});

describe("bad input and limits", () => {
  async function rejects(s: Server, bytes: string | string[], status: number, gapMs = 0) {
    const r = await exchange(s.port, Array.isArray(bytes) ? bytes : [bytes], { idleMs: 1000, gapMs });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([status]);
    expect(responses[0].headers.connection).toBe("close");
    expect(r.closed).toBe(true);
    // The server still serves the next connection.
    const ok = await exchange(s.port, [get("/hello")], { responses: 1 });
    expect(parseResponses(ok.data).responses[0]?.body).toBe("hello");
  }

  it("garbage → 400", async () => {
    await rejects(start(), "\x16\x03\x01\x02\x00 not http at all\r\n\r\n", 400);
  });

  it("missing Host on HTTP/1.1 → 400", async () => {
    await rejects(start(), "GET /hello HTTP/1.1\r\n\r\n", 400);
  });

  it("Transfer-Encoding with Content-Length → 400", async () => {
    await rejects(
      start(),
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    );
  });

  it("obs-fold (a header continuation line) → 400, also when split across reads", async () => {
    await rejects(start(), get("/hello", "X-A: 1\r\n  folded\r\n"), 400);
    await rejects(start(), ["GET /hello HTTP/1.1\r\nHost: t\r\nX-A: 1 \r", "\n\tfolded\r\n\r\n"], 400, 20);
  });

  it("a header value split across reads is not mistaken for obs-fold", async () => {
    const s = start();
    const r = await exchange(s.port, ["GET /headers HTTP/1.1\r\nHost: t\r\nX-A: ab", "cd\r", "\nX-B: 2\r\n\r\n"], {
      gapMs: 20,
      responses: 1,
    });
    expect(JSON.parse(parseResponses(r.data).responses[0].body).headers).toEqual([
      ["host", "t"],
      ["x-a", "abcd"],
      ["x-b", "2"],
    ]);
  });

  it("Transfer-Encoding on HTTP/1.0 → 400", async () => {
    await rejects(start(), "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  });

  it("headers over maxHeaderBytes → 431", async () => {
    await rejects(start({ limits: { maxHeaderBytes: 1024 } }), get("/hello", `X-Big: ${"b".repeat(2000)}\r\n`), 431);
  });

  it("headers over maxHeaderBytes across many small reads → 431", async () => {
    const chunks = ["GET /hello HTTP/1.1\r\nHost: t\r\n", ...Array.from({ length: 12 }, () => `X-A: ${"a".repeat(100)}\r\n`)];
    await rejects(start({ limits: { maxHeaderBytes: 1024 } }), chunks, 431, 5);
  });

  it("more than maxHeaderCount headers → 431", async () => {
    const many = Array.from({ length: 10 }, (_, i) => `X-H${i}: v\r\n`).join("");
    await rejects(start({ limits: { maxHeaderCount: 5 } }), get("/hello", many), 431);
  });

  it("URL over maxUrlBytes → 414", async () => {
    await rejects(start({ limits: { maxUrlBytes: 100 } }), get("/users/" + "a".repeat(200)), 414);
  });

  it("Content-Length over maxBodyBytes → 413 before the body is read", async () => {
    await rejects(start({ limits: { maxBodyBytes: 1000 } }), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 413);
  });

  it("chunked body growing past maxBodyBytes → 413", async () => {
    const chunk = `400\r\n${"a".repeat(1024)}\r\n`;
    await rejects(
      start({ limits: { maxBodyBytes: 3000 } }),
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk.repeat(4) + "0\r\n\r\n",
      413,
    );
  });

  it("a route's own body limit → 413", async () => {
    await rejects(start(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n" + "x".repeat(17), 413);
  });

  it("headers not complete within headersTimeoutMs → 408", async () => {
    const s = start({ limits: { headersTimeoutMs: 200 } });
    const t0 = Date.now();
    await rejects(s, ["GET /hello HTTP/1.1\r\n", "Host: t\r\n"], 408, 50);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("a body that stops arriving for headersTimeoutMs → 408; a slow but steady one is fine", async () => {
    const s = start({ limits: { headersTimeoutMs: 200 } });
    const head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n";
    await rejects(s, [head + "abc"], 408);
    const steady = await exchange(s.port, [head, "ab", "cd", "ef", "gh", "ij"], { gapMs: 120, responses: 1 });
    expect(parseResponses(steady.data).responses[0].body).toBe("abcdefghij");
  });

  it("an idle keep-alive connection is closed quietly", async () => {
    const s = start({ limits: { keepAliveTimeoutMs: 200 } });
    const t0 = Date.now();
    const r = await exchange(s.port, [get("/hello")], { idleMs: 3000 });
    expect(parseResponses(r.data).responses).toHaveLength(1);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    const silent = await exchange(s.port, [], { idleMs: 3000 });
    expect(silent).toEqual({ data: "", closed: true });
  });

  it("maxConnections: new connections over the limit are closed at once, old ones untouched", async () => {
    const s = start({ limits: { maxConnections: 2 } });
    const a = await openSocket(s.port);
    const b = await openSocket(s.port);
    await until(() => s.stats().connections === 2);
    const c = await exchange(s.port, [get("/hello")], { idleMs: 1000 });
    expect(c).toEqual({ data: "", closed: true });
    for (const sock of [a, b]) {
      const r = await exchangeOn(sock, [get("/hello")], { responses: 1 });
      expect(parseResponses(r.data).responses[0].body).toBe("hello");
    }
    a.destroy();
    b.destroy();
  });

  it("bytes after a rejected request are never parsed", async () => {
    const s = start();
    const r = await exchange(s.port, ["POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n" + get("/misc?kind=throw")], {
      idleMs: 500,
    });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([400]);
    expect(s.batches).toEqual([]);
  });
});

describe("errors and contexts", () => {
  it("a sync dispatch that throws gives the batch 500 and the server goes on", async () => {
    const s = start();
    const r = await exchange(s.port, [get("/misc?kind=throw") + get("/hello")], { responses: 2 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([500, 500]); // same batch
    const ok = await fetch(url(s, "/hello"));
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it("an invalid status from JS becomes 500", async () => {
    const s = start();
    const r = await fetch(url(s, "/misc?kind=badstatus"));
    expect(r.status).toBe(500);
    await r.text();
  });

  it("disconnect while an async response is pending: the late respond returns false", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    sock.write(get("/hang"));
    await until(() => s.pending.length === 1);
    expect(s.stats()).toEqual({ connections: 1, inflight: 1 });
    sock.destroy();
    await until(() => s.stats().connections === 0);
    expect(s.stats().inflight).toBe(0);
    expect(s.respondLate(s.pending[0])).toBe(false);
  });

  it("disconnect with several pipelined pending requests, then late responds", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    sock.write(get("/hang") + get("/hang") + get("/hello") + get("/hang"));
    await until(() => s.pending.length === 3);
    expect(s.stats().inflight).toBe(3);
    // Answer one in the middle while connected: queued behind the first, not written yet.
    expect(s.respondLate(s.pending[1])).toBe(true);
    sock.resetAndDestroy();
    await until(() => s.stats().connections === 0);
    expect(s.pending.map((p: unknown) => s.respondLate(p))).toEqual([false, false, false]);
    expect(s.stats().inflight).toBe(0);
  });

  it("respond twice: the second is stale", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    const got = exchangeOn(sock, [get("/hang")], { responses: 1 });
    await until(() => s.pending.length === 1);
    expect(s.respondLate(s.pending[0], "first")).toBe(true);
    expect(s.respondLate(s.pending[0], "second")).toBe(false);
    const r = await got;
    expect(parseResponses(r.data).responses[0].body).toBe("first");
    sock.destroy();
  });
});

describe("listen and close", () => {
  it("close() lets an in-flight request finish, refuses new connections, then calls back", async () => {
    const s = start();
    const sock = await openSocket(s.port);
    const got = exchangeOn(sock, [get("/slow?ms=150")], { idleMs: 2000 });
    await until(() => s.stats().inflight === 1);
    let closed = false;
    const done = s.close(2000).then(() => (closed = true));
    await sleep(20);
    const refused = await new Promise<string>((resolve) => {
      const c = connect({ host: "127.0.0.1", port: s.port });
      c.on("connect", () => resolve("connected"));
      c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    expect(closed).toBe(false);
    const r = await got;
    const [resp] = parseResponses(r.data).responses;
    expect(resp.status).toBe(200);
    expect(resp.headers.connection).toBe("close");
    expect(r.closed).toBe(true);
    await done;
    expect(s.stats()).toEqual({ connections: 0, inflight: 0 });
    expect(addon.respond(s.handle, 0, 1, 200, 0, 0, 0)).toBe(false);
    expect(addon.close(s.handle, 0, () => {})).toBe(false);
  });

  it("close() force-closes what is still pending after graceMs", async () => {
    const s = start();
    const idle = await openSocket(s.port);
    const busy = await openSocket(s.port);
    const got = exchangeOn(busy, [get("/hang")], { idleMs: 3000 });
    await until(() => s.pending.length === 1 && s.stats().connections === 2);
    const t0 = Date.now();
    const idleClosed = new Promise((r) => idle.on("close", r));
    await s.close(150);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    await idleClosed;
    const r = await got;
    expect(r).toEqual({ data: "", closed: true });
    expect(s.respondLate(s.pending[0])).toBe(false);
  });

  it("listen reports EADDRINUSE with the uv error name", async () => {
    const a = start();
    let err: any;
    try {
      start({ port: a.port });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe("EADDRINUSE");
    expect(err.message).toMatch(/^EADDRINUSE/);
  });

  it("listens on IPv6 ::1", async () => {
    let s: Server;
    try {
      s = start({ host: "::1" });
    } catch (e: any) {
      if (e.code === "EADDRNOTAVAIL" || e.code === "EAFNOSUPPORT") return; // no IPv6 here
      throw e;
    }
    const r = await fetch(`http://[::1]:${s.port}/hello`);
    expect(await r.text()).toBe("hello");
  });

  it("stats counts connections and in-flight requests", async () => {
    const s = start();
    expect(s.stats()).toEqual({ connections: 0, inflight: 0 });
    const sock = await openSocket(s.port);
    await until(() => s.stats().connections === 1);
    sock.destroy();
    await until(() => s.stats().connections === 0);
  });
});

describe("createServer refuses a bad route table", () => {
  const arenas = () => ({
    reqMeta: new Int32Array(256 * 48),
    reqData: Buffer.alloc(65536),
    resMeta: new Int32Array(256 * 8),
    resData: Buffer.alloc(65536),
    asyncData: Buffer.alloc(65536),
  });
  const create = (table: string, fingerprint = FINGERPRINT) => () =>
    addon.createServer({ table, fingerprint, dispatch: () => undefined, ...arenas() });

  it("wrong ABI version", () => {
    const so = buildFixture("routes.badabi", ["FIXTURE_BAD_ABI"]);
    expect(create(so)).toThrow(/ABI version 999.*recompile the app/);
  });

  it("fingerprint that differs", () => {
    expect(create(buildFixture(), "other")).toThrow(/fingerprint.*recompile the app/);
  });

  it("missing file", () => {
    expect(create("/nonexistent/routes.so")).toThrow(/cannot load route table/);
  });

  it("a relative path is relative to the working directory, not the library path", async () => {
    const { relative } = await import("node:path");
    const h = addon.createServer({
      table: relative(process.cwd(), buildFixture()),
      fingerprint: FINGERPRINT,
      dispatch: () => undefined,
      ...arenas(),
    });
    await new Promise<void>((resolve) => addon.close(h, 0, resolve));
    expect(create("routes.fixture.so")).toThrow(/cannot load route table routes.fixture.so/);
  });

  it("missing symbol", () => {
    const so = buildSo("nosymbol", "int not_a_table = 1;\n");
    expect(create(so)).toThrow(/no catzilla_route_table symbol/);
  });

  it("bad options are TypeErrors", () => {
    expect(() => addon.createServer({})).toThrow(TypeError);
    expect(() =>
      addon.createServer({ table: buildFixture(), fingerprint: FINGERPRINT, dispatch: () => {}, ...arenas(), reqMeta: new Float64Array(10) }),
    ).toThrow(/reqMeta/);
    expect(() =>
      addon.createServer({ table: buildFixture(), fingerprint: FINGERPRINT, dispatch: () => {}, ...arenas(), limits: { maxBodyBytes: -1 } }),
    ).toThrow(/maxBodyBytes/);
  });

  it("a server created but never listened closes cleanly", async () => {
    const h = addon.createServer({ table: buildFixture(), fingerprint: FINGERPRINT, dispatch: () => undefined, ...arenas() });
    await new Promise<void>((resolve) => expect(addon.close(h, 0, resolve)).toBe(true));
    expect(addon.stats(h)).toEqual({ connections: 0, inflight: 0 });
  });
});
