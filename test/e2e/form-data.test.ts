// req.formData(): urlencoded and multipart bodies into a Web FormData, its limits (413), a
// malformed body (400), another content type (415), on streamed and buffered routes.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { peakRss, resetPeak, rss } from "../helpers/proc.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

const MIB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let app: RunningApp;
let strict: RunningApp;
beforeAll(async () => {
  [app, strict] = await Promise.all([
    serve("test/fixtures/streamed/.catzilla"),
    serve("test/fixtures/streamed/.catzilla", { maxFileBytes: 1000, maxFiles: 2, maxFields: 3, maxFieldBytes: 10 }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.stop(), strict?.stop()]);
});

const postForm = (a: RunningApp, path: string, body: FormData | URLSearchParams | string, headers?: Record<string, string>) =>
  fetch(`${a.url}${path}`, { method: "POST", body, headers });

/** Sends raw bytes, expects exactly `status`, then checks the server still answers. */
async function rawStatus(a: RunningApp, request: string, status: number): Promise<void> {
  const r = await exchange(a.port, [request], { idleMs: 1000, responses: 1 });
  const { responses } = parseResponses(r.data);
  expect(responses.map((x) => x.status)).toEqual([status]);
  const next = await exchange(a.port, [get("/query?a=1")], { responses: 1 });
  expect(parseResponses(next.data).responses[0]?.status).toBe(200);
}

function multipart(boundary: string, parts: string[], close = true): string {
  return parts.map((p) => `--${boundary}\r\n${p}\r\n`).join("") + (close ? `--${boundary}--\r\n` : "");
}

const rawPost = (path: string, type: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("formData()", () => {
  it("multipart/form-data: fields as strings, files as File (name, type, size, bytes), repeated names kept", async () => {
    const a = randomBytes(200_000);
    const form = new FormData();
    form.append("title", "héllo");
    form.append("tag", "x");
    form.append("tag", "y");
    form.append("file", new File([a], "a.bin", { type: "application/x-test" }));
    form.append("file", new File(["plain text"], "b.txt", { type: "text/plain" }));
    const r = await postForm(app, "/form", form);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      title: ["héllo"],
      tag: ["x", "y"],
      file: [
        { name: "a.bin", type: "application/x-test", size: a.length, sha256: sha(a) },
        { name: "b.txt", type: "text/plain", size: 10, sha256: sha(Buffer.from("plain text")) },
      ],
    });
  });

  it("application/x-www-form-urlencoded, with repeated keys and a[] names", async () => {
    const r = await postForm(app, "/form", new URLSearchParams("a=1&a=2&b[]=x&b[]=y&c=%C3%A9+z"));
    expect(await r.json()).toEqual({ a: ["1", "2"], "b[]": ["x", "y"], c: ["é z"] });
  });

  it("works on a route that buffers its body too", async () => {
    const form = new FormData();
    form.append("k", "v");
    form.append("f", new File(["12345"], "f.txt"));
    expect(await (await postForm(app, "/form-buffered", form)).json()).toEqual({ k: "v", f: "file:f.txt:5" });
  });

  it("an empty urlencoded body is an empty form", async () => {
    expect(await (await postForm(app, "/form", "", { "content-type": "application/x-www-form-urlencoded" })).json()).toEqual({});
  });

  it("another content type → 415, and no content type → 415", async () => {
    await rawStatus(app, rawPost("/form", "text/plain", "a=1"), 415);
    await rawStatus(app, "POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\na=1", 415);
    await rawStatus(app, rawPost("/form", "application/json", '{"a":1}'), 415);
    const r = await postForm(app, "/form", "a=1", { "content-type": "text/plain" });
    expect(await r.json()).toEqual({
      error: "Unsupported Media Type",
      message: "formData() reads multipart/form-data or application/x-www-form-urlencoded bodies",
    });
  });

  it("malformed multipart → 400: no boundary, a truncated body, a body that is not multipart", async () => {
    await rawStatus(app, rawPost("/form", "multipart/form-data", "--x\r\n\r\n"), 400);
    const truncated = multipart("XyZ", ['Content-Disposition: form-data; name="a"\r\n\r\nvalue'], false);
    await rawStatus(app, rawPost("/form", "multipart/form-data; boundary=XyZ", truncated), 400);
    await rawStatus(app, rawPost("/form", "multipart/form-data; boundary=XyZ", "just some bytes"), 400);
  });

  it("a well-formed raw multipart body is read", async () => {
    const body = multipart("XyZ", [
      'Content-Disposition: form-data; name="a"\r\n\r\nvalue',
      'Content-Disposition: form-data; name="f"; filename="n.txt"\r\nContent-Type: text/plain\r\n\r\nfile body',
    ]);
    const r = await exchange(app.port, [rawPost("/form", "multipart/form-data; boundary=XyZ", body)], { responses: 1 });
    const res = parseResponses(r.data).responses[0];
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      a: ["value"],
      f: [{ name: "n.txt", type: "text/plain", size: 9, sha256: sha(Buffer.from("file body")) }],
    });
  });
});

describe("formData() limits → 413", () => {
  const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
  const file = (name: string, bytes: number) =>
    `Content-Disposition: form-data; name="${name}"; filename="${name}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${"z".repeat(bytes)}`;
  const send = (parts: string[]) => rawPost("/form", "multipart/form-data; boundary=B0", multipart("B0", parts));

  it("within every limit: served", async () => {
    const r = await exchange(strict.port, [send([field("a", "0123456789"), field("b", "1"), field("c", "2"), file("f", 1000), file("g", 1)])], {
      responses: 1,
    });
    expect(parseResponses(r.data).responses[0]?.status).toBe(200);
  });

  it("maxFileBytes, maxFiles, maxFields, maxFieldBytes", async () => {
    await rawStatus(strict, send([file("f", 1001)]), 413);
    await rawStatus(strict, send([file("f", 1), file("g", 1), file("h", 1)]), 413);
    await rawStatus(strict, send([field("a", "1"), field("b", "2"), field("c", "3"), field("d", "4")]), 413);
    await rawStatus(strict, send([field("a", "01234567890")]), 413);
    await rawStatus(strict, rawPost("/form", "application/x-www-form-urlencoded", "a=1&b=2&c=3&d=4"), 413);
    await rawStatus(strict, rawPost("/form", "application/x-www-form-urlencoded", "a=01234567890"), 413);
  });

  it("a buffered route (formData() through a helper) parses under the same listen limits", async () => {
    await rawStatus(strict, rawPost("/form-buffered", "application/x-www-form-urlencoded", "a=1&b=2&c=3&d=4"), 413);
    await rawStatus(strict, rawPost("/form-buffered", "application/x-www-form-urlencoded", "a=01234567890"), 413);
    await rawStatus(strict, rawPost("/form-buffered", "application/x-www-form-urlencoded", "a=1&b=2&c=3"), 200);
  });

  it("the 413 names the limit", async () => {
    const r = await exchange(strict.port, [send([file("f", 1001)])], { responses: 1, idleMs: 1000 });
    expect(JSON.parse(parseResponses(r.data).responses[0].body)).toEqual({
      error: "Form too large",
      message: 'file "f.bin" is over maxFileBytes (1000)',
    });
  });

  it("the whole body is still bounded by maxBodyBytes (1 MiB by default)", async () => {
    const r = await exchange(
      app.port,
      ["POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=B0\r\nContent-Length: 2000000\r\n\r\n"],
      { idleMs: 1000 },
    );
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([413]);
  });
});

describe("a 10 MB multipart upload", () => {
  it("is read with the server's peak RSS growing by less than 3× the file", async () => {
    const size = 10 * 1000 * 1000;
    const data = randomBytes(size);
    const form = new FormData();
    form.append("file", new File([data], "big.bin", { type: "application/octet-stream" }));
    const pid = app.child.pid!;
    const before = rss(pid);
    resetPeak(pid);
    const r = await postForm(app, "/form-big", form);
    expect(await r.json()).toEqual({ name: "big.bin", size });
    const growth = peakRss(pid) - before;
    console.log(`10 MB multipart upload: server peak RSS growth ${(growth / MIB).toFixed(1)} MiB (${(growth / size).toFixed(2)}x)`);
    if (!process.env.ASAN_OPTIONS) expect(growth).toBeLessThan(3 * size); // see body-stream.test.ts
  });
});
