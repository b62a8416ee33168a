/**
 * V8's JSON.stringify fast path on Node 24 (runtime/json-fast-path.ts): the version check,
 * that the flag changes no output (the premise of turning it on), and that a server on Node
 * 24 turns it on unless told not to, seen from a handler (only the iterative fast path
 * serializes nesting deeper than the stack).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasOffByDefaultFastPath } from "../../runtime/json-fast-path.js";
import { nodeBin } from "../../scripts/node.mjs";
import { compileOrThrow, ROOT, serve, type RunningApp } from "../helpers/app.js";

const NODE24 = nodeBin("24");
const FIXTURE = join(ROOT, "test", "fixtures", "json-fast-path");
const OUT = "test/.tmp/json-fast-path";

describe("hasOffByDefaultFastPath", () => {
  it.each([
    ["13.6.233.17-node.63", true], // Node 24
    ["13.7.152.1", true],
    ["13.8.258.1", false], // on by default from here
    ["14.6.202.34-node.10", false], // Node 26
    ["12.4.254.21-node.57", false], // Node 22: no such flag
    ["11.3.244.8-node.38", false], // Node 20
  ])("%s → %s", (v, expected) => {
    expect(hasOffByDefaultFastPath(v)).toBe(expected);
  });
});

describe("the flag changes no output (Node 24)", () => {
  it("200,000 generated values stringify alike with and without it", () => {
    const run = (flag: string) => {
      const r = spawnSync(NODE24, [flag, join(FIXTURE, "values.mjs")], { encoding: "utf8", maxBuffer: 256 << 20 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const on = run("--json-stringify-fast-path");
    const off = run("--no-json-stringify-fast-path");
    expect(on.split("\n").length).toBeGreaterThan(200_000);
    expect(on === off).toBe(true);
  }, 120_000);
});

describe("a server on Node 24", () => {
  let fast: RunningApp;
  let optedOut: RunningApp;
  beforeAll(async () => {
    compileOrThrow([join(FIXTURE, "app.ts")], OUT);
    [fast, optedOut] = await Promise.all([
      serve(OUT, {}, { node: NODE24 }),
      serve(OUT, { jsonFastPath: false }, { node: NODE24 }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([fast?.stop(), optedOut?.stop()]);
  });

  it("turns V8's JSON.stringify fast path on", async () => {
    const res = await fetch(`${fast.url}/deep`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("fast 40002");
  });

  it("leaves it off with listen({ jsonFastPath: false })", async () => {
    const res = await fetch(`${optedOut.url}/deep`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("recursive RangeError");
  });
});
