// Replays h2o's HTTP/1 fuzz corpus (shared/conformance) against the real server, as the
// corpus packets and again split byte by byte: every answer is well-formed HTTP/1.1, and a
// fresh connection is served after every stream.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

const CORPUS = join(ROOT, "..", "shared", "conformance", "h2o-http1-corpus");
const MARK = Buffer.from("\n--MARK--\n");

function packets(file: string): Buffer[] {
  const data = readFileSync(file);
  const out: Buffer[] = [];
  let start = 0;
  for (let i = data.indexOf(MARK); i >= 0; i = data.indexOf(MARK, start)) {
    out.push(data.subarray(start, i));
    start = i + MARK.length;
  }
  // Bytes after the last marker are not sent (corpus README); a file without markers is one packet.
  if (out.length === 0) out.push(data);
  return out.filter((p) => p.length > 0);
}

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 2000 });
});
afterAll(async () => {
  await app?.stop();
});

/** Split mode sends this many leading bytes of a stream one per write (the rest in one): the
 * request line and headers, where a parser's state survives between reads, fit in it. */
const SPLIT_BYTES = 512;
const HEAD = /^HTTP\/1\.1 [1-5]\d\d [^\r\n]*\r\n(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n]*\r\n)*\r\n/;

function split(chunks: Buffer[]): Buffer[] {
  const all = Buffer.concat(chunks);
  const head = all.subarray(0, SPLIT_BYTES);
  const out = Array.from({ length: head.length }, (_, i) => head.subarray(i, i + 1));
  if (all.length > SPLIT_BYTES) out.push(all.subarray(SPLIT_BYTES));
  return out;
}

/** Replays every stream, `concurrency` at a time (a pool, so no stream waits for a slow
 * neighbour), each followed by a request on a fresh connection. */
async function replayAll(files: string[], toChunks: (p: Buffer[]) => Buffer[], gapMs: number | undefined, concurrency: number) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const name = files[i];
      const r = await exchange(app.port, toChunks(packets(join(CORPUS, name))), { gapMs, idleMs: 150, timeoutMs: 5000 });
      // Whatever came back starts with a well-formed HTTP/1.1 head (a 100 Continue may lead;
      // a HEAD answer has a Content-Length and no body, so heads are checked, not bodies).
      if (r.data.length > 0) expect(r.data, name).toMatch(HEAD);
      const ok = await exchange(app.port, [get("/sync")], { responses: 1, timeoutMs: 5000 });
      expect(parseResponses(ok.data).responses[0]?.body, `a fresh connection after ${name}`).toBe('{"type":"sync"}');
      expect(app.child.exitCode, `after ${name}`).toBeNull();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe("h2o HTTP/1 corpus", () => {
  const files = readdirSync(CORPUS).sort();
  it(`replays all ${files.length} streams`, { timeout: 240_000 }, async () => {
    expect(files.length).toBeGreaterThan(1900);
    await replayAll(files, (p) => p, undefined, 24);
  });

  it(`replays all ${files.length} streams split byte by byte (first ${SPLIT_BYTES} bytes)`, { timeout: 240_000 }, async () => {
    await replayAll(files, split, 1, 48);
  });
});
