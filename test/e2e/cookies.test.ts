/**
 * req.cookies, cookie() and Set-Cookie lines, HttpError with details, and repeated query
 * keys: an app compiled by the real compiler and served on 127.0.0.1; Set-Cookie is read
 * over raw TCP so each line is seen as sent (fetch would fold or hide them).
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { cookie } from "../../runtime/cookies.js";
import { HttpError } from "../../runtime/response.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange } from "../helpers/raw.js";
import { writeApp } from "../compiler/helpers.js";

const APP = `
import { Catzilla, HttpError, json, cookie } from "catzilla";
export const app = new Catzilla();
app.get("/me", (req) => ({ session: req.cookies.session ?? null }));
app.get("/all-cookies", (req) => ({ ...req.cookies }));
app.get("/me-async", async (req) => {
  await new Promise((r) => setTimeout(r, 5));
  return { session: req.cookies.session ?? null, same: req.cookies === req.cookies };
});
app.get("/me-blocking", (req) => ({ session: req.cookies.session ?? null }), { blocking: true });
app.post("/login", () => json({ ok: true }, {
  headers: { "Set-Cookie": [cookie("session", "abc", { httpOnly: true, sameSite: "Lax", maxAge: 3600 }),
                            cookie("theme", "dark", { path: "/" })] } }));
app.get("/teapot", () => { throw new HttpError(418, "I'm a teapot"); });
app.get("/conflict", () => { fail(); });
function fail(): never { throw new HttpError(409, "email taken", { field: "email", code: 17 }); }
app.get("/async-error", async () => {
  await Promise.resolve();
  throw new HttpError(422, "bad", { errors: [{ path: "$.a" }] });
});
app.get("/retry", () => { throw new HttpError(429, "slow down", undefined, { "Retry-After": "5" }); });
app.get("/tags", (req) => ({ a: req.searchParams.getAll("a"), b: req.searchParams.getAll("b[]"), q: req.query }));
`;

let running: RunningApp;
beforeAll(async () => {
  const dir = writeApp("cookies", { "app.ts": APP });
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  running = await serve(path.join(dir, ".catzilla"));
}, 120_000);
afterAll(async () => {
  await running?.stop();
});

describe("req.cookies", () => {
  it("is the Cookie header's cookies, percent-decoded; a missing one is undefined", async () => {
    const me = await fetch(`${running.url}/me`, { headers: { cookie: "theme=dark; session=s%20one" } });
    expect(await me.json()).toEqual({ session: "s one" });
    expect(await (await fetch(`${running.url}/me`)).json()).toEqual({ session: null });
    const all = await fetch(`${running.url}/all-cookies`, { headers: { cookie: "a=1; b=\"2\"; __proto__=x" } });
    // Quotes are kept as sent (the package's choice); "__proto__" is an ordinary cookie.
    expect(await all.text()).toBe(`{"a":"1","b":"\\"2\\"","__proto__":"x"}`);
  });

  it("reads every Cookie line (a proxy may send several)", async () => {
    const { data } = await exchange(
      running.port,
      ["GET /all-cookies HTTP/1.1\r\nHost: x\r\nCookie: a=1, x\r\nCookie: b=2\r\n\r\n"],
      { responses: 1 },
    );
    expect(data.slice(data.indexOf("\r\n\r\n") + 4)).toBe('{"a":"1, x","b":"2"}');
  });

  it("works after an await and in a blocking-pool worker (the request's own copy), parsed once", async () => {
    const me = await fetch(`${running.url}/me-async`, { headers: { cookie: "session=later" } });
    expect(await me.json()).toEqual({ session: "later", same: true });
    const pooled = await fetch(`${running.url}/me-blocking`, { headers: { cookie: "session=pool" } });
    expect(await pooled.json()).toEqual({ session: "pool" });
  });
});

describe("Set-Cookie", () => {
  it("an array leaves as separate Set-Cookie lines", async () => {
    const { data } = await exchange(running.port, ["POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"], {
      responses: 1,
    });
    const head = data.slice(0, data.indexOf("\r\n\r\n")).split("\r\n");
    expect(head[0]).toBe("HTTP/1.1 200 OK");
    expect(head.filter((l) => /^set-cookie:/i.test(l))).toEqual([
      "Set-Cookie: session=abc; Max-Age=3600; HttpOnly; SameSite=Lax",
      "Set-Cookie: theme=dark; Path=/",
    ]);
    expect(data.endsWith('{"ok":true}')).toBe(true);
  });
});

describe("HttpError", () => {
  it("without details: the status and {error}", async () => {
    const res = await fetch(`${running.url}/teapot`);
    expect(res.status).toBe(418);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(`{"error":"I'm a teapot"}`);
  });

  it("details are merged into the body, from a called function or after an await", async () => {
    const c = await fetch(`${running.url}/conflict`);
    expect(c.status).toBe(409);
    expect(await c.json()).toEqual({ error: "email taken", field: "email", code: 17 });
    const a = await fetch(`${running.url}/async-error`);
    expect(a.status).toBe(422);
    expect(await a.json()).toEqual({ error: "bad", errors: [{ path: "$.a" }] });
  });

  it("headers still reach the answer", async () => {
    const r = await fetch(`${running.url}/retry`);
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("5");
    expect(await r.json()).toEqual({ error: "slow down" });
  });

  it("rejects details that are not a plain object and statuses outside 200..599", () => {
    expect(() => new HttpError(400, "x", [] as unknown as Record<string, unknown>)).toThrow(TypeError);
    expect(() => new HttpError(400, "x", new Date() as unknown as Record<string, unknown>)).toThrow(TypeError);
    expect(() => new HttpError(100, "x")).toThrow(RangeError);
  });
});

describe("repeated query keys", () => {
  it("searchParams.getAll sees every value; query keeps the last", async () => {
    const r = await fetch(`${running.url}/tags?a=1&a=2&b[]=x&b%5B%5D=y`);
    expect(await r.json()).toEqual({ a: ["1", "2"], b: ["x", "y"], q: { a: "2", "b[]": "y" } });
  });
});

describe("cookie()", () => {
  it("writes every attribute", () => {
    const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(
      cookie("id", "a b;c", {
        path: "/app",
        domain: "example.com",
        maxAge: 60,
        expires,
        secure: true,
        httpOnly: true,
        sameSite: "None",
        partitioned: true,
      }),
    ).toBe(
      "id=a%20b%3Bc; Max-Age=60; Domain=example.com; Path=/app; Expires=Wed, 02 Jan 2030 03:04:05 GMT; " +
        "HttpOnly; Secure; Partitioned; SameSite=None",
    );
    expect(cookie("t", "dark", { sameSite: "strict" })).toBe("t=dark; SameSite=Strict");
  });

  it("throws a TypeError naming what is wrong", () => {
    const bad: [() => string, RegExp][] = [
      [() => cookie("a b", "x"), /cookie name is invalid/],
      [() => cookie("", "x"), /cookie name is invalid/],
      [() => cookie("a", 1 as unknown as string), /value must be a string/],
      [() => cookie("a", "\ud800"), /cookie "a"/],
      [() => cookie("a", "x", { path: "/;x" }), /path is invalid/],
      [() => cookie("a", "x", { domain: "a b" }), /domain is invalid/],
      [() => cookie("a", "x", { maxAge: 1.5 }), /maxAge is invalid/],
      [() => cookie("a", "x", { expires: new Date(NaN) }), /expires must be a valid Date/],
      [() => cookie("a", "x", { sameSite: "Sometimes" as "Lax" }), /sameSite must be/],
      [() => cookie("a", "x", { httpOnly: "yes" as unknown as boolean }), /httpOnly must be a boolean/],
      [() => cookie("a", "x", { maxage: 5 } as never), /unknown option "maxage"/],
    ];
    for (const [f, msg] of bad) expect(f).toThrow(TypeError), expect(f).toThrow(msg);
    // Not refused: browsers drop SameSite=None without Secure, but the value is well-formed
    // and other clients take it (docs/cookies.md says so).
    expect(cookie("a", "x", { sameSite: "None" })).toBe("a=x; SameSite=None");
  });
});
