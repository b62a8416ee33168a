// Statuses (one rule: 200..599, runtime/response.ts checkStatus) and bodyless answers: 204 and
// 304 carry no body and no body headers, whichever way they are made. Exact bytes of the head.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { body, empty, HttpError, json, text } from "../../runtime/response.js";
import { stream } from "../../runtime/stream.js";
import { writeApp } from "../compiler/helpers.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get } from "../helpers/raw.js";

const APP = `
import { Catzilla, HttpError, body, empty, json, stream } from "catzilla";
export const app = new Catzilla();
async function* nothing() {}

app.get("/body-204", () => body("", { status: 204 }));
app.get("/body-204-sync", (req) => body("", { status: 204, headers: { "X-Id": req.id } }));
app.get("/json-204-async", async () => json({ gone: true }, { status: 204, headers: { "Content-Type": "application/json" } }));
app.get("/empty", () => empty());
app.get("/empty-headers", (req) => empty(204, { headers: { "X-Id": req.id, "Content-Type": "text/plain" } }));
app.get("/empty-304", (req) => empty(304, { headers: { ETag: '"abc"', "Cache-Control": "max-age=60", "X-Id": req.id } }));
app.get("/empty-200", (req) => empty(200, { headers: { "X-Id": req.id } }));
app.get("/undefined", (req) => { void req.id; });
app.get("/stream-204", () => stream(nothing(), { status: 204, contentType: "text/plain" }));
app.get("/http-error-204", (req) => { throw new HttpError(204, "no" + req.id); });
const code = (s: string | undefined) => Number(s);
app.get("/http-error-bad", (req) => { throw new HttpError(code(req.query.s), "x"); });
app.get("/json-bad", (req) => json({}, { status: code(req.query.s) }));
app.group("/mw", (r) => {
  r.use((req, next) => { const res = next(); res.status = 304; return res; });
  r.get("/json", (req) => ({ id: req.id }));
});
app.get("/json", (req) => ({ id: req.id }));
`;

let app: RunningApp;
beforeAll(async () => {
  const dir = writeApp("status", { "app.ts": APP });
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(r.routes.find((x) => x.path === "/body-204")!.kind).toBe("const");
  expect(r.routes.find((x) => x.path === "/empty")!.kind).toBe("const");
  app = await serve(path.join(dir, ".catzilla"));
});
afterAll(async () => {
  await app?.stop();
});

/** The head's lines (status line first, Date dropped: it changes) and what followed it. */
async function head(p: string, method = "GET"): Promise<{ lines: string[]; rest: string }> {
  const req = get(p, "Connection: close\r\n").replace(/^GET/, method);
  const r = await exchange(app.port, [req], { idleMs: 1000 });
  const end = r.data.indexOf("\r\n\r\n");
  expect(end).toBeGreaterThan(0);
  const lines = r.data.slice(0, end).split("\r\n").filter((l) => !l.startsWith("Date: "));
  return { lines, rest: r.data.slice(end + 4) };
}

describe("204 and 304 carry no body and no body headers", () => {
  it.each([
    ["/body-204", "const"],
    ["/body-204-sync", "sync"],
    ["/json-204-async", "async"],
  ])("%s (%s): body('', { status: 204 }) is the status line, Connection and nothing else", async (p) => {
    const { lines, rest } = await head(p);
    const extra = p === "/body-204-sync" ? [expect.stringMatching(/^X-Id: \d+$/)] : [];
    expect(lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close", ...extra]);
    expect(rest).toBe("");
  });

  it("empty() is a 204 with no headers; empty(204, { headers }) keeps them but Content-Type", async () => {
    expect((await head("/empty")).lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close"]);
    const { lines } = await head("/empty-headers");
    expect(lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close", expect.stringMatching(/^X-Id: \d+$/)]);
  });

  it("empty(304, { headers }): ETag and Cache-Control, no Content-Type, no Content-Length", async () => {
    const { lines, rest } = await head("/empty-304");
    expect(lines).toEqual([
      "HTTP/1.1 304 Not Modified",
      "Connection: close",
      'ETag: "abc"',
      "Cache-Control: max-age=60",
      expect.stringMatching(/^X-Id: \d+$/),
    ]);
    expect(rest).toBe("");
  });

  it("empty(200) is an empty 200: Content-Length 0, no Content-Type", async () => {
    const { lines } = await head("/empty-200");
    expect(lines).toEqual(["HTTP/1.1 200 OK", "Content-Length: 0", "Connection: close", expect.stringMatching(/^X-Id: \d+$/)]);
  });

  it("returning undefined is a 204 with no body headers", async () => {
    expect((await head("/undefined")).lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close"]);
  });

  it("a stream with status 204, an HttpError(204), a middleware that sets 304: no Content-Type, no body", async () => {
    expect((await head("/stream-204")).lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close"]);
    const err = await head("/http-error-204");
    expect(err.lines).toEqual(["HTTP/1.1 204 No Content", "Connection: close"]);
    expect(err.rest).toBe("");
    const mw = await head("/mw/json");
    expect(mw.lines).toEqual(["HTTP/1.1 304 Not Modified", "Connection: close"]);
    expect(mw.rest).toBe("");
  });

  it("HEAD keeps the headers GET would send (Content-Type, Content-Length), without the body", async () => {
    const g = await head("/json");
    const h = await head("/json", "HEAD");
    expect(h.lines).toEqual(g.lines);
    expect(h.lines).toContain("Content-Type: application/json");
    expect(h.rest).toBe("");
  });
});

describe("one status rule: 200..599", () => {
  it("HttpError, json() and the other helpers throw a RangeError where they are called", () => {
    for (const bad of [99, 100, 199, 600, 200.5, NaN]) {
      expect(() => new HttpError(bad, "x")).toThrow(RangeError);
      expect(() => json({}, { status: bad })).toThrow(RangeError);
      expect(() => text("", { status: bad })).toThrow(RangeError);
      expect(() => body("", { status: bad })).toThrow(RangeError);
      expect(() => empty(bad)).toThrow(RangeError);
      expect(() => stream((async function* () {})(), { status: bad })).toThrow(RangeError);
    }
    for (const ok of [200, 204, 304, 418, 599]) {
      expect(new HttpError(ok, "x").status).toBe(ok);
      expect(json({}, { status: ok }).status).toBe(ok);
      expect(empty(ok).status).toBe(ok);
    }
  });

  it.each(["/http-error-bad", "/json-bad"])("%s with a computed 600 or 100 is a 500 (never 'HTTP/1.1 600'), and the next request is served", async (p) => {
    for (const s of ["600", "100"]) {
      const { lines } = await head(`${p}?s=${s}`);
      expect(lines[0]).toBe("HTTP/1.1 500 Internal Server Error");
    }
    expect((await head("/empty")).lines[0]).toBe("HTTP/1.1 204 No Content");
    expect(app.stderr()).toContain("must be an integer 200..599, got 600");
  });
});
