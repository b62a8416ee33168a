/**
 * The app the static-file tests serve (test/e2e/static.test.ts,
 * test/conformance/static-traversal.test.ts): a public/ tree with the files each case
 * needs (an index, dotfiles, symlinks in and out of the root, a large file), mounted in
 * several ways, beside a few routes; compiled by the real compiler and served on 127.0.0.1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compile } from "../../compiler/index.js";
import { ROOT, writeApp } from "../compiler/helpers.js";
import { serve, type RunningApp } from "./app.js";

export const BIG_SIZE = 8 * 1024 * 1024;
/** A sparse file (no disk blocks): bigger than what the kernel's socket buffers absorb. */
export const HUGE_SIZE = 128 * 1024 * 1024;

export interface StaticApp {
  app: RunningApp;
  /** The app's directory; its public/ is the mounts' root. */
  dir: string;
  pub: string;
  /** The 8 MiB file's bytes. */
  big: Buffer;
}

/** A deterministic byte pattern (no repetition at the chunk size, so a misplaced chunk shows). */
export function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** env: extra environment of the server process (CATZILLA_STATIC_NO_OPENAT2=1: C's realpath() fallback). */
export async function startStaticApp(label: string, env: Record<string, string> = {}): Promise<StaticApp> {
  const dir = writeApp(label, { "app.ts": "" });
  const pub = path.join(dir, "public");
  const files: Record<string, string | Buffer> = {
    "hello.txt": "hello\n",
    "index.html": "<h1>home</h1>",
    "style.css": "body{}",
    "app.js": "export {}",
    "data.json": "{}",
    "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    "README.TXT": "upper",
    noext: "x",
    "file.unknownext": "y",
    "override.txt": "from disk",
    "sub/index.html": "<h1>sub</h1>",
    "sub/page.html": "<p>page</p>",
    "plain/only.txt": "only",
    ".secret": "top secret",
    ".hidden/inside.txt": "hidden dir",
    "digits.txt": "0123456789",
  };
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(pub, name)), { recursive: true });
    fs.writeFileSync(path.join(pub, name), data);
  }
  const big = pattern(BIG_SIZE);
  fs.writeFileSync(path.join(pub, "big.bin"), big);
  fs.writeFileSync(path.join(pub, "huge.bin"), "");
  fs.truncateSync(path.join(pub, "huge.bin"), HUGE_SIZE);
  fs.writeFileSync(path.join(dir, "outside.txt"), "outside the root");
  fs.symlinkSync("hello.txt", path.join(pub, "link-in.txt")); // stays inside: served
  fs.symlinkSync("../outside.txt", path.join(pub, "link-out.txt")); // leaves the root: 404
  fs.symlinkSync("/etc/passwd", path.join(pub, "passwd")); // absolute, outside: 404
  fs.symlinkSync("..", path.join(pub, "up")); // a directory link out: 404 for up/outside.txt
  // The mounts name the directory relative to the working directory the server runs in
  // (the helper serves from the package root), as an app would write "./public".
  const rel = path.relative(ROOT, pub);
  const app = `
import { Catzilla, Router } from "catzilla";
export const app = new Catzilla();
app.get("/sync", () => ({ type: "sync" }));
app.get("/slow", async () => { await new Promise((r) => setTimeout(r, 60)); return "slow"; });
app.get("/dyn/:n", (req) => "dyn " + req.params.n);
app.static("/assets", ${JSON.stringify(rel)});
app.get("/assets/override.txt", () => "from the route");
app.static("/cached", ${JSON.stringify(rel)}, { maxAge: 3600, immutable: true });
app.static("/noindex", ${JSON.stringify(rel)}, { index: false });
app.static("/dots", ${JSON.stringify(rel)}, { dotfiles: "allow" });
app.static("/plain", ${JSON.stringify(rel)}, { etag: false, lastModified: false });
app.group("/g", (r) => r.static("/files", ${JSON.stringify(rel)}));
const router = new Router();
router.static("/", ${JSON.stringify(rel + "/sub")});
app.mount("/r", router);
`;
  fs.writeFileSync(path.join(dir, "app.ts"), app);
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join("\n"));
  // serve() spawns with this process's environment: lend it `env` for the spawn only.
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return { app: await serve(path.join(dir, ".catzilla")), dir, pub, big };
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
