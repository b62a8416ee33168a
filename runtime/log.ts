/**
 * The server's own messages: one `ServerLog` per server over the `logger` listen option (a
 * pino-compatible logger) or the default JSON-lines logger to stderr. Every message the
 * runtime and the addon write goes through here (docs/logging.md): handler errors (method,
 * path, request id, the error), warnings, start and drain/close, and C's rare lines
 * (out of memory, accept errors, a bad status from a handler).
 */
import { hostname } from "node:os";

/** A log method as pino has it: `log(obj, msg)` or `log(msg)`. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * What the `logger` listen option takes: pino, or anything with pino's four methods
 * (`child` is optional; when present the server logs through `child({ name: "catzilla" })`).
 */
export interface ServerLogger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  child?(bindings: Record<string, unknown>): ServerLogger;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** pino's level numbers, so the same tools (pino-pretty, jq filters) read both. */
export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };

/** The bindings the server's child logger gets. */
export const LOGGER_NAME = "catzilla";

export interface JsonLoggerOptions {
  /** Lowest level written (default "info"). */
  level?: LogLevel;
  /** Where lines go (default: process.stderr). Each call is one line ending in "\n". */
  write?: (line: string) => void;
  /** Fields on every line (as pino's `base` and child bindings). */
  bindings?: Record<string, unknown>;
}

/** An error as pino's standard serializer shows it: type, message, stack and own fields. */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    // Already serialized (a blocking-pool worker's), or a thrown plain object: as it is.
    if (typeof err === "object" && err !== null) return { ...(err as Record<string, unknown>) };
    return { type: typeof err, message: String(err) };
  }
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const k of Object.keys(err)) if (!(k in out)) out[k] = (err as unknown as Record<string, unknown>)[k];
  if (err.cause !== undefined) out.cause = serializeError(err.cause);
  return out;
}

/**
 * An Error again from serializeError's form (a blocking-pool worker's failure, sent to the
 * main thread): a real Error, of the built-in class its type names when there is one, so
 * a logger's own error serializer (pino's) shows it as it would have shown the original.
 */
export function deserializeError(e: Record<string, unknown>): Error {
  const { type, message, stack, cause, ...rest } = e;
  const Ctor = typeof type === "string" ? (globalThis as Record<string, unknown>)[type] : undefined;
  const err =
    typeof Ctor === "function" && (Ctor === Error || Ctor.prototype instanceof Error)
      ? new (Ctor as ErrorConstructor)(String(message ?? ""))
      : new Error(String(message ?? ""));
  if (typeof type === "string" && err.name !== type) err.name = type;
  if (typeof stack === "string") err.stack = stack;
  if (cause !== undefined && typeof cause === "object" && cause !== null) {
    err.cause = deserializeError(cause as Record<string, unknown>);
  }
  return Object.assign(err, rest);
}

/** JSON.stringify that never throws (cycles, BigInt): a log call must not fail its caller. */
function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return JSON.stringify({ level: record.level, time: record.time, msg: record.msg, logError: "unserializable fields" });
  }
}

/**
 * What a logger made by jsonLogger() carries besides its methods: how to write many
 * ready-made lines at once. The access log uses it to format a whole drain of records into
 * one string and one write, instead of one logger call per record.
 */
export const BULK = Symbol("catzilla.bulkLog");
export interface BulkWriter {
  /** Lowest level written. */
  readonly min: number;
  /** The fields every line carries after level and time (pid, hostname, bindings), as JSON members. */
  readonly members: string;
  write(text: string): void;
}

/**
 * The default logger: one JSON object per line, with pino's field names
 * (`{"level":30,"time":1700000000000,"pid":1,"hostname":"h","msg":"…",…}`).
 * An `err` field that is an Error is serialized as pino does (type, message, stack).
 */
export function jsonLogger(opts: JsonLoggerOptions = {}): ServerLogger {
  const min = LOG_LEVELS[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const base = { pid: process.pid, hostname: hostname(), ...opts.bindings };
  const bulk: BulkWriter = { min, members: JSON.stringify(base).slice(1, -1), write };
  const method = (level: number): LogFn =>
    ((obj: object | string, msg?: string) => {
      if (level < min) return;
      const record: Record<string, unknown> = { level, time: Date.now(), ...base };
      if (typeof obj === "string") record.msg = obj;
      else {
        for (const [k, v] of Object.entries(obj)) record[k] = k === "err" ? serializeError(v) : v;
        if (msg !== undefined) record.msg = msg;
      }
      write(stringify(record) + "\n");
    }) as LogFn;
  return {
    debug: method(LOG_LEVELS.debug),
    info: method(LOG_LEVELS.info),
    warn: method(LOG_LEVELS.warn),
    error: method(LOG_LEVELS.error),
    child: (bindings) => jsonLogger({ ...opts, bindings: { ...opts.bindings, ...bindings } }),
    [BULK]: bulk,
  } as ServerLogger;
}

const noop = (() => {}) as LogFn;
/** `logger: false`: the server writes nothing. */
export const SILENT: ServerLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** The fields that name a request in a log line. */
export interface RequestFields {
  method: string;
  path: string;
  reqId: string;
}

/**
 * A server's log: what the runtime calls. `logger` is the listen option as given
 * (undefined: the JSON-lines default; false: silent).
 */
export class ServerLog {
  readonly logger: ServerLogger;

  constructor(logger?: ServerLogger | false) {
    const given = logger === false ? SILENT : (logger ?? jsonLogger());
    if (!isLogger(given)) {
      throw new TypeError("catzilla: listen option `logger` must have info, warn, error and debug methods (pino or alike)");
    }
    this.logger = typeof given.child === "function" ? given.child({ name: LOGGER_NAME }) : given;
  }

  error(fields: object, msg: string): void {
    this.call("error", fields, msg);
  }
  warn(fields: object, msg: string): void {
    this.call("warn", fields, msg);
  }
  info(fields: object, msg: string): void {
    this.call("info", fields, msg);
  }
  debug(fields: object, msg: string): void {
    this.call("debug", fields, msg);
  }

  /** A handler threw or its promise rejected: the request that failed and the error (with stack). */
  handlerError(req: RequestFields | undefined, err: unknown): void {
    this.error({ ...req, err }, req === undefined ? "handler failed" : `handler for ${req.method} ${req.path} failed`);
  }

  /** The server listens. */
  started(address: string, port: number): void {
    this.info({ address, port }, `listening on ${address.includes(":") ? `[${address}]` : address}:${port}`);
  }

  /** close() began: connections get `graceMs` to finish. */
  closing(graceMs: number): void {
    this.info({ graceMs }, "closing: draining connections");
  }

  /** Every connection is closed and every handle freed. */
  closed(): void {
    this.info({}, "closed");
  }

  /** A line from the addon's C core (already one line, no newline). */
  native(line: string): void {
    this.error({ source: "native" }, line);
  }

  /** A logger that throws must not take a request or the server down with it. */
  private call(level: LogLevel, fields: object, msg: string): void {
    try {
      this.logger[level](fields, msg);
    } catch (err) {
      try {
        process.stderr.write(`catzilla: logger.${level} threw: ${String(err)}; message was: ${msg}\n`);
      } catch {
        // nothing left to report to
      }
    }
  }
}

/** Where the `accessLog` option sends its lines: undefined when off. */
export function accessLogger(opt: boolean | ServerLogger | undefined, log: ServerLog): ServerLogger | undefined {
  if (opt === undefined || opt === false) return undefined;
  // `logger: false` silences the server's messages, not the access log asked for beside it.
  if (opt === true) return log.logger === SILENT ? jsonLogger({ bindings: { name: LOGGER_NAME } }) : log.logger;
  if (!isLogger(opt)) {
    throw new TypeError("catzilla: listen option `accessLog` must be true, false or a logger (pino or alike)");
  }
  return opt;
}

function isLogger(v: unknown): v is ServerLogger {
  if (v === null || typeof v !== "object") return false;
  const l = v as Record<string, unknown>;
  return ["info", "warn", "error", "debug"].every((k) => typeof l[k] === "function");
}

/**
 * The process's default log, for code that runs outside any one server (no listen options
 * at hand). A server's own messages go through its ServerLog instead.
 */
export const log = new ServerLog();
