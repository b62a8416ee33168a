// HTTP/1.1 behaviour over raw sockets: keep-alive, close, 1.0, pipelining, HEAD, 404/405, 100-continue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla");
});
afterAll(async () => {
  await app?.stop();
});

/** The server still answers a fresh connection. */
async function stillServes() {
  const r = await exchange(app.port, [get("/sync")], { responses: 1 });
  const [res] = parseResponses(r.data).responses;
  expect(res?.status).toBe(200);
  expect(res?.body).toBe('{"type":"sync"}');
}

describe("connections", () => {
  it("keep-alive: several requests on one socket", async () => {
    const sock = await openSocket(app.port);
    for (let i = 0; i < 3; i++) {
      const r = await exchangeOn(sock, [get("/sync")], { responses: 1 });
      expect(r.closed).toBe(false);
      const [res] = parseResponses(r.data).responses;
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBeUndefined();
    }
    sock.destroy();
  });

  it("Connection: close is honoured after the response", async () => {
    const r = await exchange(app.port, [get("/sync", "Connection: close\r\n") + get("/text")]);
    expect(r.closed).toBe(true);
    const { responses, rest } = parseResponses(r.data);
    expect(responses).toHaveLength(1);
    expect(responses[0].headers.connection).toBe("close");
    expect(rest).toBe("");
  });

  it("HTTP/1.0 closes by default, keeps alive on request", async () => {
    const a = await exchange(app.port, ["GET /sync HTTP/1.0\r\n\r\n"]);
    expect(a.closed).toBe(true);
    const [ra] = parseResponses(a.data).responses;
    expect(ra.status).toBe(200);
    expect(ra.body).toBe('{"type":"sync"}');

    const b = await exchange(app.port, ["GET /sync HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"], { responses: 1 });
    expect(b.closed).toBe(false);
    const [rb] = parseResponses(b.data).responses;
    expect(rb.headers.connection?.toLowerCase()).toBe("keep-alive");
  });

  it("pipelined responses keep request order even when an earlier one is slow", async () => {
    const reqs = [get("/slow/80"), get("/sync"), get("/async"), get("/text"), get("/users/5")].join("");
    const r = await exchange(app.port, [reqs], { responses: 5, timeoutMs: 5000 });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.body)).toEqual([
      '{"slept":80}',
      '{"type":"sync"}',
      '{"type":"async"}',
      "hello, world",
      '{"id":"5"}',
    ]);
  });

  it("many pipelined requests in one write", async () => {
    const n = 200;
    const r = await exchange(app.port, [Array.from({ length: n }, (_, i) => get(`/users/${i}`)).join("")], {
      responses: n,
    });
    const { responses } = parseResponses(r.data);
    expect(responses).toHaveLength(n);
    responses.forEach((res, i) => expect(res.body).toBe(`{"id":"${i}"}`));
  });

  it("a request split across many packets", async () => {
    const req = get("/users/split");
    const r = await exchange(app.port, req.split(""), { responses: 1, gapMs: 1 });
    expect(parseResponses(r.data).responses[0]?.body).toBe('{"id":"split"}');
  });
});

describe("routing answered in C", () => {
  it("404 for an unknown path", async () => {
    const r = await exchange(app.port, [get("/nope")], { responses: 1 });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: "Not Found" });
    expect(res.headers["content-length"]).toBe(String(res.body.length));
    expect(res.headers.date).toBeDefined();
  });

  it("405 with Allow for a known path and another method", async () => {
    const r = await exchange(app.port, ["POST /sync HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"], {
      responses: 1,
    });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
    const items = await exchange(app.port, ["POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"], {
      responses: 1,
    });
    expect(parseResponses(items.data).responses[0].headers.allow).toBe("DELETE, OPTIONS, PATCH, PUT");
  });

  it("HEAD is answered from the GET route without a body", async () => {
    const r = await exchange(app.port, ["HEAD /sync HTTP/1.1\r\nHost: t\r\n\r\n" + get("/text")], {
      responses: 2,
      noBody: [0],
    });
    const { responses, rest } = parseResponses(r.data, [0]);
    expect(responses[0].status).toBe(200);
    expect(responses[0].headers["content-length"]).toBe(String('{"type":"sync"}'.length));
    expect(responses[0].body).toBe("");
    expect(responses[1].body).toBe("hello, world");
    expect(rest).toBe("");
  });
});

describe("bodies", () => {
  it("Expect: 100-continue gets an interim 100 before the body is sent", async () => {
    const sock = await openSocket(app.port);
    const head = "POST /echo-text HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    const first = await exchangeOn(sock, [head], { idleMs: 300 });
    expect(first.data).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    const second = await exchangeOn(sock, ["hello"], { responses: 1 });
    const [res] = parseResponses(second.data).responses;
    expect(res.status).toBe(200);
    expect(res.body).toBe("hello");
    sock.destroy();
  });
});

describe("disconnects", () => {
  it("a client that leaves while its async handler runs costs nothing", async () => {
    for (let i = 0; i < 20; i++) {
      const sock = await openSocket(app.port);
      sock.write(get("/slow/30") + get("/slow/30"));
      sock.destroy();
    }
    await new Promise((r) => setTimeout(r, 150));
    await stillServes();
    expect(app.stderr()).not.toMatch(/Error|Assertion|Sanitizer/);
  });

  it("garbage gets 400 and a closed connection; the server goes on", async () => {
    const r = await exchange(app.port, ["THIS IS NOT HTTP\r\n\r\n"]);
    expect(r.closed).toBe(true);
    expect(parseResponses(r.data).responses[0]?.status).toBe(400);
    await stillServes();
  });
});
