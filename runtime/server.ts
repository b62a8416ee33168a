/** The server a generated `.catzilla/server.js` exports. Implementation: see createServer. */
import type { InjectOptions, InjectResponse } from "./inject.js";

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
  /** How long close() lets in-flight requests finish, ms (default 10 000). */
  closeGraceMs?: number;
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
  /** The bound port (after listen). */
  readonly port: number;
  readonly host: string;
  readonly listening: boolean;
}
