#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of this kind: Debian packages, npm packages, the
# pinned Node versions the suite also runs on, the TypeScript build and the native
# addon. Safe to run again; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()

command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
# The benchmark suite's plain C baseline server (and its test) links Debian's libuv.
[ -f /usr/include/uv.h ] || need_apt+=(libuv1-dev)
# The deployment test (test/deploy/nginx-drain.test.ts) puts a real nginx in front of the app.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules/ts-morph ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi

# runtime/abi.gen.ts: the JS↔C constants, from the C headers (rewritten only when they changed).
node scripts/gen-abi.mjs

# The other Node versions the suite runs on (scripts/node-versions.json), from npm, into .tools/.
node scripts/node.mjs install

if [ ! -f dist/.stamp ] || [ -n "$(find compiler runtime -name '*.ts' -newer dist/.stamp -print -quit)" ]; then
  echo "setup: building TypeScript"
  npx tsc -p tsconfig.json
  touch dist/.stamp
fi

if [ ! -f build/Release/catzilla.node ] || [ -n "$(find native binding.gyp -newer build/Release/catzilla.node -type f -print -quit)" ]; then
  node scripts/build-native.js
fi
