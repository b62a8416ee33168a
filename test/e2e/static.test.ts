/**
 * app.static(prefix, dir, options): files served by C (native/src/cz_static.c) from an app
 * compiled by the real compiler and served on 127.0.0.1: headers and types, index files,
 * conditional requests (ETag / Last-Modified → 304), Range (206 / 416), HEAD, options,
 * routes winning over files, freshness after a change on disk, pipelining with dynamic
 * routes, an 8 MiB file to readers that stop reading (bounded memory) or go away (no leak).
 * Traversal attempts: test/conformance/static-traversal.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, exchangeOn, get, openSocket, parseResponses } from "../helpers/raw.js";
import { BIG_SIZE, HUGE_SIZE, startStaticApp, type StaticApp } from "../helpers/static-app.js";

/**
 * Every case runs against two servers: one as deployed (a head whose files and bytes are
 * cached is served on the loop, the rest on the threadpool) and one with the loop's path
 * off (CATZILLA_STATIC_NO_FAST=1: every head and chunk on the threadpool).
 */
const VARIANTS: [string, Record<string, string>][] = [
  ["cached heads on the loop", {}],
  ["threadpool only", { CATZILLA_STATIC_NO_FAST: "1" }],
];

describe.each(VARIANTS)("%s", (_name, env) => {
  let s: StaticApp;
  beforeAll(async () => {
    s = await startStaticApp(`static-e2e-${Object.keys(env).length}`, env);
  }, 120_000);
  afterAll(async () => {
    await s?.app.stop();
  });

  const url = (p: string) => s.app.url + p;

  /** One raw exchange on a fresh connection: the parsed responses (noBody: HEAD indexes). */
  async function raw(req: string, n: number, noBody: number[] = []) {
    const r = await exchange(s.app.port, [Buffer.from(req, "latin1")], {
      responses: n,
      noBody,
      timeoutMs: 8000,
    });
    return parseResponses(r.data, noBody);
  }

  describe("serving a file", () => {
    it("answers 200 with the bytes, Content-Type, Content-Length, ETag, Last-Modified, Cache-Control, Accept-Ranges", async () => {
      const res = await fetch(url("/assets/hello.txt"));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello\n");
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("content-length")).toBe("6");
      expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]+-[0-9a-f]+-6"$/);
      const st = fs.statSync(path.join(s.pub, "hello.txt"));
      expect(res.headers.get("last-modified")).toBe(new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString());
      expect(res.headers.get("cache-control")).toBe("public, max-age=0");
      expect(res.headers.get("accept-ranges")).toBe("bytes");
    });

    it("picks Content-Type by extension from mime-db (any case), octet-stream when unknown", async () => {
      const types: Record<string, string> = {
        "style.css": "text/css; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
        "data.json": "application/json; charset=utf-8",
        "logo.png": "image/png",
        "index.html": "text/html; charset=utf-8",
        "README.TXT": "text/plain; charset=utf-8",
        noext: "application/octet-stream",
        "file.unknownext": "application/octet-stream",
      };
      for (const [file, type] of Object.entries(types)) {
        const res = await fetch(url("/assets/" + file));
        expect(res.status, file).toBe(200);
        expect(res.headers.get("content-type"), file).toBe(type);
        await res.arrayBuffer();
      }
    });

    it("serves index.html for a directory, redirects a directory without its '/', and 404s without an index", async () => {
      for (const p of ["/assets/", "/assets/sub/"]) {
        const res = await fetch(url(p));
        expect(res.status, p).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(await res.text()).toBe(p === "/assets/" ? "<h1>home</h1>" : "<h1>sub</h1>");
      }
      const [redirect, root] = (await raw(get("/assets/sub?x=1") + get("/assets"), 2)).responses;
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe("/assets/sub/?x=1");
      expect(root.status).toBe(301);
      expect(root.headers.location).toBe("/assets/");
      expect((await fetch(url("/noindex/sub/"))).status).toBe(404);
      expect((await fetch(url("/noindex/sub"))).status).toBe(404);
      expect(await (await fetch(url("/noindex/sub/page.html"))).text()).toBe("<p>page</p>");
    });

    it("answers a missing file 404 (JSON, as the server's other 404s) and keeps the connection", async () => {
      const { responses } = await raw(get("/assets/nope.txt") + get("/assets/hello.txt"), 2);
      expect(responses.map((r) => r.status)).toEqual([404, 200]);
      expect(responses[0].body).toBe('{"error":"Not Found"}');
      expect(responses[1].body).toBe("hello\n");
    });

    it("a route registered for a path wins over the file there; other files of the mount are still served", async () => {
      expect(await (await fetch(url("/assets/override.txt"))).text()).toBe("from the route");
      expect(await (await fetch(url("/assets/hello.txt"))).text()).toBe("hello\n");
    });

    it("mounts on a group and on a mounted Router join their prefix", async () => {
      expect(await (await fetch(url("/g/files/hello.txt"))).text()).toBe("hello\n");
      expect(await (await fetch(url("/r/page.html"))).text()).toBe("<p>page</p>");
      expect(await (await fetch(url("/r/"))).text()).toBe("<h1>sub</h1>");
      expect((await fetch(url("/files/hello.txt"))).status).toBe(404);
    });

    it("answers other methods 405 with Allow: GET, HEAD, and serves the next request on the connection", async () => {
      const req =
        "POST /assets/hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi" +
        "DELETE /assets/nope HTTP/1.1\r\nHost: t\r\n\r\n" +
        get("/assets/hello.txt");
      const { responses } = await raw(req, 3);
      expect(responses.map((r) => r.status)).toEqual([405, 405, 200]);
      expect(responses[0].headers.allow).toBe("GET, HEAD");
      expect(responses[2].body).toBe("hello\n");
    });

    it("HEAD gives the headers (Content-Length of the file) and no body; the next response follows at once", async () => {
      const req = "HEAD /assets/big.bin HTTP/1.1\r\nHost: t\r\n\r\n" + get("/assets/hello.txt");
      const r = await exchange(s.app.port, [req], {
        responses: 2,
        noBody: [0],
        timeoutMs: 8000,
      });
      const { responses, rest } = parseResponses(r.data, [0]);
      expect(responses.map((x) => x.status)).toEqual([200, 200]);
      expect(responses[0].headers["content-length"]).toBe(String(BIG_SIZE));
      expect(responses[0].headers["content-type"]).toBe("application/octet-stream");
      expect(responses[0].body).toBe("");
      expect(responses[1].body).toBe("hello\n");
      expect(rest).toBe("");
    });
  });

  describe("HTTP/1.0 and Connection: close", () => {
    it("an HTTP/1.0 request gets the file and the connection closes; with keep-alive it stays open", async () => {
      const plain = await exchange(s.app.port, ["GET /assets/hello.txt HTTP/1.0\r\n\r\n"], { timeoutMs: 5000 });
      const [r] = parseResponses(plain.data).responses;
      expect(r.status).toBe(200);
      expect(r.body).toBe("hello\n");
      expect(plain.closed).toBe(true);
      const ka = "GET /assets/hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
      const two = await exchange(s.app.port, [ka + ka], { responses: 2, timeoutMs: 5000 });
      const rs = parseResponses(two.data).responses;
      expect(rs.map((x) => [x.status, x.headers.connection, x.body])).toEqual([
        [200, "keep-alive", "hello\n"],
        [200, "keep-alive", "hello\n"],
      ]);
      expect(two.closed).toBe(false);
    });

    it("Connection: close on a large file: every byte, then the close", async () => {
      const r = await exchange(s.app.port, [get("/assets/big.bin", "Connection: close\r\n")], { timeoutMs: 20_000, idleMs: 3000 });
      expect(r.closed).toBe(true);
      const [res] = parseResponses(r.data).responses;
      expect(res.headers.connection).toBe("close");
      expect(Buffer.from(res.body, "latin1").equals(s.big)).toBe(true);
    });
  });

  describe("conditional requests", () => {
    it("If-None-Match: the ETag, W/ of it, a list holding it, or * → 304 with the validators and no body", async () => {
      const etag = (await fetch(url("/assets/hello.txt"))).headers.get("etag")!;
      for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, `"a","b" , W/${etag}`, "*"]) {
        const res = await fetch(url("/assets/hello.txt"), {
          headers: { "if-none-match": inm },
        });
        expect(res.status, inm).toBe(304);
        expect(res.headers.get("etag")).toBe(etag);
        expect(res.headers.get("last-modified")).not.toBeNull();
        expect(res.headers.get("content-type")).toBeNull();
        expect(await res.text()).toBe("");
      }
      const other = await fetch(url("/assets/hello.txt"), {
        headers: { "if-none-match": '"other"' },
      });
      expect(other.status).toBe(200);
      expect(await other.text()).toBe("hello\n");
    });

    it("If-Modified-Since: 304 at or after Last-Modified, 200 before; ignored when If-None-Match is present", async () => {
      const lm = (await fetch(url("/assets/hello.txt"))).headers.get("last-modified")!;
      const at = new Date(lm).getTime();
      const later = new Date(at + 60_000).toUTCString();
      const earlier = new Date(at - 60_000).toUTCString();
      expect(
        (
          await fetch(url("/assets/hello.txt"), {
            headers: { "if-modified-since": lm },
          })
        ).status,
      ).toBe(304);
      expect(
        (
          await fetch(url("/assets/hello.txt"), {
            headers: { "if-modified-since": later },
          })
        ).status,
      ).toBe(304);
      expect(
        (
          await fetch(url("/assets/hello.txt"), {
            headers: { "if-modified-since": earlier },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await fetch(url("/assets/hello.txt"), {
            headers: { "if-modified-since": "garbage" },
          })
        ).status,
      ).toBe(200);
      const both = await fetch(url("/assets/hello.txt"), {
        headers: { "if-modified-since": later, "if-none-match": '"other"' },
      });
      expect(both.status).toBe(200);
    });

    it("the 304 keeps the connection: the next pipelined request is served", async () => {
      const etag = (await fetch(url("/assets/hello.txt"))).headers.get("etag")!;
      const { responses } = await raw(get("/assets/hello.txt", `If-None-Match: ${etag}\r\n`) + get("/sync"), 2);
      expect(responses.map((r) => r.status)).toEqual([304, 200]);
      expect(responses[1].body).toBe('{"type":"sync"}');
    });

    it("etag: false and lastModified: false send neither validator and answer 200", async () => {
      const res = await fetch(url("/plain/hello.txt"), {
        headers: {
          "if-modified-since": new Date(Date.now() + 86400e3).toUTCString(),
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBeNull();
      expect(res.headers.get("last-modified")).toBeNull();
    });

    it("maxAge and immutable give Cache-Control", async () => {
      const res = await fetch(url("/cached/hello.txt"));
      expect(res.headers.get("cache-control")).toBe("public, max-age=3600, immutable");
    });
  });

  describe("Range", () => {
    const range = async (r: string, extra: Record<string, string> = {}) => {
      const res = await fetch(url("/assets/digits.txt"), {
        headers: { range: r, ...extra },
      });
      return {
        status: res.status,
        cr: res.headers.get("content-range"),
        len: res.headers.get("content-length"),
        body: await res.text(),
      };
    };

    it("one range a-b, a-, -n → 206 with Content-Range; an end past the file is clamped", async () => {
      expect(await range("bytes=2-4")).toEqual({
        status: 206,
        cr: "bytes 2-4/10",
        len: "3",
        body: "234",
      });
      expect(await range("bytes=7-")).toEqual({
        status: 206,
        cr: "bytes 7-9/10",
        len: "3",
        body: "789",
      });
      expect(await range("bytes=-3")).toEqual({
        status: 206,
        cr: "bytes 7-9/10",
        len: "3",
        body: "789",
      });
      expect(await range("bytes=-30")).toEqual({
        status: 206,
        cr: "bytes 0-9/10",
        len: "10",
        body: "0123456789",
      });
      expect(await range("bytes=8-100")).toEqual({
        status: 206,
        cr: "bytes 8-9/10",
        len: "2",
        body: "89",
      });
    });

    it("unsatisfiable → 416 with Content-Range: bytes */size", async () => {
      expect(await range("bytes=10-")).toEqual({
        status: 416,
        cr: "bytes */10",
        len: "0",
        body: "",
      });
      expect(await range("bytes=20-30")).toEqual({
        status: 416,
        cr: "bytes */10",
        len: "0",
        body: "",
      });
      expect(await range("bytes=-0")).toEqual({
        status: 416,
        cr: "bytes */10",
        len: "0",
        body: "",
      });
    });

    it("several ranges, another unit or a malformed range → the whole file (200)", async () => {
      for (const r of ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-1", "bytes 0-1"]) {
        expect(await range(r), r).toEqual({
          status: 200,
          cr: null,
          len: "10",
          body: "0123456789",
        });
      }
    });

    it("If-Range: the current ETag or Last-Modified → 206; anything else → 200", async () => {
      const head = await fetch(url("/assets/digits.txt"));
      const etag = head.headers.get("etag")!;
      const lm = head.headers.get("last-modified")!;
      expect((await range("bytes=0-1", { "if-range": etag })).status).toBe(206);
      expect((await range("bytes=0-1", { "if-range": lm })).status).toBe(206);
      expect((await range("bytes=0-1", { "if-range": '"stale"' })).status).toBe(200);
      expect((await range("bytes=0-1", { "if-range": `W/${etag}` })).status).toBe(200); // weak never matches
      expect((await range("bytes=0-1", { "if-range": new Date(0).toUTCString() })).status).toBe(200);
    });

    it("a range of the 8 MiB file crossing read chunks is exact", async () => {
      const from = 128 * 1024 - 5;
      const to = 3 * 128 * 1024 + 17;
      const res = await fetch(url("/assets/big.bin"), {
        headers: { range: `bytes=${from}-${to}` },
      });
      expect(res.status).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).equals(s.big.subarray(from, to + 1))).toBe(true);
    });
  });

  describe("freshness", () => {
    it("a file changed on disk is served fresh, with a new ETag; the old ETag no longer gives 304", async () => {
      const file = path.join(s.pub, "changing.txt");
      fs.writeFileSync(file, "version one");
      const first = await fetch(url("/assets/changing.txt"));
      const etag1 = first.headers.get("etag")!;
      expect(await first.text()).toBe("version one");
      fs.writeFileSync(file, "v2");
      const second = await fetch(url("/assets/changing.txt"), {
        headers: { "if-none-match": etag1 },
      });
      expect(second.status).toBe(200);
      expect(await second.text()).toBe("v2");
      expect(second.headers.get("etag")).not.toBe(etag1);
      fs.rmSync(file);
      expect((await fetch(url("/assets/changing.txt"))).status).toBe(404);
      fs.writeFileSync(file, "back");
      expect(await (await fetch(url("/assets/changing.txt"))).text()).toBe("back");
    });
  });

  describe("pipelining and large files", () => {
    it("static and dynamic responses leave in request order", async () => {
      const req =
        get("/slow") +
        get("/assets/big.bin") +
        get("/dyn/1") +
        get("/assets/hello.txt") +
        get("/assets/nope") +
        get("/sync");
      const r = await exchange(s.app.port, [req], {
        responses: 6,
        timeoutMs: 20_000,
        idleMs: 3000,
      });
      const { responses, rest } = parseResponses(r.data);
      expect(responses.map((x) => x.status)).toEqual([200, 200, 200, 200, 404, 200]);
      expect(responses[0].body).toBe("slow");
      expect(Buffer.from(responses[1].body, "latin1").equals(s.big)).toBe(true);
      expect(responses[2].body).toBe("dyn 1");
      expect(responses[3].body).toBe("hello\n");
      expect(responses[5].body).toBe('{"type":"sync"}');
      expect(rest).toBe("");
    });

    it("a 128 MiB file to a reader that stops reading: the server stops reading the file, then sends the rest", async () => {
      // The client's kernel takes up to ~36 MiB here (tcp_rmem up to 32 MiB, tcp_wmem 4 MiB):
      // a file bigger than that is what shows whether the server waits for the socket. Read
      // bytes come from /proc/<pid>/io (rchar: every read and pread of the process, threadpool
      // included), which, unlike RSS, allocator caches and AddressSanitizer's quarantine do not blur.
      const pid = s.app.child.pid!;
      const sock = await openSocket(s.app.port);
      let got = 0;
      sock.on("data", (d: Buffer) => (got += d.length));
      sock.pause();
      const before = rcharOf(pid);
      sock.write(get("/assets/huge.bin"));
      let last = -1;
      let now = rcharOf(pid);
      for (let i = 0; i < 100 && !(now === last && now - before > 1 << 20); i++) {
        await sleep(400);
        last = now;
        now = rcharOf(pid);
      }
      expect(now, "the server's reads stopped").toBe(last);
      // Reading the file ahead of the socket would read all 128 MiB; waiting for it, what the
      // kernel buffers took plus a chunk or two.
      expect(now - before).toBeLessThan(HUGE_SIZE / 2);
      sock.resume();
      for (let i = 0; i < 600 && got < HUGE_SIZE; i++) await sleep(50);
      expect(got).toBeGreaterThan(HUGE_SIZE); // head + every byte
      sock.destroy();
    }, 60_000);

    it("8 MiB files to several readers that pause: all bytes arrive intact once they read", async () => {
      const n = 6;
      const socks: Socket[] = [];
      const got: Buffer[][] = [];
      const lens: number[] = [];
      for (let i = 0; i < n; i++) {
        const sock = await openSocket(s.app.port);
        got.push([]);
        lens.push(0);
        sock.on("data", (d: Buffer) => {
          got[i].push(d);
          lens[i] += d.length;
        });
        sock.pause(); // nothing is read: the kernel's buffers fill, then the server must wait
        sock.write(get("/assets/big.bin"));
        socks.push(sock);
      }
      await sleep(1000);
      const done = socks.map(
        (sock, i) =>
          new Promise<void>((resolve) => {
            const check = () => {
              if (lens[i] < BIG_SIZE) return;
              const all = Buffer.concat(got[i]);
              const end = all.indexOf("\r\n\r\n");
              if (end >= 0 && all.length - end - 4 >= BIG_SIZE) {
                sock.off("data", check);
                expect(all.subarray(end + 4).equals(s.big)).toBe(true);
                resolve();
              }
            };
            sock.on("data", check);
            sock.resume();
            check();
          }),
      );
      await Promise.all(done);
      for (const sock of socks) sock.destroy();
    }, 60_000);

    it("clients that disconnect mid-file leak no descriptor, and the server serves on", async () => {
      const fdsBefore = fdCount(s.app.child.pid!);
      for (let i = 0; i < 12; i++) {
        const sock = await openSocket(s.app.port);
        await new Promise<void>((resolve) => {
          let n = 0;
          sock.on("data", (d: Buffer) => {
            n += d.length;
            if (n > 200_000) {
              sock.destroy();
              resolve();
            }
          });
          sock.write(get("/assets/big.bin"));
        });
      }
      // A connection that asks and goes away at once, before the file is even open.
      for (let i = 0; i < 12; i++) {
        const sock = await openSocket(s.app.port);
        sock.end(get("/assets/big.bin"));
        sock.destroy();
      }
      const r = await exchange(s.app.port, [get("/assets/hello.txt")], {
        responses: 1,
      });
      expect(parseResponses(r.data).responses[0].body).toBe("hello\n");
      let fds = fdCount(s.app.child.pid!);
      for (let i = 0; i < 50 && fds > fdsBefore; i++) {
        await new Promise((res) => setTimeout(res, 100));
        fds = fdCount(s.app.child.pid!);
      }
      expect(fds).toBeLessThanOrEqual(fdsBefore);
    }, 60_000);

    it("a keep-alive connection serves many files one after another", async () => {
      const sock = await openSocket(s.app.port);
      for (let i = 0; i < 20; i++) {
        const r = await exchangeOn(sock, [get(i % 2 ? "/assets/hello.txt" : "/assets/digits.txt")], { responses: 1 });
        expect(parseResponses(r.data).responses[0].body).toBe(i % 2 ? "hello\n" : "0123456789");
      }
      sock.destroy();
    });
  });

  describe("the compiler's record", () => {
    it("routes.json lists every mount with its full prefix, directory and options", () => {
      const doc = JSON.parse(fs.readFileSync(path.join(s.dir, ".catzilla", "routes.json"), "utf8"));
      const mounts = doc.statics.map((m: { prefix: string; options: object }) => [m.prefix, m.options]);
      expect(mounts).toEqual([
        ["/assets", {}],
        ["/cached", { maxAge: 3600, immutable: true }],
        ["/noindex", { index: false }],
        ["/dots", { dotfiles: "allow" }],
        ["/plain", { etag: false, lastModified: false }],
        ["/g/files", {}],
        ["/r", {}],
      ]);
      expect(doc.statics[0].source).toMatch(/^app\.ts:\d+:\d+$/);
    });
  });
});

/** Bytes the process has read with read/pread/recv so far (/proc/<pid>/io). */
function rcharOf(pid: number): number {
  return Number(/^rchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))![1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}
