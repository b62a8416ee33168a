/**
 * The server a generated `server.js` creates: allocates the arenas shared with the native
 * server, assembles the runtime's parts for them (batch.ts: the hot batch loop; answers.ts:
 * the async answer queue; hold.ts: the arena's loans; blocking-client.ts: the blocking pool
 * client; versions.ts: the app versions the dev server swaps) and starts, reloads and
 * closes the native server (inject.ts: server.inject() over a socketpair). Called only by
 * generated code.
 */
import { fileURLToPath } from "node:url";
import { createAnswers } from "./answers.js";
import { BATCH_MAX, LIMIT_DEFAULTS, REQ_STRIDE, RES_STRIDE } from "./abi.js";
import { createBatchLoop, resultHooks } from "./batch.js";
import { assertSyncOnly, bindHandlers, paramSpecs, type DispatchModule, type HandlerRecords } from "./bind.js";
import { createBlockingPool, type BlockingPool } from "./blocking.js";
import { BodyStreams } from "./body.js";
import { formLimits } from "./form.js";
import { bodyIn } from "./request-body.js";
import { blockingHook } from "./blocking-client.js";
import { createArenaHold } from "./hold.js";
import { exchange, requestBytes, type InjectOptions, type InjectResponse } from "./inject.js";
import { loadNative, type NativeHandle, type NativeLimits } from "./native.js";
import { useOpenApiDocument } from "./openapi.js";
import type { ListenOptions, Server } from "./server.js";
import { Versions, type Version } from "./versions.js";
import { ArenaWriter } from "./writer.js";

const REQ_DATA_MIN = 256 * 1024;
const RES_DATA_SIZE = 1024 * 1024;
const ASYNC_DATA_SIZE = 64 * 1024;

export interface CreateServerOptions {
  /** The app's route modules, for the blocking pool's workers to import (generated server.js). */
  blockingModules?: readonly string[];
  /** The app's openapi.json, which the `openapi` handler answers. */
  openapi?: URL;
}

export function createServer(dispatchModule: DispatchModule, table: URL, opts: CreateServerOptions = {}): Server {
  if (opts.openapi) useOpenApiDocument(opts.openapi);
  return new NativeServer(dispatchModule, fileURLToPath(table), opts.blockingModules ?? []);
}

/** The server createServer returns, with the dev server's reload path (not a public API). */
export interface ReloadableServer extends Server {
  /**
   * Swaps the running server to another version of the app, between batches: requests
   * parsed from now on are matched against `table` (a routes.so path never loaded
   * before, or null to keep the current table: then `mod.fingerprint` must equal the
   * current one) and dispatched to `mod` with handlers bound from `records`. Requests
   * already dispatched, or matched against the old table, finish on the old code.
   * Before listen it only replaces what listen will load. Throws, changing nothing, when
   * the handlers do not match the routes or the table cannot be loaded.
   */
  reload(
    mod: DispatchModule,
    table: URL | string | null,
    records?: HandlerRecords,
    opts?: { blockingModules?: readonly string[] },
  ): void;
}

/** What exists while the server listens. */
interface Live {
  handle: NativeHandle;
  versions: Versions;
  /** Builds a version of the app on this server's hooks (throws before starting anything). */
  makeVersion(mod: DispatchModule, records: HandlerRecords | undefined, blockingModules: readonly string[]): Version;
}

class NativeServer implements ReloadableServer {
  private live: Live | undefined;
  private closing: Promise<void> | undefined;
  private records: HandlerRecords | undefined;
  private closeGraceMs = 10_000;
  /** The native server listens on a port (it may exist without one: made by inject()). */
  private bound = false;
  /** close() ran and listen() has not since: inject() refuses instead of starting anew. */
  private closed = false;
  /** The live native server was created by inject() (listen() may still bind it). */
  private madeByInject = false;
  port = 0;
  host = "";

  constructor(
    private mod: DispatchModule,
    private tablePath: string,
    private blockingModules: readonly string[],
  ) {}

  get listening(): boolean {
    return this.live !== undefined && this.bound && this.closing === undefined;
  }

  reload(
    mod: DispatchModule,
    table: URL | string | null,
    records?: HandlerRecords,
    opts: { blockingModules?: readonly string[] } = {},
  ): void {
    const tablePath = table === null ? null : table instanceof URL ? fileURLToPath(table) : table;
    if (tablePath === null && mod.fingerprint !== this.mod.fingerprint) {
      throw new Error("catzilla: reload: the route table changed (fingerprint differs) but no new table was given");
    }
    const blockingModules = opts.blockingModules ?? this.blockingModules;
    const live = this.live;
    if (live !== undefined) {
      const version = live.makeVersion(mod, records, blockingModules); // throws before anything changes
      let gen = live.versions.gen;
      if (tablePath !== null) {
        try {
          gen = loadNative().swapTable(live.handle, tablePath, mod.fingerprint);
        } catch (err) {
          void version.pool?.close();
          throw err;
        }
      }
      live.versions.install(gen, version, this.closeGraceMs);
    }
    this.mod = mod;
    if (tablePath !== null) this.tablePath = tablePath;
    this.records = records;
    this.blockingModules = blockingModules;
  }

  async listen(options: ListenOptions = {}): Promise<Server> {
    // Also a listen() still starting (its server exists, not yet bound) counts.
    if (this.bound || (this.live !== undefined && !this.madeByInject)) {
      throw new Error("catzilla: server is already listening");
    }
    if (this.closing !== undefined) await this.closing;
    const native = loadNative();
    let live = this.live;
    const fresh = live === undefined;
    if (live !== undefined) {
      // Created by inject(): its limits and hooks are fixed, so only where to bind may be given.
      const fixed = Object.keys(options).filter(
        (k) => k !== "port" && k !== "host" && k !== "backlog" && (options as Record<string, unknown>)[k] !== undefined,
      );
      if (fixed.length > 0) {
        throw new Error(
          `catzilla: listen after inject() cannot change ${fixed.join(", ")}: the server was created by inject() with the default options; call listen(options) before inject(), or close() first`,
        );
      }
    } else live = await this.start(options);
    const host = options.host ?? "127.0.0.1";
    try {
      this.port = native.listen(live.handle, host, options.port ?? 8000, options.backlog ?? 511);
    } catch (err) {
      // A server inject() made stays up for inject(); one made here goes, as if never started.
      if (fresh) {
        await this.close();
        this.closed = false;
      }
      throw err;
    }
    this.host = host;
    this.bound = true;
    this.madeByInject = false;
    this.closed = false;
    return this;
  }

  /**
   * Creates the native server (no socket bound yet) and the runtime parts around it;
   * listen() and inject() share it.
   */
  private async start(options: ListenOptions): Promise<Live> {
    const native = loadNative();
    const maxHeaderBytes = options.maxHeaderBytes ?? LIMIT_DEFAULTS.maxHeaderBytes;
    const reqMeta = new Int32Array(BATCH_MAX * REQ_STRIDE);
    const reqData = Buffer.allocUnsafeSlow(Math.max(REQ_DATA_MIN, 2 * maxHeaderBytes));
    const resMeta = new Int32Array(BATCH_MAX * RES_STRIDE);
    const resData = Buffer.allocUnsafeSlow(RES_DATA_SIZE);
    const asyncData = Buffer.allocUnsafeSlow(ASYNC_DATA_SIZE);

    let handle: NativeHandle | undefined;
    const hold = createArenaHold();
    const answers = createAnswers(resMeta, asyncData, hold, options.handlerTimeoutMs ?? 0, (meta, n, large) =>
      native.respondMany(handle!, meta, n, large),
    );
    const batch = new ArenaWriter(resData);
    const hooks = resultHooks(batch, resMeta, answers);
    const enableAsync = options.enableAsync;
    const makeVersion: Live["makeVersion"] = (mod, records, blockingModules) => {
      if (enableAsync === false) assertSyncOnly(mod.routes);
      let pool: BlockingPool | undefined;
      const dispatch = mod.createDispatch(
        { ...hooks, blocking: blockingHook(() => pool, resMeta, answers) },
        bindHandlers(mod.routes, records),
      );
      const blocking = mod.routes.filter((r) => r.kind === "blocking");
      if (blocking.length > 0) pool = createBlockingPool([...blockingModules], blocking);
      return { dispatch, names: paramSpecs(mod.routes), pool };
    };
    const versions = new Versions(makeVersion(this.mod, this.records, this.blockingModules));
    const forms = formLimits(options); // throws on a bad value before anything starts
    const streams = new BodyStreams((ctx, gen) => native.bodyPull(handle!, ctx, gen));

    try {
      handle = native.createServer({
        table: this.tablePath,
        fingerprint: this.mod.fingerprint,
        dispatch: createBatchLoop(reqMeta, reqData, resMeta, batch, versions, hold, bodyIn(streams, forms)),
        body: streams.onBody,
        reqMeta,
        reqData,
        hold: hold.hold,
        release: hold.release,
        resMeta,
        resData,
        asyncData,
        limits: { ...nativeLimits(options), maxHeaderBytes },
      });
    } catch (err) {
      await versions.close();
      throw err;
    }
    this.live = { handle, versions, makeVersion };
    this.closeGraceMs = options.closeGraceMs ?? 10_000;
    return this.live;
  }

  async inject(options: InjectOptions): Promise<InjectResponse> {
    const req = requestBytes(options); // throws on bad options before anything starts
    if (this.closing !== undefined) throw new Error("catzilla: inject while the server is closing");
    if (this.closed) {
      throw new Error("catzilla: inject after server.close(); call listen() to start the server again");
    }
    let live = this.live;
    if (live === undefined) {
      live = await this.start({});
      this.madeByInject = true;
    }
    const fd = loadNative().inject(live.handle);
    return exchange(fd, req, options.method ?? "GET");
  }

  close(): Promise<void> {
    const live = this.live;
    if (live === undefined) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      loadNative().close(live.handle, this.closeGraceMs, () => {
        this.live = undefined;
        this.bound = false;
        this.madeByInject = false;
        this.closed = true;
        // In-flight blocking jobs were answered (or dropped) before the native close completed.
        void live.versions.close().then(() => {
          this.closing = undefined;
          resolve();
        });
      });
    });
    return this.closing;
  }
}

/** The options C enforces, as given (undefined: C's default). */
function nativeLimits(options: ListenOptions): NativeLimits {
  const limits: NativeLimits = {};
  for (const k of Object.keys(LIMIT_DEFAULTS) as (keyof NativeLimits)[]) limits[k] = options[k];
  return limits;
}
