/**
 * What `next()` gives a middleware (docs/middleware.md): the rest of the chain's result as a
 * response whose status and header lines can be changed. Nothing is encoded until a
 * middleware reads or changes it: a chain that only passes results along sends the
 * handler's value exactly as a route without middleware would.
 */
import { CzResponse } from "./response.js";
import type { MiddlewareResponse, ResponseHeaders } from "./types.js";
import { encodeResult } from "./writer.js";

const SET_COOKIE = "set-cookie";

/** Header lines as name/value pairs, names as written; Set-Cookie lines stay apart. */
export class HeaderList implements ResponseHeaders {
  constructor(private readonly pairs: [string, string][]) {}

  get(name: string): string | null {
    const lower = name.toLowerCase();
    const values = this.pairs.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
    return values.length === 0 ? null : values.join(", ");
  }
  set(name: string, value: string): void {
    this.delete(name);
    this.pairs.push([name, String(value)]);
  }
  append(name: string, value: string): void {
    this.pairs.push([name, String(value)]);
  }
  delete(name: string): void {
    const lower = name.toLowerCase();
    for (let k = this.pairs.length - 1; k >= 0; k--) if (this.pairs[k][0].toLowerCase() === lower) this.pairs.splice(k, 1);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.pairs.some(([n]) => n.toLowerCase() === lower);
  }
  getSetCookie(): string[] {
    return this.pairs.filter(([n]) => n.toLowerCase() === SET_COOKIE).map(([, v]) => v);
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const [n, v] of this.entries()) fn(v, n);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [n, v] of this.pairs) yield [n.toLowerCase(), v];
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  /** @internal The lines as written, for the response that is sent. */
  lines(): readonly [string, string][] {
    return this.pairs;
  }
}

/** `Name: value\r\n…` (writer.ts's header lines) → pairs. */
function parseHead(head: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of head.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    out.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return out;
}

interface Opened {
  status: number;
  headers: HeaderList;
  body: string | Uint8Array;
}

/** A result of the rest of the chain, as a middleware sees it. */
export class ChainResponse implements MiddlewareResponse {
  private opened: Opened | undefined;
  constructor(private readonly value: unknown) {}

  private open(): Opened {
    if (this.opened === undefined) {
      const e = encodeResult(this.value);
      this.opened = { status: e.status, headers: new HeaderList(parseHead(e.head)), body: e.body };
    }
    return this.opened;
  }
  get status(): number {
    return this.open().status;
  }
  set status(status: number) {
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`catzilla: invalid status ${status}`);
    }
    this.open().status = status;
  }
  get headers(): HeaderList {
    return this.open().headers;
  }
  get body(): string | Uint8Array {
    return this.open().body;
  }
  /** What is sent: the value itself when no middleware opened it, else a response of its state. */
  result(): unknown {
    const o = this.opened;
    if (o === undefined) return this.value;
    return new CzResponse(o.status, o.body, null, o.headers.lines());
  }
}

/** A value from the rest of the chain as a ChainResponse (once: never wrapped twice). */
export function wrap(v: unknown): ChainResponse {
  return v instanceof ChainResponse ? v : new ChainResponse(v);
}

/** What is sent for a chain's final value. */
export function unwrap(v: unknown): unknown {
  return v instanceof ChainResponse ? v.result() : v;
}

type Op = (r: ChainResponse) => void;

const notYet = (what: string) =>
  new TypeError(`catzilla: ${what} is not known until the rest of the chain answers: \`await next()\` first`);

/**
 * `next()` in a route with an async link: awaitable for the response, and changes made to
 * it before it settles (a sync middleware setting a header and returning it) are applied
 * when it does.
 */
export class PendingResponse implements MiddlewareResponse, PromiseLike<ChainResponse> {
  private readonly done: Promise<ChainResponse>;
  private readonly ops: Op[] = [];
  readonly headers: ResponseHeaders;

  constructor(v: unknown) {
    this.done = Promise.resolve(v).then((x) => {
      const r = wrap(x);
      for (const op of this.ops) op(r);
      return r;
    });
    // A middleware that drops next()'s result must not turn its rejection into a crash.
    this.done.catch(() => {});
    const ops = this.ops;
    this.headers = {
      set: (n, v) => void ops.push((r) => r.headers.set(n, v)),
      append: (n, v) => void ops.push((r) => r.headers.append(n, v)),
      delete: (n) => void ops.push((r) => r.headers.delete(n)),
      get: () => {
        throw notYet("a header");
      },
      has: () => {
        throw notYet("a header");
      },
      getSetCookie: () => {
        throw notYet("a header");
      },
      forEach: () => {
        throw notYet("the headers");
      },
      entries: () => {
        throw notYet("the headers");
      },
      [Symbol.iterator]: () => {
        throw notYet("the headers");
      },
    };
  }
  get status(): number {
    throw notYet("the status");
  }
  set status(status: number) {
    this.ops.push((r) => (r.status = status));
  }
  get body(): string | Uint8Array {
    throw notYet("the body");
  }
  then<A = ChainResponse, B = never>(
    onfulfilled?: ((value: ChainResponse) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done.then(onfulfilled, onrejected);
  }
}
