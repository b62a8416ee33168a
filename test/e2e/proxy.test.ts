/**
 * req.ip (the connection's peer, asked of C) and the `trustProxy` listen option:
 * X-Forwarded-For / Forwarded / X-Forwarded-Proto / -Host are believed only from trusted
 * peers. Real servers on 127.0.0.1 (and ::1), real sockets.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import type { ListenOptions, Server } from "../../runtime/server.js";
import { copyFixture } from "../compiler/helpers.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

let server: Server;

beforeAll(async () => {
  const dir = copyFixture("logs");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.ok).toBe(true);
  ({ server } = (await import(pathToFileURL(path.join(dir, ".catzilla", "server.js")).href)) as { server: Server });
}, 120_000);

afterEach(async () => {
  await server?.close();
});
afterAll(async () => {
  await server?.close();
});

interface Seen {
  ip: string;
  protocol: string;
  host: string;
}

async function start(opts: ListenOptions): Promise<void> {
  await server.listen({ port: 0, logger: false, ...opts });
}

/** GET /ip with `headers` (raw lines) over a raw socket: the exact bytes, duplicates kept. */
async function seen(headers: string[], route = "/ip"): Promise<Seen> {
  const r = await exchange(server.port, [get(route, headers.map((h) => `${h}\r\n`).join(""))], { responses: 1 });
  const [res] = parseResponses(r.data).responses;
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as Seen;
}

describe("req.ip without trustProxy", () => {
  it("is the peer, 127.0.0.1; forwarding headers are ignored (spoofing does nothing)", async () => {
    await start({});
    const s = await seen([
      "X-Forwarded-For: 6.6.6.6",
      "Forwarded: for=7.7.7.7;proto=https;host=evil.example",
      "X-Forwarded-Proto: https",
      "X-Forwarded-Host: evil.example",
    ]);
    expect(s).toEqual({ ip: "127.0.0.1", protocol: "http", host: "t" });
  });

  it("an async handler reads it after an await", async () => {
    await start({});
    const res = await fetch(`http://127.0.0.1:${server.port}/ip-async`);
    expect(((await res.json()) as { ip: string }).ip).toBe("127.0.0.1");
  });

  it("is \"\" for server.inject() (a socketpair has no address)", async () => {
    await start({});
    const r = await server.inject({ method: "GET", url: "/ip", headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(r.status).toBe(200);
    expect((r.json() as Seen).ip).toBe("");
  });

  it("over IPv6 loopback it is ::1", async () => {
    await start({ host: "::1" });
    const res = await fetch(`http://[::1]:${server.port}/ip`);
    expect(((await res.json()) as Seen).ip).toBe("::1");
  });
});

describe("trustProxy", () => {
  const XFF = "X-Forwarded-For: 203.0.113.7, 198.51.100.2";

  it("true: every hop is trusted, the leftmost address is the client", async () => {
    await start({ trustProxy: true });
    expect((await seen([XFF])).ip).toBe("203.0.113.7");
  });

  it("a list naming the peer: the rightmost address that is not a listed proxy", async () => {
    await start({ trustProxy: ["127.0.0.1"] });
    expect((await seen([XFF])).ip).toBe("198.51.100.2");
    await server.close();
    await start({ trustProxy: ["127.0.0.1", "198.51.100.0/24"] });
    expect((await seen([XFF])).ip).toBe("203.0.113.7");
    await server.close();
    await start({ trustProxy: "loopback, 198.51.100.2" });
    expect((await seen([XFF])).ip).toBe("203.0.113.7");
  });

  it("a list that does not name the peer: the header is a spoof, ignored, and so are proto and host", async () => {
    await start({ trustProxy: ["10.0.0.0/8", "::1"] });
    expect(await seen([XFF, "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example"])).toEqual({
      ip: "127.0.0.1",
      protocol: "http",
      host: "t",
    });
    // The server goes on serving.
    expect((await fetch(`http://127.0.0.1:${server.port}/ok`)).status).toBe(200);
  });

  it("a number of hops: that many proxies from the peer inwards", async () => {
    await start({ trustProxy: 1 });
    expect((await seen([XFF])).ip).toBe("198.51.100.2");
    await server.close();
    await start({ trustProxy: 2 });
    expect((await seen([XFF])).ip).toBe("203.0.113.7");
  });

  it("several X-Forwarded-For lines read as one list; no header leaves the peer", async () => {
    await start({ trustProxy: ["127.0.0.1"] });
    expect((await seen(["X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 198.51.100.9"])).ip).toBe("198.51.100.9");
    expect((await seen([])).ip).toBe("127.0.0.1");
  });

  it("X-Forwarded-Proto and X-Forwarded-Host (their last entries) from a trusted peer", async () => {
    await start({ trustProxy: ["127.0.0.1"] });
    expect(await seen([XFF, "X-Forwarded-Proto: http, HTTPS", "X-Forwarded-Host: a.example, api.example.com"])).toEqual({
      ip: "198.51.100.2",
      protocol: "https",
      host: "api.example.com",
    });
  });

  it.each([
    ["for=192.0.2.60;proto=https;by=203.0.113.43", { ip: "192.0.2.60", protocol: "https", host: "t" }],
    ['For="[2001:db8:cafe::17]:4711"', { ip: "2001:db8:cafe::17", protocol: "http", host: "t" }],
    ["for=192.0.2.43:47011;host=shop.example", { ip: "192.0.2.43", protocol: "http", host: "shop.example" }],
    ["for=198.51.100.17, for=192.0.2.60;proto=http", { ip: "192.0.2.60", protocol: "http", host: "t" }],
    ['for="_hidden";proto=https', { ip: "_hidden", protocol: "https", host: "t" }],
  ])("Forwarded: %s", async (value, want) => {
    await start({ trustProxy: ["127.0.0.1"] });
    expect(await seen([`Forwarded: ${value}`])).toEqual(want);
  });

  it("Forwarded with every hop trusted gives the first element's for=", async () => {
    await start({ trustProxy: true });
    expect((await seen(["Forwarded: for=198.51.100.17, for=192.0.2.60"])).ip).toBe("198.51.100.17");
  });

  it("a malformed X-Forwarded-For entry is where trust ends, as given; the server goes on", async () => {
    await start({ trustProxy: ["127.0.0.1"] });
    expect((await seen(["X-Forwarded-For: 203.0.113.7, not-an-ip"])).ip).toBe("not-an-ip");
    expect((await fetch(`http://127.0.0.1:${server.port}/ok`)).status).toBe(200);
  });

  it("a bad trustProxy entry is refused at listen", async () => {
    await expect(server.listen({ port: 0, trustProxy: ["10.0.0.0/99"] })).rejects.toThrow(/trustProxy/);
    await expect(server.listen({ port: 0, trustProxy: -1 })).rejects.toThrow(/trustProxy/);
  });
});
