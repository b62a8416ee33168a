/*
 * cz_conn.h: one client connection: its structs and the functions cz_conn.c (I/O, pipeline
 * slots, timers, lifetime), cz_parse.c (llhttp side) and cz_server.c call on each other.
 * Internal: include cz_core.h, which includes this.
 */
#ifndef CZ_CONN_H
#define CZ_CONN_H

#include <stdint.h>
#include <uv.h>

#include "catzilla_routes.h"
#include "cz_http.h"
#include "cz_list.h"
#include "cz_server.h"
#include "llhttp.h"

/* Bytes in flight or queued per connection before reading stops (backpressure). */
#define CZ_WRITE_HIGH (1u << 20)
/* Buffers that grew past this are given back once empty, so an idle keep-alive
 * connection costs little whatever it once carried. */
#define CZ_BUF_KEEP (16u * 1024u)

enum cz_slot_state {
  CZ_SLOT_RECV = 0, /* headers done, body still arriving */
  CZ_SLOT_JS = 1,   /* waiting for JS (holds a context) */
  CZ_SLOT_READY = 2 /* response rendered into slot->data */
};

enum cz_slot_flags {
  CZ_SF_HEAD = 1 << 0,          /* HEAD: no body bytes */
  CZ_SF_CLOSE = 1 << 1,         /* close the connection once this response is out */
  CZ_SF_KA10 = 1 << 2,          /* HTTP/1.0 keep-alive: say so */
  CZ_SF_CONTINUE = 1 << 3,      /* owes "100 Continue" when it reaches the head */
  CZ_SF_CONTINUE_SENT = 1 << 4
};

typedef struct cz_slot_s {
  struct cz_slot_s* next;
  uint32_t ctx; /* CZ_CTX_NONE unless state == CZ_SLOT_JS */
  uint8_t state;
  uint8_t flags;
  cz_buf_t data; /* a rendered response waiting for the ones before it */
} cz_slot_t;

enum cz_msg_state {
  CZ_MSG_IDLE = 0, /* between requests */
  CZ_MSG_HEAD = 1, /* request line and headers arriving */
  CZ_MSG_BODY = 2  /* headers complete: body (and trailers) arriving */
};

/* Why llhttp was paused from on_message_complete. */
enum cz_pause_reason {
  CZ_PAUSE_NONE = 0,
  CZ_PAUSE_BATCH,    /* the batch is full: run it, then take this request */
  CZ_PAUSE_PIPELINE, /* max_pipelined responses pending: keep the rest for later */
  CZ_PAUSE_STOP,     /* no more requests on this connection */
  CZ_PAUSE_CHUNKED   /* headers of a chunked request done: its body is counted from here */
};

/* Reasons reading is stopped (bits). */
enum cz_read_block {
  CZ_RB_PIPELINE = 1 << 0,
  CZ_RB_WRITE = 1 << 1
};

enum cz_timer_mode {
  CZ_TIMER_NONE = 0,
  CZ_TIMER_HEADERS = 1,
  CZ_TIMER_IDLE = 2,
  CZ_TIMER_BODY = 3, /* no body bytes for headers_timeout_ms while we are reading -> 408 */
  CZ_TIMER_SEND = 4, /* a write in flight made no progress for send_timeout_ms -> close */
  CZ_TIMER_LINGER = 5 /* after a rejection: close at the client's EOF or CZ_LINGER_MS */
};

/* Lingering close after a rejected request (see cz__conn_linger): how long, and how many
 * bytes, the rest of what the client sends is read and dropped so the error response is
 * not destroyed by a TCP reset (closing with unread input sends RST, and a client's stack
 * may discard the response it had not read yet). */
#define CZ_LINGER_MS 2000u
#define CZ_LINGER_BYTES (64u * 1024u)

/* The request being parsed. */
typedef struct cz_req_s {
  int route;            /* >= 0 matched; -1 404/405 (see allow) */
  uint64_t allow;
  cz_match_t m;
  size_t url_len;       /* hbuf[0, url_len) is the request target */
  size_t path_len;
  size_t hdr_count;
  size_t field_off;     /* hbuf offset of the current header name */
  size_t value_off;     /* hbuf offset of the current header value */
  size_t head_raw;      /* raw head bytes counted in earlier reads */
  const char* head_mark;/* where counting resumes in the current read, or NULL */
  char* body;           /* buffered body (routes with CZ_ROUTE_BODY) */
  size_t body_len;
  size_t body_cap;
  uint64_t body_limit;
  cz_slot_t* slot;      /* from headers complete */
  const cz_route_table_t* table; /* the table `route` indexes (swapTable: may not be the current one) */
  uint32_t table_gen;   /* its generation, reported to JS as REQ_TABLE */
  uint8_t keep_body;    /* buffer the body for JS */
  uint8_t has_body;     /* framing announced a body */
  uint64_t framing;      /* chunked: bytes of chunk lines, extensions and trailers so far */
  uint16_t te_status;   /* cz_fields_te_check of the Transfer-Encoding value: 0, 400, 501 */
  uint8_t host_count;   /* Host lines (saturates) */
  uint8_t host_bad;     /* a Host value that is not uri-host[:port] */
  uint8_t te_count;     /* Transfer-Encoding lines (saturates) */
  uint8_t cl_count;     /* Content-Length lines (saturates) */
  uint8_t conn_tokens;  /* enum cz_conn_tokens of every Connection line */
  uint8_t chunked;      /* the body is chunked: its framing is counted (cz__parse_feed) */
  uint8_t expect;       /* 0 none, 1 100-continue, 2 something else */
  uint8_t field_kind;   /* enum cz_field of the header (or trailer) line being read */
  uint8_t tname_len;    /* trailer name bytes seen (saturates past sizeof tname) */
  char tname[20];       /* a trailer's name, lowercased, as far as it fits */
  uint8_t asterisk;     /* OPTIONS * (asterisk-form): answered in C */
} cz_req_t;

typedef struct cz_conn_s cz_conn_t;

struct cz_conn_s {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  uv_shutdown_t sreq;    /* lingering close: our FIN */
  cz_server_t* srv;
  cz_list_t node;        /* srv->conns */
  cz_list_t dirty_node;  /* srv->dirty while it has bytes to flush after a batch */
  cz_list_t resume_node; /* srv->resume while it has parked bytes to parse */
  llhttp_t parser;
  cz_req_t cur;
  cz_buf_t hbuf;         /* request target + header block of cur */
  cz_buf_t pend;         /* bytes read but not parsed yet (parser was paused) */
  cz_buf_t out;          /* responses waiting for the next write */
  cz_buf_t wout;         /* bytes of the write in flight */
  cz_slot_t* head;       /* pipeline, oldest first */
  cz_slot_t* tail;
  unsigned nslots;
  unsigned read_block;   /* enum cz_read_block bits */
  unsigned nclosing;     /* handle close callbacks still to come */
  int reject_status;     /* set by a callback that fails the request on a limit */
  const char* exec_end;  /* end of the bytes llhttp is executing */
  size_t send_mark;      /* CZ_TIMER_SEND: unacknowledged bytes at the last look, or SIZE_MAX */
  uint8_t msg;           /* enum cz_msg_state */
  uint8_t pause_reason;  /* enum cz_pause_reason */
  uint8_t timer_mode;    /* enum cz_timer_mode */
  /* Lazy timer: the mode's deadline (loop time, ms) moves on every request, the uv timer
   * only when it would otherwise fire late; when it fires early it re-arms for the rest. */
  uint64_t deadline;
  uint64_t req_start;    /* loop time the current request's first byte was parsed */
  uint32_t req_seq;      /* requests begun on this connection (tells one body from the next) */
  uint8_t reading;
  uint8_t writing;
  uint8_t stop_parse;    /* never parse another byte (close, error, draining) */
  uint8_t draining;      /* close once everything queued is written */
  uint8_t linger;        /* a rejection: linger once it is written (cz__conn_linger) */
  uint8_t lingering;     /* FIN sent; reading only to drop bytes until EOF or the timer */
  uint8_t eof;           /* the client closed its side */
  size_t linger_bytes;   /* dropped while lingering */
  uint8_t closing;
};

/* cz_conn.c */
int cz_conn_start(cz_server_t* srv, cz_conn_t* c);
void cz__conn_close(cz_conn_t* c);
void cz__conn_drain(cz_conn_t* c);
void cz__conn_flush(cz_conn_t* c);
void cz__conn_resume(cz_conn_t* c);
void cz__conn_mark_dirty(cz_conn_t* c);
void cz__conn_read_update(cz_conn_t* c);
void cz__conn_timer_update(cz_conn_t* c);
/* Appends a slot for a request at the tail of the pipeline. NULL: out of memory. */
cz_slot_t* cz__slot_new(cz_conn_t* c);
/* Answers the request being parsed (or a new slot) with an error; parses nothing more. */
void cz__conn_reject(cz_conn_t* c, int status);
/* Renders a response for slot s (C's JSON error, a const route, JS's result; NULL resp
 * means 500), then moves every response that is now in order to the outgoing buffer. */
/* An error answered in C: the body is json (NUL-terminated), or NULL for {"error":"<reason>"}. */
void cz__conn_settle_error(cz_conn_t* c, cz_slot_t* s, int status, uint64_t allow, const char* json);
void cz__conn_settle_const(cz_conn_t* c, cz_slot_t* s, const cz_route_t* route);
void cz__conn_settle_js(cz_conn_t* c, cz_slot_t* s, const cz_resp_t* resp, int close);

/* cz_parse.c */
void cz_parse_settings(llhttp_settings_t* s);
/* Parses bytes until consumed, paused on backpressure (the rest is parked in c->pend),
 * or the connection stops parsing. */
void cz__parse_feed(cz_conn_t* c, const char* data, size_t len);

#endif /* CZ_CONN_H */
