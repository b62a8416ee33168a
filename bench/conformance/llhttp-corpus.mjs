// Replays llhttp's own request tests (test/request/*.md of github.com/nodejs/llhttp) against
// Catzilla and node:http, whole and split byte by byte, and compares each server's answers
// with the parser's expected outcome in strict mode. The corpus is not part of this
// repository: point --llhttp at a checkout, an unpacked release tarball, or a bare git dir.
//
//   node bench/conformance/llhttp-corpus.mjs [--llhttp DIR] [--servers catzilla,node-http]
//        [--modes whole,bytes] [--json FILE] [--verbose]
//
// Per test, from the expected log: how many messages complete, and whether parsing ends in
// an error. Tests whose type is a lenient mode, or that pause or skip bodies through the C
// API, say nothing about a strict server and are left out (counted). A server that requires
// Host on HTTP/1.1 (both do) would refuse most tests for that alone, so `Host: t` is added
// after each HTTP/1.1 request line whose message has none.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import { forEachSubject } from "./subjects.mjs";
import { bytes, exchange, parseResponses } from "./wire.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SRC = arg("--llhttp", "/work/.mirror/nodejs+llhttp/repo");
const MODES = arg("--modes", "whole,bytes").split(",");
const CONCURRENCY = 8;
/** llhttp error codes that end parsing without the message being bad. */
const HPE_CLOSED_CONNECTION = 5; // bytes after `Connection: close`: answered, then closed
const HPE_PAUSED = 21; // a test of the pause API
const HPE_PAUSED_UPGRADE = 22; // CONNECT / Upgrade: answered (or not), then the connection is the app's
/** Statuses that refuse a request rather than answer it. */
const REFUSALS = new Set([400, 411, 413, 414, 417, 431, 501, 505]);

/** The request test files: { name, text }. */
function corpusFiles(dir) {
  const sub = join(dir, "test", "request");
  if (existsSync(sub))
    return readdirSync(sub)
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => ({ name: f, text: readFileSync(join(sub, f), "utf8") }));
  const names = execFileSync("git", ["--git-dir", dir, "ls-tree", "--name-only", "HEAD", "test/request/"], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.endsWith(".md"));
  return names.map((f) => ({
    name: f.split("/").pop(),
    text: execFileSync("git", ["--git-dir", dir, "show", `HEAD:${f}`], { encoding: "utf8" }),
  }));
}

/** Reads the markdown format: a heading, a meta comment, an ```http block, a ```log block. */
function parseTests(file) {
  const lines = file.text.split("\n");
  const tests = [];
  let heading = "";
  let meta = null;
  let pending = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^#+ /.test(l)) heading = l.replace(/^#+ /, "");
    const m = /^<!--\s*meta=(\{.*\})\s*-->/.exec(l);
    if (m) meta = JSON.parse(m[1]);
    if (!l.startsWith("```")) continue;
    const lang = l.slice(3).trim();
    const start = i + 1;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
    const content = body.join("\n") + "\n";
    if (lang === "http") {
      pending = { id: `${file.name}:${start} ${heading}`, raw: content, meta: meta ?? {} };
      meta = null;
    } else if (lang === "log" && pending) {
      tests.push({ ...pending, log: content });
      pending = null;
    }
  }
  return tests;
}

/** The escapes the corpus uses in its inputs (\r, \n, \t, \f, \xNN, octal, ${js}). */
function decodeInput(raw) {
  let s = raw.replace(/\n$/, "");
  s = s.replace(/\\(\r\n|\r|\n)/g, "");
  s = s.replace(/\r\n|\r|\n/g, "\r\n");
  s = s.replace(/\\r/g, "\r").replace(/\\n/g, "\n").replace(/\\t/g, "\t").replace(/\\f/g, "\f");
  s = s.replace(/\\x([0-9a-fA-F]+)/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  s = s.replace(/\\([0-7]{1,3})/g, (_, d) => String.fromCharCode(parseInt(d, 8)));
  s = s.replace(/\$\{(.+?)\}/g, (_, code) => String(vm.runInNewContext(code)));
  return s;
}

/** Adds `Host: t` to every HTTP/1.1 message (at the log's message-begin offsets) without one. */
function addHost(input, begins) {
  let s = input;
  for (const b of [...begins].sort((x, y) => y - x)) {
    const line = /^[A-Z-]+ [^ \r\n]+ HTTP\/1\.1\r\n/.exec(s.slice(b));
    if (!line) continue;
    const end = s.indexOf("\r\n\r\n", b);
    const block = s.slice(b + line[0].length - 2, end < 0 ? s.length : end + 2);
    if (/\r\nhost[ \t]*:/i.test(block)) continue;
    const at = b + line[0].length;
    s = s.slice(0, at) + "Host: t\r\n" + s.slice(at);
  }
  return s;
}

/** What strict llhttp does with the input: "accept" | "stop" | "upgrade" | "reject", and completed messages. */
function expected(log) {
  const completes = (log.match(/ message complete/g) ?? []).length;
  const begins = [...log.matchAll(/off=(\d+) message begin/g)].map((m) => Number(m[1]));
  const err = /error code=(\d+)/.exec(log);
  const code = err ? Number(err[1]) : 0;
  const kind = !err ? "accept" : code === HPE_CLOSED_CONNECTION ? "stop" : code === HPE_PAUSED_UPGRADE ? "upgrade" : "reject";
  // Responses to HEAD (llhttp method 2) carry no body.
  const heads = [...log.matchAll(/headers complete method=(\d+)/g)].flatMap((m, i) => (m[1] === "2" ? [i] : []));
  return { kind, code, completes, begins, heads };
}

function selectTests() {
  const all = corpusFiles(SRC).flatMap(parseTests);
  const used = [];
  const left = {};
  for (const t of all) {
    const why =
      t.meta.type !== "request"
        ? t.meta.type
        : t.meta.pause
          ? "pause"
          : t.meta.skipBody
            ? "skipBody"
            : expected(t.log).code === HPE_PAUSED
              ? "paused"
              : null;
    if (why) left[why] = (left[why] ?? 0) + 1;
    else {
      const exp = expected(t.log);
      used.push({ id: t.id, input: addHost(decodeInput(t.raw), exp.begins), exp });
    }
  }
  return { used, left, total: all.length };
}

function judge(exp, responses, closed, servedAfter) {
  if (!servedAfter) return "crash";
  const refused = responses.filter((r) => REFUSALS.has(r.status)).length;
  const answered = responses.length - refused;
  if (exp.kind === "reject") {
    if (refused === 0) return "accept-should-reject";
    return answered === exp.completes ? "ok" : "count-mismatch";
  }
  if (refused > 0) return "reject-should-accept";
  // An upgrade request may go unanswered (node:http leaves it to an 'upgrade' listener).
  if (exp.kind === "upgrade" && answered === exp.completes - 1 && closed) return "ok";
  return answered === exp.completes ? "ok" : "count-mismatch";
}

async function measure(subject, tests) {
  const out = {};
  for (const mode of MODES) {
    const results = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < tests.length; i = next++) {
        const t = tests[i];
        const chunks = mode === "bytes" ? bytes(t.input) : [Buffer.from(t.input, "latin1")];
        const r = await exchange(subject.port, chunks, { gapMs: mode === "bytes" ? 1 : 0, idleMs: 300, timeoutMs: 8000 });
        const { responses } = parseResponses(r.data, t.exp.heads);
        const after = await exchange(subject.port, ["GET /sync HTTP/1.1\r\nHost: t\r\n\r\n"], { idleMs: 300 });
        const servedAfter = subject.alive() && parseResponses(after.data).responses[0]?.body === '{"type":"sync"}';
        const verdict = judge(t.exp, responses, r.closed, servedAfter);
        results[i] = { id: t.id, expected: `${t.exp.kind}/${t.exp.completes}`, statuses: responses.map((x) => x.status), closed: r.closed, verdict };
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const tally = {};
    for (const r of results) tally[r.verdict] = (tally[r.verdict] ?? 0) + 1;
    out[mode] = { tally, results };
  }
  return out;
}

const { used, left, total } = selectTests();
const results = await forEachSubject((s) => measure(s, used));
console.log(`llhttp request corpus at ${SRC}: ${total} tests, ${used.length} strict request tests replayed; left out: ${JSON.stringify(left)}`);
for (const [name, byMode] of Object.entries(results)) {
  for (const [mode, r] of Object.entries(byMode)) {
    const fails = r.results.filter((x) => x.verdict !== "ok");
    console.log(`\n## ${name}, ${mode}: ${used.length - fails.length} of ${used.length} agree with llhttp; ${JSON.stringify(r.tally)}`);
    for (const x of r.results)
      if (x.verdict !== "ok" || process.argv.includes("--verbose"))
        console.log(`  ${x.verdict.padEnd(21)} ${x.id.slice(0, 70).padEnd(70)} llhttp ${x.expected}, got [${x.statuses}]${x.closed ? " closed" : ""}`);
  }
}
const json = arg("--json");
if (json) writeFileSync(json, JSON.stringify({ suite: "llhttp-request-corpus", source: SRC, left, results }, null, 2) + "\n");
