// End to end, one run per server and route: POST /users (a valid 10-field body, validated)
// and GET /users (100 typed users, filtered), server pinned to CPU 0, wrk to CPU 1.
//
//   node bench/schema/e2e.mjs --node /path/to/node24 --bun /path/to/bun [--duration 5]
//
// catzilla, Fastify and node:http run on --node; Bun.serve on --bun. The app is compiled
// first (bench/schema/micro.mjs does the same compile). Prints a markdown table.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const WORK = path.join(ROOT, "bench", ".tmp", "schema");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const NODE = arg("--node", process.execPath);
const BUN = arg("--bun", path.join(ROOT, "bench", ".tmp", "bun", "node_modules", "bun", "bin", "bun.exe"));
const DURATION = Number(arg("--duration", "5"));
const PORT = 18200;

fs.mkdirSync(WORK, { recursive: true });
for (const f of ["app.ts", "main.ts"]) fs.copyFileSync(path.join(HERE, f), path.join(WORK, f));
const c = spawnSync("node", [path.join(ROOT, "bin", "catzilla-compile.js"), "app.ts", "main.ts", "--out", ".catzilla", "--quiet"], { cwd: WORK, encoding: "utf8" });
if (c.status !== 0) throw new Error(c.stdout + c.stderr);

const SERVERS = {
  catzilla: [NODE, [path.join(WORK, "main.js")], {}],
  bun: [BUN, [path.join(HERE, "servers.mjs")], {}],
  fastify: [NODE, [path.join(HERE, "servers.mjs")], { SERVER: "fastify" }],
  "node-http": [NODE, [path.join(HERE, "servers.mjs")], { SERVER: "node-http" }],
};

async function start(name) {
  const [bin, args, env] = SERVERS[name];
  const child = spawn("taskset", ["-c", "0", bin, ...args], { env: { ...process.env, ...env, PORT: String(PORT) }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d) => d.includes("listening") && resolve());
    child.once("exit", (code) => reject(new Error(`${name} exited ${code}`)));
  });
  return child;
}

function wrk(route) {
  const args = ["-c", "1", "wrk", "-t1", "-c50", `-d${DURATION}s`, ...(route === "POST" ? ["-s", path.join(HERE, "post.lua")] : []), `http://127.0.0.1:${PORT}/users`];
  const r = spawnSync("taskset", args, { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`wrk ${route}: no result\n${r.stdout}${r.stderr}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`${route}: ${non2xx} non-2xx answers`);
  return rps;
}

const results = {};
const only = arg("--servers", Object.keys(SERVERS).join(",")).split(",");
for (const name of only) {
  const child = await start(name);
  try {
    wrk("GET"); // warm-up, 1 run
    results[name] = { post: wrk("POST"), get: wrk("GET") };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  console.error(name, results[name]);
}
const v = spawnSync(NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(`| server (${v}, bun ${spawnSync(BUN, ["--version"], { encoding: "utf8" }).stdout.trim()}) | POST /users req/s | × | GET /users req/s | × |`);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [name, r] of Object.entries(results)) {
  const x = (a, b) => (a / b).toFixed(2);
  if (!results.catzilla) continue;
  console.log(`| ${name} | ${Math.round(r.post)} | ${x(results.catzilla.post, r.post)} | ${Math.round(r.get)} | ${x(results.catzilla.get, r.get)} |`);
}
