/*
 * cz_parse.c: llhttp callbacks that turn one connection's bytes into a request record
 * (cz_parse.h): the target and header block, the limits checked while parsing, the framing
 * and Host rules C adds to llhttp's, the match at headers-complete and the buffered body.
 *
 * While a request's head arrives, its target and header block accumulate in p->hbuf (they
 * may span reads); the owner copies them out once the request is complete. Pausing:
 * llhttp pauses once at headers-complete of a chunked request (so the framing of its body
 * can be counted, see cz__chunked_account), and whenever the owner's complete hook asks.
 */
#include "cz_parse.h"

#include <stdlib.h>
#include <string.h>

#include "cz_fields.h"
#include "cz_log.h"

/* Why llhttp was paused. */
enum cz_parse_pause {
  CZ_PAUSE_NONE = 0,
  CZ_PAUSE_OWNER,  /* the complete hook asked: cz__parse_execute() returns to the owner */
  CZ_PAUSE_CHUNKED /* headers of a chunked request done: its body is counted from here */
};

/* A callback fails the request with `status`; llhttp stops with HPE_USER. */
static int cz__fail(cz_parser_t* p, int status) {
  p->status = (uint16_t)status;
  return -1;
}

/* ---- the request being parsed ------------------------------------------------------ */

static void cz__req_reset(cz_parser_t* p) {
  free(p->req.body);
  memset(&p->req, 0, sizeof(p->req));
  p->req.route = -1;
  cz_buf_reset(&p->hbuf, CZ_BUF_KEEP);
}

/* Raw bytes of the request head so far, up to `end` in the current read. */
static int cz__head_check(cz_parser_t* p, const char* end) {
  size_t n = p->req.head_raw;
  if (p->req.head_mark != NULL)
    n += (size_t)(end - p->req.head_mark);
  if (n > p->env->limits->max_header_bytes) {
    p->status = 431;
    return -1;
  }
  return 0;
}

static int cz__hbuf_append(cz_parser_t* p, const char* at, size_t len) {
  if (cz_buf_append(&p->hbuf, at, len) != 0) {
    p->status = 503;
    return -1;
  }
  return 0;
}

static int cz__on_message_begin(llhttp_t* ll) {
  cz_parser_t* p = ll->data;
  cz__req_reset(p);
  p->msg = CZ_MSG_HEAD;
  p->req.start = uv_now(p->env->loop);
  p->seq++;
  return 0;
}

static int cz__on_method(llhttp_t* ll, const char* at, size_t len) {
  cz_parser_t* p = ll->data;
  (void)len;
  if (p->req.head_mark == NULL)
    p->req.head_mark = at;
  return 0;
}

static int cz__on_url(llhttp_t* ll, const char* at, size_t len) {
  cz_parser_t* p = ll->data;
  if (p->req.url_len + len > p->env->limits->max_url_bytes) {
    p->status = 414;
    return -1;
  }
  if (cz__head_check(p, at + len) != 0 || cz__hbuf_append(p, at, len) != 0)
    return -1;
  p->req.url_len += len;
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
static int cz__target_form(cz_parser_t* p, int method) {
  char* u = p->hbuf.base;
  size_t n = p->req.url_len;
  size_t start;
  size_t rest;

  if (n == 1 && u[0] == '*') {
    /* asterisk-form names the server itself; only OPTIONS may ask about it (3.2.4). */
    if (method != HTTP_OPTIONS) {
      p->status = 400;
      return -1;
    }
    p->req.asterisk = 1;
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
  p->req.url_len = rest;
  p->hbuf.len = rest;
  return 0;
}

static int cz__on_url_complete(llhttp_t* ll) {
  cz_parser_t* p = ll->data;
  const char* q;

  /* Origin-form ("/path?query") is nearly every request: its first byte settles it. */
  if (p->req.url_len > 0 && p->hbuf.base[0] != '/' && cz__target_form(p, ll->method) != 0)
    return -1;
  q = p->req.url_len ? memchr(p->hbuf.base, '?', p->req.url_len) : NULL;
  p->req.path_len = q ? (size_t)(q - p->hbuf.base) : p->req.url_len;
  p->req.field_off = p->hbuf.len;
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
static int cz__trailer_count(cz_parser_t* p, size_t len) {
  p->req.head_raw += len;
  if (p->req.head_raw > p->env->limits->max_header_bytes) {
    p->status = 431;
    return -1;
  }
  return 0;
}

static int cz__on_header_field(llhttp_t* ll, const char* at, size_t len) {
  cz_parser_t* p = ll->data;
  size_t i;
  char* dst;

  if (p->msg != CZ_MSG_HEAD) {
    /* A trailer: its name is kept only as far as the longest name we look for. */
    for (i = 0; i < len && p->req.tname_len < sizeof(p->req.tname); i++)
      p->req.tname[p->req.tname_len++] = (char)cz_http_lower[(unsigned char)at[i]];
    if (i < len)
      p->req.tname_len = UINT8_MAX; /* longer than any of them */
    return cz__trailer_count(p, len);
  }
  if (cz__head_check(p, at + len) != 0 || cz__hbuf_append(p, at, len) != 0)
    return -1;
  dst = p->hbuf.base + p->hbuf.len - len;
  for (i = 0; i < len; i++)
    dst[i] = (char)cz_http_lower[(unsigned char)dst[i]];
  return 0;
}

static int cz__on_header_field_complete(llhttp_t* ll) {
  cz_parser_t* p = ll->data;
  cz_req_t* r = &p->req;

  if (p->msg != CZ_MSG_HEAD) {
    /* Framing and routing never come from a trailer (RFC 9110 6.5.1): a message that
     * tries is refused, so no proxy that merges trailers can read it differently. */
    int kind = r->tname_len <= sizeof(r->tname) ? cz__field_kind(r->tname, r->tname_len)
                                                 : CZ_FIELD_OTHER;
    r->tname_len = 0;
    if (cz__trailer_count(p, 1) != 0) /* the colon: many short lines are bytes too */
      return -1;
    if (kind == CZ_FIELD_HOST || kind == CZ_FIELD_TE || kind == CZ_FIELD_CL) {
      p->status = 400;
      return -1;
    }
    return 0;
  }
  if (++r->hdr_count > p->env->limits->max_header_count) {
    p->status = 431;
    return -1;
  }
  r->field_kind = (uint8_t)cz__field_kind(p->hbuf.base + r->field_off, p->hbuf.len - r->field_off);
  if (cz__hbuf_append(p, "", 1) != 0)
    return -1;
  r->value_off = p->hbuf.len;
  return 0;
}

static int cz__on_header_value(llhttp_t* ll, const char* at, size_t len) {
  cz_parser_t* p = ll->data;
  /* obs-fold and whitespace-led lines: llhttp 9 refuses them (HPE_INVALID_HEADER_TOKEN,
   * HPE_UNEXPECTED_SPACE); test/conformance checks it stays so. */
  if (p->msg != CZ_MSG_HEAD)
    return cz__trailer_count(p, len);
  if (cz__head_check(p, at + len) != 0 || cz__hbuf_append(p, at, len) != 0)
    return -1;
  return 0;
}

static uint8_t cz__count(uint8_t n) {
  return n == UINT8_MAX ? n : (uint8_t)(n + 1);
}

static int cz__on_header_value_complete(llhttp_t* ll) {
  cz_parser_t* p = ll->data;
  cz_req_t* r = &p->req;
  const char* v;
  size_t n;

  if (p->msg != CZ_MSG_HEAD)
    return cz__trailer_count(p, 2); /* the line's CRLF */
  /* llhttp skips leading whitespace; trailing whitespace is ours to trim. */
  while (p->hbuf.len > r->value_off &&
         (p->hbuf.base[p->hbuf.len - 1] == ' ' || p->hbuf.base[p->hbuf.len - 1] == '\t'))
    p->hbuf.len--;
  v = p->hbuf.base + r->value_off;
  n = p->hbuf.len - r->value_off;
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
  if (cz__hbuf_append(p, "", 1) != 0)
    return -1;
  r->field_off = p->hbuf.len;
  return 0;
}

/* RFC 9112 3.2, 6.1, 6.3: the request's framing and Host, checked whatever llhttp let
 * through (it frames by the same fields, so anything it accepted and we refuse here is a
 * message a proxy might frame differently). The status to answer, or 0. */
static int cz__head_valid(const llhttp_t* ll, const cz_req_t* r) {
  int http11 = ll->http_major == 1 && ll->http_minor >= 1;

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
    if (!(ll->flags & F_CHUNKED))
      return 400; /* we read chunked, llhttp did not: never frame on a disagreement */
  } else if (ll->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) {
    return 400;
  }
  if (r->expect == 2)
    return 417;
  return 0;
}

/*
 * A path no route matched: the app's notFound route for it (the table's longest prefix that
 * the path equals or continues with a '/'), or -1 (C answers 404). No parameters.
 */
static int cz__not_found(const cz_route_table_t* t, const char* path, size_t len, cz_match_t* m) {
  uint32_t i;
  for (i = 0; t->not_found != NULL && i < t->nnot_found; i++) {
    const cz_not_found_t* nf = &t->not_found[i];
    size_t n = nf->prefix_len;
    if (nf->route >= t->nroutes)
      continue; /* cz_table.c refuses such a table; never index past the end */
    /* "/" (or "") takes every path; "/api" takes "/api" and "/api/...", not "/apix". */
    if (n <= 1 || (len >= n && memcmp(path, nf->prefix, n) == 0 && (len == n || path[n] == '/'))) {
      m->nparams = 0;
      return (int)nf->route;
    }
  }
  return -1;
}

static int cz__on_headers_complete(llhttp_t* ll) {
  cz_parser_t* p = ll->data;
  const cz_parse_env_t* env = p->env;
  const cz_route_table_t* t = env->table;
  cz_req_t* r = &p->req;
  uint64_t limit;
  int status;
  int chunked = (ll->flags & F_CHUNKED) != 0;
  int has_cl = (ll->flags & F_CONTENT_LENGTH) != 0;

  p->msg = CZ_MSG_BODY;
  if ((status = cz__head_valid(ll, r)) != 0)
    return cz__fail(p, status);

  memset(&r->m, 0, sizeof(r->m)); /* the ABI: the caller zeroes *m */
  /* The request keeps the table it was matched against: a swapTable() before its body
   * completes must not reinterpret its route id. */
  r->table = t;
  r->table_gen = env->table_gen;
  r->route = t->match(p->hbuf.base ? p->hbuf.base : "", r->path_len, ll->method, &r->m);
  if (r->route >= (int)t->nroutes)
    r->route = -1; /* a broken match(): treat as unknown rather than index past the end */
  r->allow = r->route < 0 ? r->m.allow : 0;
  r->not_found = 0;
  if (r->route < 0 && r->allow == 0 && r->m.bad_param == 0 && !r->asterisk) {
    r->route = cz__not_found(t, p->hbuf.base ? p->hbuf.base : "", r->path_len, &r->m);
    r->not_found = r->route >= 0;
  }
  if (r->m.nparams > CZ_MAX_PARAMS)
    r->m.nparams = CZ_MAX_PARAMS;
  if (r->asterisk) {
    /* OPTIONS *: about the server, not a resource; the owner answers it. */
    r->route = -1;
    r->allow = 0;
  }

  limit = env->limits->max_body_bytes;
  if (r->route >= 0 && t->routes[r->route].body_limit != 0)
    limit = t->routes[r->route].body_limit;
  r->body_limit = limit;
  r->has_body = chunked || (has_cl && ll->content_length > 0);
  if (has_cl && ll->content_length > limit)
    return cz__fail(p, 413);

  if (r->route >= 0 && (t->routes[r->route].flags & CZ_ROUTE_STREAM) &&
      t->routes[r->route].kind != CZ_KIND_CONST && t->routes[r->route].kind != CZ_KIND_BLOCKING &&
      r->has_body) {
    /* Handed to the owner as it arrives: never the whole body in memory, whatever the
     * route's limit (1 GiB uploads to disk). A blocking route's worker needs a copy. */
    r->stream = 1;
  } else if (r->route >= 0 && (t->routes[r->route].flags & CZ_ROUTE_BODY) &&
      t->routes[r->route].kind != CZ_KIND_CONST && r->has_body) {
    r->keep_body = 1;
    if (has_cl) {
      r->body = malloc((size_t)ll->content_length);
      if (r->body == NULL)
        return cz__fail(p, 503);
      r->body_cap = (size_t)ll->content_length;
    }
  }

  status = p->hooks->head(p);
  if (status != 0 && status != CZ_HEAD_PAUSE)
    return cz__fail(p, status);
  if (chunked)
    r->chunked = 1;
  if (status == CZ_HEAD_PAUSE) {
    /* Also where a chunked body's counting starts (the next span is all body). */
    p->pause = CZ_PAUSE_OWNER;
    return HPE_PAUSED;
  }
  if (chunked) {
    /* Pause so cz__parse_execute() knows where the body starts: from here every byte it
     * parses for this request is body data or chunk framing. */
    p->pause = CZ_PAUSE_CHUNKED;
    return HPE_PAUSED;
  }
  return 0;
}

static int cz__on_body(llhttp_t* ll, const char* at, size_t len) {
  cz_parser_t* p = ll->data;
  cz_req_t* r = &p->req;

  if (len > r->body_limit - r->body_len)
    return cz__fail(p, 413);
  if (r->stream) {
    /* Kept only until the owner hands it on (after this read, or at the body's end):
     * at most about one read's worth. */
    if (r->stream_len + len > r->body_cap) {
      size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
      char* nb;
      if (cap < r->stream_len + len)
        cap = r->stream_len + len;
      nb = realloc(r->body, cap);
      if (nb == NULL)
        return cz__fail(p, 503);
      r->body = nb;
      r->body_cap = cap;
    }
    memcpy(r->body + r->stream_len, at, len);
    r->stream_len += len;
  } else if (r->keep_body) {
    if (r->body_len + len > r->body_cap) {
      /* Chunked: grow geometrically, never past the limit. */
      size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
      char* nb;
      if (cap < r->body_len + len)
        cap = r->body_len + len;
      if (cap > r->body_limit)
        cap = (size_t)r->body_limit;
      nb = realloc(r->body, cap);
      if (nb == NULL)
        return cz__fail(p, 503);
      r->body = nb;
      r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, at, len);
  }
  r->body_len += len;
  return 0;
}

static int cz__on_message_complete(llhttp_t* ll) {
  cz_parser_t* p = ll->data;

  p->msg = CZ_MSG_IDLE;
  /* The owner may abandon the record in its hook (the connection stopped): nothing here
   * touches it afterwards. */
  if (p->hooks->complete(p) != 0) {
    p->pause = CZ_PAUSE_OWNER;
    return HPE_PAUSED;
  }
  return 0;
}

void cz__parse_env_init(cz_parse_env_t* env, uv_loop_t* loop, const cz_limits_t* limits) {
  llhttp_settings_t* s = &env->settings;

  memset(env, 0, sizeof(*env));
  env->loop = loop;
  env->limits = limits;
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

void cz__parse_init(cz_parser_t* p, const cz_parse_env_t* env, const cz_parse_hooks_t* hooks) {
  memset(p, 0, sizeof(*p));
  llhttp_init(&p->ll, HTTP_REQUEST, &env->settings);
  /* Whether a connection persists is ours to decide (cz__parse_keep_alive reads Connection
   * with the whitespace llhttp's token match misses), and the owner parses no byte after a
   * closing request. So llhttp must not refuse the next request on its own reading. */
  llhttp_set_lenient_keep_alive(&p->ll, 1);
  p->ll.data = p;
  p->env = env;
  p->hooks = hooks;
  p->req.route = -1;
}

void cz__parse_abandon(cz_parser_t* p) {
  free(p->req.body);
  p->req.body = NULL;
  p->req.body_cap = 0;
  p->req.stream_len = 0;
  p->req.stream = 0;
  p->msg = CZ_MSG_IDLE;
}

void cz__parse_free(cz_parser_t* p) {
  free(p->req.body);
  p->req.body = NULL;
  cz_buf_free(&p->hbuf);
}

const char* cz__parse_param_error(const cz_parser_t* p) {
  const cz_req_t* r = &p->req;
  const cz_route_t* route;
  if (r->m.bad_param == 0 || r->m.bad_param > CZ_MAX_PARAMS || r->m.bad_route >= r->table->nroutes)
    return NULL;
  route = &r->table->routes[r->m.bad_route];
  return route->param_errors != NULL ? route->param_errors[r->m.bad_param - 1] : NULL;
}

/* ---- the execute loop ------------------------------------------------------------- */

/* A chunked body's framing (chunk-size lines, extensions, the CRLFs, trailers) is what a
 * client can send without end and without a byte of body: "1;x=aaaa..." or a chunk size
 * of a million zeros is parsed forever (CVE-2024-22019's shape). The framing may cost up
 * to CZ_CHUNK_FRAMING_PER_BYTE per body byte (a stream of 1-byte chunks costs 5) plus
 * maxHeaderBytes; past that the request is answered 413. The caller only counts spans
 * that were all this request's body (the pause at headers complete sees to that). */
#define CZ_CHUNK_FRAMING_PER_BYTE 8u

static int cz__chunked_account(cz_parser_t* p, size_t parsed, size_t body_before) {
  cz_req_t* r = &p->req;
  r->framing += parsed - (r->body_len - body_before);
  if (r->framing > p->env->limits->max_header_bytes + (uint64_t)CZ_CHUNK_FRAMING_PER_BYTE * r->body_len)
    return -1;
  return 0;
}

int cz__parse_execute(cz_parser_t* p, const char* data, size_t len, size_t* used) {
  const char* start = data;

  for (;;) {
    llhttp_errno_t err;
    const char* pos;
    int reason;
    /* Still inside this chunked body when llhttp returns: the whole span was framing or
     * data (see cz__chunked_account). */
    int in_chunked = p->msg == CZ_MSG_BODY && p->req.chunked;
    uint32_t seq = p->seq;
    size_t body_before = p->req.body_len;

    if (p->msg == CZ_MSG_HEAD && p->req.head_mark != NULL)
      p->req.head_mark = data;
    err = llhttp_execute(&p->ll, data, len);
    pos = err == HPE_OK ? data + len : llhttp_get_error_pos(&p->ll);
    *used = (size_t)(pos - start);
    if (in_chunked && p->msg == CZ_MSG_BODY && p->seq == seq && (err == HPE_OK || err == HPE_PAUSED) &&
        cz__chunked_account(p, (size_t)(pos - data), body_before) != 0)
      return 413;
    if (err == HPE_OK) {
      if (p->msg == CZ_MSG_HEAD) {
        /* Count this read's share of the head now: the next read restarts the mark. */
        if (cz__head_check(p, data + len) != 0)
          return p->status;
        if (p->req.head_mark != NULL)
          p->req.head_raw += (size_t)(data + len - p->req.head_mark);
      }
      return CZ_PARSE_DONE;
    }
    if (err == HPE_PAUSED) {
      llhttp_resume(&p->ll);
      reason = p->pause;
      p->pause = CZ_PAUSE_NONE;
      CZ_ASSERT(reason == CZ_PAUSE_OWNER || reason == CZ_PAUSE_CHUNKED);
      len -= (size_t)(pos - data);
      data = pos;
      if (reason == CZ_PAUSE_CHUNKED && len > 0)
        continue;
      return reason == CZ_PAUSE_CHUNKED ? CZ_PARSE_DONE : CZ_PARSE_PAUSED;
    }
    if (err == HPE_PAUSED_UPGRADE)
      return CZ_PARSE_UPGRADE;
    return p->status != 0 ? p->status : 400;
  }
}

int cz__parse_keep_alive(const cz_parser_t* p) {
  const llhttp_t* ll = &p->ll;
  if (p->req.conn_tokens & CZ_CONN_CLOSE)
    return 0;
  if (ll->http_major == 1 && ll->http_minor >= 1)
    return 1;
  return ll->http_major == 1 && ll->http_minor == 0 && (p->req.conn_tokens & CZ_CONN_KEEP_ALIVE);
}
