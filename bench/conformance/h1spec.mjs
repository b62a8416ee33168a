// Runs the public h1spec suite (github.com/uNetworking/h1spec, a Deno script) unchanged
// against Catzilla and node:http. Its code is not part of this repository: point --h1spec
// at a checkout or a bare git directory of it (default: the mirror the README describes).
// The script is transpiled with the TypeScript compiler and given the few Deno APIs it
// uses (args, connect, read, write, close, exit), backed by node:net.
//
//   node bench/conformance/h1spec.mjs [--h1spec DIR] [--servers catzilla,node-http] [--json FILE]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import ts from "typescript";
import { forEachSubject } from "./subjects.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SRC = arg("--h1spec", "/work/.mirror/uNetworking+h1spec/repo");

function h1specSource(dir) {
  if (existsSync(join(dir, "http_test.ts"))) return readFileSync(join(dir, "http_test.ts"), "utf8");
  return execFileSync("git", ["--git-dir", dir, "show", "HEAD:http_test.ts"], { encoding: "utf8" });
}
function h1specCommit(dir) {
  try {
    return execFileSync("git", ["--git-dir", existsSync(join(dir, ".git")) ? join(dir, ".git") : dir, "rev-parse", "HEAD"], {
      encoding: "utf8",
    }).trim();
  } catch {
    return "unknown";
  }
}

/** Deno.connect over node:net: read() resolves with the bytes of one arrival (null at EOF) and
 * rejects once close() was called, as Deno's does. */
function denoConnect({ hostname, port }) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: hostname, port }, () => resolve(conn));
    const queue = [];
    let waiter = null;
    let ended = false;
    let closed = false; // by us: Deno then rejects a pending read (BadResource)
    const wake = () => {
      if (!waiter) return;
      const w = waiter;
      waiter = null;
      w();
    };
    sock.on("data", (d) => {
      queue.push(d);
      wake();
    });
    sock.on("end", () => ((ended = true), wake()));
    sock.on("close", () => ((ended = true), wake()));
    sock.on("error", (e) => ((ended = true), wake(), reject(e)));
    const conn = {
      write: (u8) => new Promise((res) => sock.write(u8, () => res(u8.length))),
      async read(buf) {
        while (queue.length === 0 && !ended) await new Promise((r) => (waiter = r));
        if (closed) throw new Error("BadResource: the connection was closed");
        if (queue.length === 0) return null;
        const head = queue[0];
        const n = Math.min(buf.length, head.length);
        buf.set(head.subarray(0, n));
        if (n < head.length) queue[0] = head.subarray(n);
        else queue.shift();
        return n;
      },
      close: () => {
        closed = true;
        sock.destroy();
      },
    };
  });
}

/** Runs the suite once against 127.0.0.1:port; returns { passed, total, lines }. */
async function runH1spec(js, port, tag) {
  const lines = [];
  const { log, error } = console;
  let finished;
  const done = new Promise((r) => (finished = r));
  const capture = (...a) => {
    const line = a.join(" ");
    lines.push(line);
    const m = /(\d+) out of (\d+) tests passed/.exec(line);
    if (m) finished({ passed: Number(m[1]), total: Number(m[2]) });
  };
  globalThis.Deno = { args: ["127.0.0.1", String(port)], exit: () => {}, connect: denoConnect };
  console.log = capture;
  console.error = capture;
  try {
    // A distinct URL per run: the module body (which starts the run) evaluates each time.
    await import(`data:text/javascript;base64,${Buffer.from(`${js}\n// ${tag}\n`).toString("base64")}`);
    const result = await done;
    // Let the cases that ended by timeout print their line too.
    await new Promise((r) => setTimeout(r, 700));
    return { ...result, lines: lines.filter((l) => /^[✅❌]|Error in test/.test(l)).sort() };
  } finally {
    console.log = log;
    console.error = error;
    delete globalThis.Deno;
  }
}

const js = ts.transpileModule(h1specSource(SRC), {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
}).outputText;
const commit = h1specCommit(SRC);
const results = await forEachSubject(async (s) => {
  const r = await runH1spec(js, s.port, `${s.name}-${Date.now()}`);
  return { ...r, alive: s.alive(), llhttp: s.info.llhttp };
});
for (const [name, r] of Object.entries(results)) {
  console.log(`\n## h1spec ${commit.slice(0, 7)} against ${name}: ${r.passed} of ${r.total}${r.alive ? "" : " (server died)"}`);
  for (const l of r.lines) if (!l.startsWith("✅")) console.log(l);
}
const out = arg("--json");
if (out) writeFileSync(out, JSON.stringify({ suite: "h1spec", commit, results }, null, 2) + "\n");
