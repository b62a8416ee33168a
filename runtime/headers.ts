/**
 * A request's headers: a read-only, case-insensitive view (a subset of the Fetch `Headers`)
 * over the block C copies for routes that read headers (docs/internals.md, reqMeta HDR_*).
 */
import type { RequestHeaders } from "./types.js";

/**
 * The Cookie header's value, its lines joined with "; " (get() joins with ", ", which would
 * glue two lines' cookies into one value). Symbol-keyed: not part of the public view.
 */
export const COOKIE_HEADER = Symbol("catzilla.cookieHeader");

/**
 * Headers parsed from the `name\0value\0…` block; names are already lower case. Its strings
 * are its own (split from a copy of the block), so a Headers a handler keeps stays valid
 * after its request is answered, when `req.headers` itself throws.
 */
export class Headers implements RequestHeaders {
  readonly #list: string[];
  /** Values a route's header schema validated and coerced (lower-case names), else undefined. */
  typed: Record<string, unknown> | undefined = undefined;
  constructor(block: string, count: number) {
    this.#list = count === 0 ? [] : block.split("\0", count * 2);
  }
  get(name: string): string | null {
    const key = name.toLowerCase();
    if (this.typed !== undefined && key in this.typed) return this.typed[key] as string | null;
    const l = this.#list;
    let found: string | null = null;
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] === key) found = found === null ? l[i + 1] : `${found}, ${l[i + 1]}`;
    }
    return found;
  }
  [COOKIE_HEADER](): string | null {
    const l = this.#list;
    let found: string | null = null;
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] === "cookie") found = found === null ? l[i + 1] : `${found}; ${l[i + 1]}`;
    }
    return found;
  }
  has(name: string): boolean {
    const key = name.toLowerCase();
    for (let i = 0; i < this.#list.length; i += 2) if (this.#list[i] === key) return true;
    return false;
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const [k, v] of this.entries()) fn(v, k);
  }
  *entries(): IterableIterator<[string, string]> {
    const seen = new Set<string>();
    for (let i = 0; i < this.#list.length; i += 2) {
      const k = this.#list[i];
      if (seen.has(k)) continue;
      seen.add(k);
      yield [k, this.get(k) as string];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }
}
