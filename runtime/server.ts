/** The server a generated `.catzilla/server.js` exports. Implementation: see createServer. */
import type { InjectOptions, InjectResponse } from "./inject.js";
import type { ServerLogger } from "./log.js";
import type { TrustProxy } from "./proxy.js";

export type { InjectOptions, InjectResponse };

export interface ListenOptions {
  /** Port to listen on; 0 picks a free one (then read `server.port`). Default 8000. */
  port?: number;
  /** Interface to bind. Default "127.0.0.1". */
  host?: string;
  /** Allow async and maybe routes (default true). With false, listen rejects if the app has any. */
  enableAsync?: boolean;
  backlog?: number;
  /** Request line + headers, bytes (default 16 KiB) → 431. */
  maxHeaderBytes?: number;
  /** Request target length, bytes (default 8 KiB) → 414. */
  maxUrlBytes?: number;
  /** Header count (default 100) → 431. */
  maxHeaderCount?: number;
  /** Request body, bytes (default 1 MiB) → 413; a route's `maxBodyBytes` option overrides it. */
  maxBodyBytes?: number;
  /** formData(): bytes of one file part (default 16 MiB) → 413. docs/bodies.md */
  maxFileBytes?: number;
  /** formData(): file parts (default 10) → 413. */
  maxFiles?: number;
  /** formData(): non-file fields (default 1000) → 413. */
  maxFields?: number;
  /** formData(): bytes of one field's value (default 1 MiB) → 413. */
  maxFieldBytes?: number;
  /** Time to receive a request's headers, ms (default 10 000) → 408. */
  headersTimeoutMs?: number;
  /**
   * Time from a request's first byte to its last (head, body, trailers), ms (default
   * 300 000, like node:http's requestTimeout; 0 = off) → 408. Unlike the head and body
   * timers, trickling bytes in does not extend it.
   */
  requestTimeoutMs?: number;
  /** Idle keep-alive time, ms (default 5 000), then the connection is closed quietly. */
  keepAliveTimeoutMs?: number;
  /** Concurrent connections (default 0 = unlimited); new ones beyond are closed at once. */
  maxConnections?: number;
  /** Responses pending per connection before the server stops reading from it (default 64). */
  maxPipelined?: number;
  /**
   * How long a response write may make no progress, ms (default 30 000; 0 = off). A client
   * that stops reading its responses has its connection closed after this long, even while
   * it keeps pipelining requests (reading stops under backpressure, so no idle timer runs).
   */
  sendTimeoutMs?: number;
  /**
   * How long an async handler may take before its request is answered 503, ms
   * (default 0 = no limit). The handler keeps running; its late result is dropped.
   */
  handlerTimeoutMs?: number;
  /**
   * How long close() and shutdown() let requests already received finish, ms (default
   * 10 000); then what is still open is closed.
   */
  closeGraceMs?: number;
  /**
   * Where the server's own messages go (handler errors, warnings, start, close): a pino
   * logger or anything with its info/warn/error/debug methods. Default: JSON lines on
   * stderr with pino's field names; false: nothing. docs/logging.md.
   */
  logger?: ServerLogger | false;
  /**
   * One line per request (method, path, status, bytes, duration, request id, remote
   * address), recorded in C and written in batches off the hot path: true writes them to
   * `logger` at info level, or give a logger of their own. Default false.
   */
  accessLog?: boolean | ServerLogger;
  /**
   * Which peers may tell `req.ip`/`req.protocol`/`req.host` through `X-Forwarded-For` /
   * `Forwarded` and `X-Forwarded-Proto`/`-Host`: false (default: none), true (any), a number
   * of proxy hops, or a list of addresses/CIDRs (`"10.0.0.0/8"`, `"::1"`, `"loopback"`).
   */
  trustProxy?: TrustProxy;
  /**
   * Event loops serving the app (default 1): the main thread's plus `workers - 1` worker
   * threads, each importing the compiled app and listening on the same port with
   * SO_REUSEPORT (the kernel spreads connections). "auto" = os.availableParallelism().
   * Module-level state is per worker. Where SO_REUSEPORT is missing: a warning, one loop.
   * docs/deployment.md.
   */
  workers?: number | "auto";
  /**
   * Bind with SO_REUSEPORT even with one loop (default false; implied by workers > 1), so a
   * new process can bind the port before the old one leaves (zero-downtime restarts).
   */
  reusePort?: boolean;
  /**
   * A readiness path answered in C, before the app's routes: GET/HEAD 200 `ok` while
   * serving, 503 `draining` once shutdown() starts (other methods 405). Default: none.
   */
  health?: string;
  /**
   * Install SIGTERM and SIGINT handlers that call shutdown() and exit 0 when it is done
   * (default false). A second signal exits at once with code 1.
   */
  handleSignals?: boolean;
  /**
   * shutdown()'s first phase, ms (default 0): the health path answers 503 and responses
   * carry Connection: close while the server still accepts, so balancers that poll the
   * health path stop sending before the listener closes.
   */
  shutdownDelayMs?: number;
  /**
   * Development mode (`catzilla dev` sets it): a 500 from an error that is not an HttpError
   * carries the error's message and stack in its body. Never in production: it tells
   * clients about the code. Default false.
   */
  dev?: boolean;
  /**
   * On Node 24 (V8 13.6), turn on V8's JSON.stringify fast path, which V8 13.8 (Node 25+)
   * turns on by default: about a third less CPU per JSON.stringify of a large reply, same
   * output (runtime/json-fast-path.ts). Process-wide. Default true; no effect elsewhere, or
   * when node was started with `--[no-]json-stringify-fast-path`.
   */
  jsonFastPath?: boolean;
}

export interface Server {
  /** Starts listening; resolves once the socket is bound. */
  listen(options?: ListenOptions): Promise<Server>;
  /**
   * Sends one request through the real C parser, limits, matcher and dispatch without a
   * port (a socketpair the server serves as if accepted) and resolves with the response,
   * like Fastify's inject(). Before listen() it creates the server with the default options
   * (close() it when done); while listening it shares the listening server. Rejects after
   * close() (until listen() again) and while closing. docs/testing.md.
   */
  inject(options: InjectOptions): Promise<InjectResponse>;
  /** Stops accepting, lets in-flight requests finish, closes idle connections; resolves when done. */
  close(): Promise<void>;
  /**
   * Graceful shutdown, as on SIGTERM (listen's handleSignals calls it): the health path
   * answers 503 and every response says Connection: close (for shutdownDelayMs, still
   * accepting); then the listeners close, every request already received is answered
   * (async ones too), idle keep-alive connections close, and it resolves when all is done
   * or closeGraceMs later (what is left is closed then). Every worker drains alike.
   */
  shutdown(): Promise<void>;
  /** The bound port (after listen). */
  readonly port: number;
  /** Event loops serving (listen's workers, after the SO_REUSEPORT check); 0 when not listening. */
  readonly workers: number;
  readonly host: string;
  readonly listening: boolean;
}
