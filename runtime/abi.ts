/**
 * The layout of the arenas shared with the native server. Mirrors docs/internals.md;
 * change both together (and the C side in native/src).
 */

/** Requests per crossing into JS. */
export const BATCH_MAX = 256;

/** reqMeta: int32 slots per request. */
export const REQ_STRIDE = 48;
export const REQ_ROUTE = 0;
export const REQ_CTX = 1;
export const REQ_GEN = 2;
export const REQ_METHOD = 3;
export const REQ_URL_OFF = 4;
export const REQ_URL_LEN = 5;
export const REQ_PATH_LEN = 6;
export const REQ_HDR_OFF = 7;
export const REQ_HDR_LEN = 8;
export const REQ_HDR_COUNT = 9;
export const REQ_FLAGS = 10;
export const REQ_NPARAMS = 11;
export const REQ_PARAMS = 12;
/** Generation of the route table ROUTE indexes (0 until the dev server swaps tables). */
export const REQ_TABLE = 44;

export const REQ_FLAG_KEEP_ALIVE = 1;
export const REQ_FLAG_HTTP10 = 2;
export const REQ_FLAG_BODY = 4;

/** resMeta: int32 slots per response. */
export const RES_STRIDE = 8;
export const RES_STATUS = 0;
export const RES_FLAGS = 1;
export const RES_HEAD_OFF = 2;
export const RES_HEAD_LEN = 3;
export const RES_BODY_OFF = 4;
export const RES_BODY_LEN = 5;
/** respondMany only: which pending request the entry answers. */
export const RES_CTX = 6;
export const RES_GEN = 7;

/** Async answers per respondMany call (binding.cc kRespondManyMax). */
export const RESPOND_MANY_MAX = 256;

/** RES_STATUS value for a response that `respond` delivers later. */
export const STATUS_PENDING = 0;
export const RES_FLAG_LARGE = 1;
export const RES_FLAG_CLOSE = 2;
/** Flags bits 2-4: a Content-Type line C writes (cz_http.h enum cz_ctype). */
export const RES_CT_JSON = 1 << 2;
export const RES_CT_TEXT = 2 << 2;
export const RES_CT_BYTES = 3 << 2;

/** Route flags (catzilla_routes.h enum cz_route_flags). */
export const ROUTE_HEADERS = 1;
export const ROUTE_QUERY = 2;
export const ROUTE_BODY = 4;

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
