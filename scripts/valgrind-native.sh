#!/usr/bin/env bash
# valgrind memcheck on a real server under a short mixed load:
#   scripts/valgrind-native.sh [rounds=80] [concurrency=8]
# Serves the soak app (bench/soak/app.ts, compiled into test/.tmp/valgrind/app) under
#   valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite ...
# with handlerTimeoutMs 2000 and the access log on (under valgrind even a timer-driven handler can take 100 ms),
# drives it with bench/soak/load.mjs (per round: 20 keep-alive requests of every kind, 16
# pipelined, a large body, HTTP/1.0, Connection: close, the route timeout, 431/400/413,
# disconnects mid-headers, mid-body, with async and pipelined requests pending), then
# SIGTERM with one request in flight and one idle keep-alive connection → graceful close
# → exit, where memcheck's leak check runs. About a minute.
#
# Fails when: the load saw a wrong or missing answer, close() dropped the in-flight request
# or kept the idle connection, the server did not exit 0, or
# memcheck reports any error (invalid read/write, uninitialised use, bad free, definite
# leak) with a frame in our code: the addon (catzilla.node, native/src) or the app's
# routes.so. Errors whose stacks are all Node's/V8's are counted and listed, and kept
# quiet with scripts/valgrind-node.supp when known.
# The server runs the addon that ships (build/Release, -O2, symbols but no -g); set
# CATZILLA_NATIVE to check another build.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-80}"
concurrency="${2:-8}"

bash scripts/setup.sh >/dev/null
out="$PWD/test/.tmp/valgrind"
rm -rf "$out"
mkdir -p "$out/app"
cp bench/soak/app.ts bench/soak/main.ts "$out/app/"
node bin/catzilla-compile.js "$out/app/app.ts" "$out/app/main.ts" --out "$out/app/.catzilla" >/dev/null

vg=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite
  --keep-debuginfo=yes --num-callers=40 --suppressions=scripts/valgrind-node.supp
  --log-file="$out/memcheck.log")
echo "valgrind: ${vg[*]} node test/.tmp/valgrind/app/main.js" | sed "s|$PWD/||g"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

PORT=0 HANDLER_TIMEOUT_MS=2000 SOAK_ACCESS_LOG=1 "${vg[@]}" node "$out/app/main.js" >"$out/server.out" 2>"$out/server.err" &
server_pid=$!
# Listening: main.js prints {"port": N, ...} (Node starts slowly under valgrind).
for _ in $(seq 1 600); do
  grep -q '"port"' "$out/server.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "valgrind: server exited before listening" >&2; cat "$out/server.err" >&2; exit 1; }
  sleep 0.5
done
port="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).port)' "$out/server.out")"
echo "valgrind: server on 127.0.0.1:$port; load: $rounds rounds, $concurrency at a time"

load_status=0
LOAD_TIMEOUT_ROUTE=1 node bench/soak/load.mjs "$port" "$rounds" "$concurrency" >"$out/load.json" || load_status=$?
cat "$out/load.json"

# SIGTERM with a request in flight and an idle keep-alive connection: the in-flight one is
# answered (Connection: close), the idle one closed, then the process exits.
node - "$port" >"$out/close.json" <<'EOF' &
const net = require("net");
const port = Number(process.argv[2]);
const idle = net.connect({ host: "127.0.0.1", port }, () => idle.write("GET /sync HTTP/1.1\r\nHost: t\r\n\r\n"));
let idleData = "", idleClosed = false;
idle.on("data", (d) => (idleData += d)).on("close", () => (idleClosed = true)).on("error", () => {});
const busy = net.connect({ host: "127.0.0.1", port }, () => busy.write("GET /slow/1500 HTTP/1.1\r\nHost: t\r\n\r\n"));
let data = "";
busy.on("data", (d) => (data += d)).on("error", () => {});
busy.on("close", () => {
  const ok = /^HTTP\/1\.1 200 /.test(data) && /connection: close/i.test(data) && data.includes('"slept":1500') && idleClosed && /^HTTP\/1\.1 200 /.test(idleData);
  console.log(JSON.stringify({ ok, inflight: data.split("\r\n")[0], idle: idleData.split("\r\n")[0], idleClosed }));
  process.exit(ok ? 0 : 1);
});
setTimeout(() => (console.log(JSON.stringify({ ok: false, error: "no close within 60 s" })), process.exit(1)), 60_000);
EOF
close_pid=$!
sleep 1
t0=$(date +%s)
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
close_status=0
wait "$close_pid" || close_status=$?
echo "valgrind: SIGTERM with 1 request in flight + 1 idle connection → exit $server_status after $(( $(date +%s) - t0 )) s; $(grep -c '"closed":true' "$out/server.out" || true) graceful close; $(cat "$out/close.json")"

# Classify memcheck's reports: ours when any frame is in the addon or the route table.
classify_status=0
node - "$out/memcheck.log" <<'EOF' >"$out/summary.txt" || classify_status=$?
const fs = require("fs");
const text = fs.readFileSync(process.argv[2], "utf8").replace(/^==\d+== ?/gm, "").replace(/^Warning: set address range perms.*\n/gm, "");
// Reports are blocks separated by blank lines; an error's first line says what, then "at"/"by" frames.
const blocks = text.split(/\n\s*\n/).filter((b) => /^\s+(at|by) 0x/m.test(b));
const ours = (b) => /catzilla\.node|routes\.so|native\/src\//.test(b);
// Blocks still reachable (or possibly lost) at exit are listed when our code allocated
// them (memory the server's close did not give back), but fail nothing: Node exits without
// freeing its own heap. Definite/indirect leaks and every other error kind fail when ours.
const benign = (b) => /are (still reachable|possibly lost) in loss record/.test(b);
// ...allocated by our code itself: the first frame past the allocator is ours.
const direct = (b) => {
  const frames = b.split("\n").filter((l) => /^\s+(at|by) 0x/.test(l));
  const i = frames.findIndex((l) => !/vgpreload_memcheck|\b(malloc|calloc|realloc|operator new|strdup)\b/.test(l));
  return i >= 0 && ours(frames[i]);
};
let mine = 0, theirs = 0, reachable = 0, reachableBytes = 0;
const byFn = {};
for (const b of blocks) {
  const lines = b.trim().split("\n");
  if (benign(b)) {
    if (direct(b)) {
      const bytes = Number((/^([\d,]+) bytes in ([\d,]+)/.exec(lines[0]) ?? [, "0"])[1].replace(/,/g, ""));
      const nblocks = Number((/ in ([\d,]+) blocks/.exec(lines[0]) ?? [, "1"])[1].replace(/,/g, ""));
      const frame = lines.find((l) => /^\s+(at|by) 0x/.test(l) && ours(l)) ?? "?";
      const fn = (/: (.*) \(in /.exec(frame) ?? [, frame])[1].replace(/\([^()]*\)( const)?$/, "");
      const a = (byFn[fn] ??= { blocks: 0, bytes: 0 });
      a.blocks += nblocks;
      a.bytes += bytes;
      reachable += nblocks;
      reachableBytes += bytes;
    }
    continue;
  }
  const tag = ours(b) ? "OURS" : "node";
  if (ours(b)) mine++;
  else theirs++;
  console.log(`${tag} ${lines[0]}\n     ${lines.slice(1, 9).map((l) => l.trim()).join("\n     ")}`);
}
const pick = (re) => (re.exec(text) ?? [])[0] ?? "(missing)";
console.log(`memcheck: ${mine + theirs} error/leak reports (${mine} touch our code, ${theirs} only Node/V8); ${reachable} blocks still reachable at exit allocated by our code (${reachableBytes} bytes, informational)`);
for (const [fn, a] of Object.entries(byFn)) console.log(`memcheck:   still reachable, allocated in ${fn}: ${a.bytes} bytes in ${a.blocks} blocks`);
for (const re of [/definitely lost: .*/, /indirectly lost: .*/, /possibly lost: .*/, /still reachable: .*/, /ERROR SUMMARY: .*/]) console.log(`memcheck: ${pick(re)}`);
if (!/LEAK SUMMARY|All heap blocks were freed/.test(text)) {
  console.log("memcheck: no leak summary in the log (did the server exit normally?)");
  process.exitCode = 1;
}
if (mine > 0) process.exitCode = 1;
EOF
cat "$out/summary.txt"

status=0
[ "$load_status" -eq 0 ] || { echo "valgrind: FAIL: the load saw wrong or missing answers" >&2; status=1; }
[ "$close_status" -eq 0 ] || { echo "valgrind: FAIL: close() did not finish the in-flight request or close the idle connection" >&2; status=1; }
[ "$server_status" -eq 0 ] || { echo "valgrind: FAIL: server exit status $server_status" >&2; status=1; }
[ "$classify_status" -eq 0 ] || { echo "valgrind: FAIL: memcheck reports in our code, or no leak summary (see above, $out/memcheck.log)" >&2; status=1; }
[ "$status" -eq 0 ] && echo "valgrind: PASS (no memcheck error or definite leak in the addon or routes.so)"
exit "$status"
