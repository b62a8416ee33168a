#!/usr/bin/env bash
# Runs the suite (or the vitest arguments given) on another Node:
#   bash scripts/test-on.sh 24                       # the whole suite on the pinned Node 24
#   bash scripts/test-on.sh 22 test/e2e test/compiler
#   bash scripts/test-on.sh /path/to/bin/node …      # any other binary
# vitest itself runs on that Node, so its workers and every child the tests spawn with
# process.execPath do too; PATH starts with that Node's bin/ for anything that runs `node`.
# test/node-version.test.ts checks all three agree with the version asked for here.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:?usage: bash scripts/test-on.sh <major|machine|/path/to/node> [vitest args...]}
shift
bin=$(node scripts/node.mjs path "$spec")
export PATH="$(dirname "$bin"):$PATH"
CATZILLA_TEST_NODE=$("$bin" -p 'process.versions.node.split(".")[0]')
export CATZILLA_TEST_NODE
echo "test-on: Node $("$bin" --version) ($bin)"
exec "$bin" node_modules/vitest/vitest.mjs run "$@"
