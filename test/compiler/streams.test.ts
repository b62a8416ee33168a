/**
 * Streamed results in the compiler: a handler returning stream()/sse(), an async iterable,
 * a ReadableStream or a Node Readable is `maybe` (the stream starts after the handler
 * returns; an async handler stays async), gets no JSON serializer and no warning, and
 * `req.signal` needs no request bytes (flags 0).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { readRoutesJson, writeApp } from "./helpers.js";

const APP = `
import { Catzilla, stream, sse, type CzStream } from "catzilla";
import { Readable } from "node:stream";
export const app = new Catzilla();
interface Tick { n: number }
async function* ticks(signal: AbortSignal): AsyncGenerator<Tick> { let n = 0; while (!signal.aborted) yield { n: n++ }; }
async function* lines(): AsyncGenerator<string> { yield "a"; }
app.get("/stream", (req) => stream(lines()));
app.get("/sse", (req) => sse((async function* () { for await (const t of ticks(req.signal)) yield { data: t }; })()));
app.get("/generator", () => lines());
app.get("/web", (): ReadableStream<string> => new ReadableStream({ start(c) { c.close(); } }));
app.get("/node", (): Readable => Readable.from(["x"]));
app.get("/declared", (): CzStream => stream(lines()));
app.get("/async", async (req) => stream(lines(), { status: 201 }));
app.get("/signal", (req) => ({ aborted: req.signal.aborted }));
app.get("/typed/:n", (req): Tick => ({ n: Number(req.params.n) }));
`;

describe("streamed results in the compiler", () => {
  it("are maybe (async stays async), with no serializer, no warning, and req.signal reads no bytes", async () => {
    const dir = writeApp("compiler-streams", { "app.ts": APP });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.diagnostics).toEqual([]);
    const out = path.join(dir, ".catzilla");
    const kinds = Object.fromEntries(readRoutesJson(out).routes.map((x) => [x.path, [x.kind, x.flags]]));
    expect(kinds).toEqual({
      "/stream": ["maybe", 0],
      "/sse": ["maybe", 0],
      "/generator": ["maybe", 0],
      "/web": ["maybe", 0],
      "/node": ["maybe", 0],
      "/declared": ["maybe", 0],
      "/async": ["async", 0],
      "/signal": ["sync", 0],
      "/typed/:n": ["sync", 0],
    });
    // Only the plain typed result has a serializer; the streams are passed through as they are.
    const dispatch = fs.readFileSync(path.join(out, "dispatch.js"), "utf8");
    const serialized = [...dispatch.matchAll(/O\.out(\d+)/g)].map((m) => Number(m[1]));
    const typed = readRoutesJson(out).routes.find((x) => x.path === "/typed/:n")!.id;
    expect(serialized).toEqual([typed]);
  });
});
