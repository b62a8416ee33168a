/*
 * cz_server.c: listen, accept, the connection set, batches, respond, close with grace.
 *
 * A batch is the set of requests completed while parsing one read (or one resume). It
 * crosses into JS once (hooks.dispatch); the responses it produces are rendered into
 * their connections while srv->defer > 0, and cz__server_flush() then issues one write
 * per dirty connection.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz_core.h"

void cz__server_log(cz_server_t* srv, const char* fmt, ...) {
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (srv->hooks.log != NULL)
    srv->hooks.log(srv->hooks.data, msg);
  else
    fprintf(stderr, "catzilla: %s\n", msg);
}

/* ---- create / free ------------------------------------------------------------------ */

int cz_server_new(uv_loop_t* loop, const cz_server_options_t* opts, cz_server_t** out,
                  char* err, size_t errlen) {
  const cz_arenas_t* a = &opts->arenas;
  cz_server_t* srv;
  size_t batch_max;
  int r;

  *out = NULL;
  if (a->req_meta == NULL || a->req_meta_len < CZ_REQ_STRIDE || a->res_meta == NULL ||
      a->res_meta_len < CZ_RES_STRIDE || a->req_data == NULL || a->req_data_len == 0 ||
      a->res_data == NULL || a->req_data_len > INT32_MAX || a->res_data_len > INT32_MAX) {
    snprintf(err, errlen,
             "catzilla: arenas too small (reqMeta needs >= %d int32, resMeta >= %d int32, "
             "reqData/resData non-empty and < 2 GiB)",
             CZ_REQ_STRIDE, CZ_RES_STRIDE);
    return UV_EINVAL;
  }
  srv = calloc(1, sizeof(*srv));
  if (srv == NULL) {
    snprintf(err, errlen, "catzilla: out of memory");
    return UV_ENOMEM;
  }
  r = cz_table_load(&srv->table, opts->table_path, opts->fingerprint, err, errlen);
  if (r != 0) {
    free(srv);
    return r;
  }
  srv->loop = loop;
  srv->limits = opts->limits;
  if (srv->limits.max_pipelined == 0)
    srv->limits.max_pipelined = 1;
  /* match() reports parameter offsets as uint16 (catzilla_routes.h). */
  if (srv->limits.max_url_bytes > 65535)
    srv->limits.max_url_bytes = 65535;
  srv->arenas = *a;
  srv->hooks = opts->hooks;
  batch_max = CZ_BATCH_MAX;
  if (a->req_meta_len / CZ_REQ_STRIDE < batch_max)
    batch_max = a->req_meta_len / CZ_REQ_STRIDE;
  if (a->res_meta_len / CZ_RES_STRIDE < batch_max)
    batch_max = a->res_meta_len / CZ_RES_STRIDE;
  srv->batch_max = (unsigned)batch_max;
  cz_ctx_slab_init(&srv->ctxs);
  cz_parse_settings(&srv->settings);
  cz_list_init(&srv->conns);
  cz_list_init(&srv->dirty);
  cz_list_init(&srv->resume);
  uv_timer_init(loop, &srv->grace);
  uv_idle_init(loop, &srv->resumer);
  srv->grace.data = srv;
  srv->resumer.data = srv;
  srv->nhandles = 2;
  *out = srv;
  return 0;
}

int cz_server_swap_table(cz_server_t* srv, const char* table_path, const char* fingerprint,
                         uint32_t* gen, char* err, size_t errlen) {
  cz_table_t next;
  cz_table_t* old;
  int r;

  if (srv->closing) {
    snprintf(err, errlen, "catzilla: swapTable: the server is closing");
    return UV_EINVAL;
  }
  r = cz_table_load(&next, table_path, fingerprint, err, errlen);
  if (r != 0)
    return r;
  old = realloc(srv->old_tables, (srv->nold + 1) * sizeof(*old));
  if (old == NULL) {
    cz_table_unload(&next);
    snprintf(err, errlen, "catzilla: out of memory");
    return UV_ENOMEM;
  }
  /* Never dlclose here: a request matched earlier may still index the old table (and a
   * const response may still be queued from it). */
  srv->old_tables = old;
  srv->old_tables[srv->nold++] = srv->table;
  srv->table = next;
  srv->table_gen++;
  *gen = srv->table_gen;
  return 0;
}

void cz_server_free(cz_server_t* srv) {
  unsigned i;
  if (srv == NULL)
    return;
  cz_table_unload(&srv->table);
  for (i = 0; i < srv->nold; i++)
    cz_table_unload(&srv->old_tables[i]);
  free(srv->old_tables);
  cz_ctx_slab_free(&srv->ctxs);
  free(srv);
}

void cz_server_stats(const cz_server_t* srv, unsigned* connections, unsigned* inflight) {
  *connections = srv->nactive;
  *inflight = srv->ctxs.used;
}

static void cz__server_maybe_done(cz_server_t* srv);

/* ---- accept ------------------------------------------------------------------------- */

static void cz__refused_close_cb(uv_handle_t* h) {
  cz_conn_t* c = h->data;
  cz_server_t* srv = c->srv;
  free(c);
  cz__server_conn_freed(srv);
}

static void cz__on_connection(uv_stream_t* l, int status) {
  cz_server_t* srv = l->data;
  cz_conn_t* c;

  if (status < 0) {
    /* EMFILE and friends repeat for every pending connection: one line a second. */
    uint64_t now = uv_now(srv->loop);
    if (srv->accept_log_ms == 0 || now - srv->accept_log_ms >= 1000) {
      srv->accept_log_ms = now ? now : 1;
      cz__server_log(srv, "accept: %s", uv_strerror(status));
    }
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    cz__server_log(srv, "accept: out of memory");
    return;
  }
  c->srv = srv;
  c->tcp.data = c;
  uv_tcp_init(srv->loop, &c->tcp);
  srv->nconns++;
  if (uv_accept(l, (uv_stream_t*)&c->tcp) != 0 || srv->closing ||
      (srv->limits.max_connections != 0 && srv->nactive >= srv->limits.max_connections)) {
    /* Over the limit: accept and close at once, so the client learns now (not after a
     * backlog timeout) and the connections already open are untouched. */
    uv_close((uv_handle_t*)&c->tcp, cz__refused_close_cb);
    return;
  }
  cz_list_push(&srv->conns, &c->node);
  srv->nactive++;
  cz_conn_start(srv, c);
}

int cz_server_adopt(cz_server_t* srv, uv_os_sock_t sock) {
  cz_conn_t* c;
  int r;

  if (srv->closing)
    return UV_EINVAL;
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return UV_ENOMEM;
  c->srv = srv;
  c->tcp.data = c;
  uv_tcp_init(srv->loop, &c->tcp);
  srv->nconns++;
  r = uv_tcp_open(&c->tcp, sock);
  if (r != 0) {
    uv_close((uv_handle_t*)&c->tcp, cz__refused_close_cb);
    return r;
  }
  cz_list_push(&srv->conns, &c->node);
  srv->nactive++;
  cz_conn_start(srv, c);
  return 0;
}

/* ---- listen ------------------------------------------------------------------------- */

static void cz__listener_close_cb(uv_handle_t* h) {
  cz_server_t* srv = h->data;
  free(h);
  srv->nlisteners--;
  cz__server_maybe_done(srv);
}

int cz_server_listen(cz_server_t* srv, const char* host, int port, int backlog,
                     int* bound_port) {
  struct sockaddr_storage ss;
  char buf[64];
  int namelen = (int)sizeof(ss);
  uv_tcp_t* l;
  int r;

  if (srv->closing)
    return UV_EINVAL;
  if (srv->listener != NULL)
    return UV_EALREADY;
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  /* Accept "[::1]" as well as "::1". */
  if (host[0] == '[') {
    size_t n = strlen(host);
    if (n < 3 || n - 2 >= sizeof(buf) || host[n - 1] != ']')
      return UV_EINVAL;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    host = buf;
  }
  memset(&ss, 0, sizeof(ss));
  if (strchr(host, ':') != NULL)
    r = uv_ip6_addr(host, port, (struct sockaddr_in6*)&ss);
  else
    r = uv_ip4_addr(host, port, (struct sockaddr_in*)&ss);
  if (r != 0)
    return r;
  l = malloc(sizeof(*l));
  if (l == NULL)
    return UV_ENOMEM;
  r = uv_tcp_init(srv->loop, l);
  if (r != 0) {
    free(l);
    return r;
  }
  l->data = srv;
  srv->nlisteners++;
  r = uv_tcp_bind(l, (const struct sockaddr*)&ss, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t*)l, backlog, cz__on_connection);
  if (r == 0)
    r = uv_tcp_getsockname(l, (struct sockaddr*)&ss, &namelen);
  if (r != 0) {
    uv_close((uv_handle_t*)l, cz__listener_close_cb);
    return r;
  }
  if (ss.ss_family == AF_INET6)
    *bound_port = ntohs(((struct sockaddr_in6*)&ss)->sin6_port);
  else
    *bound_port = ntohs(((struct sockaddr_in*)&ss)->sin_port);
  srv->listener = l;
  return 0;
}

/* ---- batches -------------------------------------------------------------------------- */

int cz_server_batch_body(cz_server_t* srv, unsigned i, char** base, size_t* len) {
  cz_batch_item_t* it;
  if (!srv->batch.running || i >= srv->batch.n)
    return 0;
  it = &srv->batch.items[i];
  *base = it->body;
  *len = it->body_len;
  it->body = NULL;
  it->body_len = 0;
  return *base != NULL || *len == 0;
}

static int cz__range_ok(int32_t off, int32_t len, size_t size) {
  return off >= 0 && len >= 0 && (size_t)off <= size && (size_t)len <= size - (size_t)off;
}

void cz_server_batch_done(cz_server_t* srv, int threw, cz_large_fn large, void* ud) {
  const cz_arenas_t* a = &srv->arenas;
  unsigned i;

  if (!srv->batch.running || srv->batch.done)
    return;
  srv->batch.done = 1;
  for (i = 0; i < srv->batch.n; i++) {
    const cz_batch_item_t* it = &srv->batch.items[i];
    const int32_t* res = a->res_meta + (size_t)i * CZ_RES_STRIDE;
    cz_ctx_t* ctx = cz_ctx_get(&srv->ctxs, it->ctx, it->gen);
    cz_conn_t* c;
    cz_slot_t* s;
    cz_resp_t r;
    int ok;

    if (ctx == NULL)
      continue; /* connection gone, or JS answered it through respond() already */
    if (!threw && res[CZ_RES_STATUS] == 0)
      continue; /* pending: respond() comes later */
    c = ctx->conn;
    s = ctx->slot;
    cz_ctx_release(&srv->ctxs, it->ctx);
    s->ctx = CZ_CTX_NONE;
    if (threw) {
      cz__conn_settle_js(c, s, NULL, 0);
      continue;
    }
    memset(&r, 0, sizeof(r));
    r.status = res[CZ_RES_STATUS];
    r.ctype = CZ_RESF_CTYPE(res[CZ_RES_FLAGS]);
    ok = cz__range_ok(res[CZ_RES_HEAD_OFF], res[CZ_RES_HEAD_LEN], a->res_data_len);
    if (ok) {
      r.head = a->res_data + res[CZ_RES_HEAD_OFF];
      r.head_len = (size_t)res[CZ_RES_HEAD_LEN];
    }
    if (ok && (res[CZ_RES_FLAGS] & CZ_RESF_LARGE)) {
      ok = large != NULL && large(ud, i, &r.body, &r.body_len) != 0;
    } else if (ok) {
      ok = cz__range_ok(res[CZ_RES_BODY_OFF], res[CZ_RES_BODY_LEN], a->res_data_len);
      if (ok) {
        r.body = a->res_data + res[CZ_RES_BODY_OFF];
        r.body_len = (size_t)res[CZ_RES_BODY_LEN];
      }
    }
    if (!ok) {
      cz__server_log(srv, "response %u of a batch has bad offsets or no large body; 500", i);
      cz__conn_settle_js(c, s, NULL, 0);
      continue;
    }
    cz__conn_settle_js(c, s, &r, (res[CZ_RES_FLAGS] & CZ_RESF_CLOSE) != 0);
  }
}

void cz__server_run_batch(cz_server_t* srv) {
  unsigned i;
  unsigned n = srv->batch.n;

  if (n == 0 || srv->batch.running)
    return;
  srv->batch.running = 1;
  srv->batch.done = 0;
  srv->defer++;
  if (srv->hooks.dispatch != NULL)
    srv->hooks.dispatch(srv, srv->hooks.data, n, srv->batch.has_bodies);
  if (!srv->batch.done) {
    cz__server_log(srv, "dispatch hook did not report results; answering 500");
    cz_server_batch_done(srv, 1, NULL, NULL);
  }
  for (i = 0; i < n; i++) {
    free(srv->batch.items[i].body);
    srv->batch.items[i].body = NULL;
  }
  srv->batch.n = 0;
  srv->batch.data_used = 0;
  srv->batch.has_bodies = 0;
  srv->batch.running = 0;
  srv->defer--;
}

void cz__server_flush(cz_server_t* srv) {
  if (srv->defer > 0)
    return;
  while (!cz_list_empty(&srv->dirty)) {
    cz_list_t* n = srv->dirty.next;
    cz_list_remove(n);
    cz__conn_flush(cz_container_of(n, cz_conn_t, dirty_node));
  }
}

int cz_server_respond(cz_server_t* srv, uint32_t ctx, uint32_t gen, int status, int flags,
                      const char* head, size_t head_len, const char* body, size_t body_len) {
  cz_ctx_t* x = cz_ctx_get(&srv->ctxs, ctx, gen);
  cz_conn_t* c;
  cz_slot_t* s;
  cz_resp_t r;

  if (x == NULL)
    return 0;
  c = x->conn;
  s = x->slot;
  cz_ctx_release(&srv->ctxs, ctx);
  s->ctx = CZ_CTX_NONE;
  memset(&r, 0, sizeof(r));
  r.status = status;
  r.ctype = CZ_RESF_CTYPE(flags);
  r.head = head;
  r.head_len = head_len;
  r.body = body;
  r.body_len = body_len;
  /* Inside a dispatch this only marks c dirty; the batch's flush writes it. */
  cz__conn_settle_js(c, s, &r, (flags & CZ_RESF_CLOSE) != 0);
  cz__server_flush(srv);
  return 1;
}

size_t cz_server_respond_many(cz_server_t* srv, const cz_respond_t* list, size_t n) {
  size_t live = 0;
  size_t i;

  srv->defer++;
  for (i = 0; i < n; i++) {
    const cz_respond_t* r = &list[i];
    live += (size_t)cz_server_respond(srv, r->ctx, r->gen, r->status, r->flags, r->head,
                                      r->head_len, r->body, r->body_len);
  }
  srv->defer--;
  cz__server_flush(srv);
  return live;
}

/* ---- resume parked input ------------------------------------------------------------- */

static void cz__resume_cb(uv_idle_t* h) {
  cz_server_t* srv = h->data;

  srv->defer++;
  while (!cz_list_empty(&srv->resume)) {
    cz_list_t* n = srv->resume.next;
    cz_list_remove(n);
    cz__conn_resume(cz_container_of(n, cz_conn_t, resume_node));
  }
  srv->defer--;
  cz__server_flush(srv);
  if (cz_list_empty(&srv->resume)) {
    uv_idle_stop(h);
    srv->resumer_on = 0;
  }
}

/* Parsing parked bytes can call into JS, so it never happens inside a caller's stack
 * (respond() is called from JS): an idle handle picks it up on the next loop turn. */
void cz__server_want_resume(cz_server_t* srv, cz_conn_t* c) {
  if (srv->closing || !cz_list_empty(&c->resume_node))
    return;
  cz_list_push(&srv->resume, &c->resume_node);
  if (!srv->resumer_on) {
    uv_idle_start(&srv->resumer, cz__resume_cb);
    srv->resumer_on = 1;
  }
}

/* ---- close ----------------------------------------------------------------------------- */

static void cz__server_handle_closed(uv_handle_t* h) {
  cz_server_t* srv = h->data;
  if (--srv->nhandles == 0 && srv->hooks.closed != NULL)
    srv->hooks.closed(srv, srv->hooks.data); /* may free srv: touch nothing after */
}

/* Finishes a close once every connection and listener is gone: the server's own two
 * handles go last, and their close callbacks report to the embedder. */
static void cz__server_maybe_done(cz_server_t* srv) {
  if (!srv->closing || srv->finishing || srv->nconns > 0 || srv->nlisteners > 0)
    return;
  srv->finishing = 1;
  uv_close((uv_handle_t*)&srv->grace, cz__server_handle_closed);
  uv_close((uv_handle_t*)&srv->resumer, cz__server_handle_closed);
}

void cz__server_conn_freed(cz_server_t* srv) {
  srv->nconns--;
  cz__server_maybe_done(srv);
}

static void cz__grace_cb(uv_timer_t* t) {
  cz_server_t* srv = t->data;
  cz_list_t* n;
  /* Grace is over: whatever is still open is closed now. cz__conn_close() unlinks
   * nothing (the close callback does), so walking the list is safe. */
  for (n = srv->conns.next; n != &srv->conns; n = n->next)
    cz__conn_close(cz_container_of(n, cz_conn_t, node));
}

int cz_server_close(cz_server_t* srv, uint64_t grace_ms) {
  cz_list_t* n;

  if (srv->closing)
    return UV_EALREADY;
  srv->closing = 1;
  if (srv->listener != NULL) {
    uv_close((uv_handle_t*)srv->listener, cz__listener_close_cb);
    srv->listener = NULL;
  }
  if (srv->resumer_on) {
    uv_idle_stop(&srv->resumer);
    srv->resumer_on = 0;
  }
  while (!cz_list_empty(&srv->resume))
    cz_list_remove(srv->resume.next);
  for (n = srv->conns.next; n != &srv->conns; n = n->next) {
    cz_conn_t* c = cz_container_of(n, cz_conn_t, node);
    if (grace_ms == 0)
      cz__conn_close(c);
    else
      cz__conn_drain(c);
  }
  if (grace_ms > 0 && srv->nactive > 0)
    uv_timer_start(&srv->grace, cz__grace_cb, grace_ms, 0);
  cz__server_maybe_done(srv);
  return 0;
}
