/**
 * Static file mounts: `app.static(prefix, dir, options?)` (docs/static.md). Registration
 * only records the mount; the server hands every mount to C when it listens, and C serves
 * the files (native/src/cz_static.c): a request for a file never enters JS.
 * catzilla-compile records the same calls (routes.json's `statics`, the CLI table).
 */
import path from "node:path";

/** How a mount serves its directory. Every field is optional; the defaults are below. */
export interface StaticOptions {
  /** The file served for a directory (`/assets/` → `/assets/index.html`): true = "index.html", false = none. A directory asked for without its trailing `/` is redirected (301) to it. Default true. */
  index?: boolean | string;
  /** Names starting with "." anywhere in the path: "deny" (404) or "allow". Default "deny". */
  dotfiles?: "deny" | "allow";
  /** Cache-Control max-age, in seconds (`Cache-Control: public, max-age=N`). Default 0. */
  maxAge?: number;
  /** Adds `immutable` to Cache-Control (files whose names change with their content). Default false. */
  immutable?: boolean;
  /** Sends an ETag and answers If-None-Match with 304. Default true. */
  etag?: boolean;
  /** Sends Last-Modified and answers If-Modified-Since with 304. Default true. */
  lastModified?: boolean;
}

/** The defaults of StaticOptions, in one place (docs/static.md lists them too). */
export const STATIC_DEFAULTS = {
  index: "index.html",
  dotfiles: "deny",
  maxAge: 0,
  immutable: false,
  etag: true,
  lastModified: true,
} as const;

/** One mount as a registrar records it: prefix already joined with its group's. */
export interface StaticMount {
  readonly prefix: string;
  readonly dir: string;
  readonly options?: StaticOptions;
}

/** What the addon's createServer takes in `statics` (binding.cc GetStatics). */
export interface NativeStatic {
  prefix: string;
  dir: string;
  index: string | null;
  maxAge: number;
  immutable: boolean;
  dotfiles: boolean;
  etag: boolean;
  lastModified: boolean;
}

/** Throws a TypeError naming what is wrong with a mount's arguments. */
export function checkStatic(prefix: unknown, dir: unknown, options: unknown): void {
  const where = `catzilla: static(${JSON.stringify(prefix)}, ${JSON.stringify(dir)})`;
  if (typeof prefix !== "string" || (prefix !== "" && !prefix.startsWith("/"))) {
    throw new TypeError(`${where}: the prefix must be a string starting with "/"`);
  }
  if (/[?#%*:]/.test(prefix)) throw new TypeError(`${where}: the prefix must be a plain path (no ? # % * or :params)`);
  if (typeof dir !== "string" || dir === "") throw new TypeError(`${where}: the directory must be a non-empty string`);
  if (options === undefined) return;
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object`);
  const o = options as Record<string, unknown>;
  if (o.index !== undefined && typeof o.index !== "boolean" && (typeof o.index !== "string" || o.index.includes("/"))) {
    throw new TypeError(`${where}: index must be a boolean or a file name`);
  }
  if (o.dotfiles !== undefined && o.dotfiles !== "deny" && o.dotfiles !== "allow") {
    throw new TypeError(`${where}: dotfiles must be "deny" or "allow"`);
  }
  if (
    o.maxAge !== undefined &&
    (!Number.isInteger(o.maxAge) || (o.maxAge as number) < 0 || (o.maxAge as number) > 0xffffffff)
  ) {
    throw new TypeError(`${where}: maxAge must be a whole number of seconds`);
  }
  for (const k of ["immutable", "etag", "lastModified"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") throw new TypeError(`${where}: ${k} must be a boolean`);
  }
}

/** A mount as C takes it: options filled in, `dir` resolved against `cwd` (the working directory at listen). */
export function nativeStatic(m: StaticMount, cwd: string): NativeStatic {
  const o = m.options ?? {};
  const index = o.index ?? true;
  return {
    prefix: m.prefix === "" ? "/" : m.prefix,
    dir: path.resolve(cwd, m.dir),
    index: index === true ? STATIC_DEFAULTS.index : index === false ? null : index,
    maxAge: o.maxAge ?? STATIC_DEFAULTS.maxAge,
    immutable: o.immutable ?? STATIC_DEFAULTS.immutable,
    dotfiles: (o.dotfiles ?? STATIC_DEFAULTS.dotfiles) === "allow",
    etag: o.etag ?? STATIC_DEFAULTS.etag,
    lastModified: o.lastModified ?? STATIC_DEFAULTS.lastModified,
  };
}

/** Every mount registered on an app in this process, in registration order. */
const mounts: StaticMount[] = [];

/** @internal The app's registrar records a mount here. */
export function registerStatic(m: StaticMount): void {
  mounts.push(m);
}

/** The mounts registered so far, as C takes them (read by the server at listen). */
export function registeredStatics(cwd: string = process.cwd()): NativeStatic[] {
  return mounts.map((m) => nativeStatic(m, cwd));
}
