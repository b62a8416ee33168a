// swapTable (the dev server's hot swap) on the native server alone: two hand-written tables
// whose route ids differ, a request whose headers were matched before the swap and whose
// body arrives after it, and the generation each request reports in reqMeta[REQ_TABLE].
import { afterEach, describe, expect, it } from "vitest";
import { exchangeOn, openSocket, parseResponses } from "../helpers/raw.js";
// @ts-ignore -- plain ESM helper without types
import { addon, buildSo, makeArenas } from "./driver.mjs";

const { REQ_STRIDE, RES_STRIDE, REQ_TABLE } = addon.constants as Record<string, number>;

/** A table with `routes` ({method, pattern, body}) in this order; plain loop matcher. */
function table(name: string, fingerprint: string, routes: { method: number; pattern: string; body?: boolean }[]) {
  const rows = routes
    .map((r) => `{${r.method}, CZ_KIND_SYNC, ${r.body ? "CZ_ROUTE_BODY" : 0}, 0, ${JSON.stringify(r.pattern)}, NULL, 0},`)
    .join("\n  ");
  return buildSo(
    name,
    `#include <string.h>
#include "catzilla_routes.h"
static const cz_route_t routes[] = {
  ${rows}
};
#define N (sizeof(routes) / sizeof(routes[0]))
static int match(const char* path, size_t len, unsigned method, cz_match_t* m) {
  size_t r;
  for (r = 0; r < N; r++) {
    if (strlen(routes[r].pattern) == len && memcmp(routes[r].pattern, path, len) == 0) {
      if (routes[r].method == method) return (int)r;
      m->allow |= CZ_METHOD_BIT(routes[r].method);
    }
  }
  return -1;
}
static const cz_route_table_t table = { CZ_ROUTES_ABI_VERSION, N, routes, match, ${JSON.stringify(fingerprint)} };
const cz_route_table_t* catzilla_route_table(void) { return &table; }
`,
  ) as string;
}

const GET = 1;
const POST = 3;
const handles: unknown[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => new Promise<void>((r) => (addon.close(h, 0, r) ? 0 : r()))));
});

/** A server whose every response body is `<route>:<table generation>`. */
function serve(tablePath: string, fingerprint: string) {
  const a = makeArenas();
  const handle = addon.createServer({
    table: tablePath,
    fingerprint,
    dispatch: (n: number) => {
      let off = 0;
      for (let i = 0; i < n; i++) {
        const m = i * REQ_STRIDE;
        const body = Buffer.from(`${a.reqMeta[m]}:${a.reqMeta[m + REQ_TABLE]}`);
        body.copy(a.resData, off);
        const r = i * RES_STRIDE;
        a.resMeta.set([200, 0, off, 0, off, body.length], r);
        off += body.length;
      }
      return undefined;
    },
    ...a,
  });
  handles.push(handle);
  const port = addon.listen(handle, "127.0.0.1", 0, 511) as number;
  return { handle, port };
}

describe("swapTable", () => {
  it("matches new requests against the new table; a request matched before keeps its table", async () => {
    const A = table("swap-a", "swap-fp", [
      { method: POST, pattern: "/x", body: true },
      { method: GET, pattern: "/a" },
    ]);
    const B = table("swap-b", "swap-fp", [
      { method: GET, pattern: "/b" },
      { method: POST, pattern: "/x", body: true },
    ]);
    const { handle, port } = serve(A, "swap-fp");
    const sock = await openSocket(port);

    const first = await exchangeOn(sock, ["GET /a HTTP/1.1\r\nHost: h\r\n\r\n"], { responses: 1 });
    expect(parseResponses(first.data).responses[0].body).toBe("1:0");

    // Headers (and half the body) before the swap, the rest after it.
    const partial = exchangeOn(sock, ["POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab"], {
      responses: 1,
      idleMs: 2000,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(addon.swapTable(handle, B, "swap-fp")).toBe(1);
    sock.write("cd");
    const held = parseResponses((await partial).data).responses;
    expect(held.map((r) => [r.status, r.body])).toEqual([[200, "0:0"]]); // route 0 of table A, generation 0

    const after = await exchangeOn(
      sock,
      [
        "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nz" +
          "GET /b HTTP/1.1\r\nHost: h\r\n\r\n" +
          "GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
      ],
      { responses: 3 },
    );
    const rs = parseResponses(after.data).responses;
    expect(rs.map((r) => [r.status, r.body])).toEqual([
      [200, "1:1"],
      [200, "0:1"],
      [404, '{"error":"Not Found"}'],
    ]);
    expect(after.closed).toBe(false); // the same keep-alive connection throughout
    sock.destroy();
  });

  it("refuses a missing or foreign table and keeps serving the current one", async () => {
    const A = table("swap-c", "fp-c", [{ method: GET, pattern: "/a" }]);
    const other = table("swap-d", "fp-other", [{ method: GET, pattern: "/d" }]);
    const { handle, port } = serve(A, "fp-c");
    expect(() => addon.swapTable(handle, "/nonexistent/routes.so", "fp-c")).toThrow(/cannot load route table/);
    expect(() => addon.swapTable(handle, other, "fp-c")).toThrow(/fingerprint/);
    expect(() => addon.swapTable(handle, 42, "x")).toThrow(TypeError);
    const sock = await openSocket(port);
    const r = await exchangeOn(sock, ["GET /a HTTP/1.1\r\nHost: h\r\n\r\n"], { responses: 1 });
    expect(parseResponses(r.data).responses[0].body).toBe("0:0");
    sock.destroy();
  });
});
