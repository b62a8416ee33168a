// Request bodies, buffered: most are written into the request arena beside their head and
// decoded from there (REQF_BODY_ARENA); one over a quarter of the arena (64 KiB of the
// default 256 KiB) crosses as its own Buffer. Both paths, their boundary, bodies that
// straddle reads, pipelined bodies in one batch, bodies read after the arena was reused,
// non-ASCII and invalid UTF-8, and bad bodies that leave the connection serving.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, exchangeOn, openSocket, parseResponses } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/bodies/.catzilla", { maxBodyBytes: 2 << 20 });
});
afterAll(async () => {
  await app?.stop();
});

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
/** n bytes of a pattern that differs per `seed` (so a body read from the wrong place shows). */
const bytes = (n: number, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff));
const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
  Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
  "\r\n";
const postRaw = (path: string, body: Buffer) => Buffer.concat([Buffer.from(post(path, body), "latin1"), body]);

async function postJson(path: string, body: BodyInit) {
  const res = await fetch(app.url + path, { method: "POST", body });
  return { status: res.status, body: await res.json() };
}

describe("buffered request bodies", () => {
  // 65536 = 256 KiB / 4: the largest body that goes into the arena; one more byte does not.
  it.each([1, 1000, 65535, 65536, 65537, 200_000, 300_000, 2 << 20])("a %i-byte body arrives intact", async (n) => {
    const b = bytes(n, n);
    expect(await postJson("/bytes", b)).toEqual({ status: 200, body: { len: n, sha: sha(b) } });
  });

  it("an empty body: bytes() has length 0, text() is empty", async () => {
    expect(await postJson("/bytes", new Uint8Array(0))).toEqual({ status: 200, body: { len: 0, sha: sha("") } });
    const r = await fetch(app.url + "/text", { method: "POST", body: "" });
    expect([r.status, await r.text()]).toEqual([200, ""]);
  });

  it("non-ASCII JSON and text decode as UTF-8, in and over the arena", async () => {
    for (const pad of [0, 70_000]) {
      const value = { s: "héllo wörld ✓ 🚀 日本語", pad: "x".repeat(pad) };
      expect(await postJson("/json", JSON.stringify(value))).toEqual({ status: 200, body: { got: value } });
      const text = `ünïcödé ${"ß".repeat(pad / 2)} 🚀`;
      const r = await fetch(app.url + "/text", { method: "POST", body: text });
      expect(await r.text()).toBe(text);
    }
  });

  it("invalid UTF-8: text() replaces it, bytes() keeps it, json() is a 400", async () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
    const r = await fetch(app.url + "/text", { method: "POST", body: bad });
    expect(await r.text()).toBe('{"a":"\ufffd\ufffd"}');
    expect((await postJson("/bytes", bad)).body).toEqual({ len: bad.length, sha: sha(bad) });
    expect((await postJson("/json", bad)).body).toEqual({ got: { a: "\ufffd\ufffd" } });
    expect(await postJson("/json", "{nope")).toEqual({ status: 400, body: { error: "Invalid JSON body" } });
  });

  it("text(), bytes() and text() again all see the same body", async () => {
    for (const n of [10, 100_000]) {
      expect((await postJson("/twice", bytes(n, 3).toString("latin1").replace(/[\x80-\xff]/g, "é"))).body).toMatchObject({ same: true });
    }
  });

  it("a body that straddles reads, one byte at a time and in pieces", async () => {
    const body = Buffer.from(JSON.stringify({ name: "straddle", n: 41 }));
    const head = post("/typed", body, { "Content-Type": "application/json" });
    const pieces = [head.slice(0, 10), head.slice(10), ...Array.from(body, (c) => Buffer.from([c]))];
    const r = await exchange(app.port, pieces, { gapMs: 2, responses: 1 });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ name: "straddle", n: 42 });
  });

  it("pipelined requests with bodies in one write: each handler reads its own, answers in order", async () => {
    // 24 bodies of 1 B to 90 KiB: several batches (the arena fills), two bodies over the
    // arena limit (their own Buffers) among arena ones.
    const sizes = Array.from({ length: 24 }, (_, i) => (i === 5 || i === 17 ? 90_000 : 1 + i * 2900));
    const bodies = sizes.map((n, i) => bytes(n, i + 1));
    const r = await exchange(app.port, [Buffer.concat(bodies.map((b) => postRaw("/bytes", b)))], {
      responses: sizes.length,
      timeoutMs: 10_000,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual(sizes.map(() => 200));
    expect(responses.map((x) => JSON.parse(x.body))).toEqual(bodies.map((b) => ({ len: b.length, sha: sha(b) })));
  });

  it("an async handler reads its body after later batches reused the arena", async () => {
    const late = Array.from({ length: 12 }, (_, i) => `late-${String(i).padStart(3, "0")}-` + "y".repeat(i * 900));
    const pending = late.map((t) => postJson("/late", t));
    await new Promise((r) => setTimeout(r, 5));
    for (let k = 0; k < 20; k++) await postJson("/bytes", bytes(3000, 100 + k)); // each a new batch over the arena
    const got = await Promise.all(pending);
    got.forEach((g, i) =>
      expect(g).toEqual({ status: 200, body: { len: late[i].length, sha: sha(late[i]), head: late[i].slice(0, 12) } }),
    );
  });

  it("pipelined async answers, settled in their batch's checkpoint or later, large or not, leave in order", async () => {
    const small = bytes(700, 1);
    const reqs = [
      postRaw("/bytes", small),
      Buffer.from("GET /sized/10 HTTP/1.1\r\nHost: t\r\n\r\n"),
      Buffer.from("GET /sized/1500000 HTTP/1.1\r\nHost: t\r\n\r\n"), // over resData: respondMany's large
      postRaw("/late", Buffer.from("waited")), // settles after a timer: respondMany
      Buffer.from("GET /sized/3 HTTP/1.1\r\nHost: t\r\n\r\n"),
    ];
    const r = await exchange(app.port, [Buffer.concat(reqs)], { responses: 5, timeoutMs: 8000 });
    const res = parseResponses(r.data).responses;
    expect(res.map((x) => x.status)).toEqual([200, 200, 200, 200, 200]);
    expect(JSON.parse(res[0].body)).toEqual({ len: 700, sha: sha(small) });
    expect(res[1].body).toBe("z".repeat(10));
    expect(res[2].body.length).toBe(1_500_000);
    expect(res[2].body).toBe("z".repeat(1_500_000));
    expect(JSON.parse(res[3].body)).toEqual({ len: 6, sha: sha("waited"), head: "waited" });
    expect(res[4].body).toBe("zzz");
  });

  it("a thenable that settles inside then() and then throws keeps its answer; the next request is served", async () => {
    const r = await exchange(app.port, ["GET /sync-thenable HTTP/1.1\r\nHost: t\r\n\r\nGET /sized/2 HTTP/1.1\r\nHost: t\r\n\r\n"], {
      responses: 2,
    });
    const res = parseResponses(r.data).responses;
    expect(res.map((x) => [x.status, x.body])).toEqual([
      [200, '{"settled":"inside then"}'],
      [200, "zz"],
    ]);
  });

  it("a body that fails its schema is a 400, and the connection serves the next request", async () => {
    const sock = await openSocket(app.port);
    try {
      const bad = Buffer.from('{"name":"x","n":"not a number"}');
      const good = Buffer.from('{"name":"ok","n":1}');
      const r = await exchangeOn(sock, [Buffer.concat([postRaw("/typed", bad), postRaw("/typed", good)])], { responses: 2 });
      const [a, b] = parseResponses(r.data).responses;
      expect(a.status).toBe(400);
      expect(a.headers["content-type"]).toBe("application/problem+json");
      expect(b.status).toBe(200);
      expect(JSON.parse(b.body)).toEqual({ name: "ok", n: 2 });
      expect(r.closed).toBe(false);
    } finally {
      sock.destroy();
    }
  });

  it("a body over maxBodyBytes is a 413, and the server serves the next connection", async () => {
    const r = await exchange(app.port, [post("/bytes", "x".repeat((2 << 20) + 1))], { responses: 1 });
    expect(parseResponses(r.data).responses[0].status).toBe(413);
    const b = bytes(500, 9);
    expect(await postJson("/bytes", b)).toEqual({ status: 200, body: { len: 500, sha: sha(b) } });
  });
});
