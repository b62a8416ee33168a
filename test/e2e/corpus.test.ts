// Replays h2o's HTTP/1 fuzz corpus (shared/conformance) against the real server: every
// answer is well-formed HTTP/1.1, and the server serves a normal request after every hundred.
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

describe("h2o HTTP/1 corpus", () => {
  const files = readdirSync(CORPUS).sort();
  it(`replays all ${files.length} streams`, { timeout: 240_000 }, async () => {
    expect(files.length).toBeGreaterThan(1900);
    const CONCURRENCY = 24;
    for (let start = 0; start < files.length; start += 100) {
      const slice = files.slice(start, start + 100);
      for (let k = 0; k < slice.length; k += CONCURRENCY) {
        await Promise.all(
          slice.slice(k, k + CONCURRENCY).map(async (name) => {
            const r = await exchange(app.port, packets(join(CORPUS, name)), { idleMs: 150, timeoutMs: 3000 });
            if (r.data.length > 0) {
              // Whatever came back starts with a well-formed HTTP/1.1 head (a 100 Continue may lead;
              // a HEAD answer has a Content-Length and no body, so heads are checked, not bodies).
              expect(r.data, name).toMatch(/^HTTP\/1\.1 [1-5]\d\d [^\r\n]*\r\n(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n]*\r\n)*\r\n/);
            }
          }),
        );
      }
      const ok = await exchange(app.port, [get("/sync")], { responses: 1 });
      expect(parseResponses(ok.data).responses[0]?.body, `after ${start + slice.length} streams`).toBe('{"type":"sync"}');
      expect(app.child.exitCode).toBeNull();
    }
  });
});
