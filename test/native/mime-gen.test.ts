/**
 * native/src/cz_mime.gen.c (Content-Type by extension for static files) is what
 * scripts/gen-mime.mjs makes of the installed mime-db: regenerating gives the same bytes,
 * and the rows C binary-searches are sorted and unique.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../compiler/helpers.js";

describe("cz_mime.gen.c", () => {
  it("is current: gen-mime.mjs --check passes", () => {
    const r = spawnSync(process.execPath, ["scripts/gen-mime.mjs", "--check"], { cwd: ROOT, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("lists each extension once, sorted as strcmp sorts, lowercase, with the common web types", () => {
    const text = fs.readFileSync(path.join(ROOT, "native", "src", "cz_mime.gen.c"), "utf8");
    const rows = [...text.matchAll(/^ {4}\{"([^"]+)", "([^"]+)"\},$/gm)].map((m) => [m[1], m[2]]);
    expect(rows.length).toBeGreaterThan(1000);
    const exts = rows.map((r) => r[0]);
    const sorted = [...exts].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
    expect(exts).toEqual(sorted);
    expect(new Set(exts).size).toBe(exts.length);
    expect(exts.every((e) => e === e.toLowerCase())).toBe(true);
    const of = Object.fromEntries(rows);
    expect(of).toMatchObject({
      html: "text/html; charset=utf-8",
      css: "text/css; charset=utf-8",
      js: "text/javascript; charset=utf-8",
      json: "application/json; charset=utf-8",
      svg: "image/svg+xml",
      png: "image/png",
      wasm: "application/wasm",
      mp4: "video/mp4",
      woff2: "font/woff2",
    });
    expect(text).toContain(`const unsigned cz_mime_count = ${rows.length};`);
  });
});
