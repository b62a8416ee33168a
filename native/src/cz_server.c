/*
 * cz_server.c: the server: create and free, accept (and adopt), listen, the public entry
 * points of the embedder API, and close with grace. The top layer (see cz_server.h): it
 * owns the parse environment, the batch and the connection set, and reaches connections
 * only through cz_conn.h.
 */
#include "cz_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cz_batch.h"
#include "cz_conn.h"
#include "cz_log.h"
#include "cz_parse.h"
#include "cz_table.h"

struct cz_server_s {
  uv_loop_t* loop;
  uv_tcp_t* listener;
  uv_timer_t grace;
  cz_table_t table;
  uint32_t table_gen;     /* bumped by each cz_server_swap_table() */
  cz_table_t* old_tables; /* swapped-out tables: kept loaded until cz_server_free() */
  unsigned nold;
  cz_limits_t limits;
  cz_hooks_t hooks;
  cz_log_t log;
  cz_parse_env_t penv;
  cz_batch_t batch;
  cz_conn_set_t conns;
  cz_alog_t alog;         /* the access log's records (used when opts->access_log) */
  cz_mounts_t* statics;  /* static mounts, or NULL; in-flight file reads hold references */
  unsigned nhandles;      /* grace + the set's resumer: open until the very end */
  unsigned nlisteners;    /* listeners open or closing */
  uint64_t accept_log_ms; /* last accept error logged (loop time) */
  char* health;           /* the readiness path (cz_server_set_health), or NULL */
  uint8_t closing;
  uint8_t finishing;      /* own handles are being closed */
};

static void cz__server_conn_freed(cz_conn_set_t* set);
static void cz__server_set_closed(cz_conn_set_t* set);

/* ---- create / free ------------------------------------------------------------------ */

int cz_server_new(uv_loop_t* loop, const cz_server_options_t* opts, cz_server_t** out,
                  char* err, size_t errlen) {
  const cz_arenas_t* a = &opts->arenas;
  cz_server_t* srv;
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
  r = cz__mount_new(opts->statics, opts->nstatics, &srv->statics, err, errlen);
  if (r != 0) {
    cz_table_unload(&srv->table);
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
  srv->hooks = opts->hooks;
  srv->log.fn = srv->hooks.log;
  srv->log.data = srv->hooks.data;
  cz__parse_env_init(&srv->penv, loop, &srv->limits);
  srv->penv.table = srv->table.t;
  srv->penv.table_gen = 0;
  cz__batch_init(&srv->batch, a, &srv->hooks, srv, &srv->log);
  cz__conn_set_init(&srv->conns, loop, &srv->limits, &srv->penv, &srv->batch, &srv->log);
  cz__alog_init(&srv->alog);
  if (opts->access_log)
    srv->conns.alog = &srv->alog;
  srv->conns.statics = srv->statics;
  srv->conns.freed = cz__server_conn_freed;
  srv->conns.closed = cz__server_set_closed;
  uv_timer_init(loop, &srv->grace);
  srv->grace.data = srv;
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
  srv->penv.table = next.t;
  srv->penv.table_gen = srv->table_gen;
  *gen = srv->table_gen;
  return 0;
}

void cz_server_free(cz_server_t* srv) {
  unsigned i;
  if (srv == NULL)
    return;
  CZ_ASSERT(srv->finishing && srv->nhandles == 0);
  cz_table_unload(&srv->table);
  for (i = 0; i < srv->nold; i++)
    cz_table_unload(&srv->old_tables[i]);
  free(srv->old_tables);
  cz__mount_unref(srv->statics);
  cz__batch_free(&srv->batch);
  cz__alog_free(&srv->alog);
  free(srv->health);
  free(srv);
}

void cz_server_stats(const cz_server_t* srv, unsigned* connections, unsigned* inflight) {
  *connections = srv->conns.nactive;
  *inflight = srv->batch.ctxs.used;
}

int cz_server_peer(cz_server_t* srv, uint32_t ctx, uint32_t gen, char* buf, size_t len) {
  void* conn = cz__batch_owner(&srv->batch, ctx, gen);
  if (conn == NULL)
    return UV_ENOENT;
  return cz__conn_peer_name(conn, buf, len);
}

int cz_server_access_log(cz_server_t* srv, cz_access_view_t* out) {
  const cz_alog_t* a = &srv->alog;
  if (a->n == 0 && a->dropped == 0)
    return 0;
  out->recs = a->recs;
  out->n = a->n;
  out->paths = a->paths;
  out->plen = a->plen;
  out->dropped = a->dropped;
  return 1;
}

void cz_server_access_log_clear(cz_server_t* srv) {
  cz__alog_clear(&srv->alog);
}

static void cz__server_maybe_done(cz_server_t* srv);

/* ---- accept ------------------------------------------------------------------------- */

/* The one way a socket becomes a connection, accepted from the listener (l) or adopted
 * (sock, l == NULL). Over maxConnections, or while closing, it is taken and closed at
 * once, so the client learns now (not after a backlog timeout) and the connections
 * already open are untouched. 0, or a UV_E* error when the socket could not be attached
 * (an adopted one is still the caller's then). */
static int cz__server_take(cz_server_t* srv, uv_stream_t* l, uv_os_sock_t sock) {
  cz_conn_t* c = cz__conn_new(&srv->conns);
  uv_tcp_t* tcp;
  int r;

  if (c == NULL)
    return UV_ENOMEM;
  tcp = cz__conn_tcp(c);
  r = l != NULL ? uv_accept(l, (uv_stream_t*)tcp) : uv_tcp_open(tcp, sock);
  if (r != 0 || srv->closing ||
      (srv->limits.max_connections != 0 && srv->conns.nactive >= srv->limits.max_connections)) {
    cz__conn_refuse(c);
    return r;
  }
  cz__conn_start(c);
  return 0;
}

static void cz__on_connection(uv_stream_t* l, int status) {
  cz_server_t* srv = l->data;

  if (status == 0 && cz__server_take(srv, l, 0) == UV_ENOMEM)
    status = UV_ENOMEM;
  if (status < 0) {
    /* EMFILE and friends repeat for every pending connection: one line a second. */
    uint64_t now = uv_now(srv->loop);
    if (srv->accept_log_ms == 0 || now - srv->accept_log_ms >= 1000) {
      srv->accept_log_ms = now ? now : 1;
      cz_log(&srv->log, "accept: %s", uv_strerror(status));
    }
  }
}

int cz_server_adopt(cz_server_t* srv, uv_os_sock_t sock) {
  if (srv->closing)
    return UV_EINVAL;
  return cz__server_take(srv, NULL, sock);
}

/* ---- listen ------------------------------------------------------------------------- */

static void cz__listener_close_cb(uv_handle_t* h) {
  cz_server_t* srv = h->data;
  free(h);
  srv->nlisteners--;
  cz__server_maybe_done(srv);
}

/* SO_REUSEPORT on a listener that is not bound yet: libuv has UV_TCP_REUSEPORT only from
 * 1.49, and Node 20 ships 1.46, so the option is set on the socket itself (uv_tcp_init_ex
 * creates it). */
static int cz__listener_reuseport(uv_tcp_t* l) {
#if defined(SO_REUSEPORT)
  uv_os_fd_t fd;
  int on = 1;
  int r = uv_fileno((uv_handle_t*)l, &fd);
  if (r != 0)
    return r;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
    return UV_ENOTSUP; /* ENOPROTOOPT: a kernel without it */
  return 0;
#else
  (void)l;
  return UV_ENOTSUP;
#endif
}

int cz_server_listen(cz_server_t* srv, const char* host, int port, int backlog,
                     int* bound_port) {
  return cz_server_listen_ex(srv, host, port, backlog, 0, bound_port);
}

int cz_server_listen_ex(cz_server_t* srv, const char* host, int port, int backlog,
                        unsigned flags, int* bound_port) {
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
  /* With a family the socket exists before bind, so options can be set on it. */
  r = uv_tcp_init_ex(srv->loop, l, (flags & CZ_LISTEN_REUSEPORT) ? ss.ss_family : AF_UNSPEC);
  if (r != 0) {
    free(l);
    return r;
  }
  l->data = srv;
  srv->nlisteners++;
  r = (flags & CZ_LISTEN_REUSEPORT) ? cz__listener_reuseport(l) : 0;
  if (r == 0)
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

int cz_server_set_health(cz_server_t* srv, const char* path) {
  char* copy = NULL;

  if (path != NULL) {
    if (path[0] != '/')
      return UV_EINVAL;
    copy = strdup(path);
    if (copy == NULL)
      return UV_ENOMEM;
  }
  free(srv->health);
  srv->health = copy;
  srv->conns.health = copy;
  srv->conns.health_len = copy != NULL ? strlen(copy) : 0;
  return 0;
}

void cz_server_go_away(cz_server_t* srv) {
  if (srv->closing || srv->conns.going_away)
    return;
  cz__conn_set_go_away(&srv->conns);
  cz__conn_flush_all(&srv->conns);
}

/* ---- the batch and answers (cz_batch.c) ---------------------------------------------- */

int cz_server_batch_body(cz_server_t* srv, unsigned i, char** base, size_t* len) {
  return cz__batch_body(&srv->batch, i, base, len);
}

void cz_server_batch_done(cz_server_t* srv, int threw, cz_large_fn large, void* ud) {
  cz__batch_done(&srv->batch, threw, large, ud);
}

int cz_server_body_pull(cz_server_t* srv, uint32_t ctx, uint32_t gen) {
  return cz__batch_pull(&srv->batch, ctx, gen);
}

/* The response an embedder's answer describes (respond, respondMany, stream). */
static void cz__server_resp(const cz_respond_t* a, cz_resp_t* r) {
  memset(r, 0, sizeof(*r));
  r->status = a->status;
  r->ctype = CZ_RESF_CTYPE(a->flags);
  r->head = a->head;
  r->head_len = a->head_len;
  r->body = a->body;
  r->body_len = a->body_len;
}

static int cz__server_respond(cz_server_t* srv, const cz_respond_t* a) {
  cz_resp_t r;

  cz__server_resp(a, &r);
  return cz__batch_settle(&srv->batch, a->ctx, a->gen, &r, (a->flags & CZ_RESF_CLOSE) != 0);
}

int cz_server_respond(cz_server_t* srv, uint32_t ctx, uint32_t gen, int status, int flags,
                      const char* head, size_t head_len, const char* body, size_t body_len) {
  cz_respond_t a;
  int live;

  a.ctx = ctx;
  a.gen = gen;
  a.status = status;
  a.flags = flags;
  a.head = head;
  a.head_len = head_len;
  a.body = body;
  a.body_len = body_len;
  live = cz__server_respond(srv, &a);
  /* Inside a dispatch this only marked the connection dirty; the batch's flush writes it. */
  cz__conn_flush_all(&srv->conns);
  return live;
}

size_t cz_server_respond_many(cz_server_t* srv, const cz_respond_t* list, size_t n) {
  size_t live = 0;
  size_t i;

  srv->conns.defer++;
  for (i = 0; i < n; i++)
    live += (size_t)cz__server_respond(srv, &list[i]);
  srv->conns.defer--;
  cz__conn_flush_all(&srv->conns);
  return live;
}

int cz_server_stream(cz_server_t* srv, uint32_t ctx, uint32_t gen, int op, const cz_respond_t* a) {
  cz_resp_t r;
  int rc;

  cz__server_resp(a, &r);
  rc = cz__batch_stream(&srv->batch, ctx, gen, op, &r);
  /* Inside a dispatch (or respondMany) the queued bytes wait for its flush, as respond's. */
  cz__conn_flush_all(&srv->conns);
  return rc;
}

int cz_server_watch(cz_server_t* srv, uint32_t ctx, uint32_t gen) {
  return cz__batch_watch(&srv->batch, ctx, gen);
}

/* ---- close ----------------------------------------------------------------------------- */

static void cz__server_handle_closed(cz_server_t* srv) {
  if (--srv->nhandles == 0 && srv->hooks.closed != NULL)
    srv->hooks.closed(srv, srv->hooks.data); /* may free srv: touch nothing after */
}

static void cz__grace_closed_cb(uv_handle_t* h) {
  cz__server_handle_closed(h->data);
}

static void cz__server_set_closed(cz_conn_set_t* set) {
  cz__server_handle_closed(cz_container_of(set, cz_server_t, conns));
}

/* Finishes a close once every connection and listener is gone: the server's own two
 * handles go last, and their close callbacks report to the embedder. */
static void cz__server_maybe_done(cz_server_t* srv) {
  if (!srv->closing || srv->finishing || srv->conns.n > 0 || srv->nlisteners > 0)
    return;
  srv->finishing = 1;
  uv_close((uv_handle_t*)&srv->grace, cz__grace_closed_cb);
  cz__conn_set_close(&srv->conns);
}

static void cz__server_conn_freed(cz_conn_set_t* set) {
  cz__server_maybe_done(cz_container_of(set, cz_server_t, conns));
}

static void cz__grace_cb(uv_timer_t* t) {
  cz_server_t* srv = t->data;
  /* Grace is over: whatever is still open is closed now. */
  cz__conn_close_all(&srv->conns);
}

/* Takes the connections waiting in the listener's accept queue before it closes: closing
 * a listening socket resets them, and their clients (which already count them connected,
 * and may have sent a request) could not tell that from a failure. Taken now, they are
 * drained like the others: a request that arrived is answered. Those that complete the
 * handshake between this and the close are still reset; with SO_REUSEPORT, Linux's
 * net.ipv4.tcp_migrate_req = 1 hands them to another listener of the group instead. */
static void cz__server_accept_pending(cz_server_t* srv) {
  uv_os_fd_t fd;
  int s;

  if (uv_fileno((uv_handle_t*)srv->listener, &fd) != 0)
    return;
  while ((s = accept(fd, NULL, NULL)) >= 0) {
    /* uv_tcp_open makes it non-blocking; close-on-exec as libuv's own accept does. */
    (void)fcntl(s, F_SETFD, FD_CLOEXEC);
    if (cz__server_take(srv, NULL, s) != 0)
      close(s);
  }
}

int cz_server_close(cz_server_t* srv, uint64_t grace_ms) {
  if (srv->closing)
    return UV_EALREADY;
  if (srv->listener != NULL)
    cz__server_accept_pending(srv);
  srv->closing = 1;
  if (srv->listener != NULL) {
    uv_close((uv_handle_t*)srv->listener, cz__listener_close_cb);
    srv->listener = NULL;
  }
  cz__conn_set_stop(&srv->conns, grace_ms);
  if (grace_ms > 0 && srv->conns.nactive > 0)
    uv_timer_start(&srv->grace, cz__grace_cb, grace_ms, 0);
  cz__server_maybe_done(srv);
  return 0;
}
