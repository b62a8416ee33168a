// Request-smuggling probes in the manner of smuggler-style scanners, written for this
// project: mutations of Transfer-Encoding and Content-Length (spacing, case, duplicates,
// obs-fold, control bytes, odd values), each sent in front of a pipelined `GET /sync`, and
// a verdict on what the server did with them. Plain ESM so that test/conformance/
// smuggle.test.ts and bench/conformance/smuggle.mjs (which also measures node:http) share
// one list and one classifier.
//
// A subject under test answers `GET /sync` with {"type":"sync"} and `POST /echo-text` with
// the request body it decoded. What the echo says tells which framing the server used.

/** The pipelined request behind every probe. */
export const FOLLOW = "GET /sync HTTP/1.1\r\nHost: t\r\n\r\n";
export const FOLLOW_BODY = '{"type":"sync"}';
const CHUNKED_BODY = "5\r\nhello\r\n0\r\n\r\n";
const CL_BODY = "hello";

/**
 * `expect` is what RFC 9112 requires of the mutated message alone: "accept" (it is a valid
 * spelling), "reject" (6.1, 6.3, 5.1, 5.2: 400 and close), or "either" (the RFC lets the
 * server choose, e.g. OWS a strict parser refuses, identical duplicate Content-Length).
 * `notTE`: the field is not Transfer-Encoding at all (probed only beside Content-Length).
 * @typedef {{ name: string, lines: string, expect: "accept" | "reject" | "either", notTE?: boolean }} Mutation
 */

/** @type {Mutation[]} Transfer-Encoding as header lines (no final CRLF). */
export const TE_MUTATIONS = [
  { name: "plain", lines: "Transfer-Encoding: chunked", expect: "accept" },
  { name: "no space", lines: "Transfer-Encoding:chunked", expect: "accept" },
  { name: "two spaces", lines: "Transfer-Encoding:  chunked", expect: "accept" },
  { name: "tab before value", lines: "Transfer-Encoding:\tchunked", expect: "accept" },
  { name: "space after value", lines: "Transfer-Encoding: chunked ", expect: "accept" },
  { name: "value upper case", lines: "Transfer-Encoding: CHUNKED", expect: "accept" },
  { name: "name lower case", lines: "transfer-encoding: chunked", expect: "accept" },
  { name: "name upper case, value mixed", lines: "TRANSFER-ENCODING: cHuNkEd", expect: "accept" },
  { name: "tab after value", lines: "Transfer-Encoding: chunked\t", expect: "either" },
  { name: "empty list element first", lines: "Transfer-Encoding: , chunked", expect: "either" },
  { name: "bare LF line end", lines: "Transfer-Encoding: chunked\nX-After: 1", expect: "either" },
  { name: "space before colon", lines: "Transfer-Encoding : chunked", expect: "reject" },
  { name: "tab before colon", lines: "Transfer-Encoding\t: chunked", expect: "reject" },
  { name: "leading space on the line", lines: " Transfer-Encoding: chunked", expect: "reject" },
  { name: "obs-fold after empty value", lines: "Transfer-Encoding:\r\n chunked", expect: "reject" },
  { name: "obs-fold with tab", lines: "Transfer-Encoding:\r\n\tchunked", expect: "reject" },
  { name: "obs-fold after a value", lines: "Transfer-Encoding: x\r\n chunked", expect: "reject" },
  { name: "vertical tab before value", lines: "Transfer-Encoding:\x0bchunked", expect: "reject" },
  { name: "form feed before value", lines: "Transfer-Encoding:\x0cchunked", expect: "reject" },
  { name: "vertical tab after value", lines: "Transfer-Encoding: chunked\x0b", expect: "reject" },
  { name: "NUL before value", lines: "Transfer-Encoding: \x00chunked", expect: "reject" },
  { name: "NUL after value", lines: "Transfer-Encoding: chunked\x00", expect: "reject" },
  { name: "bare CR after value", lines: "Transfer-Encoding: chunked\r", expect: "reject" },
  { name: "CR inside name", lines: "Transfer-Encoding\r: chunked", expect: "reject" },
  { name: "LF inside name", lines: "Transfer-Encoding\n: chunked", expect: "reject" },
  { name: "0xff before value", lines: "Transfer-Encoding: \xffchunked", expect: "reject" },
  { name: "NBSP after value", lines: "Transfer-Encoding: chunked\xa0", expect: "reject" },
  { name: "prefix", lines: "Transfer-Encoding: xchunked", expect: "reject" },
  { name: "suffix", lines: "Transfer-Encoding: chunkedx", expect: "reject" },
  { name: "truncated", lines: "Transfer-Encoding: chunk", expect: "reject" },
  { name: "quoted", lines: 'Transfer-Encoding: "chunked"', expect: "reject" },
  { name: "parameter", lines: "Transfer-Encoding: chunked;q=1", expect: "reject" },
  { name: "identity before", lines: "Transfer-Encoding: identity, chunked", expect: "reject" },
  { name: "identity after", lines: "Transfer-Encoding: chunked, identity", expect: "reject" },
  { name: "chunked twice", lines: "Transfer-Encoding: chunked, chunked", expect: "reject" },
  { name: "two lines chunked", lines: "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", expect: "reject" },
  { name: "two lines, unknown last", lines: "Transfer-Encoding: chunked\r\nTransfer-Encoding: x", expect: "reject" },
  { name: "two lines, unknown first", lines: "Transfer-Encoding: x\r\nTransfer-Encoding: chunked", expect: "reject" },
  { name: "empty line then chunked", lines: "Transfer-Encoding:\r\nTransfer-Encoding: chunked", expect: "reject" },
  { name: "empty", lines: "Transfer-Encoding:", expect: "reject" },
  { name: "three empty", lines: "Transfer-Encoding:\r\nTransfer-Encoding:\r\nTransfer-Encoding:", expect: "reject" },
  { name: "blank (tab)", lines: "Transfer-Encoding: \t", expect: "reject" },
  { name: "unknown coding", lines: "Transfer-Encoding: x", expect: "reject" },
  { name: "underscore in name", lines: "Transfer_Encoding: chunked", expect: "accept", notTE: true },
];

/** @type {Mutation[]} Content-Length (the message carries 5 body bytes). */
export const CL_MUTATIONS = [
  { name: "plain", lines: "Content-Length: 5", expect: "accept" },
  { name: "no space", lines: "Content-Length:5", expect: "accept" },
  { name: "tab before value", lines: "Content-Length:\t5", expect: "accept" },
  { name: "space after value", lines: "Content-Length: 5 ", expect: "accept" },
  { name: "name lower case", lines: "content-length: 5", expect: "accept" },
  { name: "leading zeros", lines: "Content-Length: 0005", expect: "accept" },
  { name: "tab after value", lines: "Content-Length: 5\t", expect: "either" },
  { name: "identical duplicate lines", lines: "Content-Length: 5\r\nContent-Length: 5", expect: "either" },
  { name: "identical list", lines: "Content-Length: 5, 5", expect: "either" },
  { name: "bare LF line end", lines: "Content-Length: 5\nX-After: 1", expect: "either" },
  { name: "space before colon", lines: "Content-Length : 5", expect: "reject" },
  { name: "leading space on the line", lines: " Content-Length: 5", expect: "reject" },
  { name: "obs-fold after empty value", lines: "Content-Length:\r\n 5", expect: "reject" },
  { name: "obs-fold after a value", lines: "Content-Length: 5\r\n 5", expect: "reject" },
  { name: "plus sign", lines: "Content-Length: +5", expect: "reject" },
  { name: "minus sign", lines: "Content-Length: -5", expect: "reject" },
  { name: "decimal point", lines: "Content-Length: 5.0", expect: "reject" },
  { name: "hexadecimal", lines: "Content-Length: 0x5", expect: "reject" },
  { name: "two values in one", lines: "Content-Length: 5 5", expect: "reject" },
  { name: "different duplicate lines", lines: "Content-Length: 5\r\nContent-Length: 6", expect: "reject" },
  { name: "different list", lines: "Content-Length: 5, 6", expect: "reject" },
  { name: "vertical tab before value", lines: "Content-Length:\x0b5", expect: "reject" },
  { name: "NUL after value", lines: "Content-Length: 5\x00", expect: "reject" },
  { name: "NUL before value", lines: "Content-Length: \x005", expect: "reject" },
  { name: "letter after value", lines: "Content-Length: 5x", expect: "reject" },
  { name: "empty", lines: "Content-Length:", expect: "reject" },
  { name: "overflow", lines: "Content-Length: 99999999999999999999999999", expect: "reject" },
];

/**
 * A probe: the bytes to send, what the RFC expects, and how to read the echo: each framing
 * the server might have used gives a different body back.
 * `desyncFramings`: acceptances that contradict the RFC outright (Content-Length chosen over
 * a valid Transfer-Encoding, RFC 9112 6.3 item 3), a desync rather than laxness.
 * @typedef {{ id: string, bytes: string, expect: string[], framings: Record<string, string>, desyncFramings: string[] }} Probe
 */

const head = (lines) => `POST /echo-text HTTP/1.1\r\nHost: t\r\n${lines}\r\n\r\n`;

/** @returns {Probe[]} every probe, in a stable order */
export function probes() {
  /** @type {Probe[]} */
  const out = [];
  const allowed = (m, framing) =>
    m.expect === "accept" ? [`accept:${framing}`] : m.expect === "reject" ? ["reject"] : ["reject", `accept:${framing}`];
  for (const m of TE_MUTATIONS) {
    if (!m.notTE) {
      // TE alone: chunked framing is the only acceptance; a server that ignores TE reads
      // the chunk lines as the next request.
      out.push({
        id: `TE ${m.name}`,
        bytes: head(m.lines) + CHUNKED_BODY + FOLLOW,
        expect: allowed(m, "chunked"),
        framings: { hello: "chunked", "": "none" },
        desyncFramings: [],
      });
    }
    // TE beside a Content-Length that covers the chunked bytes exactly: RFC 9112 6.1 lets a
    // server reject or use TE and close; this project rejects (issue 13).
    out.push({
      id: `TE+CL ${m.name}`,
      bytes: head(`Content-Length: ${CHUNKED_BODY.length}\r\n${m.lines}`) + CHUNKED_BODY + FOLLOW,
      expect: m.notTE ? ["accept:cl"] : ["reject"],
      framings: { hello: "chunked", [CHUNKED_BODY]: "cl", "": "none" },
      desyncFramings: m.notTE ? ["chunked"] : m.expect === "reject" ? [] : ["cl"],
    });
  }
  for (const m of CL_MUTATIONS) {
    out.push({
      id: `CL ${m.name}`,
      bytes: head(m.lines) + CL_BODY + FOLLOW,
      expect: allowed(m, "cl"),
      framings: { hello: "cl", "": "none" },
      desyncFramings: [],
    });
  }
  return out;
}

/** Statuses that are a refusal rather than a route's answer. */
const REFUSALS = new Set([400, 411, 413, 414, 417, 431, 501, 505]);

/**
 * What the server did with a probe, from its responses (status, body) and whether it closed:
 * "reject", "accept:<framing>", or something no consistent framing explains: "garbled"
 * (a body byte was read as a request, or the follow-up was swallowed) or "hang" (the server
 * waits for bytes the sender never meant to send).
 * @param {Probe} probe
 * @param {{ status: number, body: string }[]} responses
 * @param {boolean} closed
 */
export function observe(probe, responses, closed) {
  if (responses.length === 0) return closed ? "garbled" : "hang";
  const [first, ...rest] = responses;
  if (REFUSALS.has(first.status)) return rest.length === 0 ? "reject" : "garbled";
  const framing = first.status === 200 ? probe.framings[first.body] : undefined;
  if (framing === undefined) return "garbled";
  if (rest.length === 1 && rest[0].status === 200 && rest[0].body === FOLLOW_BODY) return `accept:${framing}`;
  return "garbled";
}

/**
 * The verdict on an observation: "ok", "accept-should-reject" (the RFC requires a refusal
 * and the server framed the message anyway, in a way the sender could have meant),
 * "desync" (a framing the RFC does not allow the message, a body read as a request, a
 * swallowed follow-up, a hang) or "reject-should-accept" (a valid message refused).
 * @param {Probe} probe
 * @param {string} observed
 */
export function verdict(probe, observed) {
  if (probe.expect.includes(observed)) return "ok";
  if (observed === "reject") return "reject-should-accept";
  if (observed.startsWith("accept:")) {
    const framing = observed.slice("accept:".length);
    if (framing !== "none" && !probe.desyncFramings.includes(framing)) return "accept-should-reject";
  }
  return "desync";
}

/** Counts verdicts: { ok, "accept-should-reject", desync, "reject-should-accept" }. */
export function tally(results) {
  const t = { ok: 0, "accept-should-reject": 0, desync: 0, "reject-should-accept": 0 };
  for (const r of results) t[r.verdict]++;
  return t;
}
