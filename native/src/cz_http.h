/*
 * cz_http.h: the HTTP bits that do not depend on a connection: limits and their defaults,
 * growable byte buffers, status reasons, the cached Date line and response formatting.
 */
#ifndef CZ_HTTP_H
#define CZ_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Default limits (cz_limits_default): the one place they are written. runtime/abi.gen.ts
 * is generated from these lines (scripts/gen-abi.mjs), and README's table is checked
 * against them (test/abi.test.ts). */
#define CZ_DEFAULT_MAX_HEADER_BYTES 16384
#define CZ_DEFAULT_MAX_URL_BYTES 8192
#define CZ_DEFAULT_MAX_HEADER_COUNT 100
#define CZ_DEFAULT_MAX_BODY_BYTES 1048576
#define CZ_DEFAULT_HEADERS_TIMEOUT_MS 10000
#define CZ_DEFAULT_REQUEST_TIMEOUT_MS 300000
#define CZ_DEFAULT_KEEP_ALIVE_TIMEOUT_MS 5000
#define CZ_DEFAULT_MAX_CONNECTIONS 0
#define CZ_DEFAULT_MAX_PIPELINED 64

/* Limits enforced in C before a request can reach JS (see docs/internals.md). */
typedef struct cz_limits_s {
  uint32_t max_header_bytes;     /* request line + headers (raw bytes) -> 431 */
  uint32_t max_url_bytes;        /* request target -> 414 */
  uint32_t max_header_count;     /* -> 431 */
  uint32_t max_body_bytes;       /* default body limit (a route may set its own) -> 413 */
  uint32_t headers_timeout_ms;   /* first byte of a request to headers complete -> 408; 0 = off */
  uint32_t keep_alive_timeout_ms;/* idle keep-alive connection is closed quietly; 0 = off */
  uint32_t max_connections;      /* 0 = unlimited */
  uint32_t max_pipelined;        /* responses pending per connection before reading stops */
  uint32_t request_timeout_ms;   /* first byte of a request to its last (head, body and
                                  * trailers) -> 408, however steadily bytes trickle in;
                                  * 0 = off */
  uint32_t send_timeout_ms;      /* a write in flight made no progress -> close; 0 = off.
                                  * Not set by cz_limits_default (zero-init the struct);
                                  * the addon's default is CZ_SEND_TIMEOUT_MS (cz_server.h) */
} cz_limits_t;

void cz_limits_default(cz_limits_t* l);

/* A growable byte buffer. base is NULL until the first reserve. */
typedef struct cz_buf_s {
  char* base;
  size_t len;
  size_t cap;
} cz_buf_t;

int cz_buf_reserve(cz_buf_t* b, size_t extra); /* 0 or UV_ENOMEM */
int cz_buf_append(cz_buf_t* b, const void* p, size_t n);
void cz_buf_free(cz_buf_t* b);
/* Empties b, and gives its memory back when it grew past `keep` bytes. */
void cz_buf_reset(cz_buf_t* b, size_t keep);
/* The `keep` of buffers a connection reuses: one that grew past it is given back once
 * empty, so an idle keep-alive connection costs little whatever it once carried. */
#define CZ_BUF_KEEP (16u * 1024u)

/* The "Date: ...\r\n" line, reformatted only when the wall-clock second changes. */
typedef struct cz_date_s {
  time_t sec;
  size_t len;
  char line[48];
} cz_date_t;

void cz_date_update(cz_date_t* d);

/* The interim response to Expect: 100-continue. */
#define CZ_HTTP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/* Reason phrase for a status ("Unknown" for codes without one). */
const char* cz_http_reason(int status);

enum cz_connhdr {
  CZ_CONNHDR_NONE = 0,
  CZ_CONNHDR_CLOSE = 1,
  CZ_CONNHDR_KEEPALIVE = 2 /* HTTP/1.0 client that asked for keep-alive */
};

/* Content-Type lines the renderer writes itself (runtime/writer.ts sets them in the flags). */
enum cz_ctype {
  CZ_CT_NONE = 0,
  CZ_CT_JSON = 1,  /* application/json */
  CZ_CT_TEXT = 2,  /* text/plain; charset=utf-8 */
  CZ_CT_BYTES = 3, /* application/octet-stream */
  CZ_CT_MAX = 3
};

typedef struct cz_resp_s {
  int status;
  int ctype;               /* enum cz_ctype: written before head */
  int connhdr;             /* enum cz_connhdr */
  int omit_body;           /* HEAD: keep Content-Length, drop the bytes */
  const char* head;        /* extra header lines, each "Name: value\r\n" */
  size_t head_len;
  const char* body;
  size_t body_len;
  int body_apart;          /* render the head only (Content-Length still body_len): the
                            * caller queues the body itself, as a source (cz_out.h) */
  int framing;             /* enum cz_framing: how the body's end is marked */
} cz_resp_t;

/* How a response's body is delimited. A streamed response (cz_conn.c) does not know its
 * length when its head is written: chunked for HTTP/1.1, the connection's close for 1.0.
 * Both render the head only; the caller sends the body. */
enum cz_framing {
  CZ_FRAME_LENGTH = 0,  /* Content-Length: body_len */
  CZ_FRAME_CHUNKED = 1, /* Transfer-Encoding: chunked */
  CZ_FRAME_CLOSE = 2    /* no length: the body ends when the connection closes */
};

/* Does a response with this status carry body bytes (omit_body: it answers a HEAD)? */
int cz_http_body_sent(int status, int omit_body);

/* Appends a complete response to b: status line, Date, Content-Length (except for 1xx,
 * 204 and 304), Connection when needed, the extra lines, CRLF, the body. */
int cz_http_render(cz_buf_t* b, const cz_date_t* d, const cz_resp_t* r);

/* Appends a precomputed (CZ_KIND_CONST) response: its status line, our Date and
 * Connection lines, then the rest of it (only up to the blank line when omit_body). */
int cz_http_render_const(cz_buf_t* b, const cz_date_t* d, const char* resp, size_t len,
                         int connhdr, int omit_body);

/* Appends a JSON error response: json (NUL-terminated) as the body, or with NULL a small
 * {"error":"<reason>"}. allow != 0 adds an Allow line listing those methods (405). */
int cz_http_render_error(cz_buf_t* b, const cz_date_t* d, int status, int connhdr,
                         int omit_body, uint64_t allow, const char* json);

/* Checks a const response: it must have a status line and a blank line. */
int cz_http_const_valid(const char* resp, size_t len);

/* ASCII lowercase table for header names. */
extern const unsigned char cz_http_lower[256];

#endif /* CZ_HTTP_H */
