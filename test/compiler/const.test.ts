/**
 * Const routes: which handlers become `const`, and the exact bytes routes.c carries for them
 * (built by the runtime's own encoder, checked here against an independent rendering).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { REASONS } from "../../compiler/shared/reasons.js";
import { copyFixture, readRoutesJson, ROOT, type RoutesJson } from "./helpers.js";

let dir: string;
let result: CompileResult;
let json: RoutesJson;

beforeAll(async () => {
  dir = copyFixture("const");
  result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  if (result.ok) json = readRoutesJson(path.join(dir, ".catzilla"));
}, 120_000);

describe("const routes", () => {
  it("compiles", () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("every /c/ route is const and every /s/ route is sync", () => {
    for (const r of json.routes) {
      expect(`${r.path} ${r.kind}`).toBe(`${r.path} ${r.path.startsWith("/c/") ? "const" : "sync"}`);
    }
    expect(json.routes.filter((r) => r.kind === "const").length).toBeGreaterThan(15);
  });
});

describe("const route bytes", () => {
  const bytesOf = (id: number): Buffer => {
    const c = fs.readFileSync(path.join(dir, ".catzilla", "routes.c"), "utf8");
    const m = new RegExp(`static const char const_${id}\\[\\] =\\n((?:  ".*"\\n?)+);`).exec(c);
    expect(m, `const_${id}`).not.toBeNull();
    // Undo cBytes: the C literal's escapes back to bytes.
    const lit = m![1].split("\n").map((l) => l.trim().slice(1, -1)).join("");
    const out: number[] = [];
    for (let i = 0; i < lit.length; i++) {
      if (lit[i] !== "\\") out.push(lit.charCodeAt(i));
      else {
        const n = lit[++i];
        if (n === "r") out.push(13);
        else if (n === "n") out.push(10);
        else if (n === "t") out.push(9);
        else if (/[0-7]/.test(n)) {
          out.push(parseInt(lit.slice(i, i + 3), 8));
          i += 2;
        } else out.push(n.charCodeAt(0));
      }
    }
    return Buffer.from(out);
  };
  const route = (p: string) => json.routes.find((r) => r.path === p)!;

  it("JSON: status line, Content-Length in bytes, Content-Type, blank line, JSON.stringify of the value", () => {
    const body = JSON.stringify({ s: "héllo ✓ 🐱" });
    expect(bytesOf(route("/c/unicode").id).toString("latin1")).toBe(
      "HTTP/1.1 200 OK\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Content-Type: application/json\r\n\r\n" +
        Buffer.from(body).toString("latin1"),
    );
    const spread = { name: "catzilla", tags: ["fast", "c"], nested: { ok: true, n: -1500 } };
    expect(bytesOf(route("/c/spread").id).toString().endsWith("\r\n\r\n" + JSON.stringify(spread))).toBe(true);
  });

  it("helpers: status, the runtime's header handling (framing headers dropped), text and html types", () => {
    expect(bytesOf(route("/c/json").id).toString()).toBe(
      "HTTP/1.1 201 Created\r\nContent-Length: 16\r\nContent-Type: application/json\r\nX-Test: yes\r\n\r\n" +
        '{"created":true}',
    );
    expect(bytesOf(route("/c/text").id).toString()).toBe(
      "HTTP/1.1 418 I'm a Teapot\r\nContent-Length: 6\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nteapot",
    );
    expect(bytesOf(route("/c/template").id).toString()).toMatch(/\r\n\r\nv3: hi there$/);
    expect(bytesOf(route("/c/redirect").id).toString()).toBe(
      "HTTP/1.1 307 Temporary Redirect\r\nContent-Length: 0\r\nLocation: /c/string\r\n\r\n",
    );
  });

  it("204 (undefined, or a helper with status 204) has neither Content-Length, Content-Type nor body", () => {
    expect(bytesOf(route("/c/empty").id).toString()).toBe("HTTP/1.1 204 No Content\r\n\r\n");
    expect(bytesOf(route("/c/no-content").id).toString()).toBe("HTTP/1.1 204 No Content\r\n\r\n");
  });

  it("routes.c names the bytes in the table; other routes have none", () => {
    const c = fs.readFileSync(path.join(dir, ".catzilla", "routes.c"), "utf8");
    for (const r of json.routes) {
      const entry = c.split("\n").find((l) => l.includes(`.pattern = "${r.path}"`))!;
      if (r.kind === "const") {
        expect(entry).toContain(`.kind = CZ_KIND_CONST`);
        expect(entry).toContain(`.const_response = const_${r.id}, .const_len = ${bytesOf(r.id).length}`);
      } else expect(entry).toContain(".const_response = NULL, .const_len = 0");
    }
  });

  it("dispatch.js has no case for a const route (C answers it)", () => {
    const d = fs.readFileSync(path.join(dir, ".catzilla", "dispatch.js"), "utf8");
    for (const r of json.routes) {
      expect(d.includes(`case ${r.id}:`), r.path).toBe(r.kind !== "const");
    }
    expect(d).toContain("answered in C");
  });

  it("reason phrases agree with native cz_http_reason", () => {
    const src = fs.readFileSync(path.join(ROOT, "native", "src", "cz_http.c"), "utf8");
    const fn = src.slice(src.indexOf("const char* cz_http_reason"), src.indexOf("---- rendering"));
    const native = Object.fromEntries([...fn.matchAll(/case (\d+): return "([^"]*)";/g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(native).length).toBeGreaterThan(50);
    expect(Object.fromEntries(Object.entries(REASONS).map(([k, v]) => [k, v]))).toEqual(native);
  });
});
