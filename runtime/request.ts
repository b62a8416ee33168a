/**
 * Request: lazy views over the request arena the native server fills (docs/internals.md).
 * Nothing is decoded until a handler reads it: a handler that only reads `params.id`
 * costs one small object and one string slice.
 */
import {
  METHOD_NAMES,
  REQ_BODY_LEN,
  REQ_BODY_OFF,
  REQ_CTX,
  REQ_FLAG_BODY_ARENA,
  REQ_FLAGS,
  REQ_GEN,
  REQ_HDR_COUNT,
  REQ_HDR_LEN,
  REQ_HDR_OFF,
  REQ_ID,
  REQ_METHOD,
  REQ_NPARAMS,
  REQ_PARAMS,
  REQ_PATH_LEN,
  REQ_STRIDE,
  REQ_URL_LEN,
  REQ_URL_OFF,
} from "./abi.js";
import { clientHost, clientIp, clientProtocol, type ForwardedHeaders, type TrustFn } from "./proxy.js";
import { HttpError } from "./response.js";
import { COOKIE_HEADER, Headers } from "./headers.js";
import { parseCookies } from "./cookies.js";
import { requestSignal, type SignalOwner } from "./signal.js";
import type { CzRequest, RequestHeaders } from "./types.js";
import { formDataOf, streamOf, wholeBody } from "./request-body.js";
import { formObject } from "./form.js";

/** Buffer's fast, encoding-specific slicers (present on every Node Buffer). */
interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0);

/** A route's parameter names, and which of them are numeric (`:id(int)`, `:x(number)`). */
export interface ParamSpec {
  readonly names: readonly string[];
  readonly numeric?: readonly boolean[];
}

export function paramSpec(names: readonly string[], types: readonly string[] | undefined): ParamSpec {
  const numeric = types?.map((t) => t === "int" || t === "number");
  return numeric?.includes(true) ? { names, numeric } : { names };
}

/**
 * Which batch the server's shared arena holds now: the server bumps it before each batch.
 * A request reads its bytes while `clock.batch` is the batch it was made in; it swaps in a
 * clock of its own when it takes its copy (DETACH), and ANSWERED_CLOCK once answered, so
 * that one integer compare per access tells both "stale arena" and "answered".
 */
export interface ArenaClock {
  batch: number;
  /** The server's side of req.signal (none for a blocking worker's copy: never aborts). */
  owner?: SignalOwner | undefined;
}

/** No batch is numbered -1 (the server's count starts at 0, a copy's clock at 0 or more). */
const ANSWERED_CLOCK: ArenaClock = { batch: -1, owner: undefined };

/**
 * A request's own copy of its bytes, no longer in the shared arena: the meta slots
 * (offsets relative to `bytes`) and the URL and header block as one latin1 string. What an
 * async request keeps after its batch, and what crosses to a blocking-pool worker.
 */
export interface RequestCopy {
  readonly meta: Int32Array;
  readonly bytes: string;
  readonly body: Uint8Array | null | undefined;
  /** What the route's schema check parsed and coerced, for a request rebuilt elsewhere (a worker). */
  readonly checked?: CheckedParts;
}

/** A request's validated parts (runtime/validate.ts): the typed body, query and headers. */
export interface CheckedParts {
  readonly body: unknown;
  readonly query: Record<string, unknown> | undefined;
  readonly headers: Record<string, unknown> | undefined;
}

// What the runtime reads and sets on a request, keyed by symbols this module owns: the
// handler gets the same object and sees none of it (no name to type, nothing in JSON or
// for…in). Measured with bench/hotpath (bench/RESULTS.md): no cost against the former
// public members, and none against `#` fields reached through accessor functions.
/** Set once a response has been produced (guards against a thenable settling twice). */
export const DONE = Symbol("catzilla.done");
/**
 * Closes the request to reads: its answer went to C (a streamed one: its last chunk), so
 * every member a handler reads throws from here on (README, "The request is a view…").
 */
export const ANSWERED = Symbol("catzilla.answered");
/** Pending async, still reading the shared arena: the server detaches it before C reuses it. */
export const HELD = Symbol("catzilla.held");
/** The context (index, generation) that names the request to C. */
export const CTX = Symbol("catzilla.ctx");
export const GEN = Symbol("catzilla.gen");
/** Takes the request's own copy of its bytes (once) and returns it. */
export const DETACH = Symbol("catzilla.detach");
/** Its index in its batch while it waits for an async answer (answers.ts), else -1. */
export const SLOT = Symbol("catzilla.slot");
/** The batch (ArenaClock.batch) it arrived in. */
export const BATCH_OF = Symbol("catzilla.batchOf");

/** A route's schema check (runtime/validate.ts) hands over what it parsed and coerced. */
export const VALIDATED = Symbol("catzilla.validated");
/** The body as text, or undefined when the request framed none (for the schema check). */
export const BODY_TEXT = Symbol("catzilla.bodyText");

/**
 * What a server tells its requests beyond their bytes: the peer address (asked of C by
 * context, only when read) and the trustProxy rule. Kept per reqMeta arena, so a request
 * finds it through the meta it already holds: nothing is stored per request.
 */
export interface RequestEnv {
  /** The connection's peer address (IPv4/IPv6 text), undefined once the request is answered. */
  peer(ctx: number, gen: number): string | undefined;
  trust: TrustFn | undefined;
}
const envs = new WeakMap<Int32Array, RequestEnv>();

/** Requests over `reqMeta` (a server's arena) belong to `env`. */
export function setRequestEnv(reqMeta: Int32Array, env: RequestEnv): void {
  envs.set(reqMeta, env);
}

/** A clock that never moves: for requests that start out detached. */
const STOPPED: ArenaClock = { batch: 0, owner: undefined };

export class Request implements CzRequest {
  // Every field is `#` private or symbol-keyed: a handler's request shows its public
  // members only.
  /** The shared arena the meta offsets point into (until DETACH). */
  #data: FastBuffer;
  #meta: Int32Array;
  #base: number;
  /** The body when it is not in the arena: a large one C handed over, or the request's copy;
   * null for a streamed one (its channel is this[BODY_IN]). */
  #body: Buffer | null | undefined;
  readonly #spec: ParamSpec;
  #cachedParams: Record<string, string | number> | undefined = undefined;
  #cachedQuery: URLSearchParams | undefined = undefined;
  #cachedQueryObject: Record<string, string> | undefined = undefined;
  #cachedHeaders: Headers | undefined = undefined;
  #cachedCookies: Record<string, string | undefined> | undefined = undefined;
  /** After DETACH: the request's bytes as a latin1 string, which the offsets then index. */
  #copy: string | undefined = undefined;
  /** The body a schema check parsed and validated (json() returns it). */
  #checkedBody: unknown = undefined;
  [DONE] = false;
  [HELD] = false;
  [SLOT] = -1;
  /** The server's clock while the request reads the arena; its own after DETACH; ANSWERED_CLOCK after. */
  #clock: ArenaClock;
  readonly #batch: number;

  constructor(
    data: Buffer,
    meta: Int32Array,
    base: number,
    body: Buffer | null | undefined,
    spec: ParamSpec,
    clock: ArenaClock,
  ) {
    this.#data = data as FastBuffer;
    this.#meta = meta;
    this.#base = base;
    this.#body = body;
    this.#spec = spec;
    this.#clock = clock;
    this.#batch = clock.batch;
  }

  /** A request rebuilt from its copy (a blocking-pool worker's). */
  static fromCopy(c: RequestCopy, spec: ParamSpec): Request {
    // Structured cloning turned the body Buffer into a plain Uint8Array: view it as one again.
    const body = c.body ? Buffer.from(c.body.buffer, c.body.byteOffset, c.body.byteLength) : undefined;
    const req = new Request(EMPTY, c.meta, 0, body, spec, STOPPED);
    req.#copy = c.bytes;
    // Checked on the main thread before the request left it: the same typed values here.
    if (c.checked !== undefined) req[VALIDATED](c.checked.body, c.checked.query, c.checked.headers);
    return req;
  }

  /**
   * The meta slots to read, or a loud error once the request is answered (or, should the
   * runtime ever miss an answer, once the arena holds later requests): a request is valid
   * while its handler runs, and the same error every time after, whether or not another
   * request came in since. Every public member but `signal` starts here, cached ones too.
   */
  #view(what: string): Int32Array {
    if (this.#batch !== this.#clock.batch) throw answeredError(what);
    return this.#meta;
  }

  /** The request has its answer: nothing reads it from here on (see ANSWERED). */
  [ANSWERED](): void {
    this.#clock = ANSWERED_CLOCK;
  }

  #latin1(start: number, end: number): string {
    return this.#copy === undefined ? this.#data.latin1Slice(start, end) : this.#copy.slice(start, end);
  }

  get [BATCH_OF](): number {
    return this.#batch;
  }
  get [CTX](): number {
    return this.#meta[this.#base + REQ_CTX];
  }
  get [GEN](): number {
    return this.#meta[this.#base + REQ_GEN];
  }
  get method(): string {
    return METHOD_NAMES[this.#view("method")[this.#base + REQ_METHOD]];
  }
  get path(): string {
    const m = this.#view("path");
    const off = m[this.#base + REQ_URL_OFF];
    return this.#latin1(off, off + m[this.#base + REQ_PATH_LEN]);
  }
  /** The server's counter for this request, as in its log lines and access log line. */
  get id(): string {
    return String(this.#view("id")[this.#base + REQ_ID] >>> 0);
  }

  /** The peer address, or (trustProxy) the client's from X-Forwarded-For / Forwarded. */
  get ip(): string {
    const env = envs.get(this.#view("ip"));
    const peer = env?.peer(this[CTX], this[GEN]) ?? "";
    return env?.trust === undefined ? peer : clientIp(peer, this.#forwarded, env.trust);
  }

  /** "http", or (trustProxy) X-Forwarded-Proto / Forwarded proto from a trusted proxy. */
  get protocol(): string {
    const env = envs.get(this.#view("protocol"));
    if (env?.trust === undefined) return "http";
    return clientProtocol(env.peer(this[CTX], this[GEN]) ?? "", this.#forwarded, env.trust);
  }

  /** The Host header, or (trustProxy) X-Forwarded-Host / Forwarded host from a trusted proxy. */
  get host(): string {
    const env = envs.get(this.#view("host"));
    const host = this.headers.get("host") ?? "";
    if (env?.trust === undefined) return host;
    return clientHost(env.peer(this[CTX], this[GEN]) ?? "", host, this.#forwarded, env.trust);
  }

  /** A header reader for the proxy rules (made only when one of the three is read). */
  get #forwarded(): (name: keyof ForwardedHeaders) => string | undefined {
    const h = this.headers;
    return (name) => h.get(name) ?? undefined;
  }

  get url(): string {
    const m = this.#view("url");
    const off = m[this.#base + REQ_URL_OFF];
    return this.#latin1(off, off + m[this.#base + REQ_URL_LEN]);
  }

  /** Typed per route by PathParams: numbers for `(int)`/`(number)` params, strings otherwise. */
  get params(): Record<string, string> {
    const m = this.#view("params");
    if (this.#cachedParams !== undefined) return this.#cachedParams as Record<string, string>;
    const b = this.#base;
    const url = m[b + REQ_URL_OFF];
    const n = m[b + REQ_NPARAMS];
    const { names, numeric } = this.#spec;
    const params: Record<string, string | number> = {};
    for (let k = 0; k < n; k++) {
      const start = url + m[b + REQ_PARAMS + 2 * k];
      const raw = this.#latin1(start, start + m[b + REQ_PARAMS + 2 * k + 1]);
      // `:id(int)` and `:x(number)` were checked by the generated C matcher; only convert here.
      params[names[k]] = numeric?.[k] ? Number(raw) : raw.includes("%") ? decodeParam(raw) : raw;
    }
    return (this.#cachedParams = params) as Record<string, string>;
  }

  get searchParams(): URLSearchParams {
    const m = this.#view("searchParams");
    if (this.#cachedQuery !== undefined) return this.#cachedQuery;
    const off = m[this.#base + REQ_URL_OFF];
    const pathLen = m[this.#base + REQ_PATH_LEN];
    const urlLen = m[this.#base + REQ_URL_LEN];
    const qs = pathLen < urlLen ? this.#latin1(off + pathLen + 1, off + urlLen) : "";
    return (this.#cachedQuery = new URLSearchParams(qs));
  }

  /** Values json(), query and headers.get() return from now on (they passed the route's schema). */
  [VALIDATED](body: unknown, query: Record<string, unknown> | undefined, headers: Record<string, unknown> | undefined): void {
    if (body !== undefined) this.#checkedBody = body;
    if (query !== undefined) this.#cachedQueryObject = query as Record<string, string>;
    if (headers !== undefined) (this.headers as Headers).typed = headers;
  }

  [BODY_TEXT](): string | undefined {
    return this.#bodyText();
  }

  /**
   * The body as UTF-8 text, or undefined when the request framed none. A body C wrote into
   * the arena beside the head (REQ_FLAG_BODY_ARENA: most of them) is decoded from there, with
   * no Buffer of its own; it is read, like the head, while the request is the arena's.
   */
  #bodyText(): string | undefined {
    const b = this.#body;
    if (b != null) return (b as FastBuffer).utf8Slice(0, b.length);
    const base = this.#base;
    if (this.#copy !== undefined || (this.#meta[base + REQ_FLAGS] & REQ_FLAG_BODY_ARENA) === 0) return undefined;
    const m = this.#view("body");
    const off = m[base + REQ_BODY_OFF];
    return this.#data.utf8Slice(off, off + m[base + REQ_BODY_LEN]);
  }

  /** The body's bytes (its own copy when it is in the arena), or undefined when none was framed. */
  #bodyBytes(): Buffer | null | undefined {
    const base = this.#base;
    if (this.#body !== undefined || this.#copy !== undefined || (this.#meta[base + REQ_FLAGS] & REQ_FLAG_BODY_ARENA) === 0) {
      return this.#body;
    }
    const m = this.#view("body");
    const off = m[base + REQ_BODY_OFF];
    const len = m[base + REQ_BODY_LEN];
    // Its own memory (not a slice of Node's pool): it may be structured-cloned to a worker.
    const copy = Buffer.allocUnsafeSlow(len);
    this.#data.copy(copy, 0, off, off + len);
    return copy;
  }

  get query(): Record<string, string> {
    this.#view("query");
    return (this.#cachedQueryObject ??= Object.fromEntries(this.searchParams));
  }

  get headers(): RequestHeaders {
    const m = this.#view("headers");
    if (this.#cachedHeaders !== undefined) return this.#cachedHeaders;
    const off = m[this.#base + REQ_HDR_OFF];
    if (off < 0) {
      // The compiler decided this route never reads headers; reaching here means that
      // analysis was wrong, which must be loud rather than an empty header set.
      throw new Error("catzilla: this route's headers were not captured (compiler analysis); please report");
    }
    const block = this.#latin1(off, off + m[this.#base + REQ_HDR_LEN]);
    return (this.#cachedHeaders = new Headers(block, m[this.#base + REQ_HDR_COUNT]));
  }

  /** Parsed from the Cookie header on first access (the compiler gives such routes their headers). */
  get cookies(): Record<string, string | undefined> {
    this.#view("cookies");
    return (this.#cachedCookies ??= parseCookies((this.headers as Headers)[COOKIE_HEADER]()));
  }

  /**
   * Aborts when the client disconnects before the response is sent, or the handler times out.
   * Readable after the answer too (it is not a view of the arena): a handler that runs on
   * past a 503 learns so from it.
   */
  get signal(): AbortSignal {
    return requestSignal(this, this.#clock.owner);
  }

  // The body readers check at the call, not when the body arrives: one started before the
  // answer (a stream a streamed response pipes) reads on; one started after throws at once.
  text(): Promise<string> {
    this.#view("text()");
    if (this.#body === null) return wholeBody(this).then((b) => b.toString("utf8"));
    return Promise.resolve(this.#bodyText() ?? "");
  }

  json<T = unknown>(): Promise<T> {
    this.#view("json()");
    if (this.#checkedBody !== undefined) return Promise.resolve(this.#checkedBody as T);
    if (this.#body === null) return wholeBody(this).then((b) => parseJson<T>(b));
    const text = this.#bodyText() ?? ""; // outside the try: a stale read must stay loud
    try {
      return Promise.resolve(JSON.parse(text) as T);
    } catch {
      return Promise.reject(new HttpError(400, "Invalid JSON body"));
    }
  }

  bytes(): Promise<Uint8Array> {
    this.#view("bytes()");
    if (this.#body === null) return wholeBody(this);
    return Promise.resolve(this.#bodyBytes() ?? new Uint8Array(0));
  }

  /** The body as it arrives (read once); a buffered body as one chunk. docs/bodies.md */
  stream(): ReadableStream<Uint8Array> {
    this.#view("stream()");
    return streamOf(this, this.#body === null ? null : this.#bodyBytes());
  }

  /** A urlencoded or multipart/form-data body; 413 over a limit, 400 malformed, 415 another type. */
  formData(): Promise<FormData> {
    this.#view("formData()");
    return formDataOf(this, this.#body === null ? null : this.#bodyBytes());
  }

  /** The form body as an object; with a `body` schema the checked, coerced one (runtime/form-check.ts). */
  form<T = unknown>(): Promise<T> {
    this.#view("form()"); // before the cached checked body: answered, it throws as json() does
    if (this.#checkedBody !== undefined) return Promise.resolve(this.#checkedBody as T);
    return this.formData().then((fd) => formObject(fd) as T);
  }

  /**
   * The arenas are reused by the next batch; a request still pending after its batch
   * (an async handler) takes its own copy of its bytes and meta slots first.
   */
  [DETACH](): RequestCopy {
    if (this.#copy !== undefined) return { meta: this.#meta, bytes: this.#copy, body: this.#body, checked: this.#checked() };
    // The body first: #bodyBytes reads the arena through the meta slots replaced below.
    this.#body = this.#bodyBytes();
    const m = this.#meta;
    const b = this.#base;
    const urlOff = m[b + REQ_URL_OFF];
    const hdrOff = m[b + REQ_HDR_OFF];
    const start = hdrOff >= 0 ? Math.min(urlOff, hdrOff) : urlOff;
    const end = Math.max(urlOff + m[b + REQ_URL_LEN], hdrOff >= 0 ? hdrOff + m[b + REQ_HDR_LEN] : 0);
    const meta = m.slice(b, b + REQ_STRIDE); // REQ_ID and REQ_TABLE sit past the params
    const env = envs.get(m);
    if (env !== undefined) envs.set(meta, env);
    meta[REQ_URL_OFF] -= start;
    if (hdrOff >= 0) meta[REQ_HDR_OFF] -= start;
    // One latin1 string (a byte per char) is the cheapest copy V8 has; slices of it are views.
    const bytes = this.#data.latin1Slice(start, end);
    this.#copy = bytes;
    this.#meta = meta;
    this.#base = 0;
    // Its own clock from here: the server's moves on with later batches, this one never
    // (an answered request stays closed: a copy is no reason to read it again).
    if (this.#clock !== ANSWERED_CLOCK) this.#clock = { batch: this.#batch, owner: this.#clock.owner };
    return { meta, bytes, body: this.#body, checked: this.#checked() };
  }

  /** The parts a schema check set ([VALIDATED]), for the copy; undefined when none was. */
  #checked(): CheckedParts | undefined {
    const typed = this.#cachedHeaders?.typed;
    if (this.#checkedBody === undefined && this.#cachedQueryObject === undefined && typed === undefined) return undefined;
    return { body: this.#checkedBody, query: this.#cachedQueryObject, headers: typed };
  }

  toJSON(): object {
    return { method: this.method, url: this.url, params: this.params };
  }
}

/** What every member read after the answer throws (README quotes it). */
function answeredError(what: string): Error {
  return new Error(
    `catzilla: req.${what} read after the request was answered; ` +
      "copy what a background task needs before the handler returns",
  );
}

function parseJson<T>(b: Buffer): T {
  try {
    return JSON.parse(b.toString("utf8")) as T;
  } catch {
    throw new HttpError(400, "Invalid JSON body");
  }
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // malformed escapes are passed through as received
  }
}
