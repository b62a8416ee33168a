/**
 * The server a generated `server.js` creates: allocates the arenas shared with the native
 * server, assembles the runtime's parts for them (batch.ts: the hot batch loop; answers.ts:
 * the async answer queue; hold.ts: the arena's loans; blocking-client.ts: the blocking pool
 * client; versions.ts: the app versions the dev server swaps) and starts, reloads and
 * closes the native server (inject.ts: server.inject() over a socketpair). Called only by
 * generated code.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { createAnswers } from "./answers.js";
import { BATCH_MAX, LIMIT_DEFAULTS, REQ_STRIDE, RES_STRIDE } from "./abi.js";
import { registeredRoutes } from "./app.js";
import { createBatchLoop, inBatchAnswer, resultHooks } from "./batch.js";
import { chainSpecs, composer } from "./chain.js";
import { assertSyncOnly, bindHandlers, paramSpecs, type DispatchModule, type HandlerRecords } from "./bind.js";
import { createBlockingPool, type BlockingPool } from "./blocking.js";
import { BodyStreams } from "./body.js";
import { formLimits } from "./form.js";
import { bodyIn } from "./request-body.js";
import { blockingHook, onPool } from "./blocking-client.js";
import { createArenaHold } from "./hold.js";
import { exchange, requestBytes, type InjectOptions, type InjectResponse } from "./inject.js";
import { enableJsonFastPath } from "./json-fast-path.js";
import { handleShutdownSignals } from "./lifecycle.js";
import { loadNative, type NativeHandle, type NativeLimits } from "./native.js";
import { AccessLog } from "./access-log.js";
import { ServerLog, accessLogger } from "./log.js";
import { compileTrust } from "./proxy.js";
import { setRequestEnv } from "./request.js";
import type { ArenaClock } from "./request.js";
import { useOpenApiDocument } from "./openapi.js";
import { registeredStatics } from "./static.js";
import type { ListenOptions, Server } from "./server.js";
import { createStreams } from "./streaming.js";
import { Versions, type Version } from "./versions.js";
import { loopCount, startFleet, workerOptions, type Fleet } from "./workers.js";
import { ArenaWriter } from "./writer.js";

const REQ_DATA_MIN = 256 * 1024;
const RES_DATA_SIZE = 1024 * 1024;
const ASYNC_DATA_SIZE = 64 * 1024;

export interface CreateServerOptions {
  /** The app's route modules, for the blocking pool's workers to import (generated server.js). */
  blockingModules?: readonly string[];
  /** The app's openapi.json, which the `openapi` handler answers. */
  openapi?: URL;
  /** The generated server.js that worker threads import (default: server.js beside the table). */
  serverModule?: URL;
}

export function createServer(dispatchModule: DispatchModule, table: URL, opts: CreateServerOptions = {}): Server {
  if (opts.openapi) useOpenApiDocument(opts.openapi);
  const server = new NativeServer(dispatchModule, fileURLToPath(table), opts.blockingModules ?? []);
  server.serverModule = (opts.serverModule ?? new URL("./server.js", table)).href;
  return server;
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
  /** The server's own messages (the `logger` listen option). */
  log: ServerLog;
  /** The `accessLog` listen option's writer, when on. */
  access: AccessLog | undefined;
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
  /** listen({ workers }): the worker threads serving beside this loop. */
  private fleet: Fleet | undefined;
  /** Removes listen({ handleSignals })'s handlers. */
  private unsignal: (() => void) | undefined;
  private shutting: Promise<void> | undefined;
  private shutdownDelayMs = 0;
  /** The generated server.js, which worker threads import. */
  serverModule = "";
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

  /** Event loops serving: this one plus the worker threads (0 when not listening). */
  get workers(): number {
    return this.bound ? 1 + (this.fleet?.size ?? 0) : 0;
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
    let loops = loopCount(options.workers); // throws on a bad value before anything starts
    checkDeployOptions(options);
    // The server's messages, from the first warning on (a server inject() made has its own).
    const log = this.live?.log ?? new ServerLog(options.logger); // throws on a bad logger
    let reusePort = options.reusePort === true || loops > 1;
    if (reusePort && native.constants.REUSEPORT === false) {
      log.warn({}, NO_REUSEPORT);
      reusePort = false;
      loops = 1;
    } else if (loops > 1 && process.platform !== "linux") {
      // macOS and the BSDs accept several SO_REUSEPORT listeners but do not spread
      // connections across them (FreeBSD needs SO_REUSEPORT_LB): one loop would get them all.
      log.warn({}, `the kernel does not spread connections across SO_REUSEPORT listeners on ${process.platform}: serving on one event loop (workers is ignored)`);
      loops = 1;
    }
    if (loops > 1 && !existsSync(new URL(this.serverModule))) {
      throw new Error(`catzilla: listen({ workers }) needs the compiled app's server.js (${this.serverModule} is missing)`);
    }
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
    } else live = await this.start(options, log);
    const host = options.host ?? "127.0.0.1";
    const bind = () => native.listen(live.handle, host, options.port ?? 8000, options.backlog ?? 511, reusePort);
    try {
      if (options.health !== undefined) {
        native.setHealth(live.handle, options.health);
        const shadowed = this.mod.routes.filter((r) => r.path === options.health).map((r) => `${r.method} ${r.path}`);
        if (shadowed.length > 0 && isMainThread) {
          log.warn({}, `the health route answers ${options.health} before the app's routes: ${shadowed.join(", ")} is never reached`);
        }
      }
      try {
        this.port = bind();
      } catch (err) {
        if (!reusePort || (err as { code?: string }).code !== "ENOTSUP") throw err;
        log.warn({}, NO_REUSEPORT);
        reusePort = false;
        loops = 1;
        this.port = bind();
      }
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
    live.log.started(host, this.port);
    this.madeByInject = false;
    this.closed = false;
    this.shutdownDelayMs = options.shutdownDelayMs ?? 0;
    if (loops > 1) {
      try {
        this.fleet = await startFleet(this.serverModule, workerOptions(options, this.port, log), loops - 1, log);
      } catch (err) {
        // The workers that started are stopped already; this loop goes too, as if never started.
        await this.close();
        this.closed = false;
        throw err;
      }
      log.info({}, `serving on ${loops} event loops (port ${this.port}, SO_REUSEPORT)`);
    }
    if (options.handleSignals === true) this.unsignal = handleShutdownSignals(() => this.shutdown(), log);
    return this;
  }

  /** Shutdown's first phase on every loop: health 503, Connection: close from now on. */
  goAway(): void {
    const live = this.live;
    if (live === undefined || !this.bound) return;
    loadNative().goAway(live.handle);
    this.fleet?.goAway();
  }

  shutdown(): Promise<void> {
    if (this.live === undefined) return Promise.resolve();
    const log = this.live.log;
    this.shutting ??= (async () => {
      log.info({}, `shutting down (port ${this.port}, ${this.workers} event loop(s))`);
      this.goAway();
      if (this.shutdownDelayMs > 0) await sleep(this.shutdownDelayMs);
      const t0 = Date.now();
      await this.close();
      log.info({}, `shut down: drained in ${Date.now() - t0} ms`);
    })().finally(() => {
      this.shutting = undefined;
    });
    return this.shutting;
  }

  /**
   * Creates the native server (no socket bound yet) and the runtime parts around it;
   * listen() and inject() share it.
   */
  private async start(options: ListenOptions, log = new ServerLog(options.logger)): Promise<Live> {
    const native = loadNative();
    if (options.jsonFastPath !== false) enableJsonFastPath();
    const trust = compileTrust(options.trustProxy);
    const accessTo = accessLogger(options.accessLog, log);
    const maxHeaderBytes = options.maxHeaderBytes ?? LIMIT_DEFAULTS.maxHeaderBytes;
    const reqMeta = new Int32Array(BATCH_MAX * REQ_STRIDE);
    const reqData = Buffer.allocUnsafeSlow(Math.max(REQ_DATA_MIN, 2 * maxHeaderBytes));
    const resMeta = new Int32Array(BATCH_MAX * RES_STRIDE);
    const resData = Buffer.allocUnsafeSlow(RES_DATA_SIZE);
    const asyncData = Buffer.allocUnsafeSlow(ASYNC_DATA_SIZE);

    let handle: NativeHandle | undefined;
    const hold = createArenaHold();
    const dev = options.dev === true;
    const streams = createStreams(native, () => handle!, hold, log, () => answers.late);
    const batch = new ArenaWriter(resData);
    const clock: ArenaClock = { batch: 0 };
    const answers = createAnswers(
      resMeta,
      asyncData,
      hold,
      options.handlerTimeoutMs ?? 0,
      (meta, n, large) => native.respondMany(handle!, meta, n, large),
      log,
      inBatchAnswer(batch, resMeta, hold, clock),
      streams.start,
      dev,
    );
    const hooks = resultHooks(batch, resMeta, answers, streams);
    const enableAsync = options.enableAsync;
    const makeVersion: Live["makeVersion"] = (mod, records, blockingModules) => {
      if (enableAsync === false) assertSyncOnly(mod.routes);
      let pool: BlockingPool | undefined;
      const handlers = bindHandlers(mod.routes, records);
      const compose = composer(chainSpecs(mod.routes, records ?? registeredRoutes()), dev, log);
      const dispatch = mod.createDispatch(
        { ...hooks, blocking: blockingHook(() => pool, resMeta, answers, log), compose, onPool: onPool(() => pool) },
        handlers,
      );
      const blocking = mod.routes.filter((r) => r.kind === "blocking");
      if (blocking.length > 0) pool = createBlockingPool([...blockingModules], blocking, undefined, mod.blockingSerializers);
      return { dispatch, names: paramSpecs(mod.routes), pool };
    };
    const versions = new Versions(makeVersion(this.mod, this.records, this.blockingModules));
    const forms = formLimits(options); // throws on a bad value before anything starts
    const bodyStreams = new BodyStreams((ctx, gen) => native.bodyPull(handle!, ctx, gen));

    try {
      handle = native.createServer({
        table: this.tablePath,
        fingerprint: this.mod.fingerprint,
        dispatch: createBatchLoop(reqMeta, reqData, resMeta, batch, versions, hold, log, clock, streams, dev, bodyIn(bodyStreams, forms)),
        event: streams.event,
        body: bodyStreams.onBody,
        reqMeta,
        reqData,
        hold: hold.hold,
        release: hold.release,
        resMeta,
        resData,
        asyncData,
        limits: { ...nativeLimits(options), maxHeaderBytes },
        log: (line) => log.native(line),
        accessLog: accessTo !== undefined,
        statics: registeredStatics(),
      });
    } catch (err) {
      await versions.close();
      throw err;
    }
    setRequestEnv(reqMeta, { peer: (ctx, gen) => native.peer(handle!, ctx, gen), trust });
    const access = accessTo && new AccessLog(() => native.drainAccessLog(handle!), accessTo);
    this.live = { handle, log, access, versions, makeVersion };
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
    if (this.closing === undefined) live.log.closing(this.closeGraceMs);
    this.closing ??= new Promise<void>((resolve) => {
      // Every worker drains as this loop does, at the same time.
      const fleetClosed = this.fleet?.close() ?? Promise.resolve();
      loadNative().close(live.handle, this.closeGraceMs, () => {
        this.live = undefined;
        this.bound = false;
        this.madeByInject = false;
        this.closed = true;
        // In-flight blocking jobs were answered (or dropped) before the native close completed.
        live.access?.stop(); // the records of the last responses
        void Promise.all([live.versions.close(), fleetClosed]).then(() => {
          live.log.closed();
          this.fleet = undefined;
          this.unsignal?.();
          this.unsignal = undefined;
          this.closing = undefined;
          resolve();
        });
      });
    });
    return this.closing;
  }
}

const NO_REUSEPORT =
  "SO_REUSEPORT is not available on this platform: serving on one event loop (listen's workers and reusePort are ignored)";

/** Checks the deployment options listen does not hand to C as limits. */
function checkDeployOptions(options: ListenOptions): void {
  const { health, shutdownDelayMs } = options;
  if (health !== undefined && (typeof health !== "string" || !/^\/[^\s?#]*$/.test(health))) {
    throw new TypeError(`catzilla: listen: health must be a path starting with "/" (got ${JSON.stringify(health)})`);
  }
  if (shutdownDelayMs !== undefined && !(Number.isFinite(shutdownDelayMs) && shutdownDelayMs >= 0)) {
    throw new TypeError(`catzilla: listen: shutdownDelayMs must be a non-negative number of ms`);
  }
}

/** The options C enforces, as given (undefined: C's default). */
function nativeLimits(options: ListenOptions): NativeLimits {
  const limits: NativeLimits = {};
  for (const k of Object.keys(LIMIT_DEFAULTS) as (keyof NativeLimits)[]) limits[k] = options[k];
  return limits;
}
