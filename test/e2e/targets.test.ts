// Request-target forms (RFC 9112 3.2): absolute-form routes on its path and query,
// asterisk-form is answered by C (OPTIONS * → 204), `*` with another method is a 400,
// authority-form (CONNECT) gets a 4xx and a close. After each, the server still serves.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, compileOrThrow, serve, type RunningApp } from "../helpers/app.js";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";

// The shared fixture has no "/" route, which the empty-path case needs: this file
// compiles its own small app (under test/.tmp, ignored by git).
const DIR = "test/.tmp/targets";
const OUT = `${DIR}/.catzilla`;
const APP = `import { Catzilla } from "catzilla";
export const app = new Catzilla();
app.get("/", (req) => ({ root: true, url: req.url }));
app.get("/users/:id", (req) => ({ id: req.params.id, path: req.path, url: req.url, x: req.searchParams.getAll("x") }));
app.get("/ok", () => ({ ok: true }));
app.route("OPTIONS", "/ok", () => ({ js: "options" }));
`;

let app: RunningApp;
beforeAll(async () => {
  mkdirSync(join(ROOT, DIR), { recursive: true });
  writeFileSync(join(ROOT, DIR, "app.ts"), APP);
  compileOrThrow([`${DIR}/app.ts`], OUT);
  app = await serve(OUT);
});
afterAll(async () => {
  await app?.stop();
});

const req = (method: string, target: string, host = "Host: t\r\n") => `${method} ${target} HTTP/1.1\r\n${host}\r\n`;

/** Sends `first` then GET /ok on one connection; returns both responses, the connection left open. */
async function thenOk(first: string) {
  const sock = await openSocket(app.port);
  try {
    const r = await exchangeOn(sock, [first + get("/ok")], { responses: 2 });
    const { responses, rest } = parseResponses(r.data);
    expect(rest).toBe("");
    expect(responses).toHaveLength(2);
    expect(responses[1].status).toBe(200);
    expect(responses[1].body).toBe('{"ok":true}');
    expect(r.closed).toBe(false);
    return responses[0];
  } finally {
    sock.destroy();
  }
}

/** Sends `bytes`: one response with `status` and a close; then a fresh connection is served. */
async function rejectsThenServes(bytes: string, status: number) {
  const r = await exchange(app.port, [bytes + get("/ok")], { idleMs: 1000 });
  const { responses } = parseResponses(r.data);
  expect(responses.map((x) => x.status)).toEqual([status]);
  expect(responses[0].headers.connection).toBe("close");
  expect(r.closed).toBe(true);
  const next = await exchange(app.port, [get("/ok")], { responses: 1 });
  expect(parseResponses(next.data).responses[0]?.body).toBe('{"ok":true}');
}

describe("absolute-form", () => {
  it("routes on the path, with params and query; JS sees path[?query] as the url", async () => {
    const res = await thenOk(req("GET", "http://example.com/users/42?x=1&x=2"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id: "42", path: "/users/42", url: "/users/42?x=1&x=2", x: ["1", "2"] });
  });

  it("https scheme, in any case, with a port in the authority", async () => {
    const res = await thenOk(req("GET", "HTTPS://Example.COM:8443/users/7"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: "7", url: "/users/7" });
  });

  it("an empty path is /", async () => {
    const bare = await thenOk(req("GET", "http://example.com"));
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.body)).toEqual({ root: true, url: "/" });
    const query = await thenOk(req("GET", "http://example.com?a=1"));
    expect(query.status).toBe(200);
    expect(JSON.parse(query.body)).toEqual({ root: true, url: "/?a=1" });
  });

  it("an unknown path in absolute-form is a 404 (the connection goes on)", async () => {
    const res = await thenOk(req("GET", "http://example.com/nope"));
    expect(res.status).toBe(404);
  });

  it("still needs Host on HTTP/1.1 → 400", async () => {
    await rejectsThenServes(req("GET", "http://example.com/ok", ""), 400);
  });
});

describe("asterisk-form", () => {
  it("OPTIONS * → 204 answered in C, no body, kept alive", async () => {
    const res = await thenOk(req("OPTIONS", "*"));
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect(res.headers["content-length"]).toBeUndefined();
    expect(res.headers["content-type"]).toBeUndefined();
    expect(res.headers.connection).toBeUndefined();
  });

  it("OPTIONS * with a body: the body is read and dropped, the next request is parsed", async () => {
    const res = await thenOk("OPTIONS * HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    expect(res.status).toBe(204);
  });

  it("OPTIONS on a path still reaches the route", async () => {
    const res = await thenOk(req("OPTIONS", "/ok"));
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"js":"options"}');
  });

  it.each(["GET", "HEAD", "POST"])("%s * → 400 and a close", async (method) => {
    await rejectsThenServes(method === "POST" ? `POST * HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n` : req(method, "*"), 400);
  });
});

describe("authority-form", () => {
  it("CONNECT host:port → 4xx, then the connection closes", async () => {
    const r = await exchange(app.port, [req("CONNECT", "example.com:443", "Host: example.com:443\r\n")], { idleMs: 1000 });
    const { responses } = parseResponses(r.data);
    expect(responses).toHaveLength(1);
    expect(responses[0].status).toBeGreaterThanOrEqual(400);
    expect(responses[0].status).toBeLessThan(500);
    expect(responses[0].headers.connection).toBe("close");
    expect(r.closed).toBe(true);
    const next = await exchange(app.port, [get("/ok")], { responses: 1 });
    expect(parseResponses(next.data).responses[0]?.body).toBe('{"ok":true}');
  });
});
