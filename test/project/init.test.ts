/**
 * `catzilla init`, as a new user runs it (issue 15, "Done when"): a project scaffolded into a
 * temporary directory, this checkout installed into it from a packed tarball with no network
 * (./offline-install.ts), then the project's own scripts: `npm run build`, `npm test`,
 * `npm run typecheck`, `npm start` (stopped with SIGTERM), and `npm run dev` while a handler
 * that keeps its data in a JSON file beside its source is added and edited twice, each edit
 * hot-swapped into the running server. One install serves every step; every process started
 * here is stopped here (each in a process group of its own: npm runs scripts through sh).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/app.js";
import { cleanEnv, installOffline, packCheckout } from "./offline-install.js";

const CLI = path.join(ROOT, "bin", "catzilla.js");
const SELF = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "catzilla-init-"));
});

const started: Proc[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function init(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [CLI, "init", ...args], { cwd, encoding: "utf8", env: cleanEnv() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `npm run <script>` (or `npm test`) to its end: its exit status and output (stdout and stderr). */
async function npmRun(script: string, cwd: string): Promise<{ status: number | null; output: string }> {
  const p = startNpm(script === "test" ? ["test"] : ["run", script], cwd);
  const status = await p.closed;
  return { status, output: p.output() };
}

interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with npm's exit status once every process of the group has closed its output. */
  closed: Promise<number | null>;
  /** Resolves with the first match of re in the output (stdout and stderr), or rejects when the process exits. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM to the process group, SIGKILL after 10 s; resolves once every process of it has closed its output. */
  stop(): Promise<void>;
}

function startNpm(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  const child = spawn("npm", args, { cwd, env: cleanEnv(env), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => ((out += d), wake()));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => ((out += d), wake()));
  child.once("exit", wake);
  // "close": the output pipes are closed, so the server npm started has exited and written all it had to.
  let isClosed = false;
  const closed = new Promise<number | null>((resolve) => child.once("close", (status) => ((isClosed = true), resolve(status))));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // ESRCH: every process of the group has exited
    }
  };
  const p: Proc = {
    child,
    output: () => out,
    closed,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${re}; output:\n${out}`)), timeoutMs);
        const done = (err?: Error, m?: RegExpExecArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        const check = () => {
          const m = re.exec(out);
          if (m) done(undefined, m);
          else if (!alive()) done(new Error(`npm ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before ${re}; output:\n${out}`));
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (isClosed) return;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), 10_000);
      await closed;
      clearTimeout(timer);
    },
  };
  started.push(p);
  return p;
}

/** The port a server prints in "listening on http://127.0.0.1:<port>". */
async function listeningPort(p: Proc): Promise<number> {
  const m = await p.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  return Number(m[1]);
}

/** Nothing answers on the port any more. */
async function refused(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  );
}

describe("catzilla init: the command", () => {
  it("writes the project's files, with this package's version and the next steps", () => {
    const r = init(["my-app"], tmp);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Next steps:\n  cd my-app\n  npm install\n");
    const dir = path.join(tmp, "my-app");
    const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    expect(files).toEqual([".gitignore", "README.md", "package.json", "src/app.test.ts", "src/app.ts", "src/main.ts", "tsconfig.json"]);
    const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pj.name).toBe("my-app");
    expect(pj.type).toBe("module");
    expect(pj.dependencies).toEqual({ catzilla: `^${SELF.version}` });
    expect(Object.keys(pj.devDependencies).sort()).toEqual(["@types/node", "typescript"]);
    expect(Object.keys(pj.scripts)).toEqual(expect.arrayContaining(["dev", "build", "start", "test"]));
    // docs/init.md's table of scripts is the generated package.json's, row for row.
    const page = fs.readFileSync(path.join(ROOT, "docs", "init.md"), "utf8");
    const rows = [...page.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(pj.scripts);
    expect(fs.readFileSync(path.join(dir, "src", "app.ts"), "utf8")).toContain('name: "my-app"');
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toMatch(/^node_modules\/$/m);
  });

  it("refuses a directory that is not empty, unless --force", () => {
    const dir = path.join(tmp, "taken");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    const r = init(["taken"], tmp);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "catzilla init: taken is not empty (1 entry: notes.txt). Choose a new directory, or pass --force to write " +
        "the project's files into it (files of the same name are replaced).\n",
    );
    expect(fs.readdirSync(dir)).toEqual(["notes.txt"]);
    const forced = init(["taken", "--force"], tmp);
    expect(forced.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("mine\n");
    expect(fs.existsSync(path.join(dir, "src", "app.ts"))).toBe(true);
  });

  it("`init .` writes into the current directory when it is empty (a .git alone counts as empty)", () => {
    const dir = path.join(tmp, "here-app");
    fs.mkdirSync(path.join(dir, ".git"), { recursive: true });
    const r = init(["."], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Created here-app in the current directory");
    expect(r.stdout).not.toContain("cd ");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).name).toBe("here-app");
  });

  it("validates the package name by npm's rules, and says how to choose another", () => {
    const r = init(["My App"], tmp);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'catzilla init: "My App" is not a valid npm package name: name can only contain URL-friendly characters; ' +
        "name can no longer contain capital letters; pass --name <package-name>, or choose another directory name.\n",
    );
    expect(fs.existsSync(path.join(tmp, "My App"))).toBe(false);
    const named = init(["My App", "--name", "my-app-2"], tmp);
    expect(named.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, "My App", "package.json"), "utf8")).name).toBe("my-app-2");
    expect(init(["x", "--name", "http"], tmp).stderr).toContain('"http" is not a valid npm package name: http is a core module name.');
  });

  it("`catzilla --help` lists init and dev; an unknown command exits 1 with the same list", () => {
    const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}catzilla init <dir> \[--name <package-name>\] \[--force\] /m);
    expect(help.stdout).toMatch(/^ {2}catzilla dev <app\.ts\.\.\.> \[options\] /m);
    const unknown = spawnSync(process.execPath, [CLI, "serve"], { encoding: "utf8" });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(`catzilla: unknown command serve\n${help.stdout}`);
  });

  it("without a directory, prints its usage and exits 1", () => {
    const r = init([], tmp);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "catzilla init: the project directory is required (`.` for the current one)\n" +
        "usage: catzilla init <dir> [--name <package-name>] [--force]\n",
    );
  });
});

describe("catzilla init: the project works the first time", () => {
  let dir: string;

  beforeAll(async () => {
    const r = init(["notes-app"], tmp);
    expect(r.status, r.stderr).toBe(0);
    dir = path.join(tmp, "notes-app");
    await installOffline(ROOT, dir, await packCheckout(ROOT, tmp));
  }, 180_000);

  it("npm run build, npm test and npm run typecheck pass", async () => {
    const build = await npmRun("build", dir);
    expect(build.status, build.output).toBe(0);
    expect(build.output).toMatch(/compiled 3 routes in \d+ ms/);
    const test = await npmRun("test", dir);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/\bpass 4\b/);
    expect(test.output).toMatch(/\bfail 0\b/);
    // tsc reads the same tsconfig and agrees: no error in the app, its tests or main.ts.
    const tsc = await npmRun("typecheck", dir);
    expect(tsc.status, tsc.output).toBe(0);
  }, 240_000);

  it("npm start serves the build and stops gracefully on SIGTERM", async () => {
    const p = startNpm(["start"], dir, { PORT: "0" });
    const port = await listeningPort(p);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toEqual({ name: "notes-app", ok: true });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe("ok\n");
    await p.stop();
    expect(p.output()).toMatch(/"msg":"shut down: drained in \d+ ms"/);
    expect(await refused(port)).toBe(true);
  }, 60_000);

  it("npm run dev hot-swaps edits; data a handler keeps beside its source survives two swaps", async () => {
    const appTs = path.join(dir, "src", "app.ts");
    const original = fs.readFileSync(appTs, "utf8");
    const p = startNpm(["run", "dev", "--", "--port", "0"], dir);
    const port = await listeningPort(p);
    const url = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${url}/`)).json()).toEqual({ name: "notes-app", ok: true });

    /** Rewrites app.ts with a notes route tagged `edit`, and waits until the server answers with that tag. */
    const edit = async (tag: number) => {
      fs.writeFileSync(appTs, original + notesRoute(tag));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const failed = /build failed[\s\S]*|cannot load the new version[\s\S]*/.exec(p.output());
        if (failed) throw new Error(`edit ${tag} did not build or load:\n${p.output()}`);
        const res = await fetch(`${url}/notes`).catch(() => undefined);
        if (res?.status === 200 && ((await res.json()) as { edit: number }).edit === tag) return;
        if (Date.now() > deadline) throw new Error(`edit ${tag} was not swapped in within 60 s:\n${p.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const post = async (text: string) => {
      const res = await fetch(`${url}/notes`, { method: "POST", body: JSON.stringify({ text }) });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { edit: number; notes: { text: string }[]; file: string };
    };

    await edit(1);
    const first = await post("first");
    expect(first.notes).toEqual([{ text: "first" }]);
    // The module's import.meta.url is its source's folder, in dev as in a build.
    const dataFile = path.join(dir, "src", "notes.json");
    expect(first.file).toBe(dataFile);
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toEqual([{ text: "first" }]);

    await edit(2);
    await edit(3);
    const later = (await (await fetch(`${url}/notes`)).json()) as { edit: number; notes: unknown[] };
    expect(later).toEqual({ edit: 3, notes: [{ text: "first" }], file: dataFile });
    expect((await post("second")).notes).toEqual([{ text: "first" }, { text: "second" }]);
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toEqual([{ text: "first" }, { text: "second" }]);
    // Nothing was written under the generated folder: the data lives where the source does.
    const generated = path.join(dir, "src", ".catzilla");
    const stray = (fs.readdirSync(generated, { recursive: true }) as string[]).filter((f) => f.endsWith("notes.json"));
    expect(stray).toEqual([]);

    await p.stop();
    expect(await refused(port)).toBe(true);
  }, 180_000);
});

/**
 * The handler the dev test adds: notes kept in notes.json beside the module (found through
 * import.meta.url, as a SQLite file would be), and `tag` to tell each edit's version apart.
 */
function notesRoute(tag: number): string {
  return `
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const NOTES = new URL("./notes.json", import.meta.url);
const load = async (): Promise<unknown[]> => JSON.parse(await readFile(NOTES, "utf8").catch(() => "[]")) as unknown[];

app.get("/notes", async () => ({ edit: ${tag}, notes: await load(), file: fileURLToPath(NOTES) }));
app.post("/notes", async (req) => {
  const notes = await load();
  notes.push(await req.json());
  await writeFile(NOTES, JSON.stringify(notes));
  return json({ edit: ${tag}, notes, file: fileURLToPath(NOTES) }, { status: 201 });
});
`;
}
