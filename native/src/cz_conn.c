/*
 * cz_conn.c: one client connection: read -> llhttp -> match -> pipeline slots -> write.
 *
 * Every request that reaches headers-complete gets a slot at the tail of the connection's
 * pipeline. A response is rendered straight into `out` when its slot is the head (every
 * earlier response has left), else into the slot's own buffer until the earlier ones are
 * done; cz__conn_advance() moves finished slots from the head into `out`. So responses
 * always leave in request order, whatever order JS finishes them in.
 *
 * Parsing lives in cz_parse.c; this file owns the slots, the writes, the timers and the
 * connection's lifetime.
 *
 * Nothing here frees the connection except the handle close callbacks: after
 * cz__conn_close() the struct stays valid (closing = 1) until libuv is done with both
 * handles, so a caller holding `c` across a call that may close it only needs to check
 * c->closing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <linux/sockios.h>
#include <sys/ioctl.h>
#endif

#include "cz_core.h"

/* ---- slots ------------------------------------------------------------------------ */

cz_slot_t* cz__slot_new(cz_conn_t* c) {
  cz_slot_t* s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->ctx = CZ_CTX_NONE;
  s->state = CZ_SLOT_RECV;
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
  if (s->ctx != CZ_CTX_NONE)
    cz_ctx_release(&c->srv->ctxs, s->ctx);
  if (c->cur.slot == s)
    c->cur.slot = NULL;
  cz_buf_free(&s->data);
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
static cz_buf_t* cz__slot_target(cz_conn_t* c, cz_slot_t* s) {
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

void cz__conn_mark_dirty(cz_conn_t* c) {
  cz_server_t* srv = c->srv;
  if (c->closing)
    return;
  if (srv->defer > 0) {
    if (cz_list_empty(&c->dirty_node))
      cz_list_push(&srv->dirty, &c->dirty_node);
    return;
  }
  cz__conn_flush(c);
}

static void cz__timer_arm(cz_conn_t* c, uint64_t ms);
static void cz__alloc_cb(uv_handle_t* h, size_t hint, uv_buf_t* buf);
static void cz__read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

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
  if (c->closing || c->lingering || !c->draining || c->nslots != 0 || c->writing || c->out.len != 0)
    return;
  if (c->linger && !c->eof)
    cz__conn_linger(c);
  else
    cz__conn_close(c);
}

/* Moves every finished response at the head of the pipeline into `out`. */
static void cz__conn_advance(cz_conn_t* c) {
  cz_slot_t* s;
  int moved = 0;

  while ((s = c->head) != NULL && s->state == CZ_SLOT_READY) {
    int close = s->flags & CZ_SF_CLOSE;
    if (s->data.len != 0 && cz_buf_append(&c->out, s->data.base, s->data.len) != 0) {
      cz__server_log(c->srv, "out of memory queueing a response; closing the connection");
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
      c->stop_parse = 1;
      c->draining = 1;
      c->pend.len = 0;
      if (c->head != NULL)
        cz__conn_drop_from(c, c->head);
      break;
    }
  }
  /* The next request in line asked for 100-continue: it may send its body now. */
  s = c->head;
  if (s != NULL && (s->flags & (CZ_SF_CONTINUE | CZ_SF_CONTINUE_SENT)) == CZ_SF_CONTINUE) {
    if (cz_buf_append(&c->out, CZ_HTTP_CONTINUE, sizeof(CZ_HTTP_CONTINUE) - 1) != 0) {
      cz__conn_close(c);
      return;
    }
    s->flags |= CZ_SF_CONTINUE_SENT;
    moved = 1;
  }
  if ((c->read_block & CZ_RB_PIPELINE) && c->nslots < c->srv->limits.max_pipelined) {
    c->read_block &= ~CZ_RB_PIPELINE;
    cz__conn_read_update(c);
  }
  if (moved)
    cz__conn_mark_dirty(c);
  else
    cz__conn_check_done(c);
}

/* A response was rendered for s (rc from the renderer). */
static void cz__conn_rendered(cz_conn_t* c, cz_slot_t* s, int rc) {
  if (rc != 0) {
    cz__server_log(c->srv, "out of memory rendering a response; closing the connection");
    cz__conn_close(c);
    return;
  }
  s->state = CZ_SLOT_READY;
  cz__conn_advance(c);
}

void cz__conn_settle_error(cz_conn_t* c, cz_slot_t* s, int status, uint64_t allow, const char* json) {
  cz_server_t* srv = c->srv;
  int rc;
  cz_date_update(&srv->date);
  rc = cz_http_render_error(cz__slot_target(c, s), &srv->date, status, cz__slot_connhdr(c, s),
                            s->flags & CZ_SF_HEAD, allow, json);
  cz__conn_rendered(c, s, rc);
}

void cz__conn_settle_js(cz_conn_t* c, cz_slot_t* s, const cz_resp_t* in, int close) {
  cz_server_t* srv = c->srv;
  cz_resp_t r;
  int rc;

  if (c->closing)
    return;
  if (close)
    s->flags |= CZ_SF_CLOSE;
  /* A final response from a handler is 2xx..9xx; 1xx here would desync the client. */
  if (in == NULL || in->status < 200 || in->status > 999) {
    if (in != NULL)
      cz__server_log(srv, "handler returned invalid status %d; answering 500", in->status);
    cz__conn_settle_error(c, s, 500, 0, NULL);
    return;
  }
  r = *in;
  r.connhdr = cz__slot_connhdr(c, s);
  r.omit_body = s->flags & CZ_SF_HEAD;
  cz_date_update(&srv->date);
  rc = cz_http_render(cz__slot_target(c, s), &srv->date, &r);
  cz__conn_rendered(c, s, rc);
}

void cz__conn_settle_const(cz_conn_t* c, cz_slot_t* s, const cz_route_t* route) {
  cz_server_t* srv = c->srv;
  int rc;
  cz_date_update(&srv->date);
  rc = cz_http_render_const(cz__slot_target(c, s), &srv->date, route->const_response,
                            route->const_len, cz__slot_connhdr(c, s), s->flags & CZ_SF_HEAD);
  cz__conn_rendered(c, s, rc);
}

/* Answers the request being parsed (or a new slot) with an error and stops parsing. */
void cz__conn_reject(cz_conn_t* c, int status) {
  cz_slot_t* s;

  if (c->closing)
    return;
  c->stop_parse = 1;
  c->linger = 1;
  c->pend.len = 0;
  c->msg = CZ_MSG_IDLE;
  s = c->cur.slot;
  c->cur.slot = NULL;
  free(c->cur.body);
  c->cur.body = NULL;
  if (s == NULL)
    s = cz__slot_new(c);
  if (s == NULL) {
    cz__conn_close(c);
    return;
  }
  s->flags |= CZ_SF_CLOSE;
  s->flags &= ~CZ_SF_CONTINUE;
  s->state = CZ_SLOT_RECV;
  cz__conn_read_update(c);
  cz__conn_settle_error(c, s, status, 0, NULL);
  if (!c->closing)
    cz__conn_timer_update(c);
}

/* ---- libuv callbacks ------------------------------------------------------------------ */

static void cz__alloc_cb(uv_handle_t* h, size_t hint, uv_buf_t* buf) {
  cz_conn_t* c = h->data;
  (void)hint;
  /* One buffer per server: a read callback parses (or parks) all of it before returning. */
  buf->base = c->srv->read_buf;
  buf->len = sizeof(c->srv->read_buf);
}

/* The client closed its side: what is already rendered is still written, requests still
 * waiting on JS are dropped (their contexts go stale), then the connection closes. */
static void cz__conn_eof(cz_conn_t* c) {
  cz_slot_t* s;

  c->eof = 1;
  c->stop_parse = 1;
  c->draining = 1;
  c->pend.len = 0;
  c->msg = CZ_MSG_IDLE;
  for (s = c->head; s != NULL && s->state == CZ_SLOT_READY; s = s->next) {
  }
  if (s != NULL)
    cz__conn_drop_from(c, s);
  cz__conn_read_update(c);
  cz__conn_check_done(c);
  if (!c->closing)
    cz__conn_timer_update(c);
}

/* Parses `len` bytes, dispatches the batch they completed (one crossing into JS), then
 * writes: writes wait (defer) until the batch's answers, sync and async, are all queued. */
static void cz__conn_feed(cz_conn_t* c, const char* base, size_t len) {
  cz_server_t* srv = c->srv;

  srv->defer++;
  cz__parse_feed(c, base, len);
  cz__server_run_batch(srv);
  srv->defer--;
  cz__server_flush(srv);
  if (!c->closing) {
    cz__conn_read_update(c);
    cz__conn_timer_update(c);
  }
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

void cz__conn_resume(cz_conn_t* c) {
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

void cz__conn_read_update(cz_conn_t* c) {
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
    cz__server_want_resume(c->srv, c);
}

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
  uint64_t now = uv_now(c->srv->loop);
  c->deadline = now + ms;
  if (uv_is_active((uv_handle_t*)&c->timer) && now + uv_timer_get_due_in(&c->timer) <= c->deadline)
    return;
  uv_timer_start(&c->timer, cz__timer_cb, ms, 0);
}

static void cz__timer_cb(uv_timer_t* t) {
  cz_conn_t* c = t->data;
  int mode = c->timer_mode;
  uint64_t now = uv_now(c->srv->loop);

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
      cz__timer_arm(c, c->srv->limits.send_timeout_ms);
      return;
    }
    /* The client stopped reading: what it would get is lost either way, and holding it
     * pins the responses (and, through backpressure, the connection) forever. */
    cz__conn_close(c);
    return;
  }
  if ((mode == CZ_TIMER_HEADERS && c->msg == CZ_MSG_HEAD && !c->stop_parse) ||
      (mode == CZ_TIMER_BODY && c->msg == CZ_MSG_BODY && !c->stop_parse))
    cz__conn_reject(c, 408);
  else if (mode == CZ_TIMER_IDLE)
    cz__conn_close(c);
}

/* A head or body deadline of ms (0 = none), shortened to what is left of the whole
 * request's requestTimeoutMs: each read restarts the body timer, this one never. */
static uint64_t cz__request_ms(cz_conn_t* c, uint64_t ms) {
  uint32_t limit = c->srv->limits.request_timeout_ms;
  uint64_t now;
  uint64_t left;

  if (limit == 0)
    return ms;
  now = uv_now(c->srv->loop);
  left = c->req_start + limit > now ? c->req_start + limit - now : 1;
  return ms == 0 || left < ms ? left : ms;
}

void cz__conn_timer_update(cz_conn_t* c) {
  const cz_limits_t* l = &c->srv->limits;
  uint64_t ms = 0;
  int mode = CZ_TIMER_NONE;

  if (c->closing || c->lingering)
    return;
  if (c->writing && (c->msg == CZ_MSG_IDLE || c->stop_parse || c->read_block != 0)) {
    /* Responses are on their way and we are not waiting on request bytes (or cannot
     * read them): what the connection waits for is the client reading. */
    mode = CZ_TIMER_SEND;
    ms = l->send_timeout_ms;
  } else if (c->msg == CZ_MSG_HEAD && !c->stop_parse) {
    mode = CZ_TIMER_HEADERS;
    ms = cz__request_ms(c, l->headers_timeout_ms);
  } else if (c->msg == CZ_MSG_BODY && !c->stop_parse && c->read_block == 0 &&
             !(c->cur.slot != NULL &&
               (c->cur.slot->flags & (CZ_SF_CONTINUE | CZ_SF_CONTINUE_SENT)) == CZ_SF_CONTINUE)) {
    /* A body that stops arriving while we are reading (and not holding back a
     * 100 Continue) would pin the connection forever; restarted on every read. */
    mode = CZ_TIMER_BODY;
    ms = cz__request_ms(c, l->headers_timeout_ms);
  } else if (c->msg == CZ_MSG_IDLE && !c->stop_parse && c->nslots == 0 && !c->writing &&
             c->out.len == 0 && c->pend.len == 0) {
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

static void cz__write_cb(uv_write_t* req, int status) {
  cz_conn_t* c = cz_container_of(req, cz_conn_t, wreq);

  c->writing = 0;
  cz_buf_reset(&c->wout, CZ_BUF_KEEP);
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
  if (c->out.len > 0)
    cz__conn_flush(c);
  else
    cz__conn_check_done(c);
  if (!c->closing)
    cz__conn_timer_update(c);
}

void cz__conn_flush(cz_conn_t* c) {
  cz_buf_t tmp;
  uv_buf_t b;
  size_t done = 0;
  int r;

  if (c->closing)
    return;
  if (c->writing) {
    /* One write in flight at a time; the next one takes everything queued meanwhile. */
    if (c->out.len + uv_stream_get_write_queue_size((uv_stream_t*)&c->tcp) >= CZ_WRITE_HIGH &&
        !(c->read_block & CZ_RB_WRITE)) {
      c->read_block |= CZ_RB_WRITE;
      cz__conn_read_update(c);
    }
    return;
  }
  if (c->out.len == 0) {
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
  b = uv_buf_init(c->out.base, (unsigned int)c->out.len);
  r = uv_try_write((uv_stream_t*)&c->tcp, &b, 1);
  if (r < 0 && r != UV_EAGAIN) {
    cz__conn_close(c);
    return;
  }
  if (r > 0)
    done = (size_t)r;
  if (done == c->out.len) {
    cz_buf_reset(&c->out, CZ_BUF_KEEP);
    cz__conn_check_done(c);
    cz__conn_timer_update(c);
    return;
  }
  tmp = c->wout;
  c->wout = c->out;
  c->out = tmp;
  c->out.len = 0;
  b = uv_buf_init(c->wout.base + done, (unsigned int)(c->wout.len - done));
  r = uv_write(&c->wreq, (uv_stream_t*)&c->tcp, &b, 1, cz__write_cb);
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

int cz_conn_start(cz_server_t* srv, cz_conn_t* c) {
  c->srv = srv;
  c->tcp.data = c;
  c->timer.data = c;
  cz_list_init(&c->dirty_node);
  cz_list_init(&c->resume_node);
  llhttp_init(&c->parser, HTTP_REQUEST, &srv->settings);
  /* Whether a connection persists is ours to decide (cz__keep_alive reads Connection with
   * the whitespace llhttp's token match misses), and no byte after a closing request is
   * parsed (stop_parse). So llhttp must not refuse the next request on its own reading. */
  llhttp_set_lenient_keep_alive(&c->parser, 1);
  c->parser.data = c;
  c->cur.route = -1;
  c->timer_mode = CZ_TIMER_NONE;
  c->deadline = 0;
  uv_timer_init(srv->loop, &c->timer);
  uv_tcp_nodelay(&c->tcp, 1);
  cz__conn_read_update(c);
  if (!c->closing)
    cz__conn_timer_update(c);
  return 0;
}

static void cz__conn_close_cb(uv_handle_t* h) {
  cz_conn_t* c = h->data;
  cz_server_t* srv = c->srv;

  if (--c->nclosing > 0)
    return;
  cz_buf_free(&c->hbuf);
  cz_buf_free(&c->pend);
  cz_buf_free(&c->out);
  cz_buf_free(&c->wout);
  free(c->cur.body);
  cz_list_remove(&c->node);
  free(c);
  cz__server_conn_freed(srv);
}

void cz__conn_close(cz_conn_t* c) {
  cz_server_t* srv = c->srv;

  if (c->closing)
    return;
  c->closing = 1;
  c->stop_parse = 1;
  if (c->head != NULL)
    cz__conn_drop_from(c, c->head);
  free(c->cur.body);
  c->cur.body = NULL;
  cz_list_remove(&c->dirty_node);
  cz_list_remove(&c->resume_node);
  srv->nactive--;
  c->nclosing = 2;
  uv_close((uv_handle_t*)&c->tcp, cz__conn_close_cb);
  uv_close((uv_handle_t*)&c->timer, cz__conn_close_cb);
}

/* The server is closing: no new requests; what JS is working on may still finish. */
void cz__conn_drain(cz_conn_t* c) {
  if (c->closing)
    return;
  c->stop_parse = 1;
  c->draining = 1;
  cz_buf_reset(&c->pend, 0);
  if (c->cur.slot != NULL)
    cz__conn_drop_from(c, c->cur.slot);
  free(c->cur.body);
  c->cur.body = NULL;
  c->msg = CZ_MSG_IDLE;
  cz_list_remove(&c->resume_node);
  cz__conn_read_update(c);
  cz__conn_timer_update(c);
  cz__conn_check_done(c);
}
