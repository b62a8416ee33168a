#!/usr/bin/env bash
# libFuzzer + ASan/UBSan run of the native server's C core, without Node: the system
# libuv, llhttp 9 (native/deps/llhttp, scripts/fetch-llhttp.sh) and the fixture route table (test/native/fuzz_core.c).
#   scripts/fuzz-native.sh [seconds=60] [more libFuzzer flags...]
# The corpus lives in test/.tmp/fuzz/corpus; a crash leaves crash-* files in the cwd.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
[ $# -gt 0 ] && shift
out=test/.tmp/fuzz
mkdir -p "$out/corpus"

bash scripts/fetch-llhttp.sh
cc -O2 -shared -fPIC -I native/include -o test/.tmp/routes.fixture.so test/native/routes.fixture.c
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DCZ_DEBUG \
  -D_DEFAULT_SOURCE -I native/include -I native/src -I native/deps/llhttp \
  test/native/fuzz_core.c native/src/cz_ctx.c native/src/cz_http.c native/src/cz_fields.c native/src/cz_table.c \
  native/src/cz_log.c native/src/cz_alog.c native/src/cz_parse.c native/src/cz_batch.c native/src/cz_out.c native/src/cz_cond.c native/src/cz_mount.c native/src/cz_static.c native/src/cz_mime.gen.c native/src/cz_conn.c native/src/cz_server.c \
  native/deps/llhttp/libllhttp.a \
  -luv -ldl -o "$out/fuzz_core"

# Seeds: <mode byte><chunk byte><client bytes>.
seed() { printf "$3" | { printf "\\x$1\\x$2"; cat; } > "$out/corpus/seed-$4"; }
if [ -z "$(ls -A "$out/corpus")" ]; then
  seed 00 3f 'GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /users/7?x=1 HTTP/1.1\r\nHost: t\r\n\r\n' get
  seed 01 05 'POST /echo HTTP/1.1\r\nHost: t\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhelloGET /const HTTP/1.1\r\nHost: t\r\n\r\n' post
  seed 02 07 'POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n' chunked
  seed 04 3f 'POST /async-echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhiHEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n' continue
  seed 10 02 'GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /hang HTTP/1.1\r\nHost: t\r\n\r\nDELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' pipeline
  seed 00 09 'POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloPOST /stream HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n' stream
  seed 80 07 'POST /stream HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n' stream-inner-pull
  seed 41 01 'POST /stream HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n123456789PUT /stream HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n' stream-pull
  seed 28 3f 'GET /a/1/b/2 HTTP/1.1\r\nHost: t\r\n\r\nGET /files/x/y HTTP/1.1\r\nHost: t\r\n\r\nGET /headers HTTP/1.1\r\nHost: t\r\nA: b\r\n\r\nGET /misc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' mixed
fi

CZ_FUZZ_TABLE="$PWD/test/.tmp/routes.fixture.so" \
  "$out/fuzz_core" -max_total_time="$secs" -timeout=10 -max_len=4096 "$out/corpus" "$@"
