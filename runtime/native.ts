/** Loads the native addon (build/Release/catzilla.node) once. */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LIMIT_DEFAULTS } from "./abi.js";
import { packageRoot } from "./package-root.js";
import type { ListenOptions } from "./server.js";
import type { NativeStatic } from "./static.js";

/** Opaque handle of a native server. */
export type NativeHandle = { readonly __catzillaServer: unique symbol };

/** The listen options the native server enforces itself (LIMIT_DEFAULTS: C's defaults, by name). */
export type NativeLimits = Pick<ListenOptions, keyof typeof LIMIT_DEFAULTS>;

export interface NativeBinding {
  createServer(opts: {
    table: string;
    fingerprint: string;
    /** bodies[i]: the buffered body, null for a streamed one (its chunks come through `body`). */
    dispatch: (n: number, bodies: (Buffer | null | undefined)[] | undefined) => (Uint8Array | undefined)[] | undefined;
    /** A streamed body's chunk (a copy) and event (abi.ts BODY_*, or the status C answered); false: stop reading. */
    body?: (ctx: number, gen: number, chunk: Buffer | undefined, event: number) => boolean;
    reqMeta: Int32Array;
    reqData: Buffer;
    resMeta: Int32Array;
    resData: Buffer;
    asyncData: Buffer;
    /** Element 0 != 0 while async requests still read reqMeta/reqData: C calls release() before reusing them. */
    hold?: Int32Array;
    release?: () => void;
    /** What C reports about a request JS holds (EV_DRAIN, EV_GONE): note it, call nothing back. */
    event?: (ev: number, ctx: number, gen: number) => void;
    limits: NativeLimits;
    /** Where C's log lines go (later, on the loop; never inside C's own call). Default: stderr. */
    log?: (line: string) => void;
    /** Record a line per finished request for drainAccessLog(). */
    accessLog?: boolean;
    /** Static file mounts, served in C (runtime/static.ts). */
    statics?: NativeStatic[];
  }): NativeHandle;
  /** The peer address of the connection of live request (ctx, gen); undefined when stale or not IP. */
  peer(handle: NativeHandle, ctx: number, gen: number): string | undefined;
  /** The access-log records since the last call (undefined when none): see runtime/access-log.ts. */
  drainAccessLog(handle: NativeHandle): NativeAccessBatch | undefined;
  /** reusePort: SO_REUSEPORT before bind (throws with code "ENOTSUP" where it is missing). */
  listen(handle: NativeHandle, host: string, port: number, backlog: number, reusePort?: boolean): number;
  /** The readiness path answered in C; null turns it off. */
  setHealth(handle: NativeHandle, path: string | null): void;
  /** Shutdown's first phase: health answers 503, responses say Connection: close. */
  goAway(handle: NativeHandle): void;
  constants: { REUSEPORT?: boolean };
  /** A socketpair end the server serves as if accepted; the returned fd is the caller's to close. */
  inject(handle: NativeHandle): number;
  respond(
    handle: NativeHandle,
    ctx: number,
    gen: number,
    status: number,
    flags: number,
    headLen: number,
    bodyLen: number,
    large?: Uint8Array,
  ): boolean;
  /** n async answers at once: meta as resMeta plus ctx and gen in slots 6 and 7, bytes in asyncData. */
  respondMany(handle: NativeHandle, meta: Int32Array, n: number, large?: (Uint8Array | undefined)[]): number;
  close(handle: NativeHandle, graceMs: number, callback: () => void): void;
  /** The reader of (ctx, gen)'s streamed body wants more: C reads the socket again. */
  bodyPull(handle: NativeHandle, ctx: number, gen: number): boolean;
  stats(handle: NativeHandle): { connections: number; inflight: number };
  /** Loads another routes.so (a path never loaded before); returns the table's generation. */
  swapTable(handle: NativeHandle, table: string, fingerprint: string): number;
  /** A streamed response's head for pending (ctx, gen): STREAM_GONE, _WAIT, _MORE or _NOBODY. */
  streamStart(handle: NativeHandle, ctx: number, gen: number, status: number, flags: number, head: Uint8Array): number;
  /** One chunk (copied): STREAM_GONE, _WAIT (await EV_DRAIN) or _MORE. */
  streamPush(handle: NativeHandle, ctx: number, gen: number, chunk: Uint8Array): number;
  /** The end of the body, or (abort) the connection closed without it. */
  streamEnd(handle: NativeHandle, ctx: number, gen: number, abort: boolean): number;
  /** Report EV_GONE if (ctx, gen) is dropped unanswered; false when it is stale already. */
  watch(handle: NativeHandle, ctx: number, gen: number): boolean;
}

/** What drainAccessLog returns: ACCESS_STRIDE int32 per record, paths in one buffer. */
export interface NativeAccessBatch {
  recs: Int32Array;
  paths: Buffer;
  /** uv_hrtime() at the drain, ns, as [high 32 bits, low 32 bits] of the record's end times. */
  nowHi: number;
  nowLo: number;
  /** Records dropped since the last drain (the buffer was full). */
  dropped: number;
}

let binding: NativeBinding | undefined;

export function loadNative(): NativeBinding {
  if (binding !== undefined) return binding;
  let file = process.env.CATZILLA_NATIVE;
  if (file === undefined) {
    const build = join(packageRoot(), "build");
    file = [join(build, "Release", "catzilla.node"), join(build, "Debug", "catzilla.node")].find(existsSync);
    if (file === undefined) {
      throw new Error(`catzilla: the native addon is not built (looked in ${build}); run \`npm run build:native\``);
    }
  }
  binding = createRequire(import.meta.url)(file) as NativeBinding;
  return binding;
}
