/*
 * cz_conn.c: one client connection: read -> parse (cz_parse.c) -> pipeline slots ->
 * write, the timers, and the connection's lifetime; and the set of them one server owns.
 *
 * Every request that reaches headers-complete gets a slot at the tail of the connection's
 * pipeline. A response is rendered straight into `out` when its slot is the head (every
 * earlier response has left), else into the slot's own buffer until the earlier ones are
 * done; cz__conn_advance() moves finished slots from the head into `out`. So responses
 * always leave in request order, whatever order JS finishes them in.
 *
 * A request goes one of two ways at message-complete (cz__conn_complete): C answers it
 * (404/405, the 400 of a typed parameter, OPTIONS *, a const route), or it joins the
 * batch (cz_batch.c), whose answers come back through cz__conn_settled().
 *
 * Nothing here frees the connection except the handle close callbacks: after
 * cz__conn_close() the struct stays valid (closing = 1) until libuv is done with both
 * handles, so a caller holding `c` across a call that may close it only needs to check
 * c->closing.
 */
#include "cz_conn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <linux/sockios.h>
#include <sys/ioctl.h>
#endif

#include "cz_fields.h"
#include "cz_out.h"
#include "cz_static.h"

enum cz_slot_state {
  CZ_SLOT_RECV = 0, /* headers done, body still arriving */
  CZ_SLOT_JS = 1,   /* waiting for JS (holds a context) */
  CZ_SLOT_READY = 2, /* response rendered into slot->data */
  CZ_SLOT_FILE = 3,  /* a static file (slot->file): head or body still being read */
  CZ_SLOT_STREAM = 4 /* a streamed response: head sent, JS pushes the body (holds a context) */
};

enum cz_slot_flags {
  CZ_SF_HEAD = 1 << 0,          /* HEAD: no body bytes */
  CZ_SF_CLOSE = 1 << 1,         /* close the connection once this response is out */
  CZ_SF_KA10 = 1 << 2,          /* HTTP/1.0 keep-alive: say so */
  CZ_SF_CONTINUE = 1 << 3,      /* owes "100 Continue" when it reaches the head */
  CZ_SF_CONTINUE_SENT = 1 << 4,
  CZ_SF_HTTP10 = 1 << 5,        /* an HTTP/1.0 request: a streamed body is close-delimited */
  CZ_SF_CHUNKED = 1 << 6,       /* a streamed body is sent chunked */
  CZ_SF_WAIT = 1 << 7,          /* a stream was told CZ_STREAM_WAIT: owes it CZ_EV_DRAIN */
  CZ_SF_NOBODY = 1 << 8,        /* a streamed response without body bytes (HEAD, 204, 304) */
  CZ_SF_FILE_HEAD = 1 << 9,     /* CZ_SLOT_FILE: its head is rendered */
  /* Streamed body (CZ_ROUTE_STREAM): JS has the request (sctx, sgen) and its body is still
   * arriving; cleared when the body's last event (end, error, abort) is handed over. Only
   * the request being parsed (c->cur_slot) can have it. */
  CZ_SF_STREAM = 1 << 10,
  CZ_SF_BODY_IN = 1 << 11, /* CZ_SF_STREAM: the whole body is parsed, its end not yet handed over */
  /* CZ_SF_STREAM: the reader pulled during the last hand-over (its promise jobs run before
   * the body hook returns, so its "enough" may already be out of date). */
  CZ_SF_PULLED = 1 << 12
};

typedef struct cz_slot_s {
  struct cz_slot_s* next;
  uint32_t ctx; /* CZ_CTX_NONE unless state is CZ_SLOT_JS or CZ_SLOT_STREAM */
  uint32_t id;  /* the request's id (CZ_REQ_ID) */
  /* CZ_SF_STREAM: the (ctx, gen) JS names the request's body by; kept after the context
   * is released (an early answer), since the body's events still go to that name. */
  uint32_t sctx;
  uint32_t sgen;
  uint8_t state;
  uint16_t flags;
  /* For the access log only (set->alog), from the head: */
  int16_t method;    /* -1 until the head is complete */
  uint16_t status;   /* CZ_SLOT_STREAM: the status its head was sent with */
  uint32_t path_len;
  char* path;        /* the path, copied: the parser's buffer moves on to the next request */
  uint64_t start_ns; /* uv_hrtime() at the head */
  uint64_t sent;     /* a stream's or file's bytes queued before its last piece */
  cz_out_t data; /* a rendered response waiting for the ones before it */
  cz_static_req_t* file; /* CZ_SLOT_FILE only: the file being sent (cz_static.c) */
} cz_slot_t;

/* Why the parser was paused from the complete hook. */
enum cz_pause_reason {
  CZ_PAUSE_NONE = 0,
  CZ_PAUSE_BATCH,    /* the batch is full: run it, then take this request */
  CZ_PAUSE_PIPELINE, /* max_pipelined responses pending: keep the rest for later */
  CZ_PAUSE_STOP,     /* no more requests on this connection */
  CZ_PAUSE_STREAM,   /* a streamed request's head is done: hand it to JS before its body */
  CZ_PAUSE_STREAM_END /* a streamed request's body is done: end it before the next request */
};

/* Reasons reading is stopped (bits). */
enum cz_read_block {
  CZ_RB_PIPELINE = 1 << 0,
  CZ_RB_WRITE = 1 << 1,
  CZ_RB_BODY = 1 << 2 /* a streamed body's reader has not pulled what it was given */
};

enum cz_timer_mode {
  CZ_TIMER_NONE = 0,
  CZ_TIMER_HEADERS = 1,
  CZ_TIMER_IDLE = 2,
  CZ_TIMER_BODY = 3, /* no body bytes for headers_timeout_ms while we are reading -> 408 */
  CZ_TIMER_SEND = 4, /* a write in flight made no progress for send_timeout_ms -> close */
  CZ_TIMER_LINGER = 5 /* after a rejection: close at the client's EOF or CZ_LINGER_MS */
};

/* How a connection stops (cz__conn_stop). */
enum cz_stop_how {
  CZ_STOP_LINGER = 1 << 0, /* a rejection: linger once its answer is written */
  CZ_STOP_EOF = 1 << 1     /* the client closed its side */
};

struct cz_conn_s {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  uv_shutdown_t sreq;    /* lingering close: our FIN */
  cz_conn_set_t* set;
  cz_list_t node;        /* set->all */
  cz_list_t dirty_node;  /* set->dirty while it has bytes to flush after a batch */
  cz_list_t resume_node; /* set->resume while it has parked bytes to parse */
  cz_parser_t parser;
  cz_slot_t* cur_slot;   /* the request being parsed, from headers complete */
  cz_buf_t pend;         /* bytes read but not parsed yet (parser was paused) */
  cz_out_t out;          /* responses waiting for the next write */
  cz_out_t wout;         /* bytes of the write in flight */
  cz_slot_t* head;       /* pipeline, oldest first */
  cz_slot_t* tail;
  unsigned nslots;
  unsigned read_block;   /* enum cz_read_block bits */
  unsigned nclosing;     /* handle close callbacks still to come */
  size_t send_mark;      /* CZ_TIMER_SEND: unacknowledged bytes at the last look, or SIZE_MAX */
  size_t linger_bytes;   /* dropped while lingering */
  /* Lazy timer: the mode's deadline (loop time, ms) moves on every request, the uv timer
   * only when it would otherwise fire late; when it fires early it re-arms for the rest. */
  uint64_t deadline;
  uint8_t pause_reason;  /* enum cz_pause_reason */
  uint8_t timer_mode;    /* enum cz_timer_mode */
  uint8_t reading;
  uint8_t writing;
  uint8_t stop_parse;    /* never parse another byte (close, error, draining) */
  uint8_t draining;      /* close once everything queued is written */
  uint8_t linger;        /* a rejection: linger once it is written (cz__conn_linger) */
  uint8_t lingering;     /* FIN sent; reading only to drop bytes until EOF or the timer */
  uint8_t eof;           /* the client closed its side */
  uint8_t last;          /* the server drains: the request being received is the last */
  uint8_t closing;
  uint8_t peer_state;    /* 0 not looked up; 1 `peer` holds it; else the lookup failed */
  int peer_err;          /* peer_state 2: why */
  struct sockaddr_storage peer; /* req.ip and the access log: looked up when first needed */
};

static void cz__conn_flush(cz_conn_t* c);
static void cz__conn_static_pump(cz_conn_t* c);
static int cz__conn_static(cz_conn_t* c, cz_slot_t* s);
static void cz__conn_stream_drain(cz_conn_t* c);
static void cz__conn_read_update(cz_conn_t* c);
static void cz__conn_timer_update(cz_conn_t* c);
static void cz__timer_arm(cz_conn_t* c, uint64_t ms);
static void cz__alloc_cb(uv_handle_t* h, size_t hint, uv_buf_t* buf);
static void cz__read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
static void cz__conn_stream_fail(cz_conn_t* c, int event);
static void cz__slot_stream_fail(cz_conn_t* c, cz_slot_t* s, int event);

/* ---- slots ------------------------------------------------------------------------ */

/* Appends a slot for a request at the tail of the pipeline. NULL: out of memory. */
static cz_slot_t* cz__slot_new(cz_conn_t* c) {
  cz_slot_t* s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->ctx = CZ_CTX_NONE;
  s->state = CZ_SLOT_RECV;
  s->method = -1;
  /* Every request gets an id, also those answered in C (404, a rejection), so access log
   * lines and handler error lines name requests alike; 0 is skipped when it wraps. */
  if (++c->set->last_id == 0)
    c->set->last_id = 1;
  s->id = c->set->last_id;
  if (c->tail != NULL)
    c->tail->next = s;
  else
    c->head = s;
  c->tail = s;
  c->nslots++;
  return s;
}

/* Frees an unlinked slot; a context JS still holds for it goes stale. */
static void cz__slot_free(cz_conn_t* c, cz_slot_t* s) {
  /* Only a slot waiting on JS (or streaming from it) holds a context; a settled one does not. */
  CZ_ASSERT(s->ctx == CZ_CTX_NONE || s->state == CZ_SLOT_JS || s->state == CZ_SLOT_STREAM);
  /* Answered (or dropped) with its body's end not handed over: its reader must not wait. */
  cz__slot_stream_fail(c, s, CZ_BODY_ABORT);
  if (s->ctx != CZ_CTX_NONE)
    cz__batch_forget(c->set->batch, s->ctx);
  if (s->file != NULL)
    cz__static_cancel(s->file); /* closes the file now or when its read lands */
  if (c->cur_slot == s)
    c->cur_slot = NULL;
  cz__out_free(&s->data);
  free(s->path);
  free(s);
}

/* Drops `from` and every slot after it (their responses will never be written). */
static void cz__conn_drop_from(cz_conn_t* c, cz_slot_t* from) {
  cz_slot_t* prev = NULL;
  cz_slot_t* s;

  for (s = c->head; s != NULL && s != from; s = s->next)
    prev = s;
  if (s == NULL)
    return;
  if (prev != NULL)
    prev->next = NULL;
  else
    c->head = NULL;
  c->tail = prev;
  while (s != NULL) {
    cz_slot_t* next = s->next;
    c->nslots--;
    cz__slot_free(c, s);
    s = next;
  }
}

/* Where a response for s is rendered: the outgoing buffer when it is next in line. */
static cz_out_t* cz__slot_target(cz_conn_t* c, cz_slot_t* s) {
  return s == c->head ? &c->out : &s->data;
}

static int cz__slot_connhdr(cz_conn_t* c, cz_slot_t* s) {
  /* While draining no request is parsed any more, so the tail is the last response. */
  if ((s->flags & CZ_SF_CLOSE) || (c->draining && s->next == NULL))
    return CZ_CONNHDR_CLOSE;
  if (s->flags & CZ_SF_KA10)
    return CZ_CONNHDR_KEEPALIVE;
  return CZ_CONNHDR_NONE;
}

/* ---- stopping --------------------------------------------------------------------- */

/* The one way a connection stops taking requests, whatever the reason: a closing response
 * went out, a request was rejected, the client sent EOF, the server drains, or close. No
 * byte is parsed after this and the request being parsed is abandoned; `drop` and every
 * slot after it are dropped unanswered (their contexts go stale); the slots before it are
 * still written, and once they are the connection closes (cz__conn_check_done), or
 * lingers after a rejection. */
static void cz__conn_stop(cz_conn_t* c, cz_slot_t* drop, unsigned how) {
  /* A body still streaming to JS ends here: its reader errors rather than waits forever. */
  cz__conn_stream_fail(c, CZ_BODY_ABORT);
  c->stop_parse = 1;
  c->draining = 1;
  if (how & CZ_STOP_LINGER)
    c->linger = 1;
  if (how & CZ_STOP_EOF)
    c->eof = 1;
  cz_buf_reset(&c->pend, 0);
  cz_list_remove(&c->resume_node);
  cz__parse_abandon(&c->parser);
  if (drop != NULL)
    cz__conn_drop_from(c, drop);
  c->cur_slot = NULL; /* dropped above, or kept by the caller to carry a rejection */
  cz__conn_read_update(c);
}

/* ---- queueing responses ------------------------------------------------------------ */

static void cz__conn_mark_dirty(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;
  if (c->closing)
    return;
  if (set->defer > 0) {
    if (cz_list_empty(&c->dirty_node))
      cz_list_push(&set->dirty, &c->dirty_node);
    return;
  }
  cz__conn_flush(c);
}

static void cz__shutdown_cb(uv_shutdown_t* req, int status) {
  cz_conn_t* c = cz_container_of(req, cz_conn_t, sreq);
  if (status < 0 && status != UV_ECANCELED)
    cz__conn_close(c);
}

/* The error response is out: send FIN and read (dropping it) whatever the client still
 * sends until its EOF, CZ_LINGER_BYTES or CZ_LINGER_MS, then close. */
static void cz__conn_linger(cz_conn_t* c) {
  c->lingering = 1;
  c->linger_bytes = 0;
  if (uv_shutdown(&c->sreq, (uv_stream_t*)&c->tcp, cz__shutdown_cb) != 0) {
    cz__conn_close(c);
    return;
  }
  if (!c->reading) {
    if (uv_read_start((uv_stream_t*)&c->tcp, cz__alloc_cb, cz__read_cb) != 0) {
      cz__conn_close(c);
      return;
    }
    c->reading = 1;
  }
  c->timer_mode = CZ_TIMER_LINGER;
  cz__timer_arm(c, CZ_LINGER_MS);
}

static void cz__conn_check_done(cz_conn_t* c) {
  if (c->closing || c->lingering || !c->draining || c->nslots != 0 || c->writing || cz__out_len(&c->out) != 0)
    return;
  if (c->linger && !c->eof)
    cz__conn_linger(c);
  else
    cz__conn_close(c);
}

/* The request at the head of the pipeline asked for 100-continue and may send its body
 * now. The one place "100 Continue" is written: at headers-complete when nothing is
 * pending before the request, else when the responses before it have left. */
static void cz__conn_continue(cz_conn_t* c) {
  cz_slot_t* s = c->head;

  if (s == NULL || (s->flags & (CZ_SF_CONTINUE | CZ_SF_CONTINUE_SENT)) != CZ_SF_CONTINUE)
    return;
  if (cz__out_append(&c->out, CZ_HTTP_CONTINUE, sizeof(CZ_HTTP_CONTINUE) - 1) != 0) {
    cz_log(c->set->log, "out of memory queueing 100 Continue; closing the connection");
    cz__conn_close(c);
    return;
  }
  s->flags |= CZ_SF_CONTINUE_SENT;
  cz__conn_mark_dirty(c);
}

/* Moves every finished response at the head of the pipeline into `out`. */
static void cz__conn_advance(cz_conn_t* c) {
  cz_slot_t* s;
  int moved = 0;

  while ((s = c->head) != NULL && s->state == CZ_SLOT_READY) {
    int close = s->flags & CZ_SF_CLOSE;
    if (cz__out_len(&s->data) != 0 && cz__out_move(&c->out, &s->data) != 0) {
      cz_log(c->set->log, "out of memory queueing a response; closing the connection");
      cz__conn_close(c);
      return;
    }
    c->head = s->next;
    if (c->head == NULL)
      c->tail = NULL;
    c->nslots--;
    cz__slot_free(c, s);
    moved = 1;
    if (close) {
      /* Nothing after a closing response is ever written: drop what JS still holds. */
      cz__conn_stop(c, c->head, 0);
      break;
    }
  }
  s = c->head;
  if (s != NULL && (s->state == CZ_SLOT_FILE || s->state == CZ_SLOT_STREAM) && cz__out_len(&s->data) != 0) {
    /* A file still being read, or a stream, reached the head: what it has so far goes out
     * now, the rest straight into `out` (cz__slot_target), as the socket takes it (a
     * file's next chunk is read then; a stream's producer is told to push again). */
    if (cz__out_move(&c->out, &s->data) != 0) {
      cz_log(c->set->log, "out of memory queueing a response; closing the connection");
      cz__conn_close(c);
      return;
    }
    moved = 1;
  }
  if (s != NULL && (s->flags & CZ_SF_CONTINUE))
    cz__conn_continue(c);
  if (c->closing)
    return;
  if ((c->read_block & CZ_RB_PIPELINE) && c->nslots < c->set->limits->max_pipelined) {
    c->read_block &= ~CZ_RB_PIPELINE;
    cz__conn_read_update(c);
  }
  if (moved)
    cz__conn_mark_dirty(c);
  else
    cz__conn_check_done(c);
}

/* Peer lookup, once per connection (uv_tcp_getpeername is a syscall). */
static const struct sockaddr* cz__conn_peer(cz_conn_t* c) {
  if (c->peer_state == 0) {
    int len = (int)sizeof(c->peer);
    c->peer_err = uv_tcp_getpeername(&c->tcp, (struct sockaddr*)&c->peer, &len);
    c->peer_state = c->peer_err == 0 ? 1 : 2;
  }
  return c->peer_state == 1 ? (const struct sockaddr*)&c->peer : NULL;
}

int cz__conn_peer_name(cz_conn_t* c, char* buf, size_t len) {
  const struct sockaddr* sa = cz__conn_peer(c);
  if (sa == NULL)
    return c->peer_err;
  if (sa->sa_family == AF_INET)
    return uv_ip4_name((const struct sockaddr_in*)sa, buf, len);
  if (sa->sa_family == AF_INET6)
    return uv_ip6_name((const struct sockaddr_in6*)sa, buf, len);
  return UV_EAFNOSUPPORT;
}

/* The access log's record of a response just queued for s (status, `bytes` queued). */
static void cz__conn_alog(cz_conn_t* c, cz_slot_t* s, int status, uint64_t bytes) {
  cz_alog_entry_t e;
  const struct sockaddr* sa = cz__conn_peer(c);

  e.id = s->id;
  e.method = s->method;
  e.status = status;
  e.bytes = bytes;
  e.start_ns = s->start_ns;
  e.end_ns = uv_hrtime();
  e.addr = sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) ? sa : NULL;
  e.path = s->path;
  e.path_len = s->path_len;
  cz__alog_add(c->set->alog, &e);
}

/* What s's queue holds, copied bytes and body sources: a render adds its response's size
 * (the access log's `bytes`), however the body was queued. */
static size_t cz__conn_mark(cz_conn_t* c, cz_slot_t* s) {
  return c->set->alog != NULL ? cz__out_len(cz__slot_target(c, s)) : 0;
}

/* A response was rendered for s (rc from the renderer): `status`, its bytes the growth of
 * the queue since `mark` (cz__conn_mark), after the `sent` of a stream's or file's earlier
 * pieces. */
static void cz__conn_rendered(cz_conn_t* c, cz_slot_t* s, int rc, int status, size_t mark) {
  if (rc != 0) {
    cz_log(c->set->log, "out of memory rendering a response; closing the connection");
    cz__conn_close(c);
    return;
  }
  if (c->set->alog != NULL)
    cz__conn_alog(c, s, status, s->sent + (cz__conn_mark(c, s) - mark));
  s->state = CZ_SLOT_READY;
  cz__conn_advance(c);
}

/* An error answered in C: the body is json (NUL-terminated), or NULL for {"error":"<reason>"}. */
static void cz__conn_settle_error(cz_conn_t* c, cz_slot_t* s, int status, uint64_t allow, const char* json) {
  cz_conn_set_t* set = c->set;
  size_t mark = cz__conn_mark(c, s);
  int rc;
  cz_date_update(&set->date);
  rc = cz_http_render_error(&cz__slot_target(c, s)->bytes, &set->date, status, cz__slot_connhdr(c, s),
                            s->flags & CZ_SF_HEAD, allow, json);
  cz__conn_rendered(c, s, rc, status, mark);
}

/* A response from JS (or built like one); NULL means 500. */
static void cz__conn_settle_js(cz_conn_t* c, cz_slot_t* s, const cz_resp_t* in, int close) {
  cz_conn_set_t* set = c->set;
  cz_out_t* q;
  cz_resp_t r;
  size_t mark;
  int rc;

  if (c->closing)
    return;
  if (close)
    s->flags |= CZ_SF_CLOSE;
  /* A final response from a handler is 2xx..9xx; 1xx here would desync the client. */
  if (in == NULL || in->status < 200 || in->status > 999) {
    if (in != NULL)
      cz_log(set->log, "handler returned invalid status %d; answering 500", in->status);
    cz__conn_settle_error(c, s, 500, 0, NULL);
    return;
  }
  r = *in;
  r.connhdr = cz__slot_connhdr(c, s);
  r.omit_body = s->flags & CZ_SF_HEAD;
  /* A long body is queued as a source instead of copied in behind its head. Its bytes
   * (an arena, a JS buffer) are only borrowed when this call writes them: the slot is
   * next in line, no write is in flight and writes are not deferred; cz__conn_flush()
   * pins whatever the socket does not take. Otherwise they are copied now. */
  r.body_apart = r.body_len >= CZ_OUT_SRC_MIN && cz_http_body_sent(r.status, r.omit_body);
  q = cz__slot_target(c, s);
  mark = cz__conn_mark(c, s);
  cz_date_update(&set->date);
  rc = cz_http_render(&q->bytes, &set->date, &r);
  if (rc == 0 && r.body_apart)
    rc = cz__out_body(q, r.body, r.body_len, q == &c->out && set->defer == 0 && !c->writing);
  cz__conn_rendered(c, s, rc, r.status, mark);
}

/* A const route's status, from its precomputed status line ("HTTP/1.1 200 ..."). */
static int cz__const_status(const cz_route_t* route) {
  const char* b = route->const_response;
  if (route->const_len < 12)
    return 0;
  return (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
}

static void cz__conn_settle_const(cz_conn_t* c, cz_slot_t* s, const cz_route_t* route) {
  cz_conn_set_t* set = c->set;
  size_t mark = cz__conn_mark(c, s);
  int rc;
  cz_date_update(&set->date);
  rc = cz_http_render_const(&cz__slot_target(c, s)->bytes, &set->date, route->const_response,
                            route->const_len, cz__slot_connhdr(c, s), s->flags & CZ_SF_HEAD);
  cz__conn_rendered(c, s, rc, cz__const_status(route), mark);
}

/* OPTIONS * (RFC 9110 9.3.7) is a ping: 204 with no body, the connection kept alive. No
 * Allow line: what is allowed depends on the path, and this request names none. */
static void cz__conn_settle_options(cz_conn_t* c, cz_slot_t* s) {
  cz_resp_t r;
  memset(&r, 0, sizeof(r));
  r.status = 204;
  cz__conn_settle_js(c, s, &r, 0); /* the renderer JS answers use; no JS involved */
}

/* Is the request just parsed for the readiness path (set->health)? Compared with the
 * path as received (absolute-form already rewritten), before the app's routes. */
static int cz__conn_is_health(const cz_conn_t* c) {
  const cz_parser_t* p = &c->parser;
  return p->req.path_len == c->set->health_len && !p->req.asterisk &&
         memcmp(p->hbuf.base, c->set->health, c->set->health_len) == 0;
}

/* The readiness probe, answered without JS so a busy or stuck loop of handlers cannot
 * make a balancer think the instance is down: 200 while serving, 503 once the server is
 * going away (shutdown), so balancers stop sending before the listener closes. Other
 * methods get 405. */
static void cz__conn_settle_health(cz_conn_t* c, cz_slot_t* s) {
  static const char head[] = "Cache-Control: no-store\r\n";
  static const char ok[] = "ok\n";
  static const char away[] = "draining\n";
  cz_resp_t r;
  int method = c->parser.ll.method;

  if (method != HTTP_GET && method != HTTP_HEAD) {
    cz__conn_settle_error(c, s, 405, (uint64_t)1 << HTTP_GET, NULL);
    return;
  }
  memset(&r, 0, sizeof(r));
  r.status = c->set->going_away ? 503 : 200;
  r.ctype = CZ_CT_TEXT;
  r.head = head;
  r.head_len = sizeof(head) - 1;
  r.body = c->set->going_away ? away : ok;
  r.body_len = c->set->going_away ? sizeof(away) - 1 : sizeof(ok) - 1;
  cz__conn_settle_js(c, s, &r, 0);
}

/* The batch's settle function (cz_batch.h): an answer for a request that waited on JS. */
static void cz__conn_settled(void* conn, void* slot, const cz_resp_t* resp, int close) {
  cz_conn_t* c = conn;
  cz_slot_t* s = slot;

  CZ_ASSERT(s->state == CZ_SLOT_JS && !c->closing);
  s->ctx = CZ_CTX_NONE; /* released by the batch */
  if ((s->flags & (CZ_SF_STREAM | CZ_SF_BODY_IN)) == CZ_SF_STREAM) {
    /* Answered before its body was read: the rest of the body is not worth reading (it
     * may be a gigabyte), so this response closes the connection, and whatever the
     * client still sends is dropped while lingering, as after a rejection. */
    CZ_ASSERT(s == c->cur_slot);
    cz__conn_stop(c, NULL, CZ_STOP_LINGER);
    close = 1;
  }
  cz__conn_settle_js(c, s, resp, close);
}

/* ---- streamed responses ------------------------------------------------------------- */

/* Unwritten bytes ahead of a stream's next chunk: the connection's (queued, and libuv's
 * write queue) when the stream is next in line, else what waits in its own slot. */
static size_t cz__stream_backlog(cz_conn_t* c, cz_slot_t* s) {
  if (s != c->head)
    return cz__out_len(&s->data);
  return cz__out_len(&c->out) + uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp);
}

/* After a chunk is queued: may JS push the next one now? Otherwise it waits for
 * CZ_EV_DRAIN, so a client that reads slowly never makes us hold more than about
 * CZ_STREAM_HIGH (plus the kernel's buffers) of a stream. */
static int cz__stream_more(cz_conn_t* c, cz_slot_t* s) {
  if (cz__stream_backlog(c, s) < CZ_STREAM_HIGH)
    return CZ_STREAM_MORE;
  s->flags |= CZ_SF_WAIT;
  return CZ_STREAM_WAIT;
}

/* The head of the pipeline is a stream told to wait and its backlog has drained: tell JS.
 * Streams further back wait for their turn (cz__conn_advance makes them the head). */
static void cz__conn_stream_drain(cz_conn_t* c) {
  cz_slot_t* s = c->head;

  if (c->closing || s == NULL || s->state != CZ_SLOT_STREAM || !(s->flags & CZ_SF_WAIT))
    return;
  if (cz__stream_backlog(c, s) >= CZ_STREAM_HIGH)
    return;
  s->flags &= ~CZ_SF_WAIT;
  cz__batch_notify(c->set->batch, s->ctx, CZ_EV_DRAIN);
}

/* Queued bytes for s: written now when s is next in line. CZ_STREAM_GONE when writing
 * closed the connection (s is freed then). */
static int cz__stream_queued(cz_conn_t* c, cz_slot_t* s) {
  if (s == c->head) {
    cz__conn_mark_dirty(c);
    if (c->closing)
      return CZ_STREAM_GONE;
  }
  return cz__stream_more(c, s);
}

static int cz__stream_start(cz_conn_t* c, cz_slot_t* s, const cz_resp_t* in) {
  cz_conn_set_t* set = c->set;
  cz_resp_t r;
  size_t mark;

  if (in->status < 200 || in->status > 999) {
    cz_log(set->log, "stream started with invalid status %d; answering 500", in->status);
    cz__batch_forget(set->batch, s->ctx);
    s->ctx = CZ_CTX_NONE;
    cz__conn_settle_error(c, s, 500, 0, NULL);
    return CZ_STREAM_GONE;
  }
  r = *in;
  r.body = NULL;
  r.body_len = 0;
  /* HTTP/1.0 has no chunked coding: the body ends with the connection. */
  if (s->flags & CZ_SF_HTTP10) {
    s->flags |= CZ_SF_CLOSE;
    r.framing = CZ_FRAME_CLOSE;
  } else {
    r.framing = CZ_FRAME_CHUNKED;
  }
  r.connhdr = cz__slot_connhdr(c, s);
  r.omit_body = s->flags & CZ_SF_HEAD;
  if (!cz_http_body_sent(r.status, r.omit_body))
    s->flags |= CZ_SF_NOBODY;
  else if (r.framing == CZ_FRAME_CHUNKED)
    s->flags |= CZ_SF_CHUNKED;
  s->state = CZ_SLOT_STREAM;
  s->status = (uint16_t)r.status; /* for the access log, when the stream ends */
  mark = cz__conn_mark(c, s);
  cz_date_update(&set->date);
  if (cz_http_render(&cz__slot_target(c, s)->bytes, &set->date, &r) != 0) {
    cz_log(set->log, "out of memory rendering a response; closing the connection");
    cz__conn_close(c);
    return CZ_STREAM_GONE;
  }
  s->sent += cz__conn_mark(c, s) - mark;
  if (s->flags & CZ_SF_NOBODY) {
    if (s == c->head)
      cz__conn_mark_dirty(c);
    return c->closing ? CZ_STREAM_GONE : CZ_STREAM_NOBODY;
  }
  return cz__stream_queued(c, s);
}

static int cz__stream_push(cz_conn_t* c, cz_slot_t* s, const char* p, size_t n) {
  cz_out_t* q = cz__slot_target(c, s);
  char line[24];
  size_t mark;
  int len;
  int rc;

  /* An empty chunk would end a chunked body; a body-less response takes no bytes. */
  if (n == 0 || (s->flags & CZ_SF_NOBODY))
    return cz__stream_more(c, s);
  mark = cz__conn_mark(c, s);
  if (s->flags & CZ_SF_CHUNKED) {
    len = snprintf(line, sizeof(line), "%zx\r\n", n);
    rc = cz__out_append(q, line, (size_t)len);
    if (rc == 0)
      rc = cz__out_body(q, p, n, 0);
    if (rc == 0)
      rc = cz__out_append(q, "\r\n", 2);
  } else {
    rc = cz__out_body(q, p, n, 0);
  }
  if (rc != 0) {
    cz_log(c->set->log, "out of memory queueing a stream; closing the connection");
    cz__conn_close(c);
    return CZ_STREAM_GONE;
  }
  s->sent += cz__conn_mark(c, s) - mark;
  return cz__stream_queued(c, s);
}

/* The batch's stream function (cz_batch.h): an operation on a streamed response. */
static int cz__conn_stream(void* conn, void* slot, int op, const cz_resp_t* resp) {
  cz_conn_t* c = conn;
  cz_slot_t* s = slot;

  /* A live context means a live slot on an open connection (closing drops the slots). */
  CZ_ASSERT(!c->closing);
  switch (op) {
    case CZ_STREAM_START:
      CZ_ASSERT(s->state == CZ_SLOT_JS);
      return cz__stream_start(c, s, resp);
    case CZ_STREAM_PUSH:
      CZ_ASSERT(s->state == CZ_SLOT_STREAM);
      return cz__stream_push(c, s, resp->body, resp->body_len);
    case CZ_STREAM_END:
    case CZ_STREAM_ABORT:
      CZ_ASSERT(s->state == CZ_SLOT_STREAM);
      s->ctx = CZ_CTX_NONE; /* released by the batch */
      s->flags &= ~CZ_SF_WAIT;
      if (op == CZ_STREAM_ABORT) {
        /* No last chunk: the client sees the body cut short, and the connection ends once
         * what was sent before is written. */
        s->flags |= CZ_SF_CLOSE;
        cz__conn_rendered(c, s, 0, s->status, cz__conn_mark(c, s));
      } else {
        size_t mark = cz__conn_mark(c, s);
        int rc = (s->flags & CZ_SF_CHUNKED) ? cz__out_append(cz__slot_target(c, s), "0\r\n\r\n", 5) : 0;
        cz__conn_rendered(c, s, rc, s->status, mark);
      }
      return c->closing ? CZ_STREAM_GONE : CZ_STREAM_MORE;
    default:
      return CZ_STREAM_GONE;
  }
}

/* ---- streamed bodies ----------------------------------------------------------------- */

typedef struct cz_body_ev_s {
  uint32_t ctx;
  uint32_t gen;
  int event;
} cz_body_ev_t;

static void cz__resume_cb(uv_idle_t* h);

/* The streamed body of the request being parsed ends with `event` (CZ_BODY_ABORT or an
 * error status C answers with). The event is queued and handed to JS on the resumer's
 * turn: this runs inside stops, which may come from JS itself (a respond() whose closing
 * response stops the connection), and JS run here could re-enter them. */
static void cz__conn_stream_fail(cz_conn_t* c, int event) {
  if (c->cur_slot != NULL)
    cz__slot_stream_fail(c, c->cur_slot, event);
}

static void cz__slot_stream_fail(cz_conn_t* c, cz_slot_t* s, int event) {
  cz_conn_set_t* set = c->set;
  cz_body_ev_t* ev;

  if (!(s->flags & CZ_SF_STREAM))
    return;
  s->flags &= ~(CZ_SF_STREAM | CZ_SF_BODY_IN);
  if (c->cur_slot == s)
    c->read_block &= ~CZ_RB_BODY;
  if (set->nevents == set->events_cap) {
    size_t cap = set->events_cap ? set->events_cap * 2 : 8;
    cz_body_ev_t* nb = realloc(set->events, cap * sizeof(*nb));
    if (nb == NULL) {
      cz_log(set->log, "out of memory ending a streamed body; its reader is not told");
      return;
    }
    set->events = nb;
    set->events_cap = cap;
  }
  ev = &set->events[set->nevents++];
  ev->ctx = s->sctx;
  ev->gen = s->sgen;
  ev->event = event;
  if (!set->resumer_on) {
    uv_idle_start(&set->resumer, cz__resume_cb);
    set->resumer_on = 1;
  }
}

/* Hands JS the queued last events of bodies that ended in error (see above). */
static void cz__conn_deliver_events(cz_conn_set_t* set) {
  while (set->nevents > 0) {
    cz_body_ev_t ev = set->events[0];
    memmove(set->events, set->events + 1, (set->nevents - 1) * sizeof(ev));
    set->nevents--;
    cz__batch_body_in(set->batch, ev.ctx, ev.gen, NULL, 0, ev.event);
  }
}

/* Hands JS the streamed body bytes parsed since the last call (event DATA or END). JS
 * may answer or stop the connection from inside: the caller checks c->closing. When the
 * reader has enough queued, reading stops until it pulls (cz__conn_pull). */
static void cz__conn_stream_push(cz_conn_t* c, int event) {
  cz_slot_t* s = c->cur_slot;
  const char* base;
  size_t len;
  uint32_t ctx;
  uint32_t gen;
  int more;

  if (s == NULL || !(s->flags & CZ_SF_STREAM))
    return;
  cz__parse_stream_take(&c->parser, &base, &len);
  if (len == 0 && event == CZ_BODY_DATA)
    return;
  ctx = s->sctx;
  gen = s->sgen;
  s->flags &= ~CZ_SF_PULLED;
  if (event != CZ_BODY_DATA) {
    s->flags &= ~(CZ_SF_STREAM | CZ_SF_BODY_IN);
    c->cur_slot = NULL; /* the parser is between requests */
    c->read_block &= ~CZ_RB_BODY;
  }
  more = cz__batch_body_in(c->set->batch, ctx, gen, base, len, event);
  /* JS may have stopped the connection meanwhile (s is then gone) or answered early. */
  if (event == CZ_BODY_DATA && !more && !c->closing && c->cur_slot == s &&
      (s->flags & (CZ_SF_STREAM | CZ_SF_PULLED)) == CZ_SF_STREAM) {
    c->read_block |= CZ_RB_BODY;
    cz__conn_read_update(c);
  }
}

/* The batch's pull function: the reader of slot's body wants more. */
static int cz__conn_pull(void* conn, void* slot) {
  cz_conn_t* c = conn;
  cz_slot_t* s = slot;

  if (c->closing || c->cur_slot != s || !(s->flags & CZ_SF_STREAM))
    return 0;
  s->flags |= CZ_SF_PULLED; /* in case this comes from inside the hand-over itself */
  if (c->read_block & CZ_RB_BODY) {
    c->read_block &= ~CZ_RB_BODY;
    cz__conn_read_update(c);
    cz__conn_timer_update(c);
  }
  return 1;
}

/* Answers the request being parsed (or a new slot) with an error and stops. */
static void cz__conn_reject(cz_conn_t* c, int status) {
  cz_slot_t* s;

  if (c->closing)
    return;
  s = c->cur_slot;
  if (s == NULL)
    s = cz__slot_new(c);
  if (s == NULL) {
    cz__conn_close(c);
    return;
  }
  s->flags |= CZ_SF_CLOSE;
  s->flags &= ~CZ_SF_CONTINUE;
  /* A streamed request JS holds: its body ends with this status, and its answer from JS
   * is dropped (the context goes stale); the slot carries C's answer instead. */
  cz__conn_stream_fail(c, status);
  if (s->ctx != CZ_CTX_NONE) {
    cz__batch_forget(c->set->batch, s->ctx);
    s->ctx = CZ_CTX_NONE;
  }
  s->state = CZ_SLOT_RECV;
  cz__conn_stop(c, NULL, CZ_STOP_LINGER);
  cz__conn_settle_error(c, s, status, 0, NULL);
  if (!c->closing)
    cz__conn_timer_update(c);
}

/* ---- static files (cz_static.c) ----------------------------------------------------- */

/* Reads the next chunk of the file at the head of the pipeline once the socket has taken
 * nearly all of the last one: a slow reader makes the server wait, never read ahead. */
static void cz__conn_static_pump(cz_conn_t* c) {
  cz_slot_t* s = c->head;
  size_t queued;

  if (s == NULL || s->state != CZ_SLOT_FILE || !(s->flags & CZ_SF_FILE_HEAD) || cz__static_busy(s->file) ||
      !cz__static_more(s->file))
    return;
  queued = cz__out_len(&c->out) + uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp);
  if (queued >= CZ_STATIC_CHUNK)
    return; /* the write callback comes back here */
  if (cz__static_read(s->file) != 0) {
    cz_log(c->set->log, "cannot queue a static file read; closing the connection");
    cz__conn_close(c);
  }
}

/* The file's head (with its first chunk), or its next chunk, is ready: render and queue it
 * in the slot's place; a slot behind others keeps it until it reaches the head. */
static void cz__conn_static_ready(cz_static_req_t* f, void* conn, void* slot) {
  cz_conn_t* c = conn;
  cz_slot_t* s = slot;
  cz_conn_set_t* set = c->set;
  cz_out_t* q = cz__slot_target(c, s);
  char* chunk;
  size_t len;
  size_t mark;
  int rc = 0;

  CZ_ASSERT(s->file == f && s->state == CZ_SLOT_FILE && !c->closing);
  mark = cz__conn_mark(c, s);
  if (!(s->flags & CZ_SF_FILE_HEAD)) {
    int status = cz__static_status(f);
    if (status >= 400 && status != 416) {
      /* Not served (missing, refused, out of descriptors): answered like C's own 404 and
       * 503. This is where a miss would go to an app's notFound instead. */
      s->file = NULL;
      cz__static_cancel(f);
      cz__conn_settle_error(c, s, status, 0, NULL);
      return;
    }
    cz_date_update(&set->date);
    rc = cz__static_render(f, &q->bytes, &set->date, cz__slot_connhdr(c, s), s->flags & CZ_SF_HEAD);
    s->flags |= CZ_SF_FILE_HEAD;
  }
  chunk = cz__static_take(f, &len);
  if (chunk != NULL && rc != 0)
    free(chunk);
  else if (chunk != NULL)
    rc = cz__out_own(q, chunk, len); /* takes chunk */
  if (rc != 0 || cz__static_failed(f)) {
    /* The head promised a Content-Length this body can no longer meet (the file shrank,
     * a read failed) or memory ran out: closing is the only honest end. */
    cz_log(set->log, "static file %s; closing the connection", rc != 0 ? "out of memory" : "read failed or shrank");
    cz__conn_close(c);
    return;
  }
  if (!cz__static_more(f)) {
    int status = cz__static_status(f);
    s->file = NULL;
    cz__static_cancel(f); /* its fd is closed already: this frees it */
    cz__conn_rendered(c, s, 0, status, mark);
    return;
  }
  s->sent += cz__conn_mark(c, s) - mark;
  if (s == c->head)
    cz__conn_mark_dirty(c); /* its flush asks for the next chunk (cz__conn_static_pump) */
}

/* A request no route took: is it under a static mount? Then it is answered from there
 * (405 for a method other than GET and HEAD) and this returns 1. */
static int cz__conn_static(cz_conn_t* c, cz_slot_t* s) {
  cz_conn_set_t* set = c->set;
  cz_parser_t* p = &c->parser;
  const cz_req_t* r = &p->req;
  unsigned method = p->ll.method;
  int mount;
  int rc;

  if (set->statics == NULL || r->asterisk || p->hbuf.base == NULL)
    return 0;
  mount = cz__mount_match(set->statics, p->hbuf.base, r->path_len);
  if (mount < 0)
    return 0;
  if (method != HTTP_GET && method != HTTP_HEAD) {
    cz__conn_settle_error(c, s, 405, CZ_METHOD_BIT(HTTP_GET) | CZ_METHOD_BIT(HTTP_HEAD), NULL);
    return 1;
  }
  rc = cz__static_start(set->statics, mount, set->loop, p->hbuf.base, r->path_len, p->hbuf.base, r->url_len,
                        p->hbuf.base + r->url_len, p->hbuf.len - r->url_len, method == HTTP_HEAD,
                        cz__conn_static_ready, c, s, &s->file);
  if (rc < 0) {
    cz__conn_settle_error(c, s, rc == -404 ? 404 : 503, 0, NULL);
    return 1;
  }
  s->state = CZ_SLOT_FILE;
  if (rc == CZ_STATIC_NOW)
    cz__conn_static_ready(s->file, c, s); /* cached: answered in this turn, no thread */
  return 1;
}

/* ---- parsing: the parser's hooks and the feed loop ----------------------------------- */

/* The access log's part of the head: method, path, start time. 0, or -1 out of memory. */
static int cz__slot_alog_head(cz_slot_t* s, const cz_parser_t* p) {
  s->method = (int16_t)p->ll.method;
  s->start_ns = uv_hrtime();
  if (p->req.path_len > 0) {
    s->path = malloc(p->req.path_len);
    if (s->path == NULL)
      return -1;
    memcpy(s->path, p->hbuf.base, p->req.path_len);
    s->path_len = (uint32_t)p->req.path_len;
  }
  return 0;
}

static int cz__conn_on_head(cz_parser_t* p) {
  cz_conn_t* c = cz_container_of(p, cz_conn_t, parser);
  const llhttp_t* ll = &p->ll;
  cz_slot_t* s;

  cz__conn_timer_update(c); /* the head is done: the body timer takes over */
  s = cz__slot_new(c);
  if (s == NULL)
    return 503;
  c->cur_slot = s;
  p->req.id = s->id;
  if (c->set->alog != NULL && cz__slot_alog_head(s, p) != 0)
    return 503;
  if (ll->method == HTTP_HEAD)
    s->flags |= CZ_SF_HEAD;
  if (ll->http_major == 1 && ll->http_minor == 0)
    s->flags |= CZ_SF_HTTP10;
  /* An upgrade (or CONNECT) is answered like any request, then the connection ends. */
  if (ll->upgrade || !cz__parse_keep_alive(p) || c->last || c->set->going_away)
    s->flags |= CZ_SF_CLOSE;
  else if (ll->http_major == 1 && ll->http_minor == 0)
    s->flags |= CZ_SF_KA10;
  if (p->req.expect == 1 && p->req.has_body) {
    s->flags |= CZ_SF_CONTINUE;
    cz__conn_continue(c); /* at once if nothing is pending before it */
    if (c->closing)
      return 503;
  }
  if (p->req.stream) {
    /* JS takes the request now, before its body (cz__conn_stream_start), outside llhttp. */
    c->pause_reason = CZ_PAUSE_STREAM;
    return CZ_HEAD_PAUSE;
  }
  return 0;
}

/* A streamed request's head is done: it joins the batch now, and its body follows. 0, or
 * nonzero when the connection stopped (rejected). */
static int cz__conn_stream_start(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;
  cz_parser_t* p = &c->parser;
  cz_slot_t* s = c->cur_slot;
  uint32_t ctx;

  CZ_ASSERT(s != NULL && p->req.stream && p->req.route >= 0);
  if (set->batch->n > 0 && !cz__batch_fits(set->batch, cz__parse_arena_bytes(p))) {
    cz__batch_run(set->batch);
    if (c->closing || c->stop_parse)
      return 1;
  }
  if (!cz__batch_fits(set->batch, cz__parse_arena_bytes(p))) {
    cz__conn_reject(c, 431); /* reqData is smaller than this head */
    return 1;
  }
  if (cz__batch_add(set->batch, p, c, s, !(s->flags & CZ_SF_CLOSE), &ctx) != 0) {
    cz_log(set->log, "out of request contexts; answering 503");
    cz__conn_reject(c, 503);
    return 1;
  }
  s->state = CZ_SLOT_JS;
  s->ctx = ctx;
  s->sctx = ctx;
  s->sgen = cz__batch_gen(set->batch, ctx);
  s->flags |= CZ_SF_STREAM;
  return 0;
}

/* A streamed request's body is complete: JS gets its last bytes and the end before the
 * next request is parsed. 0 to keep parsing, or nonzero with c->pause_reason set. */
static int cz__conn_stream_end(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;
  cz_slot_t* s = c->cur_slot;
  int close;

  CZ_ASSERT(s != NULL && (s->flags & CZ_SF_STREAM));
  close = (s->flags & CZ_SF_CLOSE) != 0;
  if (close)
    c->stop_parse = 1; /* bytes after a closing request are never parsed */
  /* The request may still sit in a batch that has not run: JS must hold it first. An
   * answer it gives there is not an early one (BODY_IN); one that frees the slot ends its
   * body with ABORT (cz__slot_free), and then c->cur_slot is no longer s. */
  s->flags |= CZ_SF_BODY_IN;
  cz__batch_run(set->batch);
  if (!c->closing && c->cur_slot == s)
    cz__conn_stream_push(c, CZ_BODY_END);
  if (close || c->stop_parse || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return 1;
  }
  if (c->nslots >= set->limits->max_pipelined) {
    c->read_block |= CZ_RB_PIPELINE;
    c->pause_reason = CZ_PAUSE_PIPELINE;
    return 1;
  }
  return 0;
}

/* Finishes the request parsed last: answers it in C or adds it to the batch. Returns 0
 * to keep parsing, or nonzero with c->pause_reason set. */
static int cz__conn_complete(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;
  cz_parser_t* p = &c->parser;
  const cz_req_t* r = &p->req;
  cz_slot_t* s = c->cur_slot;
  const char* bad;
  uint32_t ctx;
  int close;

  if (s == NULL || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return 1;
  }
  c->cur_slot = NULL;
  close = (s->flags & CZ_SF_CLOSE) != 0;
  if (close)
    c->stop_parse = 1; /* bytes after a closing request are never parsed */

  if (set->health != NULL && cz__conn_is_health(c)) {
    cz__conn_settle_health(c, s);
  } else if (r->asterisk) {
    cz__conn_settle_options(c, s);
  } else if (r->route < 0 && (bad = cz__parse_param_error(p)) != NULL) {
    cz__conn_settle_error(c, s, 400, 0, bad);
  } else if (((r->route < 0 && r->allow == 0) || r->not_found) && cz__conn_static(c, s)) {
    /* a static mount's: answered from cz_static.c, never by JS. Routes come first, then
     * static mounts, then the app's notFound (a missing file under a mount is C's 404). */
  } else if (r->route < 0) {
    cz__conn_settle_error(c, s, r->allow ? 405 : 404, r->allow, NULL);
  } else if (r->table->routes[r->route].kind == CZ_KIND_CONST) {
    cz__conn_settle_const(c, s, &r->table->routes[r->route]);
  } else if (!cz__batch_fits(set->batch, cz__batch_need(set->batch, p))) {
    /* Cannot fit even an empty batch (cz__conn_on_complete ran a fuller one first):
     * reqData is smaller than this head. */
    CZ_ASSERT(set->batch->n == 0);
    s->flags |= CZ_SF_CLOSE;
    c->stop_parse = 1;
    close = 1;
    cz__conn_settle_error(c, s, 431, 0, NULL);
  } else if (cz__batch_add(set->batch, p, c, s, !(s->flags & CZ_SF_CLOSE), &ctx) != 0) {
    cz_log(set->log, "out of request contexts; answering 503");
    cz__conn_settle_error(c, s, 503, 0, NULL);
  } else {
    s->state = CZ_SLOT_JS;
    s->ctx = ctx;
  }
  free(cz__parse_take_body(p)); /* a body no batch took */

  if (close || c->stop_parse || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return 1;
  }
  if (c->nslots >= set->limits->max_pipelined) {
    c->read_block |= CZ_RB_PIPELINE;
    c->pause_reason = CZ_PAUSE_PIPELINE;
    return 1;
  }
  return 0;
}

static int cz__conn_on_complete(cz_parser_t* p) {
  cz_conn_t* c = cz_container_of(p, cz_conn_t, parser);
  const cz_req_t* r = &p->req;

  if (c->cur_slot != NULL && (c->cur_slot->flags & CZ_SF_STREAM)) {
    c->pause_reason = CZ_PAUSE_STREAM_END; /* cz__conn_stream_end, outside llhttp */
    return 1;
  }

  if (c->cur_slot != NULL && r->route >= 0 && r->table->routes[r->route].kind != CZ_KIND_CONST &&
      c->set->batch->n > 0 && !cz__batch_fits(c->set->batch, cz__batch_need(c->set->batch, p))) {
    /* Run the batch first (outside llhttp), then come back for this request. */
    c->pause_reason = CZ_PAUSE_BATCH;
    return 1;
  }
  return cz__conn_complete(c);
}

static const cz_parse_hooks_t cz__conn_parse_hooks = {cz__conn_on_head, cz__conn_on_complete};

/* Keeps unparsed bytes for later (the parser paused on backpressure). */
static void cz__conn_park(cz_conn_t* c, const char* data, size_t len) {
  c->pend.len = 0;
  if (cz_buf_append(&c->pend, data, len) != 0) {
    cz_log(c->set->log, "out of memory parking input; closing the connection");
    cz__conn_close(c);
  }
}

/* Parses bytes until consumed, paused on backpressure (the rest is parked in c->pend),
 * or the connection stops parsing. */
static void cz__conn_parse(cz_conn_t* c, const char* data, size_t len) {
  while (len > 0 && !c->stop_parse && !c->closing) {
    size_t used;
    int rc = cz__parse_execute(&c->parser, data, len, &used);
    int reason;

    data += used;
    len -= used;
    if (rc == CZ_PARSE_DONE)
      return;
    if (rc == CZ_PARSE_UPGRADE) {
      /* The request was answered/queued with Connection: close; nothing more to parse. */
      c->stop_parse = 1;
      return;
    }
    if (rc != CZ_PARSE_PAUSED) {
      cz__conn_reject(c, rc);
      return;
    }
    reason = c->pause_reason;
    c->pause_reason = CZ_PAUSE_NONE;
    if (reason == CZ_PAUSE_STREAM) {
      if (cz__conn_stream_start(c) == 0)
        continue;
      return;
    }
    if (reason == CZ_PAUSE_STREAM_END) {
      if (cz__conn_stream_end(c) == 0)
        continue;
      reason = c->pause_reason;
      c->pause_reason = CZ_PAUSE_NONE;
    }
    if (reason == CZ_PAUSE_BATCH) {
      cz__batch_run(c->set->batch);
      if (c->closing)
        return;
      if (cz__conn_complete(c) == 0)
        continue;
      reason = c->pause_reason;
      c->pause_reason = CZ_PAUSE_NONE;
    }
    if (reason == CZ_PAUSE_PIPELINE && !c->stop_parse && len > 0)
      cz__conn_park(c, data, len);
    return; /* CZ_PAUSE_STOP: the rest of the input is ignored */
  }
}

/* Parses `len` bytes, dispatches the batch they completed (one crossing into JS), then
 * writes: writes wait (defer) until the batch's answers, sync and async, are all queued. */
static void cz__conn_feed(cz_conn_t* c, const char* base, size_t len) {
  cz_conn_set_t* set = c->set;

  set->defer++;
  cz__conn_parse(c, base, len);
  cz__batch_run(set->batch);
  /* A streamed body's bytes of this read, now that JS holds its request. */
  if (!c->closing)
    cz__conn_stream_push(c, CZ_BODY_DATA);
  set->defer--;
  cz__conn_flush_all(set);
  if (!c->closing) {
    cz__conn_read_update(c);
    cz__conn_timer_update(c);
  }
}

/* ---- reading ------------------------------------------------------------------------ */

static void cz__alloc_cb(uv_handle_t* h, size_t hint, uv_buf_t* buf) {
  cz_conn_t* c = h->data;
  (void)hint;
  /* One buffer per server: a read callback parses (or parks) all of it before returning. */
  buf->base = c->set->read_buf;
  buf->len = sizeof(c->set->read_buf);
}

/* The client closed its side: what is already rendered is still written, requests still
 * waiting on JS are dropped (their contexts go stale), then the connection closes. */
static void cz__conn_eof(cz_conn_t* c) {
  cz_slot_t* s;

  /* A file being sent is finished too: C alone produces it, nothing waits on JS. */
  for (s = c->head; s != NULL && (s->state == CZ_SLOT_READY || s->state == CZ_SLOT_FILE); s = s->next) {
  }
  cz__conn_stop(c, s, CZ_STOP_EOF);
  cz__conn_check_done(c);
  if (!c->closing)
    cz__conn_timer_update(c);
}

static void cz__read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  cz_conn_t* c = stream->data;

  if (nread == 0)
    return;
  if (c->lingering) {
    if (nread < 0 || (c->linger_bytes += (size_t)nread) > CZ_LINGER_BYTES)
      cz__conn_close(c);
    return;
  }
  if (nread < 0) {
    if (nread == UV_EOF)
      cz__conn_eof(c);
    else
      cz__conn_close(c);
    return;
  }
  if (c->timer_mode == CZ_TIMER_BODY)
    c->timer_mode = CZ_TIMER_NONE; /* progress: the update below restarts it */
  cz__conn_feed(c, buf->base, (size_t)nread);
}

static void cz__conn_resume(cz_conn_t* c) {
  cz_buf_t in = c->pend;

  if (c->closing)
    return;
  /* Parse from a detached copy: parking again appends to a fresh c->pend. */
  c->pend.base = NULL;
  c->pend.len = 0;
  c->pend.cap = 0;
  cz__conn_feed(c, in.base, in.len);
  cz_buf_free(&in);
}

static void cz__resume_cb(uv_idle_t* h) {
  cz_conn_set_t* set = h->data;

  cz__conn_deliver_events(set);
  set->defer++;
  while (!cz_list_empty(&set->resume)) {
    cz_list_t* n = set->resume.next;
    cz_list_remove(n);
    cz__conn_resume(cz_container_of(n, cz_conn_t, resume_node));
  }
  set->defer--;
  cz__conn_flush_all(set);
  if (cz_list_empty(&set->resume) && set->nevents == 0) {
    uv_idle_stop(h);
    set->resumer_on = 0;
  }
}

/* Parsing parked bytes can call into JS, so it never happens inside a caller's stack
 * (respond() is called from JS): an idle handle picks it up on the next loop turn. */
static void cz__conn_want_resume(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;
  if (set->stopped || !cz_list_empty(&c->resume_node))
    return;
  cz_list_push(&set->resume, &c->resume_node);
  if (!set->resumer_on) {
    uv_idle_start(&set->resumer, cz__resume_cb);
    set->resumer_on = 1;
  }
}

static void cz__conn_read_update(cz_conn_t* c) {
  int want;

  if (c->closing || c->lingering)
    return;
  want = !c->stop_parse && !c->draining && c->read_block == 0 && c->pend.len == 0;
  if (want && !c->reading) {
    if (uv_read_start((uv_stream_t*)&c->tcp, cz__alloc_cb, cz__read_cb) != 0) {
      cz__conn_close(c);
      return;
    }
    c->reading = 1;
  } else if (!want && c->reading) {
    uv_read_stop((uv_stream_t*)&c->tcp);
    c->reading = 0;
  }
  if (!c->stop_parse && c->read_block == 0 && c->pend.len > 0)
    cz__conn_want_resume(c);
}

/* ---- timers ------------------------------------------------------------------------ */

/* Bytes written that the client has not acknowledged: libuv's queue plus, where the OS
 * tells, the kernel's send queue. libuv alone is too coarse: the kernel wakes a writer
 * only once much of a large send buffer has drained, so a slow but steady reader can go
 * seconds without libuv moving a byte. Called only when the send timer fires. */
static size_t cz__conn_unacked(cz_conn_t* c) {
  size_t n = uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp);
#if defined(SIOCOUTQ)
  uv_os_fd_t fd;
  int q;
  if (uv_fileno((uv_handle_t*)&c->tcp, &fd) == 0 && ioctl(fd, SIOCOUTQ, &q) == 0 && q > 0)
    n += (size_t)q;
#endif
  return n;
}

static void cz__timer_cb(uv_timer_t* t);

/* Sets the current mode's deadline ms from now. The uv timer is touched only when it is not
 * running or due after the new deadline: deadlines mostly move later (each request pushes
 * them), so a busy connection costs no timer-heap operation per request; an early firing
 * re-arms for what is left (cz__timer_cb). */
static void cz__timer_arm(cz_conn_t* c, uint64_t ms) {
  uint64_t now = uv_now(c->set->loop);
  c->deadline = now + ms;
  if (uv_is_active((uv_handle_t*)&c->timer) && now + uv_timer_get_due_in(&c->timer) <= c->deadline)
    return;
  uv_timer_start(&c->timer, cz__timer_cb, ms, 0);
}

static void cz__timer_cb(uv_timer_t* t) {
  cz_conn_t* c = t->data;
  int mode = c->timer_mode;
  uint64_t now = uv_now(c->set->loop);

  if (mode == CZ_TIMER_NONE)
    return; /* the mode ended since the timer was armed: nothing to do */
  if (mode == CZ_TIMER_LINGER) {
    cz__conn_close(c);
    return;
  }
  if (now < c->deadline) {
    /* the deadline moved: wait for the rest */
    uv_timer_start(t, cz__timer_cb, c->deadline - now, 0);
    return;
  }
  c->timer_mode = CZ_TIMER_NONE;
  if (mode == CZ_TIMER_SEND && c->writing) {
    size_t left = cz__conn_unacked(c);
    if (left < c->send_mark) {
      /* Progress since the last look (or the first look at this write: sampling when a
       * write starts would cost a syscall per write). A client is thus closed between
       * one and two periods after its last progress. */
      c->send_mark = left;
      c->timer_mode = CZ_TIMER_SEND;
      cz__timer_arm(c, c->set->limits->send_timeout_ms);
      return;
    }
    /* The client stopped reading: what it would get is lost either way, and holding it
     * pins the responses (and, through backpressure, the connection) forever. */
    cz__conn_close(c);
    return;
  }
  if ((mode == CZ_TIMER_HEADERS && c->parser.msg == CZ_MSG_HEAD && !c->stop_parse) ||
      (mode == CZ_TIMER_BODY && c->parser.msg == CZ_MSG_BODY && !c->stop_parse))
    cz__conn_reject(c, 408);
  else if (mode == CZ_TIMER_IDLE)
    cz__conn_close(c);
}

/* A head or body deadline of ms (0 = none), shortened to what is left of the whole
 * request's requestTimeoutMs: each read restarts the body timer, this one never. */
static uint64_t cz__request_ms(cz_conn_t* c, uint64_t ms) {
  uint32_t limit = c->set->limits->request_timeout_ms;
  uint64_t now;
  uint64_t left;

  if (limit == 0)
    return ms;
  now = uv_now(c->set->loop);
  left = c->parser.req.start + limit > now ? c->parser.req.start + limit - now : 1;
  return ms == 0 || left < ms ? left : ms;
}

static void cz__conn_timer_update(cz_conn_t* c) {
  const cz_limits_t* l = c->set->limits;
  uint64_t ms = 0;
  int mode = CZ_TIMER_NONE;

  if (c->closing || c->lingering)
    return;
  if (c->writing && (c->parser.msg == CZ_MSG_IDLE || c->stop_parse || c->read_block != 0)) {
    /* Responses are on their way and we are not waiting on request bytes (or cannot
     * read them): what the connection waits for is the client reading. */
    mode = CZ_TIMER_SEND;
    ms = l->send_timeout_ms;
  } else if (c->parser.msg == CZ_MSG_HEAD && !c->stop_parse) {
    mode = CZ_TIMER_HEADERS;
    ms = cz__request_ms(c, l->headers_timeout_ms);
  } else if (c->parser.msg == CZ_MSG_BODY && !c->stop_parse && c->read_block == 0 &&
             !(c->cur_slot != NULL &&
               (c->cur_slot->flags & (CZ_SF_CONTINUE | CZ_SF_CONTINUE_SENT)) == CZ_SF_CONTINUE)) {
    /* A body that stops arriving while we are reading (and not holding back a
     * 100 Continue) would pin the connection forever; restarted on every read. */
    mode = CZ_TIMER_BODY;
    ms = cz__request_ms(c, l->headers_timeout_ms);
  } else if (c->parser.msg == CZ_MSG_IDLE && !c->stop_parse && c->nslots == 0 && !c->writing &&
             cz__out_len(&c->out) == 0 && c->pend.len == 0) {
    mode = CZ_TIMER_IDLE;
    ms = l->keep_alive_timeout_ms;
  }
  if (mode == c->timer_mode)
    return;
  if (ms == 0)
    mode = CZ_TIMER_NONE; /* that limit is off; a running uv timer finds nothing to do */
  c->timer_mode = (uint8_t)mode;
  if (mode == CZ_TIMER_NONE)
    return;
  if (mode == CZ_TIMER_SEND)
    c->send_mark = SIZE_MAX; /* not sampled yet: see cz__timer_cb */
  cz__timer_arm(c, ms);
}

/* ---- writing ------------------------------------------------------------------------ */

static void cz__conn_flush_out(cz_conn_t* c);

static void cz__write_cb(uv_write_t* req, int status) {
  cz_conn_t* c = cz_container_of(req, cz_conn_t, wreq);

  c->writing = 0;
  cz__out_reset(&c->wout, CZ_BUF_KEEP);
  if (c->closing)
    return; /* cancelled by uv_close; the close callbacks free c */
  if (status < 0) {
    cz__conn_close(c);
    return;
  }
  if (c->read_block & CZ_RB_WRITE) {
    c->read_block &= ~CZ_RB_WRITE;
    cz__conn_read_update(c);
  }
  if (cz__out_len(&c->out) > 0)
    cz__conn_flush(c);
  else
    cz__conn_check_done(c);
  if (!c->closing)
    cz__conn_static_pump(c);
  if (!c->closing) {
    cz__conn_timer_update(c);
    cz__conn_stream_drain(c);
  }
}

static void cz__conn_flush(cz_conn_t* c) {
  cz__conn_flush_out(c);
  cz__conn_stream_drain(c); /* a stream waiting on what was queued may push again */
}

static void cz__conn_flush_out(cz_conn_t* c) {
  uv_buf_t iov[CZ_OUT_IOV_MAX];
  cz_out_t tmp;
  size_t len;
  size_t done = 0;
  int n;
  int r;

  if (c->closing)
    return;
  len = cz__out_len(&c->out);
  if (c->writing) {
    /* One write in flight at a time; the next one takes everything queued meanwhile. */
    CZ_ASSERT(!cz__out_borrows(&c->out));
    if (len + uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp) >= CZ_WRITE_HIGH &&
        !(c->read_block & CZ_RB_WRITE)) {
      c->read_block |= CZ_RB_WRITE;
      cz__conn_read_update(c);
    }
    return;
  }
  if (len == 0) {
    cz__conn_check_done(c);
    return;
  }
  /* Only one write is in flight, so starting one means the last one completed: progress,
   * and the update at the end restarts the send timer. */
  if (c->timer_mode == CZ_TIMER_SEND)
    c->timer_mode = CZ_TIMER_NONE;
  /* Most responses fit in the socket's send buffer: write them now, without a write
   * request. A uv_write() that completes at once still finishes on the next loop turn, and
   * that completion re-queues the epoll watcher: one epoll_ctl per response, a third of a
   * keep-alive request's syscalls. Only what the socket does not take goes to uv_write. */
  n = cz__out_iov(&c->out, 0, iov);
  r = uv_try_write((uv_stream_t*)&c->tcp, iov, (unsigned int)n);
  if (r < 0 && r != UV_EAGAIN) {
    cz__conn_close(c);
    return;
  }
  if (r > 0)
    done = (size_t)r;
  if (done == len) {
    cz__out_reset(&c->out, CZ_BUF_KEEP);
    cz__conn_check_done(c);
    if (!c->closing)
      cz__conn_static_pump(c);
    if (!c->closing)
      cz__conn_timer_update(c);
    return;
  }
  /* The rest waits for the socket: nothing it holds may be borrowed any more. */
  if (cz__out_pin(&c->out) != 0) {
    cz_log(c->set->log, "out of memory queueing a response; closing the connection");
    cz__conn_close(c);
    return;
  }
  tmp = c->wout;
  c->wout = c->out;
  c->out = tmp;
  CZ_ASSERT(cz__out_len(&c->out) == 0);
  n = cz__out_iov(&c->wout, done, iov);
  r = uv_write(&c->wreq, (uv_stream_t*)&c->tcp, iov, (unsigned int)n, cz__write_cb);
  if (r != 0) {
    cz__conn_close(c);
    return;
  }
  c->writing = 1;
  if (uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp) >= CZ_WRITE_HIGH) {
    c->read_block |= CZ_RB_WRITE;
    cz__conn_read_update(c);
  }
  cz__conn_timer_update(c);
}

/* ---- lifetime --------------------------------------------------------------------- */

cz_conn_t* cz__conn_new(cz_conn_set_t* set) {
  cz_conn_t* c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->set = set;
  c->tcp.data = c;
  c->timer.data = c;
  cz_list_init(&c->node);
  cz_list_init(&c->dirty_node);
  cz_list_init(&c->resume_node);
  uv_tcp_init(set->loop, &c->tcp);
  set->n++;
  return c;
}

uv_tcp_t* cz__conn_tcp(cz_conn_t* c) {
  return &c->tcp;
}

static void cz__refused_close_cb(uv_handle_t* h) {
  cz_conn_t* c = h->data;
  cz_conn_set_t* set = c->set;
  free(c);
  set->n--;
  set->freed(set);
}

void cz__conn_refuse(cz_conn_t* c) {
  uv_close((uv_handle_t*)&c->tcp, cz__refused_close_cb);
}

void cz__conn_start(cz_conn_t* c) {
  cz_conn_set_t* set = c->set;

  cz_list_push(&set->all, &c->node);
  set->nactive++;
  cz__parse_init(&c->parser, set->penv, &cz__conn_parse_hooks);
  c->timer_mode = CZ_TIMER_NONE;
  uv_timer_init(set->loop, &c->timer);
  uv_tcp_nodelay(&c->tcp, 1);
  cz__conn_read_update(c);
  if (!c->closing)
    cz__conn_timer_update(c);
}

static void cz__conn_close_cb(uv_handle_t* h) {
  cz_conn_t* c = h->data;
  cz_conn_set_t* set = c->set;

  if (--c->nclosing > 0)
    return;
  cz__parse_free(&c->parser);
  cz_buf_free(&c->pend);
  cz__out_free(&c->out);
  cz__out_free(&c->wout);
  cz_list_remove(&c->node);
  free(c);
  set->n--;
  set->freed(set);
}

void cz__conn_close(cz_conn_t* c) {
  if (c->closing)
    return;
  c->closing = 1;
  cz__conn_stop(c, c->head, 0);
  cz_list_remove(&c->dirty_node);
  c->set->nactive--;
  c->nclosing = 2;
  uv_close((uv_handle_t*)&c->tcp, cz__conn_close_cb);
  uv_close((uv_handle_t*)&c->timer, cz__conn_close_cb);
}

/* Bytes the kernel has received on the socket that we have not read yet. */
static int cz__conn_input_waiting(cz_conn_t* c) {
#if defined(FIONREAD)
  uv_os_fd_t fd;
  int n = 0;
  if (uv_fileno((uv_handle_t*)&c->tcp, &fd) == 0 && ioctl(fd, FIONREAD, &n) == 0)
    return n > 0;
#else
  (void)c;
#endif
  return 0;
}

/* The server is closing: no new requests; what JS is working on may still finish. A
 * request the client has already sent (partly parsed, or waiting unread in the socket of
 * an otherwise idle connection) is still read and answered, with Connection: close: the
 * client cannot tell a request dropped unread from one that was processed, so it could
 * not safely retry it elsewhere. The header, body and request timers and the grace
 * period still bound how long that takes. */
static void cz__conn_drain(cz_conn_t* c) {
  if (c->closing)
    return;
  if (!c->stop_parse && c->pend.len == 0 &&
      (c->parser.msg != CZ_MSG_IDLE || (c->nslots == 0 && cz__conn_input_waiting(c)))) {
    c->last = 1;
    if (c->cur_slot != NULL)
      c->cur_slot->flags |= CZ_SF_CLOSE;
    return;
  }
  cz__conn_stop(c, c->cur_slot, 0);
  cz__conn_timer_update(c);
  cz__conn_check_done(c);
}

/* ---- the set ------------------------------------------------------------------------ */

void cz__conn_set_init(cz_conn_set_t* set, uv_loop_t* loop, const cz_limits_t* limits,
                       const cz_parse_env_t* penv, cz_batch_t* batch, const cz_log_t* log) {
  memset(set, 0, sizeof(*set));
  set->loop = loop;
  set->limits = limits;
  set->penv = penv;
  set->batch = batch;
  set->log = log;
  batch->settle = cz__conn_settled;
  batch->stream = cz__conn_stream;
  batch->pull = cz__conn_pull;
  cz_list_init(&set->all);
  cz_list_init(&set->dirty);
  cz_list_init(&set->resume);
  uv_idle_init(loop, &set->resumer);
  set->resumer.data = set;
}

void cz__conn_flush_all(cz_conn_set_t* set) {
  if (set->defer > 0)
    return;
  while (!cz_list_empty(&set->dirty)) {
    cz_list_t* n = set->dirty.next;
    cz_list_remove(n);
    cz__conn_flush(cz_container_of(n, cz_conn_t, dirty_node));
  }
}

void cz__conn_close_all(cz_conn_set_t* set) {
  cz_list_t* n;
  /* cz__conn_close() unlinks nothing (the close callback does), so walking is safe. */
  for (n = set->all.next; n != &set->all; n = n->next)
    cz__conn_close(cz_container_of(n, cz_conn_t, node));
}

void cz__conn_set_stop(cz_conn_set_t* set, uint64_t grace_ms) {
  cz_list_t* n;

  set->stopped = 1;
  if (set->resumer_on) {
    uv_idle_stop(&set->resumer);
    set->resumer_on = 0;
  }
  while (!cz_list_empty(&set->resume))
    cz_list_remove(set->resume.next);
  for (n = set->all.next; n != &set->all; n = n->next) {
    cz_conn_t* c = cz_container_of(n, cz_conn_t, node);
    if (grace_ms == 0)
      cz__conn_close(c);
    else
      cz__conn_drain(c);
  }
}

void cz__conn_set_go_away(cz_conn_set_t* set) {
  cz_list_t* n;

  set->going_away = 1; /* requests whose head completes from now on: cz__conn_on_head */
  for (n = set->all.next; n != &set->all; n = n->next) {
    cz_conn_t* c = cz_container_of(n, cz_conn_t, node);
    cz_slot_t* s = c->tail;
    if (c->closing || c->stop_parse)
      continue;
    if (c->cur_slot != NULL) {
      c->cur_slot->flags |= CZ_SF_CLOSE; /* its body is still arriving: read it, answer, close */
    } else if (s != NULL && s->state == CZ_SLOT_JS && c->parser.msg == CZ_MSG_IDLE && c->pend.len == 0) {
      /* Its answer is the last this connection gets (rendered later, with Connection:
       * close). Anything the client pipelines after it stays unread, as after a request
       * that asked for close. */
      s->flags |= CZ_SF_CLOSE;
      c->stop_parse = 1;
      cz__conn_read_update(c);
    }
  }
}

static void cz__conn_set_closed_cb(uv_handle_t* h) {
  cz_conn_set_t* set = h->data;
  set->closed(set); /* may free the set: touch nothing after */
}

void cz__conn_set_close(cz_conn_set_t* set) {
  /* Every connection is gone: the last bodies' readers hear of it now. */
  cz__conn_deliver_events(set);
  free(set->events);
  set->events = NULL;
  set->nevents = set->events_cap = 0;
  uv_close((uv_handle_t*)&set->resumer, cz__conn_set_closed_cb);
}
