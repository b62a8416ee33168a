/**
 * The JS↔C contract under the names the runtime and the compiler use. Every number comes
 * from the C headers through runtime/abi.gen.ts (scripts/gen-abi.mjs); test/abi.test.ts
 * fails when the generated file, the compiled addon or README disagree with them.
 */
import * as C from "./abi.gen.js";

/** Requests per crossing into JS. */
export const BATCH_MAX = C.CZ_BATCH_MAX;

/** reqMeta: int32 slots per request. */
export const REQ_STRIDE = C.CZ_REQ_STRIDE;
export const REQ_ROUTE = C.CZ_REQ_ROUTE;
export const REQ_CTX = C.CZ_REQ_CTX;
export const REQ_GEN = C.CZ_REQ_GEN;
export const REQ_METHOD = C.CZ_REQ_METHOD;
export const REQ_URL_OFF = C.CZ_REQ_URL_OFF;
export const REQ_URL_LEN = C.CZ_REQ_URL_LEN;
export const REQ_PATH_LEN = C.CZ_REQ_PATH_LEN;
export const REQ_HDR_OFF = C.CZ_REQ_HDR_OFF;
export const REQ_HDR_LEN = C.CZ_REQ_HDR_LEN;
export const REQ_HDR_COUNT = C.CZ_REQ_HDR_COUNT;
export const REQ_FLAGS = C.CZ_REQ_FLAGS;
export const REQ_NPARAMS = C.CZ_REQ_NPARAMS;
export const REQ_PARAMS = C.CZ_REQ_PARAMS;
/** Generation of the route table ROUTE indexes (0 until the dev server swaps tables). */
export const REQ_TABLE = C.CZ_REQ_TABLE;
export const REQ_ID = C.CZ_REQ_ID;
/** REQ_FLAG_BODY_ARENA: where in reqData the body is. */
export const REQ_BODY_OFF = C.CZ_REQ_BODY_OFF;
export const REQ_BODY_LEN = C.CZ_REQ_BODY_LEN;

export const REQ_FLAG_KEEP_ALIVE = C.CZ_REQF_KEEP_ALIVE;
export const REQ_FLAG_HTTP10 = C.CZ_REQF_HTTP10;
export const REQ_FLAG_BODY = C.CZ_REQF_BODY;
/** The body is in reqData at REQ_BODY_OFF (not in `bodies[i]`). */
export const REQ_FLAG_BODY_ARENA = C.CZ_REQF_BODY_ARENA;
/** The body follows through the addon's `body` callback (a streamed route; runtime/body.ts). */
export const REQ_FLAG_STREAM = C.CZ_REQF_STREAM;

/** A streamed body's events (enum cz_body_event); any other value is an HTTP status C answered. */
export const BODY_DATA = C.CZ_BODY_DATA;
export const BODY_END = C.CZ_BODY_END;
export const BODY_ABORT = C.CZ_BODY_ABORT;

/** resMeta: int32 slots per response. */
export const RES_STRIDE = C.CZ_RES_STRIDE;
export const RES_STATUS = C.CZ_RES_STATUS;
export const RES_FLAGS = C.CZ_RES_FLAGS;
export const RES_HEAD_OFF = C.CZ_RES_HEAD_OFF;
export const RES_HEAD_LEN = C.CZ_RES_HEAD_LEN;
export const RES_BODY_OFF = C.CZ_RES_BODY_OFF;
export const RES_BODY_LEN = C.CZ_RES_BODY_LEN;
/** respondMany only: which pending request the entry answers. */
export const RES_CTX = C.CZ_RES_CTX;
export const RES_GEN = C.CZ_RES_GEN;

/** The hold array shared with C: pending borrowers of the request arena (C reads it)... */
export const HOLD_PENDING = C.CZ_HOLD_PENDING;
/** ...and 1 while C has not yet read the batch's answers (the binding clears it after). */
export const HOLD_OPEN = C.CZ_HOLD_OPEN;

/** Async answers per respondMany call. */
export const RESPOND_MANY_MAX = C.CZ_RESPOND_MANY_MAX;

/** RES_STATUS value for a response that `respond` delivers later. */
export const STATUS_PENDING = 0;
export const RES_FLAG_LARGE = C.CZ_RESF_LARGE;
export const RES_FLAG_CLOSE = C.CZ_RESF_CLOSE;
/** Flags bits 2-4: a Content-Type line C writes (cz_http.h enum cz_ctype, CZ_RESF_CTYPE). */
const CT_SHIFT = 2;
export const RES_CT_JSON = C.CZ_CT_JSON << CT_SHIFT;
export const RES_CT_TEXT = C.CZ_CT_TEXT << CT_SHIFT;
export const RES_CT_BYTES = C.CZ_CT_BYTES << CT_SHIFT;

/** Route flags (catzilla_routes.h enum cz_route_flags). */
export const ROUTE_HEADERS = C.CZ_ROUTE_HEADERS;
export const ROUTE_QUERY = C.CZ_ROUTE_QUERY;
export const ROUTE_BODY = C.CZ_ROUTE_BODY;
export const ROUTE_STREAM = C.CZ_ROUTE_STREAM;

/** The generated route table's ABI (catzilla_routes.h): the server refuses other versions. */
export const ROUTES_ABI_VERSION = C.CZ_ROUTES_ABI_VERSION;
/** Path parameters a route may have (catzilla_routes.h CZ_MAX_PARAMS). */
export const MAX_PARAMS = C.CZ_MAX_PARAMS;

/** The native server's limit defaults, by listen option (cz_http.h, cz_server.h). */
export const LIMIT_DEFAULTS = {
  maxHeaderBytes: C.CZ_DEFAULT_MAX_HEADER_BYTES,
  maxUrlBytes: C.CZ_DEFAULT_MAX_URL_BYTES,
  maxHeaderCount: C.CZ_DEFAULT_MAX_HEADER_COUNT,
  maxBodyBytes: C.CZ_DEFAULT_MAX_BODY_BYTES,
  headersTimeoutMs: C.CZ_DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: C.CZ_DEFAULT_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: C.CZ_DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  maxConnections: C.CZ_DEFAULT_MAX_CONNECTIONS,
  maxPipelined: C.CZ_DEFAULT_MAX_PIPELINED,
  sendTimeoutMs: C.CZ_SEND_TIMEOUT_MS,
} as const;

/**
 * llhttp_method_t numbers → names (index = number), as llhttp 9's HTTP_METHOD_MAP has them.
 * "" marks numbers llhttp never gives an HTTP/1.x request (34-45: PRI and the RTSP methods).
 */
export const METHOD_NAMES: readonly string[] = [
  "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK",
  "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND",
  "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
  "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE",
  "", "", "", "", "", "", "", "", "", "", "", "",
  "QUERY",
];

/** Access log records (drainAccessLog), ALOG_STRIDE int32 each (cz_server.h enum cz_alog_slot). */
export const ALOG_STRIDE = C.CZ_ALOG_STRIDE;
export const ALOG = {
  ID: C.CZ_ALOG_ID,
  METHOD: C.CZ_ALOG_METHOD,
  STATUS: C.CZ_ALOG_STATUS,
  FAMILY: C.CZ_ALOG_FAMILY,
  BYTES_LO: C.CZ_ALOG_BYTES_LO,
  BYTES_HI: C.CZ_ALOG_BYTES_HI,
  DUR_US: C.CZ_ALOG_DUR_US,
  END_HI: C.CZ_ALOG_END_HI,
  END_LO: C.CZ_ALOG_END_LO,
  PORT: C.CZ_ALOG_PORT,
  ADDR: C.CZ_ALOG_ADDR,
  PATH_OFF: C.CZ_ALOG_PATH_OFF,
  PATH_LEN: C.CZ_ALOG_PATH_LEN,
} as const;
/** Streamed responses (cz_server.h enum cz_stream_rc, enum cz_event). */
export const STREAM_GONE = C.CZ_STREAM_GONE;
export const STREAM_WAIT = C.CZ_STREAM_WAIT;
export const STREAM_MORE = C.CZ_STREAM_MORE;
export const STREAM_NOBODY = C.CZ_STREAM_NOBODY;
export const STREAM_HIGH = C.CZ_STREAM_HIGH;
export const EV_DRAIN = C.CZ_EV_DRAIN;
export const EV_GONE = C.CZ_EV_GONE;
