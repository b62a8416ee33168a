// The suite runs on several Node versions (scripts/test-on.sh, .ci/run): these check that a
// run asked for on one version really runs there, runner and spawned servers alike, and that
// the addon loads on it.
import { spawnSync } from "node:child_process";
import { readlinkSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, serve } from "./helpers/app.js";

// The Node-API version binding.gyp builds the addon for (NAPI_VERSION).
const ADDON_NAPI = 8;
const major = (v: string) => v.replace(/^v/, "").split(".")[0];
const ADDON = join(ROOT, "build", "Release", "catzilla.node");

describe("the Node the suite runs on", () => {
  it("is the one asked for, and the `node` on PATH is the same one", () => {
    // scripts/test-on.sh sets CATZILLA_TEST_NODE; a plain `npm test` runs on the machine's
    // node, which is then also what PATH finds.
    const onPath = spawnSync("node", ["-p", "process.execPath"], { encoding: "utf8" });
    expect(onPath.status).toBe(0);
    expect(realpathSync(onPath.stdout.trim())).toBe(realpathSync(process.execPath));
    if (process.env.CATZILLA_TEST_NODE) expect(major(process.version)).toBe(process.env.CATZILLA_TEST_NODE);
  });

  it(`offers Node-API ${ADDON_NAPI} or later, and the addon loads with its constants`, () => {
    expect(Number(process.versions.napi)).toBeGreaterThanOrEqual(ADDON_NAPI);
    const addon = createRequire(import.meta.url)(ADDON);
    expect(typeof addon.createServer).toBe("function");
    expect(addon.constants.BATCH_MAX).toBeGreaterThan(0);
  });

  // Node loads addons with lazy binding: a function missing from this Node would only fail
  // when first called. The addon is built once, against the machine's Node headers.
  it("exports every libuv and Node-API function the addon imports", () => {
    const symbols = (file: string, which: string) => {
      const r = spawnSync("nm", ["-D", which, file], { encoding: "utf8", maxBuffer: 1 << 26 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split("\n").map((l) => l.trim().split(/\s+/).at(-1)!.split("@")[0]);
    };
    const wanted = symbols(ADDON, "--undefined-only").filter((s) => /^(uv|napi)_/.test(s));
    expect(wanted).toContain("uv_listen");
    expect(wanted).toContain("napi_create_function");
    const offered = new Set(symbols(realpathSync(process.execPath), "--defined-only"));
    expect(wanted.filter((s) => !offered.has(s))).toEqual([]);
  });

  it("binds none of Node's own llhttp (another version on each Node): the addon's copy is local", () => {
    const r = spawnSync("nm", ["-D", ADDON], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter((l) => /\bllhttp_/.test(l))).toEqual([]);
  });

  it("serves from a child process running the same node binary", async () => {
    const app = await serve("test/fixtures/allsync/.catzilla");
    try {
      expect(realpathSync(readlinkSync(`/proc/${app.child.pid}/exe`))).toBe(realpathSync(process.execPath));
      expect(await (await fetch(app.url + "/a")).json()).toEqual({ a: 1 });
    } finally {
      await app.stop();
    }
  });
});
