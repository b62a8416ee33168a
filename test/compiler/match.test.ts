/**
 * The generated match(): compile a fixture app with the real compiler, load its routes.so
 * with dlopen from a small C harness (test/compiler/match_harness.c) and check what it
 * answers for many paths: priorities, backtracking, 405 allow masks, HEAD fallback,
 * params offsets, trailing slashes and empty segments.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { KINDS, type Kind } from "../../compiler/types.js";
import { ROUTES_ABI_VERSION } from "../../runtime/abi.js";
import { METHODS } from "../../runtime/app.js";
import { copyFixture, readRoutesJson, ROOT, tmpDir, type RoutesJson } from "./helpers.js";

type Expect = string | { status: 404 } | { status: 405; allow: string[] } | { status: 400; route: string; param: string };
type Case = [method: string, path: string, expected: Expect, params?: Record<string, string>];

interface Answer {
  route: string | null;
  allow: string[];
  params: Record<string, string>;
  /** m->bad_param/bad_route: "GET /b/:id(int) id" when match() asks for a 400. */
  bad: string | null;
}

let harness: string;

function buildHarness(): string {
  const dir = tmpDir("harness");
  const exe = path.join(dir, "match_harness");
  execFileSync("cc", [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-O2",
    "-I",
    path.join(ROOT, "native", "include"),
    "-o",
    exe,
    path.join(ROOT, "test", "compiler", "match_harness.c"),
    "-ldl",
  ]);
  return exe;
}

async function compileFixture(name: string): Promise<{ out: string; json: RoutesJson }> {
  const dir = copyFixture(name);
  const result = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const out = path.join(dir, ".catzilla");
  return { out, json: readRoutesJson(out) };
}

/** Runs every query through the harness in one process. */
function matchAll(out: string, json: RoutesJson, queries: [string, string][]): { header: string[]; answers: Answer[] } {
  const input = queries.map(([m, p]) => `${METHODS.indexOf(m as (typeof METHODS)[number])} ${p}\n`).join("");
  const run = spawnSync(harness, [path.join(out, "routes.so")], { input, encoding: "utf8", maxBuffer: 1 << 26 });
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout.trimEnd().split("\n");
  const header = lines.filter((l) => !l.startsWith("match "));
  const answers = lines
    .filter((l) => l.startsWith("match "))
    .map((l, i) => {
      const [, id, allowHex, , badPair, ...pairs] = l.split(" ");
      const [badParam, badRoute] = badPair.split(":").map(Number);
      const br = json.routes[badRoute];
      const bad = badParam > 0 ? `${br.method} ${br.path} ${br.params[badParam - 1]}` : null;
      const allowBits = BigInt("0x" + allowHex);
      const allow = METHODS.filter((_, n) => (allowBits >> BigInt(n)) & 1n);
      const route = Number(id) >= 0 ? json.routes[Number(id)] : undefined;
      const params: Record<string, string> = {};
      pairs.forEach((pair, k) => {
        const [off, len] = pair.split(":").map(Number);
        params[route ? route.params[k] : String(k)] = queries[i][1].slice(off, off + len);
      });
      return { route: route ? `${route.method} ${route.path}` : null, allow: [...allow], params, bad };
    });
  expect(answers).toHaveLength(queries.length);
  return { header, answers };
}

function check(cases: Case[], answers: () => Answer[]): void {
  cases.forEach(([method, p, expected, params], i) => {
    const label = `${method} ${p.length > 60 ? p.slice(0, 60) + "…" : JSON.stringify(p)}`;
    it(`${label} → ${typeof expected === "string" ? expected : expected.status}`, () => {
      const a = answers()[i];
      if (typeof expected === "string") {
        expect(a.route).toBe(expected);
        expect(a.allow).toEqual([]);
        expect(a.params).toEqual(params ?? {});
      } else if (expected.status === 400) {
        expect(a.route).toBeNull();
        expect(a.bad).toBe(`${expected.route} ${expected.param}`);
      } else {
        expect(a.route).toBeNull();
        expect(a.params).toEqual({});
        expect(a.bad).toBeNull();
        expect(a.allow.sort()).toEqual(expected.status === 405 ? [...expected.allow].sort() : []);
      }
    });
  });
}

const NF = { status: 404 } as const;
const bad = (route: string, param: string) => ({ status: 400 as const, route, param });
const na = (...allow: string[]) => ({ status: 405 as const, allow });
const deep = Array.from({ length: 15 }, (_, i) => String(i + 1));
const deepParams = Object.fromEntries("abcdefghijklmno".split("").map((n, i) => [n, deep[i]]));

const ROUTING: Case[] = [
  ["GET", "/", "GET /"],
  ["GET", "/users", "GET /users"],
  ["GET", "/users/", "GET /users/"],
  ["GET", "/users/me", "GET /users/me"],
  ["GET", "/users/42", "GET /users/:id", { id: "42" }],
  ["GET", "/users/a%20b", "GET /users/:id", { id: "a%20b" }],
  ["POST", "/users/me", "POST /users/:id", { id: "me" }],
  ["GET", "/users/42/posts/7", "GET /users/:id/posts/:post", { id: "42", post: "7" }],
  ["GET", "/users/42/posts/7/", NF],
  ["GET", "/users/42/posts", NF],
  ["GET", "/users/42/files/a/b/c.txt", "GET /users/:id/files/*", { id: "42", "*": "a/b/c.txt" }],
  ["GET", "/users/42/files/", "GET /users/:id/files/*", { id: "42", "*": "" }],
  ["GET", "/users/42/files", NF],
  ["GET", "/users//posts/7", NF],
  ["GET", "/users//", NF],
  ["GET", "/files/special", "GET /files/special"],
  ["GET", "/files/special/x", "GET /files/*", { "*": "special/x" }],
  ["GET", "/files/", "GET /files/*", { "*": "" }],
  ["GET", "/files//x", "GET /files/*", { "*": "/x" }],
  ["GET", "/files", NF],
  ["GET", "/a/b/d", "GET /a/b/d"],
  ["GET", "/a/b/c", "GET /a/:x/c", { x: "b" }],
  ["GET", "/a/z/c", "GET /a/:x/c", { x: "z" }],
  ["GET", "/a/b/e", NF],
  ["GET", "/a//c", NF],
  ["DELETE", "/users/42", na("GET", "HEAD", "POST")],
  ["PUT", "/m/me", na("GET", "HEAD", "POST")],
  ["POST", "/m/me", "POST /m/:id", { id: "me" }],
  ["GET", "/m/other", na("POST")],
  ["PUT", "/x/me", na("DELETE", "GET", "HEAD", "POST")],
  ["DELETE", "/x/me/deeper", "DELETE /x/*", { "*": "me/deeper" }],
  ["HEAD", "/users/42", "GET /users/:id", { id: "42" }],
  ["HEAD", "/", "GET /"],
  ["HEAD", "/hd/x", "HEAD /hd/:y", { y: "x" }],
  ["GET", "/hd/x", "GET /hd/x"],
  ["GET", "/hd/zz", na("HEAD")],
  ["GET", "/only-head", na("HEAD")],
  ["HEAD", "/only-head", "HEAD /only-head"],
  ["HEAD", "/only-put", na("PUT")],
  ["PROPFIND", "/dav/file.txt", "PROPFIND /dav/:res", { res: "file.txt" }],
  ["GET", "/dav/file.txt", na("PROPFIND")],
  [
    "GET",
    `/deep/${deep.join("/")}/rest/of`,
    "GET /deep/:a/:b/:c/:d/:e/:f/:g/:h/:i/:j/:k/:l/:m/:n/:o/*",
    { ...deepParams, "*": "rest/of" },
  ],
  ["GET", `/deep/${deep.slice(0, 14).join("/")}`, NF],
  ["GET", "/same/len/abc", "GET /same/len/abc"],
  ["GET", "/same/len/abd", "GET /same/len/abd"],
  ["GET", "/same/len/ab", "GET /same/len/ab"],
  ["GET", "/same/len/abe", NF],
  ["GET", "/same/len/a", NF],
  ["GET", "/nothing", NF],
  ["GET", "/USERS", NF],
  ["GET", "users", NF],
  ["GET", "", NF],
  ["GET", "/files/" + "a".repeat(65000), "GET /files/*", { "*": "a".repeat(65000) }],
  ["GET", "/files/" + "a".repeat(70000), NF],
];

const ROOTED: Case[] = [
  ["GET", "/", "GET /"],
  ["HEAD", "/", "GET /"],
  ["GET", "/static", "GET /static"],
  ["GET", "/other", "GET /*", { "*": "other" }],
  ["GET", "/static/x", "GET /*", { "*": "static/x" }],
  ["GET", "/static/", "GET /*", { "*": "static/" }],
  ["POST", "/static", "POST /:name", { name: "static" }],
  ["PUT", "/static", na("GET", "HEAD", "POST")],
  ["POST", "/", na("GET", "HEAD")],
  ["POST", "/a/b", na("GET", "HEAD")],
];

// Typed params (test/fixtures/compiler/typed): a segment failing a type falls through to the next branch.
const TYPED: Case[] = [
  ["GET", "/u/42", "GET /u/:id(int)", { id: "42" }],
  ["GET", "/u/-7", "GET /u/:id(int)", { id: "-7" }],
  ["GET", "/u/007", "GET /u/:id(int)", { id: "007" }],
  ["GET", "/u/9007199254740991", "GET /u/:id(int)", { id: "9007199254740991" }],
  ["GET", "/u/-9007199254740991", "GET /u/:id(int)", { id: "-9007199254740991" }],
  ["GET", "/u/9007199254740992", "GET /u/:name", { name: "9007199254740992" }],
  ["GET", "/u/99999999999999999999999", "GET /u/:name", { name: "99999999999999999999999" }],
  ["GET", "/u/me", "GET /u/:kind(me|admin)", { kind: "me" }],
  ["GET", "/u/admin", "GET /u/:kind(me|admin)", { kind: "admin" }],
  ["GET", "/u/meh", "GET /u/:name", { name: "meh" }],
  ["GET", "/u/m", "GET /u/:name", { name: "m" }],
  ["GET", "/u/4a", "GET /u/:name", { name: "4a" }],
  ["GET", "/u/-", "GET /u/:name", { name: "-" }],
  ["GET", "/u/1.5", "GET /u/:name", { name: "1.5" }],
  ["GET", "/u/%31", "GET /u/:name", { name: "%31" }],
  ["GET", "/n/1.5", "GET /n/:x(number)", { x: "1.5" }],
  ["GET", "/n/-0.5e10", "GET /n/:x(number)", { x: "-0.5e10" }],
  ["GET", "/n/0", "GET /n/:x(number)", { x: "0" }],
  ["GET", "/n/1E+2", "GET /n/:x(number)", { x: "1E+2" }],
  ["GET", "/n/01", NF],
  ["GET", "/n/1.", NF],
  ["GET", "/n/.5", NF],
  ["GET", "/n/1e", NF],
  ["GET", "/n/abc", NF],
  ["GET", "/n/5/more", "GET /n/:x(int)/more", { x: "5" }],
  ["GET", "/n/5.5/more", NF],
  ["GET", "/e/red/x", "GET /e/:c(red|green)/x", { c: "red" }],
  ["GET", "/e/green/x", "GET /e/:c(red|green)/x", { c: "green" }],
  ["GET", "/e/blue/x", "GET /e/*", { "*": "blue/x" }],
  ["GET", "/e/red/y", "GET /e/*", { "*": "red/y" }],
  ["GET", "/s/anything", "GET /s/:s(string)", { s: "anything" }],
  // paramMismatch: 400 (m->bad_param/bad_route; the server answers 400 with the param's body)
  ["GET", "/b/12", "GET /b/:id(int)", { id: "12" }],
  ["GET", "/b/abc", bad("GET /b/:id(int)", "id")],
  ["HEAD", "/b/abc", bad("GET /b/:id(int)", "id")],
  ["GET", "/b/new", "GET /b/new"],
  ["DELETE", "/b/7", "DELETE /b/:id(int)", { id: "7" }],
  ["DELETE", "/b/abc", NF],
  ["POST", "/b/abc", NF],
  ["POST", "/b/7", na("GET", "HEAD", "DELETE")],
  ["GET", "/b/7/head", "GET /b/:id(int)/:part(head|body)", { id: "7", part: "head" }],
  ["GET", "/b/7/foot", bad("GET /b/:id(int)/:part(head|body)", "part")],
  ["GET", "/b/x/head", bad("GET /b/:id(int)/:part(head|body)", "id")],
  ["GET", "/b/x/foot", bad("GET /b/:id(int)/:part(head|body)", "id")],
  ["GET", "/b/7/head/more", NF],
  ["GET", "/b/x/head/more", NF],
  ["GET", "/v/1.5/a/b", "GET /v/:n(number)/*", { n: "1.5", "*": "a/b" }],
  ["GET", "/v/one/a/b", bad("GET /v/:n(number)/*", "n")],
  ["GET", "/v/one", NF],
  ["GET", "/strict/x", bad("GET /strict/:id(int)", "id")],
];

describe("generated match()", () => {
  let routing: Answer[] = [];
  let rooted: Answer[] = [];
  let header: string[] = [];
  let json: RoutesJson;

  beforeAll(async () => {
    harness = buildHarness();
    const a = await compileFixture("routing");
    json = a.json;
    const ra = matchAll(
      a.out,
      a.json,
      ROUTING.map(([m, p]) => [m, p]),
    );
    routing = ra.answers;
    header = ra.header;
    const b = await compileFixture("routing-root");
    rooted = matchAll(
      b.out,
      b.json,
      ROOTED.map(([m, p]) => [m, p]),
    ).answers;
  }, 120_000);

  it("exports a table matching routes.json (ABI version, fingerprint, methods, kinds, patterns)", () => {
    expect(header[0]).toBe(`table abi=${ROUTES_ABI_VERSION} nroutes=${json.routes.length} fingerprint=${json.fingerprint}`);
    json.routes.forEach((r, i) => {
      const method = METHODS.indexOf(r.method as (typeof METHODS)[number]);
      expect(header[i + 1]).toBe(
        `route ${i} method=${method} kind=${KINDS.indexOf(r.kind as Kind)} flags=${r.flags} body_limit=0 pattern=${r.path} ` +
          `const=${r.kind === "const" ? "set" : "null"} param_errors=null`,
      );
    });
  });

  describe("routing fixture", () => check(ROUTING, () => routing));
  describe("catch-all next to the root", () => check(ROOTED, () => rooted));

  describe("typed params", () => {
    let typed: Answer[] = [];
    let typedJson: RoutesJson;
    let typedOut = "";
    beforeAll(async () => {
      const t = await compileFixture("typed");
      typedJson = t.json;
      typedOut = t.out;
      typed = matchAll(
        t.out,
        t.json,
        TYPED.map(([m, p]) => [m, p]),
      ).answers;
    }, 120_000);
    it("routes.json records each param's type", () => {
      const types = Object.fromEntries(typedJson.routes.map((r) => [r.path, r.paramTypes]));
      expect(types["/u/:id(int)"]).toEqual([{ type: "int" }]);
      expect(types["/u/:kind(me|admin)"]).toEqual([{ type: "enum", values: ["me", "admin"] }]);
      expect(types["/u/:name"]).toEqual([{ type: "string" }]);
      expect(types["/n/:x(number)"]).toEqual([{ type: "number" }]);
      expect(types["/e/*"]).toEqual([{ type: "string" }]);
      expect(typedJson.routes.find((r) => r.path === "/u/:id(int)")!.params).toEqual(["id"]);
      const strict = typedJson.routes.filter((r) => (r as { paramMismatch?: number }).paramMismatch === 400);
      expect(strict.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
        "GET /b/:id(int)",
        "GET /b/:id(int)/:part(head|body)",
        "GET /strict/:id(int)",
        "GET /v/:n(number)/*",
      ]);
    });
    it("the type checks compile under -std=c99 -Wpedantic -Wconversion -Werror (gcc and clang)", () => {
      for (const cc of ["gcc", "clang"]) {
        if (spawnSync(cc, ["--version"]).status !== 0) continue;
        const flags = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wshadow", "-Werror", "-O2"];
        const inc = ["-I", path.join(ROOT, "native", "include")];
        const so = path.join(typedOut, `check-${cc}.so`);
        execFileSync(cc, [...flags, "-shared", "-fPIC", ...inc, "-o", so, path.join(typedOut, "routes.c")]);
      }
    });
    check(TYPED, () => typed);
  });
});
