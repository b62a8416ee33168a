/*
 * cz_conn.c: one client connection: read -> llhttp -> match -> pipeline slots -> write.
 *
 * Every request that reaches headers-complete gets a slot at the tail of the connection's
 * pipeline. A response is rendered straight into `out` when its slot is the head (every
 * earlier response has left), else into the slot's own buffer until the earlier ones are
 * done; cz__conn_advance() moves finished slots from the head into `out`. So responses
 * always leave in request order, whatever order JS finishes them in.
 *
 * Nothing here frees the connection except the handle close callbacks: after
 * cz__conn_close() the struct stays valid (closing = 1) until libuv is done with both
 * handles, so a caller holding `c` across a call that may close it only needs to check
 * c->closing.
 */
#include <stdlib.h>
#include <string.h>

#include "cz_core.h"

static const char cz__continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void cz__conn_read_update(cz_conn_t* c);
static void cz__conn_timer_update(cz_conn_t* c);
static void cz__conn_reject(cz_conn_t* c, int status);
static void cz__conn_feed(cz_conn_t* c, const char* data, size_t len);

/* ---- slots ------------------------------------------------------------------------ */

static cz_slot_t* cz__slot_new(cz_conn_t* c) {
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

static void cz__conn_mark_dirty(cz_conn_t* c) {
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

static void cz__conn_check_done(cz_conn_t* c) {
  if (!c->closing && c->draining && c->nslots == 0 && !c->writing && c->out.len == 0)
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
    if (cz_buf_append(&c->out, cz__continue, sizeof(cz__continue) - 1) != 0) {
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

static void cz__conn_settle_error(cz_conn_t* c, cz_slot_t* s, int status, uint64_t allow) {
  cz_server_t* srv = c->srv;
  int rc;
  cz_date_update(&srv->date);
  rc = cz_http_render_error(cz__slot_target(c, s), &srv->date, status, cz__slot_connhdr(c, s),
                            s->flags & CZ_SF_HEAD, allow);
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
    cz__conn_settle_error(c, s, 500, 0);
    return;
  }
  r = *in;
  r.connhdr = cz__slot_connhdr(c, s);
  r.omit_body = s->flags & CZ_SF_HEAD;
  cz_date_update(&srv->date);
  rc = cz_http_render(cz__slot_target(c, s), &srv->date, &r);
  cz__conn_rendered(c, s, rc);
}

static void cz__conn_settle_const(cz_conn_t* c, cz_slot_t* s, const cz_route_t* route) {
  cz_server_t* srv = c->srv;
  int rc;
  cz_date_update(&srv->date);
  rc = cz_http_render_const(cz__slot_target(c, s), &srv->date, route->const_response,
                            route->const_len, cz__slot_connhdr(c, s), s->flags & CZ_SF_HEAD);
  cz__conn_rendered(c, s, rc);
}

/* ---- the request being parsed ------------------------------------------------------ */

static void cz__req_reset(cz_conn_t* c) {
  free(c->cur.body);
  memset(&c->cur, 0, sizeof(c->cur));
  c->cur.route = -1;
  c->hbuf.len = 0;
}

/* Raw bytes of the request head so far, up to `end` in the current read. */
static int cz__head_check(cz_conn_t* c, const char* end) {
  size_t n = c->cur.head_raw;
  if (c->cur.head_mark != NULL)
    n += (size_t)(end - c->cur.head_mark);
  if (n > c->srv->limits.max_header_bytes) {
    c->reject_status = 431;
    return -1;
  }
  return 0;
}

static int cz__hbuf_append(cz_conn_t* c, const char* at, size_t len) {
  if (cz_buf_append(&c->hbuf, at, len) != 0) {
    c->reject_status = 503;
    return -1;
  }
  return 0;
}

static int cz__on_message_begin(llhttp_t* p) {
  cz_conn_t* c = p->data;
  cz__req_reset(c);
  c->msg = CZ_MSG_HEAD;
  return 0;
}

static int cz__on_method(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  (void)len;
  if (c->cur.head_mark == NULL)
    c->cur.head_mark = at;
  return 0;
}

static int cz__on_url(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  if (c->cur.url_len + len > c->srv->limits.max_url_bytes) {
    c->reject_status = 414;
    return -1;
  }
  if (cz__head_check(c, at + len) != 0 || cz__hbuf_append(c, at, len) != 0)
    return -1;
  c->cur.url_len += len;
  return 0;
}

static int cz__on_url_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  const char* q = c->cur.url_len ? memchr(c->hbuf.base, '?', c->cur.url_len) : NULL;
  c->cur.path_len = q ? (size_t)(q - c->hbuf.base) : c->cur.url_len;
  c->cur.field_off = c->hbuf.len;
  return 0;
}

static int cz__on_header_field(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  size_t i;
  char* dst;

  if (c->msg != CZ_MSG_HEAD) {
    /* Trailers: not kept, but they count against the head limit. */
    c->cur.head_raw += len;
    if (c->cur.head_raw > c->srv->limits.max_header_bytes) {
      c->reject_status = 431;
      return -1;
    }
    return 0;
  }
  if (cz__head_check(c, at + len) != 0 || cz__hbuf_append(c, at, len) != 0)
    return -1;
  dst = c->hbuf.base + c->hbuf.len - len;
  for (i = 0; i < len; i++)
    dst[i] = (char)cz_http_lower[(unsigned char)dst[i]];
  return 0;
}

static int cz__on_header_field_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  const char* name;
  size_t n;

  if (c->msg != CZ_MSG_HEAD)
    return 0;
  if (++c->cur.hdr_count > c->srv->limits.max_header_count) {
    c->reject_status = 431;
    return -1;
  }
  name = c->hbuf.base + c->cur.field_off;
  n = c->hbuf.len - c->cur.field_off;
  c->cur.field_kind = 0;
  if (n == 4 && memcmp(name, "host", 4) == 0)
    c->cur.field_kind = 1;
  else if (n == 6 && memcmp(name, "expect", 6) == 0)
    c->cur.field_kind = 2;
  if (cz__hbuf_append(c, "", 1) != 0)
    return -1;
  c->cur.value_off = c->hbuf.len;
  return 0;
}

static int cz__on_header_value(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  if (c->msg != CZ_MSG_HEAD) {
    c->cur.head_raw += len;
    if (c->cur.head_raw > c->srv->limits.max_header_bytes) {
      c->reject_status = 431;
      return -1;
    }
    return 0;
  }
  /* obs-fold (RFC 9112 5.2): llhttp joins a continuation line to the value. A piece of
   * value that follows one which ended at CR (not at the end of a read) is such a line:
   * reject it rather than let a proxy and us disagree on the headers. */
  if (c->cur.value_cr) {
    c->reject_status = 400;
    return -1;
  }
  if (cz__head_check(c, at + len) != 0 || cz__hbuf_append(c, at, len) != 0)
    return -1;
  {
    const char* e = at + len;
    while (e < c->exec_end && (*e == ' ' || *e == '\t'))
      e++;
    c->cur.value_cr = e < c->exec_end && *e == '\r';
  }
  return 0;
}

static int cz__on_header_value_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  const char* v;
  size_t n;

  if (c->msg != CZ_MSG_HEAD)
    return 0;
  c->cur.value_cr = 0;
  /* llhttp skips leading whitespace; trailing whitespace is ours to trim. */
  while (c->hbuf.len > c->cur.value_off &&
         (c->hbuf.base[c->hbuf.len - 1] == ' ' || c->hbuf.base[c->hbuf.len - 1] == '\t'))
    c->hbuf.len--;
  v = c->hbuf.base + c->cur.value_off;
  n = c->hbuf.len - c->cur.value_off;
  if (c->cur.field_kind == 1) {
    c->cur.has_host = 1;
  } else if (c->cur.field_kind == 2) {
    static const char want[] = "100-continue";
    size_t i;
    int ok = n == sizeof(want) - 1;
    for (i = 0; ok && i < n; i++)
      ok = cz_http_lower[(unsigned char)v[i]] == (unsigned char)want[i];
    /* Any other expectation, or a second Expect line, is one we cannot meet. */
    c->cur.expect = (ok && c->cur.expect == 0) ? 1 : 2;
  }
  if (cz__hbuf_append(c, "", 1) != 0)
    return -1;
  c->cur.field_off = c->hbuf.len;
  return 0;
}

static int cz__on_headers_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  cz_server_t* srv = c->srv;
  const cz_route_table_t* t = srv->table.t;
  cz_req_t* r = &c->cur;
  cz_slot_t* s;
  uint64_t limit;
  int chunked = (p->flags & F_CHUNKED) != 0;
  int has_cl = (p->flags & F_CONTENT_LENGTH) != 0;

  c->msg = CZ_MSG_BODY;
  cz__conn_timer_update(c);

  /* RFC 9112 3.2: a server MUST respond 400 to an HTTP/1.1 request without Host. */
  if (p->http_major == 1 && p->http_minor >= 1 && !r->has_host) {
    c->reject_status = 400;
    return -1;
  }
  /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing cannot be trusted. */
  if (p->http_major == 1 && p->http_minor == 0 && (p->flags & (F_TRANSFER_ENCODING | F_CHUNKED))) {
    c->reject_status = 400;
    return -1;
  }
  if (r->expect == 2) {
    c->reject_status = 417;
    return -1;
  }

  r->m.allow = 0;
  r->m.nparams = 0;
  r->route = t->match(c->hbuf.base ? c->hbuf.base : "", r->path_len, p->method, &r->m);
  if (r->route >= (int)t->nroutes)
    r->route = -1; /* a broken match(): treat as unknown rather than index past the end */
  r->allow = r->route < 0 ? r->m.allow : 0;
  if (r->m.nparams > CZ_MAX_PARAMS)
    r->m.nparams = CZ_MAX_PARAMS;

  limit = srv->limits.max_body_bytes;
  if (r->route >= 0 && t->routes[r->route].body_limit != 0)
    limit = t->routes[r->route].body_limit;
  r->body_limit = limit;
  r->has_body = chunked || (has_cl && p->content_length > 0);
  if (has_cl && p->content_length > limit) {
    c->reject_status = 413;
    return -1;
  }

  s = cz__slot_new(c);
  if (s == NULL) {
    c->reject_status = 503;
    return -1;
  }
  r->slot = s;
  if (p->method == HTTP_HEAD)
    s->flags |= CZ_SF_HEAD;
  /* An upgrade (or CONNECT) is answered like any request, then the connection ends. */
  if (!llhttp_should_keep_alive(p) || p->upgrade)
    s->flags |= CZ_SF_CLOSE;
  else if (p->http_major == 1 && p->http_minor == 0)
    s->flags |= CZ_SF_KA10;

  if (r->route >= 0 && (t->routes[r->route].flags & CZ_ROUTE_BODY) &&
      t->routes[r->route].kind != CZ_KIND_CONST && r->has_body) {
    r->keep_body = 1;
    if (has_cl) {
      r->body = malloc((size_t)p->content_length);
      if (r->body == NULL) {
        c->reject_status = 503;
        return -1;
      }
      r->body_cap = (size_t)p->content_length;
    }
  }

  if (r->expect == 1 && r->has_body) {
    s->flags |= CZ_SF_CONTINUE;
    if (s == c->head) {
      if (cz_buf_append(&c->out, cz__continue, sizeof(cz__continue) - 1) != 0) {
        c->reject_status = 503;
        return -1;
      }
      s->flags |= CZ_SF_CONTINUE_SENT;
      cz__conn_mark_dirty(c);
    }
  }
  return 0;
}

static int cz__on_body(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  cz_req_t* r = &c->cur;

  if (len > r->body_limit - r->body_len) {
    c->reject_status = 413;
    return -1;
  }
  if (r->keep_body) {
    if (r->body_len + len > r->body_cap) {
      /* Chunked: grow geometrically, never past the limit. */
      size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
      char* nb;
      if (cap < r->body_len + len)
        cap = r->body_len + len;
      if (cap > r->body_limit)
        cap = (size_t)r->body_limit;
      nb = realloc(r->body, cap);
      if (nb == NULL) {
        c->reject_status = 503;
        return -1;
      }
      r->body = nb;
      r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, at, len);
  }
  r->body_len += len;
  return 0;
}

/* Does the request fit the current batch (slots and reqData)? */
static int cz__batch_fits(cz_conn_t* c, size_t need) {
  cz_server_t* srv = c->srv;
  return srv->batch.n < srv->batch_max && need <= srv->arenas.req_data_len - srv->batch.data_used;
}

static size_t cz__req_bytes(cz_conn_t* c) {
  const cz_route_t* route = &c->srv->table.t->routes[c->cur.route];
  if (route->flags & CZ_ROUTE_HEADERS)
    return c->hbuf.len;
  return c->cur.url_len;
}

/* Appends the completed request to the batch (it fits: checked by the caller). */
static int cz__conn_enqueue(cz_conn_t* c, cz_slot_t* s) {
  cz_server_t* srv = c->srv;
  cz_req_t* r = &c->cur;
  unsigned i = srv->batch.n;
  size_t need = cz__req_bytes(c);
  size_t off = srv->batch.data_used;
  int with_hdrs = need > r->url_len;
  int32_t* m = srv->arenas.req_meta + (size_t)i * CZ_REQ_STRIDE;
  cz_batch_item_t* it = &srv->batch.items[i];
  uint32_t idx;
  unsigned k;
  int flags = 0;

  if (cz_ctx_acquire(&srv->ctxs, c, s, &idx) != 0)
    return UV_ENOMEM;
  s->state = CZ_SLOT_JS;
  s->ctx = idx;
  /* The URL and the header block are contiguous in hbuf: one copy. */
  memcpy(srv->arenas.req_data + off, c->hbuf.base, need);

  if (!(s->flags & CZ_SF_CLOSE))
    flags |= CZ_REQF_KEEP_ALIVE;
  if (c->parser.http_major == 1 && c->parser.http_minor == 0)
    flags |= CZ_REQF_HTTP10;
  if (r->keep_body)
    flags |= CZ_REQF_BODY;

  m[CZ_REQ_ROUTE] = r->route;
  m[CZ_REQ_CTX] = (int32_t)idx;
  m[CZ_REQ_GEN] = (int32_t)srv->ctxs.items[idx].gen;
  m[CZ_REQ_METHOD] = c->parser.method;
  m[CZ_REQ_URL_OFF] = (int32_t)off;
  m[CZ_REQ_URL_LEN] = (int32_t)r->url_len;
  m[CZ_REQ_PATH_LEN] = (int32_t)r->path_len;
  m[CZ_REQ_HDR_OFF] = with_hdrs ? (int32_t)(off + r->url_len) : -1;
  m[CZ_REQ_HDR_LEN] = with_hdrs ? (int32_t)(need - r->url_len) : 0;
  m[CZ_REQ_HDR_COUNT] = (int32_t)r->hdr_count;
  m[CZ_REQ_FLAGS] = flags;
  m[CZ_REQ_NPARAMS] = r->m.nparams;
  for (k = 0; k < r->m.nparams; k++) {
    m[CZ_REQ_PARAMS + 2 * k] = r->m.params[k][0];
    m[CZ_REQ_PARAMS + 2 * k + 1] = r->m.params[k][1];
  }

  it->ctx = idx;
  it->gen = srv->ctxs.items[idx].gen;
  it->body = NULL;
  it->body_len = 0;
  if (r->keep_body) {
    it->body = r->body;
    it->body_len = r->body_len;
    r->body = NULL;
    srv->batch.has_bodies = 1;
  }
  srv->batch.n++;
  srv->batch.data_used += need;
  return 0;
}

/* Finishes the request parsed last: answers it in C or hands it to the batch. Returns 0
 * to keep parsing, or HPE_PAUSED with c->pause_reason set. */
static int cz__conn_complete(cz_conn_t* c) {
  cz_server_t* srv = c->srv;
  cz_slot_t* s = c->cur.slot;
  int close;

  if (s == NULL || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return HPE_PAUSED;
  }
  c->cur.slot = NULL;
  close = (s->flags & CZ_SF_CLOSE) != 0;
  if (close)
    c->stop_parse = 1; /* bytes after a closing request are never parsed */

  if (c->cur.route < 0) {
    cz__conn_settle_error(c, s, c->cur.allow ? 405 : 404, c->cur.allow);
  } else if (srv->table.t->routes[c->cur.route].kind == CZ_KIND_CONST) {
    cz__conn_settle_const(c, s, &srv->table.t->routes[c->cur.route]);
  } else if (!cz__batch_fits(c, cz__req_bytes(c))) {
    /* Cannot fit even an empty batch: reqData is smaller than this head. */
    s->flags |= CZ_SF_CLOSE;
    c->stop_parse = 1;
    close = 1;
    cz__conn_settle_error(c, s, 431, 0);
  } else if (cz__conn_enqueue(c, s) != 0) {
    cz__server_log(srv, "out of request contexts; answering 503");
    cz__conn_settle_error(c, s, 503, 0);
  }
  free(c->cur.body);
  c->cur.body = NULL;

  if (close || c->stop_parse || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return HPE_PAUSED;
  }
  if (c->nslots >= srv->limits.max_pipelined) {
    c->read_block |= CZ_RB_PIPELINE;
    c->pause_reason = CZ_PAUSE_PIPELINE;
    return HPE_PAUSED;
  }
  return 0;
}

static int cz__on_message_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  cz_server_t* srv = c->srv;

  c->msg = CZ_MSG_IDLE;
  if (c->cur.slot != NULL && c->cur.route >= 0 &&
      srv->table.t->routes[c->cur.route].kind != CZ_KIND_CONST && srv->batch.n > 0 &&
      !cz__batch_fits(c, cz__req_bytes(c))) {
    /* Run the batch first (outside llhttp), then come back for this request. */
    c->pause_reason = CZ_PAUSE_BATCH;
    return HPE_PAUSED;
  }
  return cz__conn_complete(c);
}

void cz_conn_settings(llhttp_settings_t* s) {
  llhttp_settings_init(s);
  s->on_message_begin = cz__on_message_begin;
  s->on_method = cz__on_method;
  s->on_url = cz__on_url;
  s->on_url_complete = cz__on_url_complete;
  s->on_header_field = cz__on_header_field;
  s->on_header_field_complete = cz__on_header_field_complete;
  s->on_header_value = cz__on_header_value;
  s->on_header_value_complete = cz__on_header_value_complete;
  s->on_headers_complete = cz__on_headers_complete;
  s->on_body = cz__on_body;
  s->on_message_complete = cz__on_message_complete;
}

/* ---- parsing loop ----------------------------------------------------------------- */

/* Keeps unparsed bytes for later (the parser paused on backpressure). */
static void cz__conn_park(cz_conn_t* c, const char* data, size_t len) {
  c->pend.len = 0;
  if (cz_buf_append(&c->pend, data, len) != 0) {
    cz__server_log(c->srv, "out of memory parking input; closing the connection");
    cz__conn_close(c);
  }
}

static void cz__conn_feed(cz_conn_t* c, const char* data, size_t len) {
  while (len > 0 && !c->stop_parse && !c->closing) {
    llhttp_errno_t err;
    const char* pos;
    int reason;

    if (c->msg == CZ_MSG_HEAD && c->cur.head_mark != NULL)
      c->cur.head_mark = data;
    c->exec_end = data + len;
    err = llhttp_execute(&c->parser, data, len);
    if (err == HPE_OK) {
      if (c->msg == CZ_MSG_HEAD) {
        /* Count this read's share of the head now: the next read restarts the mark. */
        if (cz__head_check(c, data + len) != 0) {
          cz__conn_reject(c, 431);
          return;
        }
        if (c->cur.head_mark != NULL)
          c->cur.head_raw += (size_t)(data + len - c->cur.head_mark);
      }
      return;
    }
    if (err == HPE_PAUSED) {
      pos = llhttp_get_error_pos(&c->parser);
      llhttp_resume(&c->parser);
      len -= (size_t)(pos - data);
      data = pos;
      reason = c->pause_reason;
      c->pause_reason = CZ_PAUSE_NONE;
      if (reason == CZ_PAUSE_BATCH) {
        cz__server_run_batch(c->srv);
        if (c->closing)
          return;
        if (cz__conn_complete(c) == 0)
          continue;
        reason = c->pause_reason;
        c->pause_reason = CZ_PAUSE_NONE;
      }
      if (reason == CZ_PAUSE_PIPELINE && !c->stop_parse) {
        if (len > 0)
          cz__conn_park(c, data, len);
        return;
      }
      return; /* CZ_PAUSE_STOP: the rest of the input is ignored */
    }
    if (err == HPE_PAUSED_UPGRADE) {
      /* The request was answered/queued with Connection: close; nothing more to parse. */
      c->stop_parse = 1;
      return;
    }
    cz__conn_reject(c, c->reject_status ? c->reject_status : 400);
    return;
  }
}

/* Answers the request being parsed (or a new slot) with an error and stops parsing. */
static void cz__conn_reject(cz_conn_t* c, int status) {
  cz_slot_t* s;

  if (c->closing)
    return;
  c->stop_parse = 1;
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
  cz__conn_settle_error(c, s, status, 0);
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

static void cz__read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  cz_conn_t* c = stream->data;
  cz_server_t* srv = c->srv;

  if (nread == 0)
    return;
  if (nread < 0) {
    if (nread == UV_EOF)
      cz__conn_eof(c);
    else
      cz__conn_close(c);
    return;
  }
  srv->defer++;
  cz__conn_feed(c, buf->base, (size_t)nread);
  cz__server_run_batch(srv);
  srv->defer--;
  cz__server_flush(srv);
  if (!c->closing) {
    cz__conn_read_update(c);
    cz__conn_timer_update(c);
  }
}

void cz__conn_resume(cz_conn_t* c) {
  cz_server_t* srv = c->srv;
  cz_buf_t in = c->pend;

  if (c->closing)
    return;
  /* Parse from a detached copy: parking again appends to a fresh c->pend. */
  c->pend.base = NULL;
  c->pend.len = 0;
  c->pend.cap = 0;
  srv->defer++;
  cz__conn_feed(c, in.base, in.len);
  cz_buf_free(&in);
  cz__server_run_batch(srv);
  srv->defer--;
  cz__server_flush(srv);
  if (!c->closing) {
    cz__conn_read_update(c);
    cz__conn_timer_update(c);
  }
}

static void cz__conn_read_update(cz_conn_t* c) {
  int want;

  if (c->closing)
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

static void cz__timer_cb(uv_timer_t* t) {
  cz_conn_t* c = t->data;
  int mode = c->timer_mode;

  c->timer_mode = CZ_TIMER_NONE;
  if (mode == CZ_TIMER_HEADERS && c->msg == CZ_MSG_HEAD && !c->stop_parse)
    cz__conn_reject(c, 408);
  else if (mode == CZ_TIMER_IDLE)
    cz__conn_close(c);
}

static void cz__conn_timer_update(cz_conn_t* c) {
  const cz_limits_t* l = &c->srv->limits;
  uint64_t ms = 0;
  int mode = CZ_TIMER_NONE;

  if (c->closing)
    return;
  if (c->msg == CZ_MSG_HEAD && !c->stop_parse) {
    mode = CZ_TIMER_HEADERS;
    ms = l->headers_timeout_ms;
  } else if (c->msg == CZ_MSG_IDLE && !c->stop_parse && c->nslots == 0 && !c->writing &&
             c->out.len == 0 && c->pend.len == 0) {
    mode = CZ_TIMER_IDLE;
    ms = l->keep_alive_timeout_ms;
  }
  if (mode == c->timer_mode)
    return;
  c->timer_mode = (uint8_t)mode;
  if (mode == CZ_TIMER_NONE || ms == 0)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, cz__timer_cb, ms, 0);
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
  tmp = c->wout;
  c->wout = c->out;
  c->out = tmp;
  c->out.len = 0;
  b = uv_buf_init(c->wout.base, (unsigned int)c->wout.len);
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
  c->parser.data = c;
  c->cur.route = -1;
  c->timer_mode = CZ_TIMER_NONE;
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
