/**
 * What `next()` gives a middleware (docs/middleware.md): the rest of the chain's result as a
 * response whose status and header lines can be changed. Nothing is encoded until a
 * middleware reads or changes it: a chain that only passes results along sends the
 * handler's value exactly as a route without middleware would.
 */
import { checkStatus, headerLine, responseFromHead } from "./response.js";
import type { MiddlewareResponse, ResponseHeaders } from "./types.js";
import type { CzStream } from "./stream.js";
import { encodeResult } from "./writer.js";

const SET_COOKIE = "set-cookie";

/**
 * A response's header lines. They stay the string writer.ts produced (`Name: value\r\n…`)
 * while a middleware only adds lines (`append`, or `set` of a name not there yet: the usual
 * case, and no parsing); anything else splits them into name/value pairs once. Names keep
 * their case; Set-Cookie lines stay apart.
 */
export class HeaderList implements ResponseHeaders {
  private pairs: [string, string][] | undefined;
  /** Lines added while `pairs` is undefined, already validated. */
  private extra = "";
  constructor(private head: string) {}

  private list(): [string, string][] {
    if (this.pairs === undefined) {
      this.pairs = parseHead(this.head + this.extra);
      this.head = "";
      this.extra = "";
    }
    return this.pairs;
  }
  /** Whether the unparsed lines may hold `lower` (a cheap, conservative test). */
  private mayHave(lower: string): boolean {
    const text = (this.head + this.extra).toLowerCase();
    return text.startsWith(lower + ":") || text.includes("\n" + lower + ":");
  }
  get(name: string): string | null {
    const lower = name.toLowerCase();
    const values = this.list()
      .filter(([n]) => n.toLowerCase() === lower)
      .map(([, v]) => v);
    return values.length === 0 ? null : values.join(", ");
  }
  set(name: string, value: string): void {
    const v = String(value);
    if (this.pairs === undefined && !this.mayHave(name.toLowerCase())) {
      this.extra += headerLine(name, v);
      return;
    }
    this.delete(name);
    this.append(name, v);
  }
  append(name: string, value: string): void {
    const v = String(value);
    const line = headerLine(name, v); // validates; "" for a framing header the server owns
    if (line === "") return;
    if (this.pairs === undefined) this.extra += line;
    else this.pairs.push([name, v]);
  }
  delete(name: string): void {
    const lower = name.toLowerCase();
    if (this.pairs === undefined && !this.mayHave(lower)) return;
    const pairs = this.list();
    for (let k = pairs.length - 1; k >= 0; k--) if (pairs[k][0].toLowerCase() === lower) pairs.splice(k, 1);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.list().some(([n]) => n.toLowerCase() === lower);
  }
  getSetCookie(): string[] {
    return this.list()
      .filter(([n]) => n.toLowerCase() === SET_COOKIE)
      .map(([, v]) => v);
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const [n, v] of this.entries()) fn(v, n);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [n, v] of this.list()) yield [n.toLowerCase(), v];
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  /** @internal The header lines to send (every line was validated when it was added). */
  text(): string {
    if (this.pairs === undefined) return this.head + this.extra;
    let out = "";
    for (const [n, v] of this.pairs) out += `${n}: ${v}\r\n`;
    return out;
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
  /** A streamed result (stream.ts): its own status and headers are changed, and it is sent. */
  private streamed: CzStream | undefined;
  constructor(private readonly value: unknown) {}

  private open(): Opened {
    if (this.opened === undefined) {
      const e = encodeResult(this.value);
      if (e.stream !== undefined) {
        // Its head is written when it is sent: until then status and headers are its own.
        this.streamed = e.stream;
        this.opened = e.stream as unknown as Opened;
      } else {
        this.opened = { status: e.status, headers: new HeaderList(e.head), body: e.body };
      }
    }
    return this.opened;
  }
  get status(): number {
    return this.open().status;
  }
  set status(status: number) {
    this.open().status = checkStatus(status);
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
    if (this.streamed !== undefined) return this.streamed;
    return responseFromHead(o.status, o.body, o.headers.text());
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
