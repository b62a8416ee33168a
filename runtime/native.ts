/** Loads the native addon (build/Release/catzilla.node) once. */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LIMIT_DEFAULTS } from "./abi.js";
import { packageRoot } from "./package-root.js";
import type { ListenOptions } from "./server.js";

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
    limits: NativeLimits;
  }): NativeHandle;
  listen(handle: NativeHandle, host: string, port: number, backlog: number): number;
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
