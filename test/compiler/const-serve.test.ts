/**
 * Const routes on the wire: the const fixture is compiled twice, once normally and once
 * with const routes turned off (every handler then runs in JS as a sync route), and both
 * servers answer every route. C's precomputed bytes must equal what the JS path sends
 * (apart from the Date line), for GET and HEAD.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, parseResponses } from "../helpers/raw.js";
import { copyFixture, readRoutesJson, type RoutesJson } from "./helpers.js";

let withConst: RunningApp;
let allSync: RunningApp;
let json: RoutesJson;
let syncJson: RoutesJson;

beforeAll(async () => {
  const dir = copyFixture("const");
  const a = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  const b = await compile({ entries: ["app.ts"], outDir: ".catzilla-sync", cwd: dir, constRoutes: false });
  expect(a.ok && b.ok).toBe(true);
  json = readRoutesJson(path.join(dir, ".catzilla"));
  syncJson = readRoutesJson(path.join(dir, ".catzilla-sync"));
  [withConst, allSync] = await Promise.all([serve(path.join(dir, ".catzilla")), serve(path.join(dir, ".catzilla-sync"))]);
}, 120_000);

afterAll(async () => {
  await Promise.all([withConst?.stop(), allSync?.stop()]);
});

async function raw(app: RunningApp, method: string, target: string): Promise<string> {
  const ex = await exchange(app.port, [`${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`], {
    responses: 1,
    noBody: method === "HEAD" ? [0] : [],
    idleMs: 3000,
    timeoutMs: 10_000,
  });
  return ex.data.replace(/\r\nDate: [^\r]*/, "\r\nDate: -");
}

describe("const routes served by C", () => {
  it("the twin compile has no const route; the normal one has many", () => {
    expect(syncJson.routes.some((r) => r.kind === "const")).toBe(false);
    expect(json.routes.filter((r) => r.kind === "const").length).toBeGreaterThan(15);
  });

  it("every route answers byte-for-byte as the same handler run as sync (GET and HEAD)", async () => {
    for (const r of json.routes) {
      const target = r.path.replace(":id", "42");
      for (const method of ["GET", "HEAD"]) {
        const [c, s] = await Promise.all([raw(withConst, method, target), raw(allSync, method, target)]);
        expect(c, `${method} ${target} (${r.kind})`).toBe(s);
        expect(c).toMatch(r.kind === "const" ? /^HTTP\/1\.1 [2-4]\d\d / : /^HTTP\/1\.1 /);
      }
    }
  });

  it("a const route and its sync twin send the same bytes", async () => {
    expect(json.routes.find((r) => r.path === "/c/twin")!.kind).toBe("const");
    expect(json.routes.find((r) => r.path === "/s/twin")!.kind).toBe("sync");
    const [c, s] = await Promise.all([raw(withConst, "GET", "/c/twin"), raw(withConst, "GET", "/s/twin")]);
    expect(c).toBe(s);
    const res = parseResponses(c).responses[0];
    expect(JSON.parse(Buffer.from(res.body, "latin1").toString())).toEqual({ twin: true, list: [1, 2], s: "✓" });
  });

  it("pipelined const and sync requests keep their order", async () => {
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const ex = await exchange(withConst.port, [req("/c/string") + req("/s/object") + req("/c/number")], { responses: 3 });
    expect(parseResponses(ex.data).responses.map((r) => r.body)).toEqual([
      "hello, world",
      '{"hello":"world","path":"/s/object"}',
      "42",
    ]);
  });
});
