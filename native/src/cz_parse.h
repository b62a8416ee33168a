/*
 * cz_parse.h: one connection's HTTP/1.1 request parser, the lowest layer of the server
 * (see the layering in cz_server.h). llhttp's callbacks fill a request record: the target
 * and header block in hbuf, the framing and Host checks, the match against the route
 * table, the body for routes that read it, and the limits that bound all of that.
 *
 * It knows nothing of connections, batches or the server: its owner embeds a cz_parser_t,
 * feeds it bytes with cz__parse_execute(), and hears of a request's head and end through
 * the two hooks it set at init. A hook may pause the parser; cz__parse_execute() then
 * returns CZ_PARSE_PAUSED and the owner, which paused for its own reason, knows what to do.
 */
#ifndef CZ_PARSE_H
#define CZ_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "catzilla_routes.h"
#include "cz_http.h"
#include "cz_log.h"
#include "llhttp.h"

enum cz_msg_state {
  CZ_MSG_IDLE = 0, /* between requests */
  CZ_MSG_HEAD = 1, /* request line and headers arriving */
  CZ_MSG_BODY = 2  /* headers complete: body (and trailers) arriving */
};

/* What every parser of one server reads: set up by the server, shared by its connections. */
typedef struct cz_parse_env_s {
  llhttp_settings_t settings;   /* cz__parse_env_init() */
  uv_loop_t* loop;              /* a request's start time (cz_req_t.start) */
  const cz_limits_t* limits;
  /* The table requests are matched against from now on, and its generation (swapTable). */
  const cz_route_table_t* table;
  uint32_t table_gen;
} cz_parse_env_t;

/* The request being parsed. */
typedef struct cz_req_s {
  int route;            /* >= 0 matched; -1 404/405 (see allow) */
  uint8_t not_found;    /* route is the app's notFound for an unmatched path (a static mount wins) */
  uint64_t allow;
  cz_match_t m;
  size_t url_len;       /* hbuf[0, url_len) is the request target */
  size_t path_len;
  size_t hdr_count;
  size_t field_off;     /* hbuf offset of the current header name */
  size_t value_off;     /* hbuf offset of the current header value */
  size_t head_raw;      /* raw head bytes counted in earlier reads */
  const char* head_mark;/* where counting resumes in the current read, or NULL */
  uint64_t start;       /* loop time its first byte was parsed (requestTimeoutMs) */
  char* body;           /* buffered body (keep_body), owned until cz__parse_take_body();
                         * streamed (stream): the bytes not handed over yet */
  size_t body_len;      /* body bytes so far (the limit counts them) */
  size_t stream_len;    /* stream: bytes in body not handed over (cz__parse_stream_take) */
  size_t body_cap;
  uint64_t body_limit;
  const cz_route_table_t* table; /* the table `route` indexes (swapTable: may not be the current one) */
  uint32_t table_gen;   /* its generation, reported to JS as REQ_TABLE */
  uint8_t keep_body;    /* buffer the body for JS */
  uint8_t stream;       /* hand the body to the owner as it arrives (CZ_ROUTE_STREAM) */
  uint8_t has_body;     /* framing announced a body */
  uint64_t framing;     /* chunked: bytes of chunk lines, extensions and trailers so far */
  uint16_t te_status;   /* cz_fields_te_check of the Transfer-Encoding value: 0, 400, 501 */
  uint8_t host_count;   /* Host lines (saturates) */
  uint8_t host_bad;     /* a Host value that is not uri-host[:port] */
  uint8_t te_count;     /* Transfer-Encoding lines (saturates) */
  uint8_t cl_count;     /* Content-Length lines (saturates) */
  uint8_t conn_tokens;  /* enum cz_conn_tokens of every Connection line */
  uint8_t chunked;      /* the body is chunked: its framing is counted (cz__parse_execute) */
  uint8_t expect;       /* 0 none, 1 100-continue, 2 something else */
  uint8_t field_kind;   /* enum cz_field of the header (or trailer) line being read */
  uint8_t tname_len;    /* trailer name bytes seen (saturates past sizeof tname) */
  char tname[20];       /* a trailer's name, lowercased, as far as it fits */
  uint8_t asterisk;     /* OPTIONS * (asterisk-form): answered by the owner */
  uint32_t id;          /* set by the owner at the head: the request's id (CZ_REQ_ID) */
} cz_req_t;

typedef struct cz_parser_s cz_parser_t;

/* How the parser reports to its owner, from inside llhttp_execute(). */
typedef struct cz_parse_hooks_s {
  /* The head is complete, valid and matched (req.route, req.allow; the body limit is
   * checked). 0 to go on, CZ_HEAD_PAUSE to pause before the body (cz__parse_execute()
   * returns CZ_PARSE_PAUSED: the owner takes a streamed request outside llhttp), or a
   * status (>= 400) to reject the request with. */
  int (*head)(cz_parser_t* p);
  /* The message is complete (msg is CZ_MSG_IDLE again). 0 to go on parsing, nonzero to
   * pause: cz__parse_execute() returns CZ_PARSE_PAUSED before the next byte. */
  int (*complete)(cz_parser_t* p);
} cz_parse_hooks_t;

struct cz_parser_s {
  llhttp_t ll;
  cz_req_t req;
  cz_buf_t hbuf;                /* request target + header block of req */
  const cz_parse_env_t* env;
  const cz_parse_hooks_t* hooks;
  uint32_t seq;                 /* requests begun (tells one body from the next) */
  uint16_t status;              /* set by a callback that fails the request */
  uint8_t msg;                  /* enum cz_msg_state */
  uint8_t pause;                /* enum cz_parse_pause: why llhttp last paused */
};

/* The head hook's answer that pauses the parser before the body. */
#define CZ_HEAD_PAUSE 1

/* cz__parse_execute() results; any other value is an HTTP status (>= 400) to reject with. */
enum cz_parse_result {
  CZ_PARSE_DONE = 0,    /* every byte consumed; more are welcome */
  CZ_PARSE_PAUSED = 1,  /* a hook paused: *used bytes consumed, the rest waits for the owner */
  CZ_PARSE_UPGRADE = 2  /* an upgrade or CONNECT ended the message: parse nothing more */
};

void cz__parse_env_init(cz_parse_env_t* env, uv_loop_t* loop, const cz_limits_t* limits);

void cz__parse_init(cz_parser_t* p, const cz_parse_env_t* env, const cz_parse_hooks_t* hooks);

/* Parses data[0, len). *used: bytes consumed (all of them for CZ_PARSE_DONE). */
int cz__parse_execute(cz_parser_t* p, const char* data, size_t len, size_t* used);

/* The request being parsed is dropped (the connection stops): its body is freed, and
 * the parser is between requests. */
void cz__parse_abandon(cz_parser_t* p);

/* Hands the owner the buffered body (NULL when none is kept); the record forgets it.
 * Inline, as is cz__parse_arena_bytes: both run for every request. */
static inline char* cz__parse_take_body(cz_parser_t* p) {
  char* b = p->req.body;
  p->req.body = NULL;
  return b;
}

/* A streamed body's bytes parsed since the last call (*len may be 0); they stay the
 * parser's, valid until the next cz__parse_execute(), and count as handed over. */
static inline void cz__parse_stream_take(cz_parser_t* p, const char** base, size_t* len) {
  *base = p->req.body;
  *len = p->req.stream_len;
  p->req.stream_len = 0;
}

/* Frees what the parser holds. */
void cz__parse_free(cz_parser_t* p);

/* Bytes the completed request needs in the request arena (target, plus the header block
 * when its route reads headers; they are contiguous in hbuf). Only for a matched route. */
static inline size_t cz__parse_arena_bytes(const cz_parser_t* p) {
  CZ_ASSERT(p->req.route >= 0 && (uint32_t)p->req.route < p->req.table->nroutes);
  if (p->req.table->routes[p->req.route].flags & CZ_ROUTE_HEADERS)
    return p->hbuf.len;
  return p->req.url_len;
}

/* For a request no route matched: the 400 body of the typed parameter that kept a route
 * with `paramMismatch: 400` from matching (catzilla_routes.h), else NULL. */
const char* cz__parse_param_error(const cz_parser_t* p);

/* RFC 9112 9.3, for the request whose head is done: HTTP/1.1 persists unless a Connection
 * line says close; HTTP/1.0 only when one says keep-alive (and none close). Read from our
 * own token parse, which takes the whitespace llhttp's does not ("close\t"). */
int cz__parse_keep_alive(const cz_parser_t* p);

#endif /* CZ_PARSE_H */
