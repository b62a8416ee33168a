// The chunk-extension flood (the shape of CVE-2024-22019) against Catzilla and node:http:
// a chunked POST whose first chunk line never ends (`1;x=aaaa…`).
//  - cut: written in paced 4 KiB pieces, so the server reads about as fast as we write;
//    reports the bytes written before its first answer byte (or "not cut" at --max-kib).
//  - load: written as fast as the socket takes it for --seconds while a second client
//    sends GET /sync one after another on a keep-alive connection; reports the flood bytes
//    the server swallowed and that client's requests per second, beside its rate with no
//    flood.
//
//   node bench/conformance/flood.mjs [--servers catzilla,node-http] [--max-kib 4096] [--seconds 5] [--json FILE]
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { forEachSubject } from "./subjects.mjs";
import { parseResponses } from "./wire.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MAX = arg("--max-kib", 4096) * 1024;
const SECONDS = arg("--seconds", 5);
const HEAD = "POST /echo-text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;x=";
const PIECE = Buffer.alloc(4096, "a");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(port) {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

/** Paced flood: bytes written before the server's first byte back, and what it answered. */
async function cut(port) {
  const s = await open(port);
  let data = "";
  let closed = false;
  let sentBefore = -1;
  let sent = HEAD.length;
  s.on("data", (d) => {
    if (sentBefore < 0) sentBefore = sent;
    data += d.toString("latin1");
  });
  s.on("error", () => {});
  s.on("close", () => (closed = true));
  s.write(HEAD);
  while (sent < MAX && sentBefore < 0 && !closed) {
    s.write(PIECE);
    sent += PIECE.length;
    await sleep(1);
  }
  await sleep(500);
  const serverClosed = closed;
  s.destroy();
  const status = parseResponses(data).responses[0]?.status ?? null;
  return { cutAfterBytes: sentBefore < 0 ? null : sentBefore, status, closed: serverClosed, sentBytes: sent };
}

/** Sequential keep-alive GET /sync for `ms`: requests per second. */
async function probeRate(port, ms) {
  const s = await open(port);
  let n = 0;
  let buf = "";
  const end = Date.now() + ms;
  await new Promise((resolve) => {
    const next = () => {
      if (Date.now() >= end) return resolve();
      s.write("GET /sync HTTP/1.1\r\nHost: t\r\n\r\n");
    };
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const { responses, rest } = parseResponses(buf);
      if (responses.length > 0) {
        n += responses.length;
        buf = rest;
        next();
      }
    });
    s.on("close", resolve);
    s.on("error", resolve);
    next();
  });
  s.destroy();
  return Math.round(n / (ms / 1000));
}

/** Unpaced flood for SECONDS beside the rate probe. */
async function load(port) {
  const before = await probeRate(port, 2000);
  const s = await open(port);
  let closed = false;
  let answered = false;
  s.on("close", () => (closed = true));
  s.on("error", () => {});
  s.on("data", () => (answered = true));
  let written = 0;
  const end = Date.now() + SECONDS * 1000;
  const big = Buffer.alloc(64 * 1024, "a");
  const writer = (async () => {
    s.write(HEAD);
    while (Date.now() < end && !closed && !answered) {
      if (!s.write(big))
        await new Promise((r) => {
          const go = () => (s.off("drain", go), s.off("close", go), r());
          s.on("drain", go).on("close", go);
        });
      written += big.length;
    }
  })();
  const during = await probeRate(port, SECONDS * 1000);
  await writer;
  // Node's own queue is not on the wire yet (the kernel's buffers, a few MiB, are counted).
  const swallowed = Math.max(0, written - (s.writableLength ?? 0));
  s.destroy();
  return { rateBefore: before, rateDuring: during, floodSeconds: SECONDS, floodBytesWritten: swallowed, answered, closed };
}

const results = await forEachSubject(async (s) => ({ cut: await cut(s.port), load: await load(s.port), alive: s.alive() }));
for (const [name, r] of Object.entries(results)) {
  const c = r.cut;
  console.log(`\n## chunk-extension flood against ${name}`);
  console.log(
    c.cutAfterBytes === null
      ? `  not cut: ${(c.sentBytes / 1024).toFixed(0)} KiB written paced, no answer`
      : `  cut after ${(c.cutAfterBytes / 1024).toFixed(1)} KiB: ${c.status ?? "no status"}${c.closed ? ", closed" : ", left open"}`,
  );
  const l = r.load;
  console.log(
    `  unpaced for ${l.floodSeconds} s: ${(l.floodBytesWritten / 2 ** 20).toFixed(0)} MiB written${l.answered ? " (answered)" : ""}${l.closed ? " (closed)" : ""}; ` +
      `another client's GET /sync: ${l.rateBefore} req/s before, ${l.rateDuring} req/s during`,
  );
}
const i = process.argv.indexOf("--json");
if (i >= 0) writeFileSync(process.argv[i + 1], JSON.stringify({ suite: "flood", results }, null, 2) + "\n");
