#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer and runs the native tests under it.
# The ASan build is staged in test/.tmp/asan (build/Release is left alone); libasan is
# preloaded into node because the addon is loaded after startup. Node itself leaks at
# exit by design, hence detect_leaks=0: what we look for is use-after-free, overflows and
# double frees in our C.
set -euo pipefail
cd "$(dirname "$0")/.."

CATZILLA_SANITIZE=1 node scripts/build-native.js >/dev/null
addon="$PWD/test/.tmp/asan/build/Release/catzilla.node"
[ -f "$addon" ] || { echo "sanitize: ASan build not found at $addon" >&2; exit 1; }

libasan="$(gcc -print-file-name=libasan.so)"
[ -f "$libasan" ] || { echo "sanitize: libasan not found (gcc -print-file-name=libasan.so)" >&2; exit 1; }

export CATZILLA_NATIVE="$addon"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0:${ASAN_OPTIONS:-}"
LD_PRELOAD="$libasan" npx vitest run test/native "$@"
