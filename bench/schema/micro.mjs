// Validation and serialization alone, per Node version: the generated validators against ajv
// (a compiled schema, what Fastify uses), the generated serializers (both strategies) against
// JSON.stringify and fast-json-stringify. Schemas for ajv and fast-json-stringify come from
// the same compile's openapi.json.
//
//   node bench/schema/micro.mjs [--out bench/schema/results-<node>.json]
//
// With typia generated first (bash bench/schema/typia-setup.sh), its rows are added.
//
// Run it with each Node binary; bench/schema/RESULTS.md has the command lines and numbers.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const WORK = path.join(ROOT, "bench", ".tmp", "schema");
const require = createRequire(import.meta.url);

function compileApp() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "bench", "perf", "app.ts"), path.join(WORK, "app.ts"));
  // The compiler runs on the machine's node; only the measuring runs on the Node under test.
  const r = spawnSync("node", [path.join(ROOT, "bin", "catzilla-compile.js"), "app.ts", "--out", ".catzilla", "--quiet"], {
    cwd: WORK,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`catzilla-compile failed:\n${r.stdout}${r.stderr}`);
}

/**
 * Benchmarks are registered first and measured together: every round times each of them for
 * `ms` in turn (interleaved, so a burst of load on this shared machine hits all of them alike),
 * and each one's figure is the median of its rounds' ops/s.
 */
const benches = [];
function bench(group, name, fn) {
  benches.push({ group, name, fn, rounds: [] });
}
function runBenches(rounds = 9, ms = 150) {
  for (const b of benches) for (let i = 0; i < 20000; i++) b.fn(i);
  for (let r = 0; r < rounds; r++) {
    for (const b of benches) {
      let n = 0;
      const t0 = performance.now();
      const end = t0 + ms;
      while (performance.now() < end) {
        for (let i = 0; i < 200; i++) b.fn(i);
        n += 200;
      }
      b.rounds.push(n / ((performance.now() - t0) / 1000));
    }
  }
  for (const b of benches) results[b.group][b.name] = b.rounds.sort((x, y) => x - y)[Math.floor(rounds / 2)];
}

if (!process.argv.includes("--no-compile")) compileApp();
const out = path.join(WORK, ".catzilla");
const doc = JSON.parse(fs.readFileSync(path.join(out, "openapi.json"), "utf8"));
const validators = await import(pathToFileURL(path.join(out, "validators.js")).href);
const serializers = await import(pathToFileURL(path.join(out, "serializers.js")).href);
const internal = await import(pathToFileURL(path.join(ROOT, "dist", "runtime", "internal.js")).href);

// typia, when bench/schema/typia-setup.sh has generated it (plain JS: no transformer at run time).
const TYPIA = path.join(ROOT, "bench", ".tmp", "typia", "out", "gen", "validators.js");
const typia = fs.existsSync(TYPIA) ? await import(pathToFileURL(TYPIA).href) : undefined;

const { Ajv2020 } = require("ajv/dist/2020.js");
const addFormats = require("ajv-formats");
const fastJson = require("fast-json-stringify");

const inline = (s) => JSON.parse(JSON.stringify(s).replaceAll("#/components/schemas/", "#/$defs/"));
const defs = inline(doc.components.schemas);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default ? addFormats.default(ajv) : addFormats(ajv);
const ajvNewUser = ajv.compile({ $ref: "#/$defs/NewUser", $defs: defs });
const route = Object.values(doc.paths["/users"]).find((op) => op.requestBody)["x-catzilla-route"];
const check = validators[`route${route}`].body;

const validUser = {
  name: "Ada Lovelace",
  email: "ada@example.com",
  age: 36,
  role: "admin",
  tags: ["math", "engines"],
  active: true,
  score: 99.5,
  country: "GB",
  bio: "Wrote the first program.",
  website: "https://example.com/ada",
};
const invalidUser = { ...validUser, email: "not-an-email", age: -1, tags: ["ok", 3] };

const results = { node: process.version, validation: {}, serialization: {} };
const valid = JSON.parse(JSON.stringify(validUser));
const invalid = JSON.parse(JSON.stringify(invalidUser));
if (!check.is(valid) || !ajvNewUser(valid) || check.is(invalid) || ajvNewUser(invalid)) throw new Error("validators disagree");
bench("validation", "catzilla valid", () => check.is(valid));
bench("validation", "ajv valid", () => ajvNewUser(valid));
bench("validation", "catzilla invalid (with errors)", () => {
  if (!check.is(invalid)) check.report(invalid, "$", []);
});
bench("validation", "ajv invalid (allErrors)", () => ajvNewUser(invalid));
if (typia) {
  if (!typia.isNewUser(valid) || typia.isNewUser(invalid) || typia.validateNewUser(invalid).errors.length !== 3) {
    throw new Error("typia disagrees");
  }
  bench("validation", "typia valid (is)", () => typia.isNewUser(valid));
  // Like catzilla's: the fast yes/no first, the full report only for a rejected value.
  bench("validation", "typia invalid (is, then validate)", () => {
    if (!typia.isNewUser(invalid)) typia.validateNewUser(invalid);
  });
}

// 100 users with a field the User type does not declare (the filter must drop it).
const users = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  name: `User ${i + 1}`,
  email: `user${i + 1}@example.com`,
  role: i % 3 === 0 ? "admin" : "member",
  active: i % 2 === 0,
  passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
}));
const clean = users.map(({ passwordHash, ...u }) => u);
const listRoute = Object.values(doc.paths["/users"]).find((op) => !op.requestBody)["x-catzilla-route"];
const outList = serializers[`out${listRoute}`];
const fjs = fastJson({ type: "array", items: { $ref: "#/$defs/User" }, $defs: defs });
const expected = JSON.stringify(clean);
const chosen = internal.serializerStrategy();
for (const s of ["concat", "pick"]) {
  internal.setSerializerStrategy(s);
  if (outList(users).text !== expected) throw new Error(`${s} output differs from JSON.stringify`);
}
results.serializerStrategy = chosen;
// The strategy is process-wide: each measurement sets its own.
bench("serialization", "catzilla concat (filtered)", () => (internal.setSerializerStrategy("concat"), outList(users).text));
bench("serialization", "catzilla pick (filtered)", () => (internal.setSerializerStrategy("pick"), outList(users).text));
if (fjs(users) !== expected) throw new Error("fast-json-stringify output differs");
// JSON.stringify filtering by itself: a replacer array of User's fields (applies at every depth).
const USER_KEYS = ["id", "name", "email", "role", "active"];
if (JSON.stringify(users, USER_KEYS) !== expected) throw new Error("replacer output differs");
bench("serialization", "JSON.stringify + replacer array (filtered)", () => JSON.stringify(users, USER_KEYS));
bench("serialization", "JSON.stringify (unfiltered)", () => JSON.stringify(users));
bench("serialization", "JSON.stringify (pre-filtered)", () => JSON.stringify(clean));
bench("serialization", "fast-json-stringify (filtered)", () => fjs(users));
if (typia) {
  if (typia.stringifyUsers(users) !== expected) throw new Error("typia stringify output differs");
  bench("serialization", "typia json.stringify (filtered)", () => typia.stringifyUsers(users));
}

runBenches();
internal.setSerializerStrategy(chosen);

const i = process.argv.indexOf("--out");
if (i > 0) fs.writeFileSync(process.argv[i + 1], JSON.stringify(results, null, 2) + "\n");
for (const [group, rows] of Object.entries({ validation: results.validation, serialization: results.serialization })) {
  console.log(`${process.version} ${group}${group === "serialization" ? ` (this Node's strategy: ${results.serializerStrategy})` : ""}`);
  for (const [k, v] of Object.entries(rows)) if (typeof v === "number") console.log(`  ${k.padEnd(42)} ${Math.round(v).toLocaleString("en-US").padStart(12)} ops/s`);
}
