// A raw HTTP/1.1 client for the conformance measurements: exact bytes out, every byte back,
// and whether the server closed. (The tests use test/helpers/raw.ts; this is the plain-JS
// counterpart the bench scripts can import without a TypeScript step.)
import { connect } from "node:net";

/**
 * Sends `chunks` (Buffers or latin1 strings), `gapMs` apart, and collects the reply until
 * the server closes, has been silent for `idleMs`, or `timeoutMs` passed.
 * @returns {Promise<{ data: string, closed: boolean }>}
 */
export function exchange(port, chunks, { gapMs = 0, idleMs = 300, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port });
    sock.setNoDelay(true);
    let data = "";
    let done = false;
    let idle;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(hard);
      sock.destroy();
      resolve({ data, closed });
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), idleMs);
    };
    const hard = setTimeout(() => finish(false), timeoutMs);
    sock.on("data", (d) => {
      data += d.toString("latin1");
      arm();
    });
    sock.on("close", () => finish(true));
    sock.on("error", () => finish(true));
    sock.once("connect", async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs));
        if (done) return;
        sock.write(typeof chunks[i] === "string" ? Buffer.from(chunks[i], "latin1") : chunks[i]);
      }
      arm();
    });
  });
}

/** Every byte of `s` as its own chunk. */
export const bytes = (s) => {
  const b = typeof s === "string" ? Buffer.from(s, "latin1") : s;
  return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
};

/**
 * Splits a byte stream into responses ({ status, headers, body }), skipping 1xx interim
 * answers. The responses at the indexes in `noBody` answered a HEAD and have no body
 * whatever their Content-Length; so has one whose Content-Length is followed directly by
 * the next status line.
 */
export function parseResponses(data, noBody = []) {
  const responses = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const lines = rest.slice(0, end).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) break;
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    const bodyless = status < 200 || status === 204 || status === 304 || noBody.includes(responses.length);
    let len = bodyless ? 0 : Number(headers["content-length"] ?? 0);
    if (len > 0 && rest.startsWith("HTTP/1.", end + 4)) len = 0;
    if (rest.length < end + 4 + len) break;
    if (status >= 200) responses.push({ status, headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return { responses, rest };
}
