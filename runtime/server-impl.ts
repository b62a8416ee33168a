/**
 * The JS half of the native boundary: binds the app's handlers to the compiled route
 * table, runs each batch the native server hands over, and answers async requests
 * when their promises settle. Called only by generated `server.js` files.
 */
import { fileURLToPath } from "node:url";
import {
  BATCH_MAX,
  LIMIT_DEFAULTS,
  REQ_ROUTE,
  REQ_STRIDE,
  REQ_TABLE,
  RES_CTX,
  RES_GEN,
  RES_STRIDE,
  RESPOND_MANY_MAX,
  ROUTE_BODY,
  ROUTE_HEADERS,
} from "./abi.js";
import { registeredRoutes, type RouteRecord } from "./app.js";
import { loadNative, type NativeHandle } from "./native.js";
import { paramSpec, Request, type ArenaClock, type ParamSpec } from "./request.js";
import { HttpError } from "./response.js";
import type { ListenOptions, Server } from "./server.js";
import { ArenaWriter, encodeError, encodeResult, type Encoded } from "./writer.js";
import { createBlockingPool, type BlockingPool, type PlainRequest } from "./blocking.js";
import { checkRequest, type RouteCheck } from "./validate.js";
import { useOpenApiDocument } from "./openapi.js";

export type RouteKind = "sync" | "async" | "maybe" | "const" | "blocking";

export interface RouteInfo {
  id: number;
  method: string;
  path: string;
  kind: RouteKind;
  params: readonly string[];
  /** Per param: "string" | "int" | "number" | "enum" (absent in older dispatch modules). */
  paramTypes?: readonly string[];
  flags: number;
  source: string;
}

/** What a generated dispatch module calls back into, once per request. */
/** A route's generated result serializer (serializers.js `out<id>`): the value to encode instead. */
export type ResultFilter = (value: unknown) => unknown;

export interface RuntimeHooks {
  sync(i: number, req: Request, value: unknown, out?: ResultFilter): void;
  async(i: number, req: Request, value: PromiseLike<unknown>, out?: ResultFilter): void;
  maybe(i: number, req: Request, value: unknown, out?: ResultFilter): void;
  unknown(i: number, req: Request, route: number): void;
  /** A `{ blocking: true }` route: runs on the worker pool, answered like an async one. */
  blocking(i: number, req: Request, route: number): void;
  /** A route with a request schema: false when the request was invalid and is answered 400. */
  accept(i: number, req: Request, check: RouteCheck): boolean;
}

export type DispatchFn = (route: number, req: Request, i: number) => void;

export interface DispatchModule {
  fingerprint: string;
  routes: readonly RouteInfo[];
  createDispatch(rt: RuntimeHooks, handlers: readonly Function[]): DispatchFn;
}

const SETTLED = Promise.resolve();

/** The answer for an async handler that did not settle within `handlerTimeoutMs`. */
const TIMEOUT: Encoded = {
  status: 503,
  head: "Content-Type: application/json\r\n",
  body: '{"error":"Service Unavailable"}',
};

const REQ_DATA_MIN = 256 * 1024;
const RES_DATA_SIZE = 1024 * 1024;
const ASYNC_DATA_SIZE = 64 * 1024;

/**
 * Matches the handlers registered at run time to the routes compiled into the table.
 * `records`: the registrations to match (default: every one in this process; the dev
 * server passes only those its latest import of the app made).
 */
export function bindHandlers(
  routes: readonly RouteInfo[],
  records: readonly Pick<RouteRecord, "method" | "path" | "handler">[] = registeredRoutes(),
): Function[] {
  const byKey = new Map<string, Function>();
  for (const r of records) byKey.set(`${r.method} ${r.path}`, r.handler);
  const missing: string[] = [];
  const handlers = routes.map((r) => {
    const key = `${r.method} ${r.path}`;
    const h = byKey.get(key);
    byKey.delete(key);
    if (h === undefined) missing.push(`${key} (${r.source})`);
    return h as Function;
  });
  const extra = [...byKey.keys()];
  if (missing.length > 0 || extra.length > 0) {
    const lines = [
      ...missing.map((k) => `  compiled but not registered at run time: ${k}`),
      ...extra.map((k) => `  registered at run time but not compiled: ${k}`),
    ];
    throw new Error(
      `catzilla: the app's routes differ from the compiled route table; rerun catzilla-compile.\n${lines.join("\n")}`,
    );
  }
  return handlers;
}

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

/** Registrations a reload binds (the dev server's slice of the registry). */
export type HandlerRecords = readonly Pick<RouteRecord, "method" | "path" | "handler">[];

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

interface Version {
  dispatch: DispatchFn;
  names: ParamSpec[];
  /** The worker pool this version's blocking routes run on (its own modules). */
  pool?: BlockingPool;
}

class NativeServer implements ReloadableServer {
  private handle: NativeHandle | undefined;
  private closing: Promise<void> | undefined;
  private records: HandlerRecords | undefined;
  /** After listen: builds a version's dispatch from the server's runtime hooks. */
  private makeVersion:
    | ((mod: DispatchModule, records: HandlerRecords | undefined, blockingModules: readonly string[]) => Version)
    | undefined;
  /** Pools of versions swapped out by reload: closed closeGraceMs later, or with the server. */
  private readonly retired = new Set<BlockingPool>();
  /** Table generation → version; the current generation's entry is `current`. */
  private readonly versions = new Map<number, Version>();
  private currentGen = 0;
  /** Bumped by every reload after listen; the batch loop re-reads the version when it moves. */
  private epoch = 0;
  port = 0;
  host = "";

  /** Worker threads for blocking routes, started at listen when the app has any. */
  private pool: BlockingPool | undefined;

  constructor(
    private mod: DispatchModule,
    private tablePath: string,
    private blockingModules: readonly string[],
  ) {}

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
    if (this.makeVersion === undefined || this.handle === undefined) {
      this.mod = mod;
      if (tablePath !== null) this.tablePath = tablePath;
      this.records = records;
      if (opts.blockingModules) this.blockingModules = opts.blockingModules;
      return;
    }
    const blockingModules = opts.blockingModules ?? this.blockingModules;
    const version = this.makeVersion(mod, records, blockingModules); // throws before anything changes
    const previous = this.versions.get(this.currentGen);
    if (tablePath !== null) {
      let gen: number;
      try {
        gen = loadNative().swapTable(this.handle, tablePath, mod.fingerprint);
      } catch (err) {
        void version.pool?.close();
        throw err;
      }
      this.currentGen = gen;
      this.tablePath = tablePath;
    }
    this.blockingModules = blockingModules;
    if (previous?.pool && previous.pool !== version.pool) this.retire(previous.pool);
    this.versions.set(this.currentGen, version);
    this.epoch++;
    this.mod = mod;
    this.records = records;
  }

  /** A swapped-out version's pool: requests it already runs (or that straddled the swap) finish first. */
  private retire(pool: BlockingPool): void {
    this.retired.add(pool);
    setTimeout(() => {
      if (this.retired.delete(pool)) void pool.close();
    }, this.closeGraceMs).unref();
  }

  get listening(): boolean {
    return this.handle !== undefined && this.closing === undefined;
  }

  async listen(options: ListenOptions = {}): Promise<Server> {
    if (this.handle !== undefined) throw new Error("catzilla: server is already listening");
    const { routes } = this.mod;
    if (options.enableAsync === false) assertSyncOnly(routes);
    const native = loadNative();
    const blockingRoutes = routes.filter((r) => r.kind === "blocking");
    if (blockingRoutes.length > 0 && this.pool === undefined) {
      this.pool = createBlockingPool([...this.blockingModules], blockingRoutes);
    }
    const maxHeaderBytes = options.maxHeaderBytes ?? LIMIT_DEFAULTS.maxHeaderBytes;
    const reqMeta = new Int32Array(BATCH_MAX * REQ_STRIDE);
    const reqData = Buffer.allocUnsafeSlow(Math.max(REQ_DATA_MIN, 2 * maxHeaderBytes));
    const resMeta = new Int32Array(BATCH_MAX * RES_STRIDE);
    const resData = Buffer.allocUnsafeSlow(RES_DATA_SIZE);
    const asyncData = Buffer.allocUnsafeSlow(ASYNC_DATA_SIZE);
    const batch = new ArenaWriter(resData);
    const single = new ArenaWriter(asyncData);

    let handle: NativeHandle;
    // Async answers are queued and handed to C together at the end of the microtask
    // checkpoint they settle in: one crossing and one write per connection for all of them.
    const asyncMeta = new Int32Array(RESPOND_MANY_MAX * RES_STRIDE);
    let queued = 0;
    const flushResponses = (): void => {
      const n = queued;
      if (n === 0) return;
      queued = 0;
      const large = single.large;
      single.reset();
      native.respondMany(handle, asyncMeta, n, large);
    };
    // An async request keeps reading the shared request arena until C is about to write the
    // next batch over it; only then (release) are the still-pending ones copied out. Most
    // settle within their own batch's microtask checkpoint and are never copied.
    // hold[0]: how many requests of the last batch are pending and not copied (C reads != 0).
    const hold = new Int32Array(1);
    const borrowed: Request[] = [];
    const holdArena = (req: Request): void => {
      req.held = true;
      borrowed.push(req);
      hold[0]++;
    };
    const release = (): void => {
      for (const req of borrowed) {
        if (!req.held) continue;
        req.held = false;
        req.detach();
      }
      borrowed.length = 0;
      hold[0] = 0;
    };
    /** Answered: nothing of the runtime reads it any more (a handler still running copied it). */
    const unhold = (req: Request): void => {
      if (!req.held) return;
      req.held = false;
      hold[0]--;
    };
    const respond = (req: Request, e: Encoded): void => {
      unhold(req);
      if (queued === RESPOND_MANY_MAX || single.room() < e.head.length) flushResponses();
      // A reaction on a settled promise, not queueMicrotask(): same place in the queue, but
      // Node's queueMicrotask builds an AsyncResource per call.
      if (queued === 0) void SETTLED.then(flushResponses);
      const i = queued;
      try {
        single.put(asyncMeta, i, e);
      } catch (err) {
        // Runs inside a promise callback: a throw here would be an unhandled rejection.
        logHandlerError(req, err);
        single.put(asyncMeta, i, encodeError(err));
      }
      asyncMeta[i * RES_STRIDE + RES_CTX] = req.ctx;
      asyncMeta[i * RES_STRIDE + RES_GEN] = req.gen;
      queued = i + 1;
    };
    const settle = (req: Request, value: unknown, out: ResultFilter | undefined): void => {
      if (req.done) return;
      req.done = true;
      let e: Encoded;
      try {
        e = encodeResult(out === undefined ? value : out(value));
      } catch (err) {
        logHandlerError(req, err);
        e = encodeError(err);
      }
      respond(req, e);
    };
    const fail = (req: Request, err: unknown): void => {
      if (req.done) return;
      req.done = true;
      logHandlerError(req, err);
      respond(req, encodeError(err));
    };
    const timeoutMs = options.handlerTimeoutMs ?? 0;
    const timedOut = (req: Request): void => {
      if (req.done) return;
      req.done = true;
      console.error(`catzilla: handler for ${req.method} ${req.path} did not settle within ${timeoutMs} ms`);
      // The handler runs on: give it its own copy before the answer releases the arena.
      if (req.held) req.detach();
      respond(req, TIMEOUT);
    };
    const goAsync = (i: number, req: Request, p: PromiseLike<unknown>, out?: ResultFilter): void => {
      batch.pending(resMeta, i);
      holdArena(req);
      if (timeoutMs > 0) {
        const timer = setTimeout(timedOut, timeoutMs, req);
        p.then(
          (v) => (clearTimeout(timer), settle(req, v, out)),
          (err) => (clearTimeout(timer), fail(req, err)),
        );
        return;
      }
      p.then(
        (v) => settle(req, v, out),
        (err) => fail(req, err),
      );
    };
    const hooks: RuntimeHooks = {
      sync: (i, _req, value, out) => batch.put(resMeta, i, encodeResult(out === undefined ? value : out(value))),
      async: goAsync,
      maybe: (i, req, value, out) => {
        if (isThenable(value)) goAsync(i, req, value, out);
        else batch.put(resMeta, i, encodeResult(out === undefined ? value : out(value)));
      },
      blocking: (i, req, route) => listenBlocking(i, req, route),
      accept: (i, req, check) => {
        const bad = checkRequest(req, check);
        if (bad === undefined) return true;
        req.done = true;
        batch.put(resMeta, i, bad);
        return false;
      },
      unknown: (_i, _req, route) => {
        throw new Error(`catzilla: route id ${route} is not in the dispatch module`);
      },
    };
    /** The blocking hook of one version: its routes' flags, its pool. */
    const blockingFor =
      (mod: DispatchModule, getPool: () => BlockingPool | undefined) =>
      (i: number, req: Request, route: number): void => {
        const pool = getPool();
        if (pool === undefined) throw new Error(`catzilla: route id ${route} is blocking but no pool is running`);
        // The plain request is built now, while the arenas still hold its bytes; only the
        // members the compiler saw the handler read were captured.
        const flags = mod.routes[route].flags;
        const plain: PlainRequest = {
          method: req.method,
          path: req.path,
          url: req.url,
          params: req.params,
          headers: flags & ROUTE_HEADERS ? [...req.headers] : [],
          body: flags & ROUTE_BODY ? req.rawBody : undefined,
        };
        batch.pending(resMeta, i);
        req.detach();
        pool.run(route, plain).then(
          (r) => {
            if (req.done) return;
            req.done = true;
            respond(req, r);
          },
          (err) => fail(req, err),
        );
      };
    const listenBlocking = blockingFor(this.mod, () => this.pool);
    const enableAsync = options.enableAsync;
    const makeVersion = (
      mod: DispatchModule,
      records: HandlerRecords | undefined,
      blockingModules: readonly string[],
    ): Version => {
      if (enableAsync === false) assertSyncOnly(mod.routes);
      let pool: BlockingPool | undefined;
      const dispatch = mod.createDispatch(
        { ...hooks, blocking: blockingFor(mod, () => pool) },
        bindHandlers(mod.routes, records),
      );
      const blocking = mod.routes.filter((r) => r.kind === "blocking");
      if (blocking.length > 0) pool = createBlockingPool([...blockingModules], blocking);
      return { dispatch, names: paramSpecs(mod.routes), pool };
    };
    let current: Version = {
      dispatch: this.mod.createDispatch(hooks, bindHandlers(routes, this.records)),
      names: paramSpecs(routes),
      pool: this.pool,
    };
    const versions = this.versions;
    versions.clear();
    versions.set(0, current);
    let currentGen = 0;
    let epoch = this.epoch;

    const clock: ArenaClock = { batch: 0 };
    const onBatch = (n: number, bodies: (Buffer | undefined)[] | undefined) => {
      batch.reset();
      clock.batch++; // requests of earlier batches that were not copied are stale from here
      if (hold[0] === 0) borrowed.length = 0;
      // The dev server may have swapped versions since the last batch.
      if (this.epoch !== epoch) {
        epoch = this.epoch;
        currentGen = this.currentGen;
        current = versions.get(currentGen)!;
      }
      for (let i = 0; i < n; i++) {
        const base = i * REQ_STRIDE;
        const route = reqMeta[base + REQ_ROUTE];
        const gen = reqMeta[base + REQ_TABLE];
        const v = gen === currentGen ? current : (versions.get(gen) ?? current);
        const req = new Request(reqData, reqMeta, base, bodies?.[i], v.names[route], clock);
        try {
          v.dispatch(route, req, i);
        } catch (err) {
          logHandlerError(req, err);
          // A thenable may have settled before throwing; its answer is already on its way.
          if (req.done) batch.pending(resMeta, i);
          else {
            req.done = true;
            batch.put(resMeta, i, encodeError(err));
            unhold(req); // it went async, then `then` threw
          }
        }
      }
      return batch.large;
    };

    handle = native.createServer({
      table: this.tablePath,
      fingerprint: this.mod.fingerprint,
      dispatch: onBatch,
      reqMeta,
      reqData,
      hold,
      release,
      resMeta,
      resData,
      asyncData,
      limits: {
        maxHeaderBytes,
        maxUrlBytes: options.maxUrlBytes,
        maxHeaderCount: options.maxHeaderCount,
        maxBodyBytes: options.maxBodyBytes,
        headersTimeoutMs: options.headersTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
        keepAliveTimeoutMs: options.keepAliveTimeoutMs,
        maxConnections: options.maxConnections,
        maxPipelined: options.maxPipelined,
        sendTimeoutMs: options.sendTimeoutMs,
      },
    });
    this.host = options.host ?? "127.0.0.1";
    try {
      this.port = native.listen(handle, this.host, options.port ?? 8000, options.backlog ?? 511);
    } catch (err) {
      await new Promise<void>((resolve) => native.close(handle, 0, resolve));
      await this.pool?.close();
      this.pool = undefined;
      throw err;
    }
    this.handle = handle;
    this.makeVersion = makeVersion;
    this.closeGraceMs = options.closeGraceMs ?? 10_000;
    return this;
  }

  private closeGraceMs = 10_000;

  close(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      loadNative().close(handle, this.closeGraceMs, () => {
        this.handle = undefined;
        this.makeVersion = undefined;
        this.currentGen = 0;
        const pool = this.pool;
        this.pool = undefined;
        // Reloaded versions' pools (dev server), current and retired.
        const others = new Set<BlockingPool>(this.retired);
        for (const v of this.versions.values()) if (v.pool && v.pool !== pool) others.add(v.pool);
        this.retired.clear();
        this.versions.clear();
        // In-flight blocking jobs were answered (or dropped) before the native close completed.
        void Promise.all([pool?.close(), ...[...others].map((p) => p.close())]).then(() => {
          this.closing = undefined;
          resolve();
        });
      });
    });
    return this.closing;
  }
}

/** With `enableAsync: false`, an app may have no async or maybe route; the error names each. */
function assertSyncOnly(routes: readonly RouteInfo[]): void {
  const asyncRoutes = routes.filter((r) => r.kind === "async" || r.kind === "maybe");
  if (asyncRoutes.length === 0) return;
  const list = asyncRoutes.map((r) => `  ${r.method} ${r.path} (${r.kind}, ${r.source})`).join("\n");
  throw new Error(`catzilla: enableAsync is false but these routes are async or maybe:\n${list}`);
}

function paramSpecs(routes: readonly RouteInfo[]): ParamSpec[] {
  return routes.map((r) => paramSpec(r.params, r.paramTypes));
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

function logHandlerError(req: Request, err: unknown): void {
  // HttpError is an answer, not a failure; everything else is logged once, with the route.
  if (err instanceof HttpError) return;
  let where = "";
  try {
    where = `${req.method} ${req.path}`;
  } catch {
    where = "request";
  }
  console.error(`catzilla: handler for ${where} failed:`, err);
}
