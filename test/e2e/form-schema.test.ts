/**
 * Typed form bodies on the wire: a route whose handler declares `{ body: T }` and reads
 * `req.form()`/`req.formData()` takes T as an urlencoded or multipart form. Valid forms reach
 * the handler coerced (numbers, booleans, lists, Dates, Files); invalid ones are answered 400
 * problem+json with each failure's path, the form limits answer 413 before any check, and the
 * handler (whose calls are counted) never sees any of them. The server serves the next request.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { docExamples } from "../helpers/doc-examples.js";
import { exchange, parseResponses } from "../helpers/raw.js";
import { copyFixture, writeApp } from "../compiler/helpers.js";

let app: RunningApp;
let out: string;
let docs: RunningApp;

/** Small form limits, so the 413 cases are cheap: they apply before the check. */
const LIMITS = { maxFileBytes: 1000, maxFiles: 3, maxFields: 20, maxFieldBytes: 100 };

beforeAll(async () => {
  const dir = copyFixture("form-schema");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics).toEqual([]);
  out = path.join(dir, ".catzilla");
  // docs/validation.md's form example, as the page shows it.
  const ddir = writeApp("docs-forms", { "forms.ts": docExamples("validation.md")["forms.ts"] });
  const d = await compile({ entries: ["forms.ts"], outDir: ".catzilla", cwd: ddir });
  expect(d.diagnostics).toEqual([]);
  [app, docs] = await Promise.all([serve(out, LIMITS), serve(path.join(ddir, ".catzilla"))]);
}, 240_000);

afterAll(async () => {
  await Promise.all([app?.stop(), docs?.stop()]);
});

interface Failure {
  path: string;
  expected: string;
  message: string;
}

const post = (url: string, body: FormData | URLSearchParams | string, headers?: Record<string, string>) =>
  fetch(app.url + url, { method: "POST", body, headers });

const calls = async (): Promise<number> => ((await (await fetch(`${app.url}/calls`)).json()) as { calls: number }).calls;

/** Posts `body`, expects a 400 problem document; its failures; the handler was not called. */
async function failures(url: string, body: FormData | URLSearchParams | string, headers?: Record<string, string>): Promise<Failure[]> {
  const before = await calls();
  const res = await post(url, body, headers);
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const p = (await res.json()) as { type: string; title: string; status: number; errors: Failure[] };
  expect(p).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
  expect(await calls()).toBe(before);
  return p.errors;
}

/** Posts `body`, expects `status` (a limit, a malformed body), no handler call, and the next request served. */
async function refused(url: string, body: FormData | URLSearchParams | string, status: number, headers?: Record<string, string>) {
  const before = await calls();
  const res = await post(url, body, headers);
  expect(res.status).toBe(status);
  await res.arrayBuffer();
  expect(await calls()).toBe(before);
}

const signup = (extra: [string, string][] = []) =>
  new URLSearchParams([
    ["name", "Ada"],
    ["email", "ada@example.com"],
    ["role", "admin"],
    ...extra,
  ]);

describe("valid forms reach the handler coerced", () => {
  it("urlencoded: numbers, booleans, literal unions, lists (name and name[]), Date", async () => {
    const res = await post(
      "/signup",
      signup([
        ["age", "36"],
        ["newsletter", "true"],
        ["tags", "a"],
        ["tags[]", "b"],
        ["scores", "1.5"],
        ["scores", "-2e3"],
        ["born", "2024-02-29T12:00:00Z"],
        ["unknown", "ignored"],
      ]),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: "Ada",
      email: "ada@example.com",
      age: 36,
      ageType: "number",
      newsletter: true,
      role: "admin",
      tags: ["a", "b"],
      scores: [1.5, -2000],
      born: "Date:2024-02-29T12:00:00.000Z",
    });
  });

  it("a ticked checkbox without a value attribute (\"on\") is true; an unticked one sends nothing", async () => {
    const on = await post("/signup", signup([["newsletter", "on"]]));
    expect(on.status).toBe(200);
    expect(((await on.json()) as { newsletter?: boolean }).newsletter).toBe(true);
    const off = await post("/signup", signup([]));
    expect(off.status).toBe(200);
    expect(((await off.json()) as { newsletter?: boolean }).newsletter).toBeUndefined();
  });

  it("multipart: the same fields; absent optionals are absent, an absent list is []", async () => {
    const f = new FormData();
    f.append("name", "Bo");
    f.append("email", "bo@example.com");
    f.append("role", "member");
    f.append("age", ""); // an empty number input: absent
    f.append("nickname", ""); // a string takes ""
    const res = await post("/signup", f);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: "Bo",
      email: "bo@example.com",
      role: "member",
      tags: [],
      nickname: "",
      born: null,
      ageType: "undefined",
    });
  });

  it("files: File and Blob[] parts, formData() is the same parsed FormData, the query coerced too", async () => {
    const f = new FormData();
    f.append("title", "report");
    f.append("file", new File(["hello file"], "a.txt", { type: "text/plain" }));
    f.append("extra", new Blob([new Uint8Array(3)]));
    f.append("extra[]", new Blob([new Uint8Array(5)]));
    const res = await post("/upload?dry=true", f);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      title: "report",
      name: "a.txt",
      type: "text/plain",
      size: 10,
      text: "hello file",
      extra: [3, 5],
      same: true,
      dry: true,
    });
  });

  it("a handler that reads formData() only is checked all the same", async () => {
    expect(await (await post("/raw", new URLSearchParams({ n: "7" }))).json()).toEqual({ n: "7" });
    expect(await failures("/raw", new URLSearchParams({ n: "7.5" }))).toEqual([
      { path: "$.n", expected: "number & Integer", message: "must be an integer" },
    ]);
    expect(await failures("/raw", new URLSearchParams({ n: "" }))).toEqual([{ path: "$.n", expected: "number & Integer", message: "is required" }]);
  });

  it("a declared result type still filters the answer, with and without middleware (the check runs inside the chain, after the middleware, as a JSON body's does)", async () => {
    const typed = await post("/typed", new URLSearchParams({ title: "t" }));
    expect(await typed.json()).toEqual({ title: "t" });
    const tagged = await post("/tagged", new URLSearchParams({ title: "u" }));
    expect(tagged.headers.get("x-mw")).toBe("ran");
    expect(await tagged.json()).toEqual({ title: "u" });
    expect(await failures("/tagged", new URLSearchParams({}))).toEqual([{ path: "$.title", expected: "string", message: "is required" }]);
  });

  it("form() without a body type: each field, a repeated one as an array", async () => {
    const res = await post("/loose", "a=1&a=2&b=3", { "content-type": "application/x-www-form-urlencoded" });
    expect(await res.json()).toEqual({ f: { a: ["1", "2"], b: "3" } });
  });
});

describe("invalid forms are answered 400 and never reach the handler", () => {
  it("urlencoded: every failure with its path, in declaration order", async () => {
    const errors = await failures(
      "/signup",
      new URLSearchParams([
        ["name", ""],
        ["email", "nope"],
        ["age", "1.5"],
        ["newsletter", "yes"],
        ["role", "root"],
        ["tags", "x"],
        ["tags", ""],
        ["tags", "y"],
        ["tags", "z"],
        ["scores", "1"],
        ["scores", "many"],
        ["born", "yesterday"],
      ]),
    );
    expect(errors).toEqual([
      { path: "$.name", expected: "string & MinLength<1> & MaxLength<40>", message: "must be at least 1 character long" },
      { path: "$.email", expected: 'string & Format<"email">', message: "must be an email address" },
      { path: "$.age", expected: "number & Integer & Minimum<0>", message: "must be an integer" },
      { path: "$.newsletter", expected: "boolean", message: "must be a boolean" },
      { path: "$.role", expected: "Role", message: 'must be one of "admin", "member"' },
      { path: "$.tags", expected: "string & MinLength<1>[] & MaxItems<3>", message: "must have at most 3 items" },
      { path: "$.tags[1]", expected: "string & MinLength<1>", message: "must be at least 1 character long" },
      { path: "$.scores[1]", expected: "number", message: "must be a number" },
      { path: "$.born", expected: "Date", message: "must be a date-time (RFC 3339)" },
    ]);
  });

  it("missing required fields; a scalar given twice", async () => {
    expect(await failures("/signup", "email=a@b.co&email=c@d.co&role=", { "content-type": "application/x-www-form-urlencoded" })).toEqual([
      { path: "$.name", expected: "string & MinLength<1> & MaxLength<40>", message: "is required" },
      { path: "$.email", expected: 'string & Format<"email">', message: "must be given once (it was given 2 times)" },
      { path: "$.role", expected: "Role", message: "is required" },
    ]);
  });

  it("multipart: a file where text is declared, text where a file is, an empty file input, with the query's failures", async () => {
    const f = new FormData();
    f.append("title", new File(["t"], "t.txt"));
    f.append("file", "not a file");
    f.append("extra", "text");
    expect(await failures("/upload?dry=maybe", f)).toEqual([
      { path: "query.dry", expected: "boolean", message: "must be a boolean" },
      { path: "$.title", expected: "string", message: "must be a text field, not a file" },
      { path: "$.file", expected: "File", message: "must be a file" },
      { path: "$.extra[0]", expected: "Blob", message: "must be a file" },
    ]);
    // A file input left empty: browsers send a part with no filename and no bytes.
    const empty = new FormData();
    empty.append("title", "t");
    empty.append("file", new File([], ""));
    expect(await failures("/upload", empty)).toEqual([{ path: "$.file", expected: "File", message: "is required" }]);
  });

  it("the server serves the next request", async () => {
    expect((await post("/signup", signup())).status).toBe(200);
  });
});

describe("limits and framing come before the check", () => {
  it("413 over maxFileBytes, maxFields or maxFieldBytes (even when fields are invalid too)", async () => {
    const big = new FormData();
    big.append("title", new File(["x"], "x")); // invalid, but the limit answers first
    big.append("file", new File([new Uint8Array(LIMITS.maxFileBytes + 1)], "big.bin"));
    await refused("/upload", big, 413);
    const many = new URLSearchParams(signup());
    for (let i = 0; i < LIMITS.maxFields; i++) many.append(`x${i}`, "1");
    await refused("/signup", many, 413);
    await refused("/signup", signup([["nickname", "n".repeat(LIMITS.maxFieldBytes + 1)]]), 413);
  });

  it("415 for a JSON body, 400 for a malformed multipart body; the connection's next request is served", async () => {
    await refused("/signup", JSON.stringify({ name: "Ada" }), 415, { "content-type": "application/json" });
    const body = "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n--b\r\nContent-Dispo";
    const raw =
      `POST /signup HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      "GET /calls HTTP/1.1\r\nHost: t\r\n\r\n";
    const r = await exchange(app.port, [raw], { responses: 2 });
    expect(parseResponses(r.data).responses.map((x) => x.status)).toEqual([400, 200]);
  });
});

describe("the typed client", () => {
  it("sends a FormData for a form route: lists once per item, files as files", async () => {
    const client = (await import(pathToFileURL(path.join(out, "client.js")).href)) as {
      createClient(o: { baseUrl: string }): Record<string, (call: object) => Promise<unknown>>;
    };
    const api = client.createClient({ baseUrl: app.url });
    expect(await api.postSignup({ body: { name: "Cy", email: "cy@example.com", role: "member", tags: ["p", "q"], age: 5 } })).toMatchObject({
      name: "Cy",
      tags: ["p", "q"],
      age: 5,
    });
    const up = (await api.postUpload({ body: { title: "t", file: new File(["abc"], "c.txt", { type: "text/plain" }) }, query: { dry: false } })) as {
      name: string;
      size: number;
    };
    expect(up).toMatchObject({ name: "c.txt", size: 3, dry: false });
    const bad = await api.postSignup({ body: { name: "", email: "x", role: "member", tags: [] } }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400 });
    expect(fs.existsSync(path.join(out, "client.d.ts"))).toBe(true);
  });
});

describe("docs/validation.md's form example", () => {
  it("takes urlencoded and multipart forms as the page says", async () => {
    const ok = await fetch(`${docs.url}/signup`, {
      method: "POST",
      body: new URLSearchParams([
        ["email", "a@b.co"],
        ["age", "30"],
        ["plan", "pro"],
        ["newsletter", "true"],
        ["interests", "cats"],
        ["interests", "maps"],
      ]),
    });
    expect(await ok.json()).toEqual({ email: "a@b.co", age: 30, plan: "pro", news: true, interests: ["cats", "maps"] });
    const bad = await fetch(`${docs.url}/signup`, { method: "POST", body: new URLSearchParams({ email: "a@b.co", age: "12", plan: "gold" }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Failure[] }).errors.map((e) => e.path)).toEqual(["$.age", "$.plan"]);
    const f = new FormData();
    f.append("image", new File([new Uint8Array(64)], "me.png", { type: "image/png" }));
    const avatar = await fetch(`${docs.url}/avatar`, { method: "POST", body: f });
    expect(await avatar.json()).toEqual({ name: "me.png", type: "image/png", bytes: 64, caption: "" });
  });
});
