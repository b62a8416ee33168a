/*
 * cz_server.h: the native HTTP/1.1 server, as seen by its embedder (binding.cc, or a
 * fuzzer). Plain C; knows libuv but nothing of N-API. The embedder supplies the loop,
 * the shared arenas and a hooks struct; docs/internals.md describes the arenas' layout.
 *
 * How the implementation is layered. Each file includes only the ones below it (and this
 * header's public types, as libuv's files all include uv.h); where a lower layer must
 * reach a higher one it calls a function pointer the higher one set at init, never an
 * include. Every cz__x_* function lives in cz_x.c.
 *
 *   cz_server.c  accept and adopt (one path), listen, close with grace, the entry points
 *       |        below; owns the parse environment, the batch and the connection set
 *   cz_conn.c    the socket, the feed loop that drives the parser, pipeline slots, the
 *       |        write path, timers, the one stop path; the set of connections
 *   cz_out.c     the outgoing queue: copied bytes and body sources (cz_out.h)
 *   cz_batch.c   the JS boundary: fill the arenas, run the dispatch hook, and settle
 *       |        every answer (sync result, respond, a throw) through one function;
 *       |        answers go up through batch->settle, set by cz_conn.c
 *   cz_parse.c   llhttp callbacks -> a request record (cz_parse.h); reports to its owner
 *       |        through two hooks (head, complete) set by cz_conn.c
 *   leaves       cz_http.c (buffers, Date, rendering), cz_fields.c (field grammar),
 *                cz_ctx.c (request contexts), cz_table.c (routes.so), cz_log.c (log line,
 *                CZ_ASSERT), cz_list.h
 */
#ifndef CZ_SERVER_H
#define CZ_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cz_http.h"
#include "cz_mount.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Batch and arena layout (docs/internals.md, "The boundary"). */
#define CZ_BATCH_MAX 256
#define CZ_REQ_STRIDE 48
#define CZ_RES_STRIDE 8

enum cz_req_slot {
  CZ_REQ_ROUTE = 0,
  CZ_REQ_CTX = 1,
  CZ_REQ_GEN = 2,
  CZ_REQ_METHOD = 3,
  CZ_REQ_URL_OFF = 4,
  CZ_REQ_URL_LEN = 5,
  CZ_REQ_PATH_LEN = 6,
  CZ_REQ_HDR_OFF = 7,
  CZ_REQ_HDR_LEN = 8,
  CZ_REQ_HDR_COUNT = 9,
  CZ_REQ_FLAGS = 10,
  CZ_REQ_NPARAMS = 11,
  CZ_REQ_PARAMS = 12,     /* CZ_MAX_PARAMS pairs: slots 12..43 */
  CZ_REQ_TABLE = 44,      /* generation of the route table ROUTE indexes (0 until a swap) */
  CZ_REQ_ID = 45,         /* the server's request counter (uint32, wraps): req.id, the access log's */
  CZ_REQ_BODY_OFF = 46,   /* CZ_REQF_BODY_ARENA: offset in reqData of the body... */
  CZ_REQ_BODY_LEN = 47    /* ...and its length */
};

enum cz_req_flags {
  CZ_REQF_KEEP_ALIVE = 1 << 0,
  CZ_REQF_HTTP10 = 1 << 1,
  CZ_REQF_BODY = 1 << 2,
  CZ_REQF_BODY_ARENA = 1 << 3, /* the body is in reqData (BODY_OFF, BODY_LEN), not bodies[i] */
  CZ_REQF_STREAM = 1 << 4 /* the body follows through hooks.body (a CZ_ROUTE_STREAM route) */
};

/* hooks.body's event: what follows the bytes it hands over. Any other value is the HTTP
 * status C answers the request with instead (400 malformed chunked, 408, 413): the body
 * ends in error, and JS's own answer to the request is dropped. */
enum cz_body_event {
  CZ_BODY_DATA = 0,  /* more bytes follow */
  CZ_BODY_END = 1,   /* the body is complete */
  CZ_BODY_ABORT = 2  /* the connection went (client EOF or reset, server close) */
};

/* The embedder's hold array (cz_arenas_t.hold; the Node binding's opts.hold). C reads
 * CZ_HOLD_PENDING; the binding clears CZ_HOLD_OPEN once cz_server_batch_done() has read
 * the batch's res_meta: until then the runtime may answer a request of that batch in its
 * res_meta slot instead of through respondMany. */
enum cz_hold_slot {
  CZ_HOLD_PENDING = 0,
  CZ_HOLD_OPEN = 1
};

/* A buffered body at most 1/CZ_BODY_ARENA_DIV of reqData is copied into reqData beside its
 * head (no Buffer per body); a larger one still crosses as its own Buffer in bodies[i]. */
#define CZ_BODY_ARENA_DIV 4

enum cz_res_slot {
  CZ_RES_STATUS = 0,
  CZ_RES_FLAGS = 1,
  CZ_RES_HEAD_OFF = 2,
  CZ_RES_HEAD_LEN = 3,
  CZ_RES_BODY_OFF = 4,
  CZ_RES_BODY_LEN = 5,
  CZ_RES_CTX = 6,         /* respondMany's entries only: which pending request... */
  CZ_RES_GEN = 7          /* ...and its generation */
};

/* Access log records (cz_alog.h; binding.cc drainAccessLog): CZ_ALOG_STRIDE int32 each. */
#define CZ_ALOG_STRIDE 16
enum cz_alog_slot {
  CZ_ALOG_ID = 0,       /* the request's id (CZ_REQ_ID), uint32 */
  CZ_ALOG_METHOD = 1,   /* llhttp method, -1 when the request line was never read */
  CZ_ALOG_STATUS = 2,
  CZ_ALOG_FAMILY = 3,   /* peer address: 4, 6, or 0 (not IP, e.g. inject()'s socketpair) */
  CZ_ALOG_BYTES_LO = 4, /* response bytes queued (head and body), uint64 as two halves */
  CZ_ALOG_BYTES_HI = 5,
  CZ_ALOG_DUR_US = 6,   /* head complete -> response queued, microseconds */
  CZ_ALOG_END_HI = 7,   /* uv_hrtime() when the response was queued, ns, two halves */
  CZ_ALOG_END_LO = 8,
  CZ_ALOG_PORT = 9,     /* peer port */
  CZ_ALOG_ADDR = 10,    /* peer address bytes, network order: 4 (IPv4) or 16 (IPv6), slots 10..13 */
  CZ_ALOG_PATH_OFF = 14,/* the request path (no query) in the drain's path bytes */
  CZ_ALOG_PATH_LEN = 15
};

/* Answers per respondMany call (the binding's async answer queue, one RES_STRIDE each). */
#define CZ_RESPOND_MANY_MAX 256

enum cz_res_flags {
  CZ_RESF_LARGE = 1 << 0, /* body is large[i] (or respond's `large` argument) */
  CZ_RESF_CLOSE = 1 << 1  /* close the connection after this response */
};
/* Bits 2-4 of the flags: enum cz_ctype, a Content-Type line C writes before the head, so
 * the common responses cost JS no header write at all. */
#define CZ_RESF_CTYPE(flags) (((flags) >> 2) & 7)

/* Streamed responses (cz_server_stream, docs/streaming.md): the operations... */
enum cz_stream_op {
  CZ_STREAM_START = 1, /* the head: status, flags (content type), extra lines */
  CZ_STREAM_PUSH = 2,  /* a chunk of the body */
  CZ_STREAM_END = 3,   /* the body is complete */
  CZ_STREAM_ABORT = 4  /* the producer failed: close without ending the body */
};
/* ...and what they return. */
enum cz_stream_rc {
  CZ_STREAM_GONE = -1,  /* (ctx, gen) is stale: the client went away */
  CZ_STREAM_WAIT = 0,   /* queued; push no more until hooks.event reports CZ_EV_DRAIN */
  CZ_STREAM_MORE = 1,   /* queued; push more now */
  CZ_STREAM_NOBODY = 2  /* START of a response that carries no body (HEAD, 204, 304): END it */
};
/* Unwritten bytes of a connection (or of a stream waiting for its turn in the pipeline)
 * past which a push answers CZ_STREAM_WAIT. */
#define CZ_STREAM_HIGH (64u * 1024u)

/* What hooks.event reports about a request JS still holds. */
enum cz_event {
  CZ_EV_DRAIN = 1, /* a stream that was told CZ_STREAM_WAIT may push again */
  CZ_EV_GONE = 2   /* a watched request was dropped unanswered (client gone, connection
                    * closed): its (ctx, gen) is stale from now on */
};

typedef struct cz_server_s cz_server_t;

/* Memory shared with JS; the embedder keeps it alive for the server's life. */
typedef struct cz_arenas_s {
  int32_t* req_meta;
  size_t req_meta_len;  /* in int32 */
  char* req_data;
  size_t req_data_len;
  int32_t* res_meta;
  size_t res_meta_len;  /* in int32 */
  char* res_data;
  size_t res_data_len;
  /* Optional. The embedder sets *hold != 0 while requests of the last batch still read
   * req_meta/req_data (async handlers that have not settled); before writing the next
   * batch over them C then calls hooks.release, which copies out what it still needs. */
  int32_t* hold;
} cz_arenas_t;

/* Body of a response whose FLAGS bit0 is set: the embedder returns large[i]. */
typedef int (*cz_large_fn)(void* ud, unsigned i, const char** base, size_t* len);

typedef struct cz_hooks_s {
  /* A batch of n requests is in the arenas. The hook runs JS, then calls
   * cz_server_batch_done() exactly once, then returns. The Node binding calls it after the
   * microtask checkpoint that closes its callback scope, so that answers settling there are
   * read from res_meta like sync results (CZ_HOLD_OPEN). Bodies: cz_server_batch_body(). */
  void (*dispatch)(cz_server_t* srv, void* data, unsigned n, int has_bodies);
  /* The request arenas are about to be overwritten while *arenas.hold != 0 (see there).
   * Runs from the read path, outside any batch; must not call back into the server. */
  void (*release)(cz_server_t* srv, void* data);
  /* Everything is closed and every handle freed; call cz_server_free() now or later. */
  void (*closed)(cz_server_t* srv, void* data);
  /* One line, no newline. May be NULL (stderr). */
  void (*log)(void* data, const char* msg);
  void* data;
  /* Optional: enum cz_event about request (ctx, gen). Runs from inside the server (a write
   * completing, a connection closing, even a call the embedder made): it must only note
   * the event, never call back into the server before it returns. */
  void (*event)(cz_server_t* srv, void* data, int ev, uint32_t ctx, uint32_t gen);
  /* A streamed request's body (CZ_REQF_STREAM), named by the (ctx, gen) it was dispatched
   * with: bytes (len may be 0) and an enum cz_body_event or error status. Called outside
   * any batch, each request's calls in order, ending with exactly one END, ABORT or status.
   * Returns nonzero while the embedder wants more: 0 stops reading the socket until it
   * calls cz_server_body_pull(). May be NULL only for tables without streamed routes. */
  int (*body)(cz_server_t* srv, void* data, uint32_t ctx, uint32_t gen, const char* base, size_t len,
              int event);
} cz_hooks_t;

/* Default limits.send_timeout_ms of the addon: a client that reads none of its responses
 * for this long is disconnected (node:http's server.timeout-like guard; 0 = off). */
#define CZ_SEND_TIMEOUT_MS 30000

typedef struct cz_server_options_s {
  const char* table_path;
  const char* fingerprint;  /* NULL: not checked */
  cz_limits_t limits;
  cz_arenas_t arenas;
  cz_hooks_t hooks;
  /* Keep a record per finished request for cz_server_access_log() (the access log). */
  int access_log;
  /* Static file mounts (app.static), served in C after the routes: a path a route
   * matches (any method) is the route's. Copied; the roots are opened at once. */
  const cz_static_opts_t* statics;
  size_t nstatics;
} cz_server_options_t;

/* Loads the route table and allocates the server. 0, or a negative error with a
 * sentence in err. */
int cz_server_new(uv_loop_t* loop, const cz_server_options_t* opts, cz_server_t** out,
                  char* err, size_t errlen);

/* Binds and listens; host is an IPv4 or IPv6 literal ("localhost" means 127.0.0.1).
 * 0 with *bound_port set, or a UV_E* error. */
int cz_server_listen(cz_server_t* srv, const char* host, int port, int backlog,
                     int* bound_port);

/* Flags of cz_server_listen_ex(). */
enum cz_listen_flags {
  /* SO_REUSEPORT: other sockets (threads, processes of the same user) may bind the same
   * address and port, and the kernel spreads new connections across them. UV_ENOTSUP
   * where the platform has no SO_REUSEPORT. */
  CZ_LISTEN_REUSEPORT = 1 << 0
};

/* cz_server_listen() with flags (enum cz_listen_flags). */
int cz_server_listen_ex(cz_server_t* srv, const char* host, int port, int backlog,
                        unsigned flags, int* bound_port);

/* The readiness path answered in C (GET/HEAD: 200 "ok" while serving, 503 "draining"
 * once cz_server_go_away() ran; other methods 405), before the app's routes; NULL turns
 * it off. path must start with "/" and is compared with the request path as received
 * (no query). 0, UV_EINVAL or UV_ENOMEM. */
int cz_server_set_health(cz_server_t* srv, const char* path);

/* The first step of a graceful shutdown, before cz_server_close(): the server keeps
 * accepting and serving, but the health path answers 503 and every response from now on
 * (the last one each connection owes, and each new request's) carries Connection: close,
 * so balancers and keep-alive clients move to other instances. Idempotent. */
void cz_server_go_away(cz_server_t* srv);

/* Serves an already-connected stream socket as if it had been accepted (tests and the
 * fuzzer feed the server through a socketpair), maxConnections included: over it the
 * socket is taken and closed at once. 0, or a UV_E* error (sock is still the caller's
 * then). */
int cz_server_adopt(cz_server_t* srv, uv_os_sock_t sock);

/* Hands C the response for a pending request. head: extra header lines; body: the body.
 * 1 when queued, 0 when (ctx, gen) is stale (client gone, already answered). */
int cz_server_respond(cz_server_t* srv, uint32_t ctx, uint32_t gen, int status, int flags,
                      const char* head, size_t head_len, const char* body, size_t body_len);

/* One entry of cz_server_respond_many(). */
typedef struct cz_respond_s {
  uint32_t ctx;
  uint32_t gen;
  int status;
  int flags;
  const char* head;
  size_t head_len;
  const char* body;
  size_t body_len;
} cz_respond_t;

/* cz_server_respond() for n responses that settled together: all are queued first, then
 * one flush, so they leave in one write per connection. Returns how many were live. */
size_t cz_server_respond_many(cz_server_t* srv, const cz_respond_t* list, size_t n);

/* A streamed response for pending request (ctx, gen): op is enum cz_stream_op; START
 * takes a->status, a->flags (CZ_RESF_CTYPE) and a->head, PUSH a->body. Returns enum
 * cz_stream_rc. The stream keeps the request's place in its connection's pipeline: later
 * responses wait until END; its bytes leave as soon as every earlier response has. After
 * END or ABORT (ctx, gen) is stale. */
int cz_server_stream(cz_server_t* srv, uint32_t ctx, uint32_t gen, int op, const cz_respond_t* a);

/* Asks for a CZ_EV_GONE event if pending request (ctx, gen) is dropped unanswered.
 * 1, or 0 when it is stale already. */
int cz_server_watch(cz_server_t* srv, uint32_t ctx, uint32_t gen);

/* Stops accepting, closes idle connections, lets pending responses finish for up to
 * grace_ms, then force-closes; hooks.closed runs when all is closed. 0, or UV_EALREADY. */
int cz_server_close(cz_server_t* srv, uint64_t grace_ms);

/* Loads another route table (a path never loaded before: dlopen caches by name) and
 * matches every request whose headers complete from now on against it; requests matched
 * earlier keep their table (and report its generation in CZ_REQ_TABLE). The old table
 * stays loaded until cz_server_free(). 0 with *gen set to the new generation, or a
 * negative error with a sentence in err (the current table is kept). */
int cz_server_swap_table(cz_server_t* srv, const char* table_path, const char* fingerprint,
                         uint32_t* gen, char* err, size_t errlen);

/* The embedder consumed what hooks.body gave for (ctx, gen) and wants more: reading
 * resumes if it had stopped. 1 when the request is still reading its body, else 0. */
int cz_server_body_pull(cz_server_t* srv, uint32_t ctx, uint32_t gen);

/* Frees a server whose closed hook has run. */
void cz_server_free(cz_server_t* srv);

void cz_server_stats(const cz_server_t* srv, unsigned* connections, unsigned* inflight);

/* The peer address of the connection request (ctx, gen) came on, as text ("127.0.0.1",
 * "::1"), looked up once per connection. 0, UV_ENOENT when (ctx, gen) is stale, or
 * UV_EAFNOSUPPORT when the peer has no IP address (a socketpair). */
int cz_server_peer(cz_server_t* srv, uint32_t ctx, uint32_t gen, char* buf, size_t len);

/* The access-log records kept since the last cz_server_access_log_clear(). */
typedef struct cz_access_view_s {
  const int32_t* recs; /* n records of CZ_ALOG_STRIDE int32 */
  size_t n;
  const char* paths;   /* CZ_ALOG_PATH_OFF/LEN index these bytes */
  size_t plen;
  uint64_t dropped;    /* records not kept (the buffer was full) */
} cz_access_view_t;

/* 1 with *out filled when there is something to take (records or drops), else 0 (also
 * when the server keeps no access log). The view is valid until the next call into the
 * server; copy it, then cz_server_access_log_clear(). */
int cz_server_access_log(cz_server_t* srv, cz_access_view_t* out);
void cz_server_access_log_clear(cz_server_t* srv);

/* Only inside hooks.dispatch: takes ownership (free()) of request i's body, if any. */
int cz_server_batch_body(cz_server_t* srv, unsigned i, char** base, size_t* len);

/* Only inside hooks.dispatch: consumes resMeta for the batch. threw != 0 answers every
 * request of the batch with 500. */
void cz_server_batch_done(cz_server_t* srv, int threw, cz_large_fn large, void* ud);

#ifdef __cplusplus
}
#endif

#endif /* CZ_SERVER_H */
