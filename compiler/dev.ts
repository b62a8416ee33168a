/**
 * `catzilla dev <app.ts…> [--out dir] [--port n] [--host h]`: compile, serve, and on each
 * successful rebuild swap the running server to the new routes and handlers without a
 * restart (docs/dev.md).
 *
 * Each version N of the app is imported from where compile() wrote it (as a normal build
 * leaves it) under URLs tagged `?v=N` (dev-loader.ts, dev-hooks.ts): a fresh module instance
 * per version whose `import.meta.url` path is the real one. Generated files (the dispatch
 * module; routes.so when the table changed) go to <out>/dev/v<N>/, removed on exit.
 * The handlers bound are exactly the registrations that import made (a slice of the
 * runtime's registry). The native server then swaps tables (swapTable) and the runtime
 * swaps dispatch functions between batches: requests already dispatched, or matched against
 * the old table, finish on the old code; keep-alive connections stay open.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { SERIALIZERS_FILE, VALIDATORS_FILE } from "./schema/emit.js";
import { CFLAGS, compileRoutes, type CcResult } from "./cc.js";
import { commandTsconfig, parseArgv, untilSignal } from "./command.js";
import { importVersion, versionUrl } from "./dev-loader.js";
import { IncrementalCompiler, type BuildResult } from "./incremental.js";
import { watchLoop } from "./watch.js";

/** The schema modules dispatch.js imports, as a version directory holds them. */
const DEV_SCHEMA_FILES = [
  [VALIDATORS_FILE, "__catzilla_validators.mjs"],
  [SERIALIZERS_FILE, "__catzilla_serializers.mjs"],
] as const;

/**
 * Dev builds of routes.so: `-O0` instead of `-O1` (cc's CPU time for a 1,000-route table:
 * 0.06 s instead of 0.08 s; matching speed does not matter here). Same skip-if-unchanged
 * check as cc.ts, with the flags in the hash, so a later `catzilla-compile` rebuilds the
 * table with its own flags.
 */

export const DEV_CFLAGS = CFLAGS.map((f) => (f === "-O1" ? "-O0" : f));

export function devCompileRoutes(routesC: string, routesH: string, outDir: string): Promise<CcResult> {
  return compileRoutes(routesC, routesH, outDir, DEV_CFLAGS);
}

const USAGE =
  "usage: catzilla dev <app.ts...> [--out <dir>] [--port <n>] [--host <addr>] [--tsconfig <file>] [--no-const] [--quiet]";

interface DevArgs {
  entries: string[];
  out?: string;
  port: number;
  host: string;
  tsconfig?: string;
  noConst: boolean;
  quiet: boolean;
  help: boolean;
}

function parseDevArgs(argv: string[]): DevArgs | string {
  const p = parseArgv(argv, {
    values: { out: ["--out", "-o"], port: ["--port", "-p"], host: ["--host"], tsconfig: ["--tsconfig"] },
    flags: { noConst: ["--no-const"], quiet: ["--quiet", "-q"], help: ["--help", "-h"] },
  });
  if (typeof p === "string") return p;
  const { values: v, flags: f } = p;
  const a: DevArgs = {
    entries: p.entries,
    out: v.out,
    port: v.port === undefined ? 8000 : Number(v.port),
    host: v.host ?? "127.0.0.1",
    tsconfig: v.tsconfig,
    noConst: f.noConst === true,
    quiet: f.quiet === true,
    help: f.help === true,
  };
  if (a.help) return a;
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) return "--port must be an integer 0..65535";
  if (a.entries.length === 0) return "at least one entry file is required";
  return a;
}

/** What the dev server needs from the runtime the app itself resolves ("catzilla/internal"). */
interface Internal {
  createServer(mod: unknown, table: URL, opts?: { blockingModules?: readonly string[] }): DevServer;
  registeredRoutes(): readonly { method: string; path: string; handler: Function }[];
}
interface DevServer {
  listen(o: { port: number; host: string; dev?: boolean }): Promise<unknown>;
  close(): Promise<void>;
  reload(
    mod: unknown,
    table: URL | null,
    records?: readonly unknown[],
    opts?: { blockingModules?: readonly string[] },
  ): void;
  readonly port: number;
  readonly host: string;
}

async function loadInternal(outDir: string): Promise<Internal> {
  // The app's `import "catzilla"` and ours must be the same module instance (one registry).
  let file: string;
  try {
    file = createRequire(path.join(outDir, "__catzilla_dev__.js")).resolve("catzilla/internal");
  } catch {
    file = new URL("../runtime/internal.js", import.meta.url).pathname;
  }
  return (await import(pathToFileURL(file).href)) as Internal;
}

export class DevRunner {
  /** The version serving (0: none yet). */
  private version = 0;
  /** The last version number given out; a failed load's number is not reused (its URLs hold the failed modules). */
  private lastTried = 0;
  private server: DevServer | undefined;
  private loadedTable: string | undefined;
  private internal: Internal | undefined;
  readonly devDir: string;

  constructor(
    private readonly outDir: string,
    private readonly listenOpts: { port: number; host: string },
  ) {
    this.devDir = path.join(outDir, "dev");
    fs.rmSync(this.devDir, { recursive: true, force: true });
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Loads build `b` as the next version; returns a short note for the rebuild line. */
  async load(b: BuildResult): Promise<string> {
    const t0 = performance.now();
    // Nothing the program reads changed (a file outside it was saved, or a broken save was
    // reverted to the last good text): the running version is already this one.
    if (this.server && b.affected === 0) return `unchanged, still serving v${this.version}`;
    const internal = (this.internal ??= await loadInternal(this.outDir));
    const n = ++this.lastTried;
    const vdir = path.join(this.devDir, `v${n}`);
    // Where the build put the generated files: --out, or its mirror under a tsconfig outDir.
    const genDir = b.result.runDir ?? this.outDir;
    const outPrefix = genDir + path.sep;
    // The app's JS stays where compile() wrote it (as a normal build does) and is imported
    // from there as version n (dev-loader.ts); only generated files go to vdir.
    const appJs = b.files.filter((f) => !f.path.startsWith(outPrefix) && /\.(c|m)?js$/.test(f.path)).map((f) => f.path);
    try {
      fs.mkdirSync(vdir, { recursive: true });
      const dispatch = b.files.find((f) => f.path === path.join(genDir, "dispatch.js"));
      const routesC = b.files.find((f) => f.path === path.join(genDir, "routes.c"));
      if (!dispatch || !routesC) throw new Error("the build produced no dispatch.js/routes.c");
      const dispatchFile = path.join(vdir, "__catzilla_dispatch.mjs");
      // Validators and serializers beside it, as .mjs too: the version directory may be a CommonJS scope.
      let dispatchText = String(dispatch.content);
      for (const [name, devName] of DEV_SCHEMA_FILES) {
        const f = b.files.find((x) => x.path === path.join(genDir, name));
        if (!f) continue;
        fs.writeFileSync(path.join(vdir, devName), f.content);
        dispatchText = dispatchText.replace(`"./${name}"`, `"./${devName}"`);
      }
      fs.writeFileSync(dispatchFile, dispatchText);
      const tableHash = createHash("sha256").update(routesC.content).digest("hex");
      let table: URL | null = null;
      if (tableHash !== this.loadedTable) {
        // A fresh path per version: dlopen() caches by name, and a loaded .so must never be rewritten.
        const so = b.files.find((f) => f.path === path.join(genDir, "routes.so"));
        const soFile = path.join(vdir, "routes.so");
        if (so) fs.writeFileSync(soFile, so.content);
        else fs.copyFileSync(path.join(genDir, "routes.so"), soFile);
        table = pathToFileURL(soFile);
      }

      const before = internal.registeredRoutes().length;
      await importVersion(b.entryJs, appJs, n);
      const records = internal.registeredRoutes().slice(before);
      const mod = await import(pathToFileURL(dispatchFile).href);
      // Blocking routes: this version's worker pool imports this version's modules.
      const blockingModules = b.blockingJs.map((js) => versionUrl(js, n));

      let note: string;
      if (!this.server) {
        const server = internal.createServer(mod, table!, { blockingModules });
        server.reload(mod, table, records, { blockingModules });
        // Development: a 500's body carries the error's message and stack.
        await server.listen({ ...this.listenOpts, dev: true });
        this.server = server;
        note = `listening on http://${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`;
      } else {
        this.server.reload(mod, table, records, { blockingModules });
        note = `serving v${n}${table ? " (new route table)" : ""}, swapped in ${Math.round(performance.now() - t0)} ms`;
      }
      if (table) this.loadedTable = tableHash;
      this.version = n;
      this.prune(n);
      return note;
    } catch (err) {
      fs.rmSync(vdir, { recursive: true, force: true });
      const keep = this.server ? `; still serving v${this.version}` : "";
      const e = err as Error;
      throw new Error(`cannot load the new version: ${e.stack ?? e.message}${keep}`);
    }
  }

  /** Old versions' files: already imported (and their tables dlopen()ed), so removable. */
  private prune(current: number): void {
    for (const name of fs.existsSync(this.devDir) ? fs.readdirSync(this.devDir) : []) {
      const m = /^v(\d+)$/.exec(name);
      if (m && Number(m[1]) < current) fs.rmSync(path.join(this.devDir, name), { recursive: true, force: true });
    }
  }

  /**
   * Removes what dev mode wrote beside the build (<out>/dev). Safe while the server still
   * runs: every version's modules are imported and its table dlopen()ed already.
   */
  removeFiles(): void {
    fs.rmSync(this.devDir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.removeFiles();
    await this.server?.close();
  }
}

export async function devMain(argv: string[]): Promise<number> {
  const args = parseDevArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`catzilla dev: ${args}\n${USAGE}\n`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cwd = process.cwd();
  const out = args.out ?? path.join(path.dirname(args.entries[0]), ".catzilla");
  const outDir = path.resolve(cwd, out);
  const runner = new DevRunner(outDir, { port: args.port, host: args.host });
  const tsconfig = commandTsconfig(args.tsconfig, args.entries, cwd, "catzilla dev", args.quiet);
  const compileOptions = { entries: args.entries, outDir: out, tsconfig, cwd, constRoutes: !args.noConst };
  const loop = watchLoop({
    compile: compileOptions,
    compiler: new IncrementalCompiler(compileOptions, { compileRoutes: devCompileRoutes }),
    cwd,
    label: "catzilla dev",
    quiet: args.quiet,
    onBuild: (b) => runner.load(b),
  });
  // What dev mode wrote goes with the process however it ends: a signal (also during the
  // first build), a normal exit, or process.exit() and crashes (the "exit" event).
  process.once("exit", () => runner.removeFiles());
  const stopped = untilSignal(() => {
    loop.close();
    return runner.close();
  });
  await loop.ready;
  await stopped;
  return 0;
}
