#!/usr/bin/env bash
# typia for bench/schema/micro.mjs, outside the package's dependencies: typia 9.7 (the last
# major with the `typia generate` CLI on the TypeScript compiler; typia 14 needs TypeScript 7's
# ttsc) and TypeScript 5.9 into bench/.tmp/typia, then `typia generate` writes plain TS
# (validators and a stringifier inlined per type) and tsc compiles it to
# bench/.tmp/typia/out/gen/validators.js, which micro.mjs imports when it is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=bench/.tmp/typia
mkdir -p "$DIR/src"
cp bench/schema/typia/validators.ts "$DIR/src/validators.ts"
cd "$DIR"
[ -f package.json ] || npm init -y >/dev/null
npm pkg set type=module # the generated module is ESM
[ -d node_modules/typia ] || npm install --no-audit --no-fund --loglevel=error typia@9.7.2 typescript@5.9
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler", "strict": true,
  "skipLibCheck": true, "esModuleInterop": true, "outDir": "out" }, "include": ["src", "gen"] }
JSON
npx typia generate --input src --output gen --project tsconfig.json >/dev/null
npx tsc -p tsconfig.json
echo "typia: $PWD/out/gen/validators.js"
