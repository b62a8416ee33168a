// A returned Web Response (docs/handlers.md, "A Web Response"): a body that is whole at once
// goes out as an ordinary answer with Content-Length, exactly as a string or bytes result;
// a body produced over time is streamed, chunked, with backpressure.
import * as path from "node:path";
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { writeApp } from "../compiler/helpers.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, openSocket, parseResponses } from "../helpers/raw.js";

const APP = `
import { Catzilla } from "catzilla";
import { gzipSync } from "node:zlib";
export const app = new Catzilla();
const enc = new TextEncoder();
const gz = gzipSync("zipped text");
let pulled = 0;

app.get("/text", () => new Response("hi"));
app.get("/text-async", async () => new Response("héllo", { status: 201 }));
app.get("/json", () => Response.json({ ok: true, n: [1, 2] }));
app.get("/bytes", () => new Response(new Uint8Array([1, 2, 3, 4])));
app.get("/blob", () => new Response(new Blob(["blob!"], { type: "text/x-blob" })));
app.get("/form", () => { const f = new FormData(); f.append("a", "1"); f.append("b", "two"); return new Response(f); });
app.get("/params", () => new Response(new URLSearchParams({ q: "a b" })));
app.get("/ready-stream", () => new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode("ab")); c.enqueue(enc.encode("cd")); c.close(); } })));
app.get("/big", () => new Response("x".repeat(300_000)));
app.get("/cookies", () => {
  const headers = new Headers({ "Content-Type": "text/plain" });
  headers.append("Set-Cookie", "a=1; Path=/");
  headers.append("Set-Cookie", "b=2; HttpOnly");
  return new Response("c", { headers });
});
app.get("/length-ok", () => new Response("hello", { headers: { "Content-Length": "5" } }));
app.get("/length-wrong", () => new Response("hello", { headers: { "Content-Length": "99" } }));
app.get("/te", () => new Response("hello", { headers: { "Transfer-Encoding": "chunked" } }));
app.get("/gzip", () => new Response(gz, { headers: { "Content-Encoding": "gzip", "Content-Type": "text/plain" } }));
app.get("/used", async () => { const r = new Response("once"); await r.text(); return r; });
app.get("/broken", () => new Response(new ReadableStream({ start(c) { c.error(new Error("broken at once")); } })));
app.get("/slow", () => new Response(new ReadableStream({
  async start(c) { c.enqueue(enc.encode("one,")); await new Promise((r) => setTimeout(r, 20)); c.enqueue(enc.encode("two")); c.close(); },
}), { headers: { "Content-Type": "text/csv", "Content-Length": "7" } }));
// Always ready, never done: read up to a limit, then streamed with backpressure.
app.get("/endless", () => new Response(new ReadableStream({ pull(c) { pulled++; c.enqueue(new Uint8Array(64 * 1024)); } })));
app.get("/pulled", () => ({ pulled }));
app.get("/next", () => "served");
app.group("/mw", (r) => {
  r.use((req, next) => { const res = next(); res.headers.set("X-Sync", "1"); return res; });
  r.use(async (req, next) => { const res = await next(); res.status = 202; res.headers.set("X-Async", "1"); return res; });
  r.get("/text", () => new Response("mw"));
});
`;

let app: RunningApp;

beforeAll(async () => {
  const dir = writeApp("web-response", {});
  fs.writeFileSync(path.join(dir, "app.ts"), APP);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  app = await serve(path.join(dir, ".catzilla"));
});
afterAll(async () => {
  await app?.stop();
});

/** Requests on one connection; the responses as parsed and the raw head lines. */
async function raw(reqs: string[], noBody: number[] = []) {
  const r = await exchange(app.port, reqs, { responses: reqs.length, noBody, idleMs: 1500 });
  const { responses, rest } = parseResponses(r.data, noBody);
  expect(rest).toBe("");
  expect(responses).toHaveLength(reqs.length);
  return responses;
}

/** One GET whose answer must be whole: Content-Length (once), no Transfer-Encoding. */
async function whole(p: string) {
  const [res, next] = await raw([get(p), get("/next")]);
  const lengths = res.rawHeaders.filter((l) => /^content-length:/i.test(l));
  expect(lengths).toEqual([`Content-Length: ${Buffer.byteLength(res.body, "latin1")}`]);
  expect(res.headers["transfer-encoding"]).toBeUndefined();
  expect(next.body).toBe("served");
  return res;
}

const utf8 = (latin1: string) => Buffer.from(latin1, "latin1").toString("utf8");

describe("a Response whose body is whole at once is sent with Content-Length", () => {
  it("a string, from a sync and from an async handler", async () => {
    const r = await whole("/text");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(r.body).toBe("hi");
    const a = await whole("/text-async");
    expect(a.status).toBe(201);
    expect(utf8(a.body)).toBe("héllo");
    expect(a.headers["content-length"]).toBe("6");
  });

  it("Response.json(), bytes, a Blob, FormData, URLSearchParams, a stream that is done at once", async () => {
    const j = await whole("/json");
    expect(j.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(j.body)).toEqual({ ok: true, n: [1, 2] });
    const b = await whole("/bytes");
    expect(b.headers["content-type"]).toBe("application/octet-stream");
    expect([...Buffer.from(b.body, "latin1")]).toEqual([1, 2, 3, 4]);
    // Node 24 reads a Blob's bytes through I/O (not within microtasks): streamed there.
    const [blob] = Number(process.versions.node.split(".")[0]) >= 24 ? await raw([get("/blob")]) : [await whole("/blob")];
    expect(blob.headers["content-type"]).toBe("text/x-blob");
    expect(blob.body).toBe("blob!");
    const form = await whole("/form");
    const parsed = await new Response(Buffer.from(form.body, "latin1"), {
      headers: { "Content-Type": form.headers["content-type"] },
    }).formData();
    expect([...parsed.entries()]).toEqual([["a", "1"], ["b", "two"]]);
    expect((await whole("/params")).body).toBe("q=a+b");
    expect((await whole("/ready-stream")).body).toBe("abcd");
  });

  it("a body larger than the answer arena", async () => {
    const r = await whole("/big");
    expect(r.body).toBe("x".repeat(300_000));
  });

  it("every Set-Cookie on its own line", async () => {
    const r = await whole("/cookies");
    expect(r.rawHeaders.filter((l) => /^set-cookie:/i.test(l))).toEqual(["set-cookie: a=1; Path=/", "set-cookie: b=2; HttpOnly"]);
  });

  it("the user's Content-Length is never sent twice nor wrong; Transfer-Encoding is dropped; Content-Encoding kept", async () => {
    expect((await whole("/length-ok")).body).toBe("hello");
    expect((await whole("/length-wrong")).body).toBe("hello");
    expect((await whole("/te")).body).toBe("hello");
    const gz = await whole("/gzip");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(await (await fetch(app.url + "/gzip")).text()).toBe("zipped text");
  });

  it("HEAD: the same head with its Content-Length, no body; the next request is served", async () => {
    const [head, next] = await raw([`HEAD /text HTTP/1.1\r\nHost: t\r\n\r\n`, get("/next")], [0]);
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("2");
    expect(head.headers["transfer-encoding"]).toBeUndefined();
    expect(head.body).toBe("");
    expect(next.body).toBe("served");
  });

  it("middleware changes its status and headers (sync and async links)", async () => {
    const r = await whole("/mw/text");
    expect(r.status).toBe(202);
    expect(r.headers["x-sync"]).toBe("1");
    expect(r.headers["x-async"]).toBe("1");
    expect(r.body).toBe("mw");
  });

  it("a body already read, or a stream that fails before any byte: 500, logged; the next request is served", async () => {
    for (const [p, says] of [["/used", "already read"], ["/broken", "broken at once"]]) {
      const before = app.stderr().length;
      const [res, next] = await raw([get(p), get("/next")]);
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ error: "Internal Server Error" });
      expect(next.body).toBe("served");
      await new Promise((r) => setTimeout(r, 50));
      expect(app.stderr().slice(before)).toContain(says);
    }
  });
});

describe("a Response whose body takes time is streamed", () => {
  it("chunked as produced, the user's Content-Length dropped; the next request is served", async () => {
    const [r, next] = await raw([get("/slow"), get("/next")]);
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.headers["content-length"]).toBeUndefined();
    expect(r.headers["content-type"]).toBe("text/csv");
    expect(r.body).toBe("one,two");
    expect(next.body).toBe("served");
  });

  it("a body that is always ready and never done is streamed with backpressure, not buffered", async () => {
    const sock = await openSocket(app.port);
    sock.write(get("/endless"));
    sock.pause(); // read nothing: the server's buffers fill, then the stream must stop being pulled
    const pulled = async () => (await (await fetch(app.url + "/pulled")).json()).pulled as number;
    await new Promise((r) => setTimeout(r, 800));
    const first = await pulled();
    await new Promise((r) => setTimeout(r, 600));
    const second = await pulled();
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(first);
    expect(first * 64).toBeLessThan(24 * 1024); // KiB: socket buffers and the high-water mark, not the stream
    let got = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => (got += d));
    sock.resume(); // reading again pulls again
    const deadline = Date.now() + 5000;
    while ((await pulled()) <= second + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await pulled()).toBeGreaterThan(second + 10);
    expect(got.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(got.slice(0, got.indexOf("\r\n\r\n"))).toMatch(/\r\ntransfer-encoding: chunked/i);
    sock.destroy();
    expect((await fetch(app.url + "/next")).status).toBe(200);
  });
});
