// What a handler may return beyond plain data (docs/handlers.md): a Web Response and a Node
// Readable are sent as what they are; a value that cannot be sent is a 500 and one log line.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { writeApp } from "../compiler/helpers.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get } from "../helpers/raw.js";
import { decodeChunked, splitHead } from "../helpers/streaming-app.js";

const APP = `
import { Catzilla, HttpError } from "catzilla";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
export const app = new Catzilla();
const FILE = __DATA__;

app.get("/file", () => createReadStream(FILE));
app.get("/file-async", async () => createReadStream(FILE));
app.get("/readable", () => Readable.from(["a", "b"]));
app.get("/iterable", () => ({ async *[Symbol.asyncIterator]() { yield "x"; yield "y"; } }));
app.get("/response", () => new Response("hi", { status: 201, statusText: "Made", headers: { "X-A": "1" } }));
app.get("/response-async", async () => {
  const headers = new Headers({ "Content-Type": "application/x-thing" });
  headers.append("Set-Cookie", "a=1; Path=/");
  headers.append("Set-Cookie", "b=2; HttpOnly");
  return new Response(new Uint8Array([104, 105, 33]), { status: 202, headers });
});
app.get("/response-null", () => new Response(null, { status: 204, headers: { ETag: '"v1"' } }));
app.get("/response-empty-200", () => new Response(null, { headers: { "X-Empty": "yes" } }));
app.get("/response-stream", () => {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(c) { c.enqueue(enc.encode("one,")); await new Promise((r) => setTimeout(r, 20)); c.enqueue(enc.encode("two")); c.close(); },
  });
  return new Response(body, { headers: { "Content-Type": "text/csv" } });
});
app.get("/response-json", () => Response.json({ ok: true }, { status: 200 }));
app.get("/response-redirect", () => Response.redirect("http://127.0.0.1/elsewhere", 307));
app.get("/response-error", () => Response.error());
app.get("/response-blocking", () => new Response("from a worker", { status: 201, headers: { "X-W": "1" } }), { blocking: true });

app.group("/mw", (r) => {
  r.use((req, next) => (req.headers.get("x-deny") ? new Response("denied", { status: 403 }) : next()));
  r.onError(() => new Response("handled", { status: 503, headers: { "Retry-After": "3" } }));
  r.get("/ok", () => ({ ok: true }));
  r.get("/boom", (): string => { throw new Error("boom"); });
});
app.group("/nf", (r) => {
  r.notFound((req) =>
    req.query.kind === "null" ? new Response(null, { status: 410 })
    : req.query.kind === "readable" ? Readable.from(["page for ", req.path]) // a body, not a response: 404
    : new Response("no " + req.path, { status: 404, headers: { "X-NF": "1" } }));
  r.get("/here", () => "here");
});

// The type says nothing (any): the runtime checks what arrives.
const pick = (k: string | undefined): any =>
  k === "fn" ? () => 1 : k === "map" ? new Map([[1, 2]]) : k === "writer" ? createWriteStream("/dev/null") : k === "svc" ? new (class Svc { run() {} })() : k === "class" ? new (class User { name = "ada"; })() : k === "date" ? new Date(0) : k === "i16" ? new Int16Array([1]) : k === "gen" ? (function* () { yield "a"; })() : { plain: true };
app.get("/any", (req) => pick(req.query.k));
app.get("/any-async", async (req) => pick(req.query.k));
app.get("/next", () => "served");
`;

let app: RunningApp;
let dir: string;
const DATA = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));

beforeAll(async () => {
  dir = writeApp("returns", {});
  fs.writeFileSync(path.join(dir, "data.bin"), DATA);
  fs.writeFileSync(path.join(dir, "app.ts"), APP.replace("__DATA__", JSON.stringify(path.join(dir, "data.bin"))));
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  app = await serve(path.join(dir, ".catzilla"));
});
afterAll(async () => {
  await app?.stop();
});

/** One request on its own connection; the head and the de-chunked body. */
async function raw(p: string, extra = "") {
  const r = await exchange(app.port, [get(p, extra + "Connection: close\r\n")], { idleMs: 1000 });
  const head = splitHead(r.data)!;
  const body = head.headers["transfer-encoding"] === "chunked" ? decodeChunked(head.rest).body : head.rest;
  return { ...head, body, data: r.data };
}

const logLines = () =>
  app
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("a Node Readable", () => {
  it.each(["/file", "/file-async"])("%s: createReadStream is streamed as bytes, never its JSON", async (p) => {
    const res = await fetch(app.url + p);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(Buffer.from(await res.arrayBuffer()).equals(DATA)).toBe(true);
  });

  it("Readable.from is streamed, and so is an object literal with [Symbol.asyncIterator]", async () => {
    const r = await raw("/readable");
    expect(r.status).toBe(200);
    expect(r.body).toBe("ab");
    const it = await raw("/iterable");
    expect(it.headers["transfer-encoding"]).toBe("chunked");
    expect(it.body).toBe("xy");
  });
});

describe("a Web Response", () => {
  it("status and headers are its own; statusText is not sent (the standard reason is)", async () => {
    const r = await raw("/response");
    expect(r.data.startsWith("HTTP/1.1 201 Created\r\n")).toBe(true);
    expect(r.headers["x-a"]).toBe("1");
    expect(r.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(r.body).toBe("hi");
  });

  it("from an async handler: bytes, its Content-Type, every Set-Cookie on its own line", async () => {
    const r = await raw("/response-async");
    expect(r.status).toBe(202);
    expect(r.headers["content-type"]).toBe("application/x-thing");
    const cookies = r.data.split("\r\n").filter((l) => /^set-cookie:/i.test(l));
    expect(cookies).toEqual(["set-cookie: a=1; Path=/", "set-cookie: b=2; HttpOnly"]);
    expect(r.body).toBe("hi!");
  });

  it("a null body is no body: a 204 with its headers and no Content-Type or Content-Length", async () => {
    const r = await raw("/response-null");
    expect(r.status).toBe(204);
    expect(r.headers.etag).toBe('"v1"');
    expect(r.headers["content-type"]).toBeUndefined();
    expect(r.headers["content-length"]).toBeUndefined();
    expect(r.rest).toBe("");
    const ok = await raw("/response-empty-200");
    expect(ok.status).toBe(200);
    expect(ok.headers["x-empty"]).toBe("yes");
    expect(ok.headers["content-length"]).toBe("0");
    expect(ok.headers["content-type"]).toBeUndefined();
  });

  it("a ReadableStream body is streamed as it is produced", async () => {
    const r = await raw("/response-stream");
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.headers["content-type"]).toBe("text/csv");
    expect(decodeChunked(r.rest).sizes).toEqual([4, 3]);
    expect(r.body).toBe("one,two");
  });

  it("Response.json() and Response.redirect()", async () => {
    const j = await fetch(app.url + "/response-json");
    expect(j.headers.get("content-type")).toBe("application/json");
    expect(await j.json()).toEqual({ ok: true });
    const go = await fetch(app.url + "/response-redirect", { redirect: "manual" });
    expect(go.status).toBe(307);
    expect(go.headers.get("location")).toBe("http://127.0.0.1/elsewhere");
  });

  it("Response.error() (status 0) is a 500, logged, and the next request is served", async () => {
    const r = await raw("/response-error");
    expect(r.status).toBe(500);
    expect((await fetch(app.url + "/next")).status).toBe(200);
  });

  it("from a blocking route: read whole on its worker, sent with Content-Length", async () => {
    const r = await raw("/response-blocking");
    expect(r.status).toBe(201);
    expect(r.headers["x-w"]).toBe("1");
    expect(r.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(r.headers["content-length"]).toBe("13");
    expect(r.body).toBe("from a worker");
  });

  it("from a middleware and from onError", async () => {
    const denied = await fetch(app.url + "/mw/ok", { headers: { "x-deny": "1" } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe("denied");
    expect(await (await fetch(app.url + "/mw/ok")).json()).toEqual({ ok: true });
    const failed = await fetch(app.url + "/mw/boom");
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("3");
    expect(await failed.text()).toBe("handled");
  });

  it("from notFound: its own status, headers and body", async () => {
    const res = await fetch(app.url + "/nf/missing");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-nf")).toBe("1");
    expect(await res.text()).toBe("no /nf/missing");
    const gone = await raw("/nf/missing?kind=null");
    expect(gone.status).toBe(410);
    expect(gone.headers["content-length"]).toBe("0");
  });

  it("a bare stream from notFound is its 404's body (only a response sets another status)", async () => {
    const res = await fetch(app.url + "/nf/gone-page?kind=readable");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("page for /nf/gone-page");
    expect((await fetch(app.url + "/nf/here")).status).toBe(200);
  });
});

describe("a value whose type does not show it cannot be sent", () => {
  it.each([
    ["fn", "a function"],
    ["map", "a Map"],
    ["writer", "a WriteStream"],
    ["svc", "a Svc"],
    ["gen", "a sync iterator"],
  ])("%s: 500, one log line with method, path, request id and what was returned; the next request is served", async (k, what) => {
    for (const route of ["/any", "/any-async"]) {
      const before = logLines().length;
      const r = await raw(`${route}?k=${k}`);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ error: "Internal Server Error" });
      expect((await fetch(app.url + "/next")).status).toBe(200);
      await new Promise((res) => setTimeout(res, 50));
      const lines = logLines().slice(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, method: "GET", path: route, returned: what });
      expect(typeof lines[0].reqId).toBe("string");
      expect(lines[0].msg).toContain(`GET ${route} returned ${what}, which cannot be sent`);
    }
  });

  it("what JSON represents is sent: a class with fields, a Date (toJSON), plain data; typed arrays as bytes", async () => {
    expect(await (await fetch(app.url + "/any?k=class")).json()).toEqual({ name: "ada" });
    expect(await (await fetch(app.url + "/any?k=date")).json()).toBe("1970-01-01T00:00:00.000Z");
    expect(await (await fetch(app.url + "/any-async")).json()).toEqual({ plain: true });
    const bytes = await fetch(app.url + "/any?k=i16");
    expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([1, 0]);
  });
});
