/**
 * `catzilla dev` and the files around the app: module-relative paths (`import.meta.url`,
 * `import.meta.dirname`/`filename`, `new URL("./x", import.meta.url)`) point where a normal
 * build puts them on every version, so a data file beside the source keeps its data across
 * hot swaps; warnings print once, not on every rebuild; what dev mode wrote (<out>/dev) goes
 * when it stops (SIGINT) or its process exits. A real dev server in a child process, driven
 * by editing files and checked over HTTP on 127.0.0.1.
 *
 * The app's `import.meta` lines carry `// @ts-ignore`: until the compiler decides ESM vs
 * CommonJS as tsc does (issue 15), it reports TS1470 for `import.meta` in this ESM scope.
 * The emitted JS is ESM either way.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "./helpers/app.js";
import { get, start, until, write, type Proc } from "./helpers/dev.js";

const TMP = join(ROOT, "test", ".tmp");
const CLI = join(ROOT, "bin", "catzilla.js");

/** How many times `needle` occurs in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe("catzilla dev keeps module-relative paths and prints warnings once", () => {
  const dir = join(TMP, `dev-files-${process.pid}`);
  const app = join(dir, "app.ts");
  const dataFile = join(dir, "store", "data.json");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let dev: Proc;
  let port = 0;

  /** `tag` marks the version; `warnLine`: lines put before the route that warns (line 17), moving it. */
  const appText = (tag: string, warnLine = "") => `import { Catzilla } from "catzilla";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { addNote } from "./store/notes.js";
export const app = new Catzilla();
// @ts-ignore TS1470 (see the test's header)
const meta = { url: import.meta.url, dirname: import.meta.dirname, filename: import.meta.filename };
// @ts-ignore TS1470
const sibling = new URL("./hello.txt", import.meta.url);
// @ts-ignore TS1470
app.static("/files", fileURLToPath(new URL("./public", import.meta.url)));

app.post("/notes/:text", async (req) => ({ notes: await addNote(req.params.text), tag: ${JSON.stringify(tag)} }));
app.get("/sibling", async () => (await readFile(sibling, "utf8")).trim() + " ${tag}");
app.get("/meta", () => meta);
${warnLine}app.get("/sync-read", () => readFileSync(sibling, "utf8"));
`;

  beforeAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    write(join(dir, "hello.txt"), "hello\n");
    write(join(dir, "public", "page.html"), "<p>page</p>\n");
    write(
      join(dir, "store", "notes.ts"),
      `import { readFile, writeFile } from "node:fs/promises";
// @ts-ignore TS1470 (see the test's header)
const file = new URL("./data.json", import.meta.url);

/** Appends to data.json beside this module (a fresh file when there is none). */
export async function addNote(text: string): Promise<string[]> {
  let notes: string[] = [];
  try {
    notes = JSON.parse(await readFile(file, "utf8")) as string[];
  } catch {}
  notes.push(text);
  await writeFile(file, JSON.stringify(notes));
  return notes;
}
`,
    );
    write(app, appText("v1"));
    dev = start([CLI, "dev", app, "--port", "0", "--quiet"]);
    const line = await dev.waitLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 0, 110_000);
    port = Number(/:(\d+)$/.exec(line)![1]);
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await dev?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string) => JSON.parse((await get(agent, port, path, "POST")).body) as { notes: string[]; tag: string };
  /** Saves app.ts as version `tag` and waits until the server answers with it. */
  const swapTo = async (tag: string, warnLine = "") => {
    write(app, appText(tag, warnLine));
    return until(agent, port, "/sibling", (r) => r.body === `hello ${tag}`);
  };

  test("import.meta.url, dirname and filename are the source's own; a sibling file is read", async () => {
    expect((await get(agent, port, "/sibling")).body).toBe("hello v1");
    const meta = JSON.parse((await get(agent, port, "/meta")).body) as { url: string; dirname: string; filename: string };
    expect(new URL(meta.url).pathname).toBe(join(dir, "app.js"));
    expect(meta.dirname).toBe(dir);
    expect(meta.filename).toBe(join(dir, "app.js"));
  });

  test("a data file beside the source keeps its data across two hot swaps", async () => {
    expect((await post("/notes/one")).notes).toEqual(["one"]);
    await swapTo("v2");
    expect(await post("/notes/two")).toEqual({ notes: ["one", "two"], tag: "v2" });
    await swapTo("v3");
    expect(await post("/notes/three")).toEqual({ notes: ["one", "two", "three"], tag: "v3" });
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toEqual(["one", "two", "three"]);
    // A static mount whose directory was built from import.meta.url.
    const page = await get(agent, port, "/files/page.html");
    expect([page.status, page.body]).toEqual([200, "<p>page</p>\n"]);
    const meta = JSON.parse((await get(agent, port, "/meta")).body) as { url: string; dirname: string };
    expect(new URL(meta.url).pathname).toBe(join(dir, "app.js"));
    expect(meta.dirname).toBe(dir);
  }, 60_000);

  test("a warning is printed once; again only when it changes", async () => {
    // The cold build and the two swaps above: one CZ2003, printed once.
    expect(count(dev.stderr(), "warning CZ2003")).toBe(1);
    expect(dev.stderr()).toMatch(/app\.ts:17:\d+ - warning CZ2003/);
    const from = dev.lines.length;
    await swapTo("v4");
    expect(await dev.waitLine(/rebuilt in .*1 warning \(printed before\)/, from)).toMatch(/serving v\d+/);
    expect(count(dev.stderr(), "warning CZ2003")).toBe(1);
    // The route moved down a line: a changed warning is printed again.
    await swapTo("v5", "// moved\n");
    const deadline = Date.now() + 30_000;
    while (count(dev.stderr(), "warning CZ2003") < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(count(dev.stderr(), "warning CZ2003")).toBe(2);
    expect(dev.stderr()).toMatch(/app\.ts:18:\d+ - warning CZ2003/);
  }, 60_000);

  test("SIGINT stops it and removes <out>/dev; the data file and the build stay", async () => {
    const devDir = join(dir, ".catzilla", "dev");
    expect(fs.existsSync(devDir)).toBe(true);
    agent.destroy();
    expect(await dev.stop("SIGINT")).toBe(0);
    expect(fs.existsSync(devDir)).toBe(false);
    expect(fs.existsSync(join(dir, ".catzilla", "dispatch.js"))).toBe(true);
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toEqual(["one", "two", "three"]);
  }, 30_000);
});

describe("catzilla dev in a project whose package.json has no type (CommonJS scope)", () => {
  const dir = join(TMP, `dev-cjs-${process.pid}`);
  let dev: Proc | undefined;

  afterAll(async () => {
    await dev?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Once the compiler emits CommonJS here as tsc does (issue 15's ESM/CJS finding), this
  // covers require.cache: a required module must evaluate again on each version.
  test("an imported module's new text is served after each swap; process.exit() in the app removes <out>/dev", async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    write(join(dir, "package.json"), `{ "name": "cjs-app", "private": true }\n`);
    // Not inside the catzilla package's scope any more: "catzilla" resolves from node_modules.
    fs.mkdirSync(join(dir, "node_modules"));
    fs.symlinkSync(ROOT, join(dir, "node_modules", "catzilla"), "dir");
    const tag = (t: string) => write(join(dir, "tag.ts"), `export const tag = ${JSON.stringify(t)};\n`);
    tag("t1");
    write(
      join(dir, "app.ts"),
      `import { Catzilla } from "catzilla";
import { tag } from "./tag.js";
export const app = new Catzilla();
app.get("/tag", () => tag);
app.post("/exit", () => {
  setImmediate(() => process.exit(0));
  return "bye";
});
`,
    );
    dev = start([CLI, "dev", join(dir, "app.ts"), "--port", "0", "--quiet"]);
    const line = await dev.waitLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 0, 110_000);
    const port = Number(/:(\d+)$/.exec(line)![1]);
    const agent = new http.Agent({ keepAlive: false });
    expect((await get(agent, port, "/tag")).body).toBe("t1");
    tag("t2");
    expect((await until(agent, port, "/tag", (r) => r.body !== "t1")).body).toBe("t2");
    tag("t3");
    expect((await until(agent, port, "/tag", (r) => r.body !== "t2")).body).toBe("t3");
    expect(fs.existsSync(join(dir, ".catzilla", "dev"))).toBe(true);
    expect((await get(agent, port, "/exit", "POST")).body).toBe("bye");
    agent.destroy();
    expect(await dev.exited()).toBe(0);
    expect(fs.existsSync(join(dir, ".catzilla", "dev"))).toBe(false);
  }, 120_000);
});
