/**
 * No escape from a static mount's root (native/src/cz_static.c), over raw TCP: each
 * attempt ("..", its percent-encodings, an encoded '/' or '\', a raw backslash, NUL, an
 * absolute path after the prefix, symlinks leading out, dotfiles) is answered exactly 404,
 * and the next request on the same connection is still served. Each case is sent whole and
 * byte by byte (conformance/helpers.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get } from "../helpers/raw.js";
import { startStaticApp, type StaticApp } from "../helpers/static-app.js";
import { check, MODES, type Case } from "./helpers.js";

let s: StaticApp;
/** The same app with openat2 off: C checks paths with realpath() against the root's (older kernels). */
let fallback: StaticApp;
beforeAll(async () => {
  [s, fallback] = await Promise.all([
    startStaticApp("static-traversal"),
    startStaticApp("static-traversal-realpath", { CATZILLA_STATIC_NO_OPENAT2: "1" }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([s?.app.stop(), fallback?.app.stop()]);
});

/** Targets that must be 404 under the /assets mount (its root is public/, outside.txt is beside it). */
const ESCAPES: Record<string, string> = {
  "dot-dot": "/assets/../outside.txt",
  "dot-dot deeper": "/assets/sub/../../outside.txt",
  "dot-dot back inside": "/assets/sub/../hello.txt",
  "dot segment": "/assets/./hello.txt",
  "%2e%2e": "/assets/%2e%2e/outside.txt",
  "%2E%2E": "/assets/%2E%2E/outside.txt",
  ".%2e": "/assets/.%2e/outside.txt",
  "%2e.": "/assets/%2e./outside.txt",
  "%2e": "/assets/%2e/hello.txt",
  "%2f inside a segment": "/assets/..%2foutside.txt",
  "%2F after a directory": "/assets/sub%2F..%2F..%2Foutside.txt",
  "%2f leading": "/assets/%2fetc%2fpasswd",
  "%5c": "/assets/..%5coutside.txt",
  "raw backslash": "/assets/sub\\..\\hello.txt",
  "raw backslash alone": "/assets/\\etc\\passwd",
  "%00": "/assets/hello.txt%00.png",
  "%00 alone": "/assets/%00",
  "absolute after the prefix": "/assets//etc/passwd",
  "absolute, doubled": "/assets///etc/passwd",
  "empty segment inside": "/assets/sub//page.html",
  "bad percent-encoding": "/assets/%zz",
  "truncated percent-encoding": "/assets/hello.txt%2",
  "symlink out of the root": "/assets/link-out.txt",
  "symlink to an absolute path": "/assets/passwd",
  "through a directory symlink out": "/assets/up/outside.txt",
  dotfile: "/assets/.secret",
  "dotfile, encoded dot": "/assets/%2esecret",
  "dot directory": "/assets/.hidden/inside.txt",
  "dot directory in a group mount": "/g/files/.hidden/inside.txt",
  "mount root's parent via a Router mount": "/r/../hello.txt",
};

const cases: Case[] = Object.entries(ESCAPES).map(([name, target]) => ({
  name,
  req: get(target) + get("/assets/hello.txt"),
  statuses: [404, 200],
  close: false,
  bodies: ['{"error":"Not Found"}', "hello\n"],
}));

describe("static mounts: no escape from the root", () => {
  for (const mode of MODES) {
    describe(mode, () => {
      for (const c of cases) {
        it(`${c.name}: ${JSON.stringify(c.req.split(" ")[1])} → 404, then the next request is served`, async ({
          expect,
        }) => {
          await check(expect, s.app.port, c, mode);
        });
      }
    });
  }
  describe("without openat2 (the realpath() fallback)", () => {
    for (const c of cases) {
      it(`${c.name} → 404, then the next request is served`, async ({ expect }) => {
        await check(expect, fallback.app.port, c, "whole");
      });
    }
    it("a symlink inside the root is still served", async () => {
      const res = await fetch(fallback.app.url + "/assets/link-in.txt");
      expect(await res.text()).toBe("hello\n");
    });
  });

  it('the same names are served where they are allowed: a symlink inside the root, dotfiles with dotfiles: "allow"', async () => {
    const ok: Record<string, string> = {
      "/assets/link-in.txt": "hello\n",
      "/dots/.secret": "top secret",
      "/dots/.hidden/inside.txt": "hidden dir",
      "/assets/%68ello.txt": "hello\n", // an encoded ordinary character is just that character
      "/assets/hello.txt?x=../../outside.txt": "hello\n", // the query is not part of the path
    };
    for (const [target, body] of Object.entries(ok)) {
      const res = await fetch(s.app.url + target);
      expect(res.status, target).toBe(200);
      expect(await res.text(), target).toBe(body);
    }
    // "..", however spelled, stays refused even where dotfiles are allowed.
    // (fetch normalises a lone "%2e" segment away itself, so only these reach the server as sent.)
    for (const target of ["/dots/%2E%2E/outside.txt", "/dots/.%2e/outside.txt"]) {
      const res = await fetch(s.app.url + target);
      expect(res.status, target).toBe(404);
    }
  });
});
