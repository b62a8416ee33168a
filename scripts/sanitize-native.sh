#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer and runs the native tests and the e2e
# suite under it:  scripts/sanitize-native.sh [test/native|test/e2e|<vitest filters>...]
# (no argument: test/native and test/e2e; `npm run test:native-sanitize`).
#
# The ASan build is staged in test/.tmp/asan (build/Release is left alone) and loaded with
# CATZILLA_NATIVE; libasan is preloaded into node because the addon is loaded after
# startup. The e2e tests serve their apps from child node processes, which inherit the
# environment, so every server runs the ASan addon. Node itself leaks at exit by design,
# hence detect_leaks=0: what we look for is use-after-free, overflows and double frees in
# our C. halt_on_error + abort_on_error make a report kill the process at once (a server
# dies, its test fails); log_path also writes every report to test/.tmp/asan/reports/, and
# any file there fails this script even if no test noticed the dead server (a report
# during shutdown, for example).
# Timing assertions (e.g. "20 sync requests in < 100 ms") are slower under ASan on a
# shared machine: failed tests are retried (--retry=2); an ASan report in any attempt
# still fails the script, since the report files stay.
# The apps' routes.so are built by the normal compiler (not instrumented): they are shared
# with concurrent non-ASan runs. scripts/valgrind-native.sh covers them.
set -euo pipefail
cd "$(dirname "$0")/.."

CATZILLA_SANITIZE=1 node scripts/build-native.js >/dev/null
addon="$PWD/test/.tmp/asan/build/Release/catzilla.node"
[ -f "$addon" ] || { echo "sanitize: ASan build not found at $addon" >&2; exit 1; }

libasan="$(gcc -print-file-name=libasan.so)"
[ -f "$libasan" ] || { echo "sanitize: libasan not found (gcc -print-file-name=libasan.so)" >&2; exit 1; }

reports="$PWD/test/.tmp/asan/reports"
rm -rf "$reports"
mkdir -p "$reports"

# The TypeScript build the e2e apps import (dist/) must be current.
bash scripts/setup.sh >/dev/null

[ $# -gt 0 ] || set -- test/native test/e2e

export CATZILLA_NATIVE="$addon"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0:log_path=$reports/asan:${ASAN_OPTIONS:-}"

# Pre-flight: a deliberate heap overflow in a library node loads must land in $reports
# and kill the process, or this run could not see a report at all.
probe="$PWD/test/.tmp/asan/probe"
printf '%s\n' '#include <stdlib.h>' \
  '__attribute__((constructor)) static void probe(void) { char *p = malloc(8); volatile int i = 8; p[i] = 1; free(p); }' \
  > "$probe.c"
gcc -shared -fPIC -fsanitize=address -o "$probe.so" "$probe.c"
if (LD_PRELOAD="$libasan" node -e 'process.dlopen({ exports: {} }, process.argv[1])' "$probe.so" || exit $?) 2>/dev/null ||
  [ -z "$(ls -A "$reports")" ]; then
  echo "sanitize: pre-flight failed: an ASan report does not reach $reports" >&2
  exit 1
fi
rm -f "$reports"/*

status=0
LD_PRELOAD="$libasan" npx vitest run --retry=2 "$@" || status=$?

if [ -n "$(ls -A "$reports")" ]; then
  echo "sanitize: AddressSanitizer reports:" >&2
  for f in "$reports"/*; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "sanitize: tests failed under the ASan build (exit $status), no ASan report" >&2
  exit "$status"
fi
echo "sanitize: no AddressSanitizer report ($*)"
