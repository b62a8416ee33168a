/*
 * cz_parse.c: llhttp callbacks for one connection's requests, the limits checked while
 * parsing, the match at headers-complete, and the hand-off of a completed request to the
 * batch (or to C's own answers: 404/405, const routes, rejections).
 *
 * While a request's head arrives, its target and header block accumulate in c->hbuf
 * (they may span reads); at message-complete they are copied into reqData in one go.
 * Pausing: on_message_complete returns HPE_PAUSED when the batch must run first, when the
 * connection must not parse further, or when max_pipelined responses are pending; the
 * feed loop handles each reason outside llhttp.
 */
#include <stdlib.h>
#include <string.h>

#include "cz_core.h"
#include "cz_fields.h"

/* ---- the request being parsed ------------------------------------------------------ */

static void cz__req_reset(cz_conn_t* c) {
  free(c->cur.body);
  memset(&c->cur, 0, sizeof(c->cur));
  c->cur.route = -1;
  cz_buf_reset(&c->hbuf, CZ_BUF_KEEP);
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
  c->req_start = uv_now(c->srv->loop);
  c->req_seq++;
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

/* Length of a leading "http://" or "https://" (any case) in u[0, n), else 0. */
static size_t cz__scheme_len(const char* u, size_t n) {
  static const char http[] = "http";
  size_t i;

  if (n < 7)
    return 0;
  for (i = 0; i < 4; i++)
    if (cz_http_lower[(unsigned char)u[i]] != (unsigned char)http[i])
      return 0;
  if (cz_http_lower[(unsigned char)u[4]] == 's')
    i++;
  if (n < i + 3 || memcmp(u + i, "://", 3) != 0)
    return 0;
  return i + 3;
}

/* A request target that is not origin-form (RFC 9112 3.2). Everything routes on the
 * path, so absolute-form is rewritten in place to its path[?query]: the whole target is
 * in hbuf by now (it may have arrived in pieces across reads, which is why this is done
 * once here and not while accumulating), nothing follows it yet, and the path only moves
 * down. JS sees the rewritten target as the request's url. */
static int cz__target_form(cz_conn_t* c, int method) {
  char* u = c->hbuf.base;
  size_t n = c->cur.url_len;
  size_t start;
  size_t rest;

  if (n == 1 && u[0] == '*') {
    /* asterisk-form names the server itself; only OPTIONS may ask about it (3.2.4). */
    if (method != HTTP_OPTIONS) {
      c->reject_status = 400;
      return -1;
    }
    c->cur.asterisk = 1;
    return 0;
  }
  /* authority-form (CONNECT host:port) is left as is: no route is named "host:port", and
   * a CONNECT is answered, then the connection closes, like an upgrade. */
  if (method == HTTP_CONNECT)
    return 0;
  start = cz__scheme_len(u, n);
  if (start == 0)
    return 0; /* another scheme (or garbage llhttp let through): no route matches it */
  while (start < n && u[start] != '/' && u[start] != '?')
    start++;
  rest = n - start;
  if (rest == 0 || u[start] == '?') {
    /* An empty path is "/" (3.2.2); the scheme alone leaves room for the slash. */
    u[0] = '/';
    memmove(u + 1, u + start, rest);
    rest++;
  } else {
    memmove(u, u + start, rest);
  }
  c->cur.url_len = rest;
  c->hbuf.len = rest;
  return 0;
}

static int cz__on_url_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  const char* q;

  /* Origin-form ("/path?query") is nearly every request: its first byte settles it. */
  if (c->cur.url_len > 0 && c->hbuf.base[0] != '/' && cz__target_form(c, p->method) != 0)
    return -1;
  q = c->cur.url_len ? memchr(c->hbuf.base, '?', c->cur.url_len) : NULL;
  c->cur.path_len = q ? (size_t)(q - c->hbuf.base) : c->cur.url_len;
  c->cur.field_off = c->hbuf.len;
  return 0;
}

/* The header (and trailer) fields C acts on. */
enum cz_field {
  CZ_FIELD_OTHER = 0,
  CZ_FIELD_HOST,
  CZ_FIELD_EXPECT,
  CZ_FIELD_TE,
  CZ_FIELD_CL,
  CZ_FIELD_CONNECTION
};

/* name: a whole field name, lowercased. */
static int cz__field_kind(const char* name, size_t n) {
  static const struct {
    const char* name;
    size_t len;
    int kind;
  } known[] = {
      {"host", 4, CZ_FIELD_HOST},
      {"expect", 6, CZ_FIELD_EXPECT},
      {"transfer-encoding", 17, CZ_FIELD_TE},
      {"content-length", 14, CZ_FIELD_CL},
      {"connection", 10, CZ_FIELD_CONNECTION},
  };
  size_t i;
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (n == known[i].len && memcmp(name, known[i].name, n) == 0)
      return known[i].kind;
  return CZ_FIELD_OTHER;
}

/* Trailer bytes are not kept, but they count against the head limit. */
static int cz__trailer_count(cz_conn_t* c, size_t len) {
  c->cur.head_raw += len;
  if (c->cur.head_raw > c->srv->limits.max_header_bytes) {
    c->reject_status = 431;
    return -1;
  }
  return 0;
}

static int cz__on_header_field(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  size_t i;
  char* dst;

  if (c->msg != CZ_MSG_HEAD) {
    /* A trailer: its name is kept only as far as the longest name we look for. */
    for (i = 0; i < len && c->cur.tname_len < sizeof(c->cur.tname); i++)
      c->cur.tname[c->cur.tname_len++] = (char)cz_http_lower[(unsigned char)at[i]];
    if (i < len)
      c->cur.tname_len = UINT8_MAX; /* longer than any of them */
    return cz__trailer_count(c, len);
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
  cz_req_t* r = &c->cur;

  if (c->msg != CZ_MSG_HEAD) {
    /* Framing and routing never come from a trailer (RFC 9110 6.5.1): a message that
     * tries is refused, so no proxy that merges trailers can read it differently. */
    int kind = r->tname_len <= sizeof(r->tname) ? cz__field_kind(r->tname, r->tname_len)
                                                 : CZ_FIELD_OTHER;
    r->tname_len = 0;
    if (cz__trailer_count(c, 1) != 0) /* the colon: many short lines are bytes too */
      return -1;
    if (kind == CZ_FIELD_HOST || kind == CZ_FIELD_TE || kind == CZ_FIELD_CL) {
      c->reject_status = 400;
      return -1;
    }
    return 0;
  }
  if (++r->hdr_count > c->srv->limits.max_header_count) {
    c->reject_status = 431;
    return -1;
  }
  r->field_kind = (uint8_t)cz__field_kind(c->hbuf.base + r->field_off, c->hbuf.len - r->field_off);
  if (cz__hbuf_append(c, "", 1) != 0)
    return -1;
  r->value_off = c->hbuf.len;
  return 0;
}

static int cz__on_header_value(llhttp_t* p, const char* at, size_t len) {
  cz_conn_t* c = p->data;
  /* obs-fold and whitespace-led lines: llhttp 9 refuses them (HPE_INVALID_HEADER_TOKEN,
   * HPE_UNEXPECTED_SPACE); test/conformance checks it stays so. */
  if (c->msg != CZ_MSG_HEAD)
    return cz__trailer_count(c, len);
  if (cz__head_check(c, at + len) != 0 || cz__hbuf_append(c, at, len) != 0)
    return -1;
  return 0;
}

static uint8_t cz__count(uint8_t n) {
  return n == UINT8_MAX ? n : (uint8_t)(n + 1);
}

static int cz__on_header_value_complete(llhttp_t* p) {
  cz_conn_t* c = p->data;
  cz_req_t* r = &c->cur;
  const char* v;
  size_t n;

  if (c->msg != CZ_MSG_HEAD)
    return cz__trailer_count(c, 2); /* the line's CRLF */
  /* llhttp skips leading whitespace; trailing whitespace is ours to trim. */
  while (c->hbuf.len > r->value_off &&
         (c->hbuf.base[c->hbuf.len - 1] == ' ' || c->hbuf.base[c->hbuf.len - 1] == '\t'))
    c->hbuf.len--;
  v = c->hbuf.base + r->value_off;
  n = c->hbuf.len - r->value_off;
  switch (r->field_kind) {
    case CZ_FIELD_HOST:
      r->host_count = cz__count(r->host_count);
      if (!cz_fields_host_valid(v, n))
        r->host_bad = 1;
      break;
    case CZ_FIELD_EXPECT: {
      static const char want[] = "100-continue";
      size_t i;
      int ok = n == sizeof(want) - 1;
      for (i = 0; ok && i < n; i++)
        ok = cz_http_lower[(unsigned char)v[i]] == (unsigned char)want[i];
      /* Any other expectation, or a second Expect line, is one we cannot meet. */
      r->expect = (ok && r->expect == 0) ? 1 : 2;
      break;
    }
    case CZ_FIELD_TE:
      r->te_count = cz__count(r->te_count);
      r->te_status = (uint16_t)cz_fields_te_check(v, n);
      break;
    case CZ_FIELD_CL:
      r->cl_count = cz__count(r->cl_count);
      break;
    case CZ_FIELD_CONNECTION:
      r->conn_tokens |= (uint8_t)cz_fields_connection(v, n);
      break;
    default:
      break;
  }
  if (cz__hbuf_append(c, "", 1) != 0)
    return -1;
  r->field_off = c->hbuf.len;
  return 0;
}

/* RFC 9112 3.2, 6.1, 6.3: the request's framing and Host, checked whatever llhttp let
 * through (it frames by the same fields, so anything it accepted and we refuse here is a
 * message a proxy might frame differently). The status to answer, or 0. */
static int cz__head_valid(const llhttp_t* p, const cz_req_t* r) {
  int http11 = p->http_major == 1 && p->http_minor >= 1;

  if (r->host_count > 1 || r->host_bad || (http11 && r->host_count == 0))
    return 400;
  if (r->cl_count > 1)
    return 400; /* even equal values: one Content-Length or none */
  if (r->te_count > 0) {
    /* In HTTP/1.0 Transfer-Encoding means the framing cannot be trusted (6.1); with
     * Content-Length it is a smuggling attempt (6.3); a second line is a list split in
     * two that we do not piece together. */
    if (!http11 || r->cl_count > 0 || r->te_count > 1)
      return 400;
    if (r->te_status != 0)
      return r->te_status;
    if (!(p->flags & F_CHUNKED))
      return 400; /* we read chunked, llhttp did not: never frame on a disagreement */
  } else if (p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) {
    return 400;
  }
  if (r->expect == 2)
    return 417;
  return 0;
}

/* RFC 9112 9.3: HTTP/1.1 persists unless a Connection line says close; HTTP/1.0 only
 * when one says keep-alive (and none close). Read from our own token parse, which takes
 * the whitespace llhttp's does not ("close\t"). */
static int cz__keep_alive(const llhttp_t* p, const cz_req_t* r) {
  if (r->conn_tokens & CZ_CONN_CLOSE)
    return 0;
  if (p->http_major == 1 && p->http_minor >= 1)
    return 1;
  return p->http_major == 1 && p->http_minor == 0 && (r->conn_tokens & CZ_CONN_KEEP_ALIVE);
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

  if ((c->reject_status = cz__head_valid(p, r)) != 0)
    return -1;

  memset(&r->m, 0, sizeof(r->m)); /* the ABI: the caller zeroes *m */
  /* The request keeps the table it was matched against: a swapTable() before its body
   * completes must not reinterpret its route id. */
  r->table = t;
  r->table_gen = srv->table_gen;
  r->route = t->match(c->hbuf.base ? c->hbuf.base : "", r->path_len, p->method, &r->m);
  if (r->route >= (int)t->nroutes)
    r->route = -1; /* a broken match(): treat as unknown rather than index past the end */
  r->allow = r->route < 0 ? r->m.allow : 0;
  if (r->m.nparams > CZ_MAX_PARAMS)
    r->m.nparams = CZ_MAX_PARAMS;
  if (r->asterisk) {
    /* OPTIONS *: about the server, not a resource; C answers it (cz__conn_complete). */
    r->route = -1;
    r->allow = 0;
  }

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
  if (p->upgrade || !cz__keep_alive(p, r))
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
      if (cz_buf_append(&c->out, CZ_HTTP_CONTINUE, sizeof(CZ_HTTP_CONTINUE) - 1) != 0) {
        c->reject_status = 503;
        return -1;
      }
      s->flags |= CZ_SF_CONTINUE_SENT;
      cz__conn_mark_dirty(c);
    }
  }
  if (chunked) {
    /* Pause so the feed loop knows where the body starts: from here every byte it
     * parses for this request is body data or chunk framing (cz__parse_feed). */
    r->chunked = 1;
    c->pause_reason = CZ_PAUSE_CHUNKED;
    return HPE_PAUSED;
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
  const cz_route_t* route = &c->cur.table->routes[c->cur.route];
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
  /* The first request of a batch overwrites the last one's: let pending handlers copy out
   * what they still read. Only while some do (*hold), so a batch whose async handlers all
   * settled in its own microtask checkpoint costs nothing here. */
  if (i == 0 && srv->arenas.hold != NULL && *srv->arenas.hold != 0 && srv->hooks.release != NULL)
    srv->hooks.release(srv, srv->hooks.data);
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
  m[CZ_REQ_TABLE] = (int32_t)r->table_gen;
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

/* OPTIONS * (RFC 9110 9.3.7) is a ping: 204 with no body, the connection kept alive. No
 * Allow line: what is allowed depends on the path, and this request names none. */
static void cz__conn_settle_options(cz_conn_t* c, cz_slot_t* s) {
  cz_resp_t r;
  memset(&r, 0, sizeof(r));
  r.status = 204;
  cz__conn_settle_js(c, s, &r, 0); /* the renderer JS answers use; no JS involved */
}

/* No route matched, but match() found one with `paramMismatch: 400` that would have but for
 * a typed parameter's value: that parameter's 400 body (catzilla_routes.h), else NULL. */
static const char* cz__req_param_error(const cz_req_t* r) {
  const cz_route_t* route;
  if (r->m.bad_param == 0 || r->m.bad_param > CZ_MAX_PARAMS || r->m.bad_route >= r->table->nroutes)
    return NULL;
  route = &r->table->routes[r->m.bad_route];
  return route->param_errors != NULL ? route->param_errors[r->m.bad_param - 1] : NULL;
}

/* Finishes the request parsed last: answers it in C or hands it to the batch. Returns 0
 * to keep parsing, or HPE_PAUSED with c->pause_reason set. */
static int cz__conn_complete(cz_conn_t* c) {
  cz_server_t* srv = c->srv;
  cz_slot_t* s = c->cur.slot;
  const char* bad;
  int close;

  if (s == NULL || c->closing) {
    c->pause_reason = CZ_PAUSE_STOP;
    return HPE_PAUSED;
  }
  c->cur.slot = NULL;
  close = (s->flags & CZ_SF_CLOSE) != 0;
  if (close)
    c->stop_parse = 1; /* bytes after a closing request are never parsed */

  if (c->cur.asterisk) {
    cz__conn_settle_options(c, s);
  } else if (c->cur.route < 0 && (bad = cz__req_param_error(&c->cur)) != NULL) {
    cz__conn_settle_error(c, s, 400, 0, bad);
  } else if (c->cur.route < 0) {
    cz__conn_settle_error(c, s, c->cur.allow ? 405 : 404, c->cur.allow, NULL);
  } else if (c->cur.table->routes[c->cur.route].kind == CZ_KIND_CONST) {
    cz__conn_settle_const(c, s, &c->cur.table->routes[c->cur.route]);
  } else if (!cz__batch_fits(c, cz__req_bytes(c))) {
    /* Cannot fit even an empty batch: reqData is smaller than this head. */
    s->flags |= CZ_SF_CLOSE;
    c->stop_parse = 1;
    close = 1;
    cz__conn_settle_error(c, s, 431, 0, NULL);
  } else if (cz__conn_enqueue(c, s) != 0) {
    cz__server_log(srv, "out of request contexts; answering 503");
    cz__conn_settle_error(c, s, 503, 0, NULL);
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
      c->cur.table->routes[c->cur.route].kind != CZ_KIND_CONST && srv->batch.n > 0 &&
      !cz__batch_fits(c, cz__req_bytes(c))) {
    /* Run the batch first (outside llhttp), then come back for this request. */
    c->pause_reason = CZ_PAUSE_BATCH;
    return HPE_PAUSED;
  }
  return cz__conn_complete(c);
}

void cz_parse_settings(llhttp_settings_t* s) {
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

/* A chunked body's framing (chunk-size lines, extensions, the CRLFs, trailers) is what a
 * client can send without end and without a byte of body: "1;x=aaaa..." or a chunk size
 * of a million zeros is parsed forever (CVE-2024-22019's shape). The framing may cost up
 * to CZ_CHUNK_FRAMING_PER_BYTE per body byte (a stream of 1-byte chunks costs 5) plus
 * maxHeaderBytes; past that the request is answered 413. `body_phase` says the bytes just
 * parsed were all this request's body (the pause at headers complete sees to that). */
#define CZ_CHUNK_FRAMING_PER_BYTE 8u

static int cz__chunked_account(cz_conn_t* c, size_t parsed, size_t body_before) {
  cz_req_t* r = &c->cur;
  r->framing += parsed - (r->body_len - body_before);
  if (r->framing > c->srv->limits.max_header_bytes + (uint64_t)CZ_CHUNK_FRAMING_PER_BYTE * r->body_len) {
    c->reject_status = 413;
    return -1;
  }
  return 0;
}

void cz__parse_feed(cz_conn_t* c, const char* data, size_t len) {
  while (len > 0 && !c->stop_parse && !c->closing) {
    llhttp_errno_t err;
    const char* pos;
    int reason;
    /* Still inside this chunked body when llhttp returns: the whole span was framing
     * or data (see cz__chunked_account). */
    int in_chunked = c->msg == CZ_MSG_BODY && c->cur.chunked;
    uint32_t seq = c->req_seq;
    size_t body_before = c->cur.body_len;

    if (c->msg == CZ_MSG_HEAD && c->cur.head_mark != NULL)
      c->cur.head_mark = data;
    c->exec_end = data + len;
    err = llhttp_execute(&c->parser, data, len);
    if (in_chunked && c->msg == CZ_MSG_BODY && c->req_seq == seq &&
        (err == HPE_OK || err == HPE_PAUSED)) {
      pos = err == HPE_OK ? data + len : llhttp_get_error_pos(&c->parser);
      if (cz__chunked_account(c, (size_t)(pos - data), body_before) != 0) {
        cz__conn_reject(c, 413);
        return;
      }
    }
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
      if (reason == CZ_PAUSE_CHUNKED)
        continue;
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
