// CZ1040 (a handler's return type shows a value that cannot be sent) and CZ1041 (a constant
// status the runtime refuses): file, line, the type's name; and what is not reported.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { writeApp } from "./helpers.js";

const APP = `import { Catzilla, HttpError, empty, json, stream, text } from "catzilla";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
export const app = new Catzilla();
class Point { constructor(public x: number, public y: number) {} }
class Service { run() { return 1; } get n() { return 2; } }
class Money { constructor(private cents: number) {} toJSON() { return this.cents / 100; } }
app.get("/fn", () => () => 1);
app.get("/map", async () => new Map<string, number>());
app.get("/writer", () => createWriteStream("/dev/null"));
app.get("/service", (): Service | null => null);
app.get("/error", () => new Error("x"));
app.get("/symbol", () => Symbol("s"));
app.get("/gen", () => (function* () { yield "a"; })());
app.get("/values", () => ["a"].values());
app.get("/file", () => createReadStream("/etc/hostname"));
app.get("/readable", async () => Readable.from(["a"]));
app.get("/response", async () => new Response("hi"));
app.get("/point", () => new Point(1, 2));
app.get("/money", () => new Money(5));
app.get("/date", () => new Date());
app.get("/bytes", () => new Uint16Array(1));
app.get("/nested", () => ({ when: new Date(), tags: new Set<string>() }));
app.get("/any", (): any => new Map());
app.get("/e1", () => json({}, { status: 600 }));
app.get("/e2", () => { throw new HttpError(99, "x"); });
app.get("/e3", () => empty(100));
app.get("/e4", () => text("x", { status: 1_000 }));
app.get("/e5", () => stream(Readable.from([]), { status: 150 }));
const STATUS = 700;
app.get("/e6", () => json({}, { status: STATUS }));
app.get("/ok1", () => json({}, { status: 201 }));
app.get("/ok2", (req) => json({}, { status: Number(req.query.s) }));
app.get("/ok3", () => empty(304));
`;

describe("CZ1040 and CZ1041", async () => {
  const dir = writeApp("returns", { "app.ts": APP });
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
  const lineOf = (needle: string) => APP.split("\n").findIndex((l) => l.includes(needle)) + 1;
  const errors = r.diagnostics.filter((d) => d.severity === "error");

  it("CZ1040 names the route, the type and why, at the handler's line", () => {
    const got = errors.filter((d) => d.code === "CZ1040").map((d) => [d.span!.line, d.message]);
    const want = (path: string, type: string, why: string) => [
      lineOf(`app.get("${path}"`),
      expect.stringMatching(new RegExp(`^The handler for GET ${path} returns '${type}', which cannot be sent: ${why}`)),
    ];
    expect(got).toEqual([
      want("/fn", "\\(\\) => number", "a function has no JSON form"),
      want("/map", "Map<string, number>", "a Map keeps its state where JSON.stringify does not look"),
      want("/writer", "WriteStream", "an EventEmitter"),
      want("/service", "Service", "an instance of class Service has no data fields and no toJSON\\(\\)"),
      want("/error", "Error", "an Error keeps its state"),
      want("/symbol", "symbol", "a symbol has no JSON form"),
      want("/gen", "Generator<string, void, unknown>", "a sync iterator \\(a generator\\) is not a stream"),
      want("/values", "ArrayIterator<string>", "a sync iterator \\(a generator\\) is not a stream"),
    ]);
    for (const d of errors) expect(d.span!.file.endsWith("app.ts")).toBe(true);
  });

  it("streams, Responses, classes with fields, toJSON, bytes, nested fields and any are not CZ1040", () => {
    const flagged = new Set(errors.filter((d) => d.code === "CZ1040").map((d) => d.span!.line));
    for (const p of ["/file", "/readable", "/response", "/point", "/money", "/date", "/bytes", "/nested", "/any"]) {
      expect(flagged.has(lineOf(`app.get("${p}"`)), p).toBe(false);
    }
  });

  it("a returned Response is not noted as imprecise JSON (CZ2030)", () => {
    expect(r.notes.filter((n) => n.message.includes("GET /response:"))).toEqual([]);
  });

  it("CZ1041 points at each constant status out of 200..599, through consts; computed ones are left to run time", () => {
    const got = errors.filter((d) => d.code === "CZ1041").map((d) => [d.span!.line, d.message]);
    expect(got).toEqual([
      [lineOf('"/e1"'), "The status of json() must be an integer 200..599, got 600: the call would throw when it runs."],
      [lineOf('"/e2"'), "The status of HttpError() must be an integer 200..599, got 99: the call would throw when it runs."],
      [lineOf('"/e3"'), "The status of empty() must be an integer 200..599, got 100: the call would throw when it runs."],
      [lineOf('"/e4"'), "The status of text() must be an integer 200..599, got 1000: the call would throw when it runs."],
      [lineOf('"/e5"'), "The status of stream() must be an integer 200..599, got 150: the call would throw when it runs."],
      [lineOf('"/e6"'), "The status of json() must be an integer 200..599, got 700: the call would throw when it runs."],
    ]);
    const e6 = errors.find((d) => d.code === "CZ1041" && d.span!.line === lineOf('"/e6"'))!;
    expect(e6.frame).toContain("STATUS");
  });
});
