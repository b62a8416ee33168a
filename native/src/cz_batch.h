/*
 * cz_batch.h: the JS boundary. A batch is the set of requests completed while parsing one
 * read (or one resume): each is written into the request arenas (cz__batch_add), the
 * whole batch crosses into JS once (cz__batch_run, the embedder's dispatch hook), and
 * every answer, a sync result read from resMeta when the hook reports (cz__batch_done)
 * or a later respond(), goes back through one function, cz__batch_settle().
 *
 * The layer above (cz_conn.c) owns the requests' connections and pipeline slots; this
 * layer only names them, through the context slab JS sees as (ctx, gen), and hands each
 * answer up through the settle function that layer sets (b->settle), never an include.
 */
#ifndef CZ_BATCH_H
#define CZ_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cz_ctx.h"
#include "cz_http.h"
#include "cz_log.h"
#include "cz_parse.h"
#include "cz_server.h" /* the public types: arenas, hooks, the CZ_REQ_ and CZ_RES_ layout */

typedef struct cz_batch_item_s {
  uint32_t ctx;
  uint32_t gen;
  char* body;
  size_t body_len;
} cz_batch_item_t;

/* Delivers an answer to the request's owner: (conn, slot) as given to cz__batch_add(),
 * whose context is already released. resp NULL means 500; close: close the connection
 * after this response (CZ_RESF_CLOSE). */
typedef void (*cz_settle_fn)(void* conn, void* slot, const cz_resp_t* resp, int close);

/* A stream operation (enum cz_stream_op) for its request's owner: (conn, slot) as given to
 * cz__batch_add(). For END and ABORT the context is already released. Returns enum
 * cz_stream_rc. */
typedef int (*cz_stream_fn)(void* conn, void* slot, int op, const cz_resp_t* resp);
/* A streamed request's reader wants more of its body: (conn, slot) as given to
 * cz__batch_add(). 1 when that request still reads its body. */
typedef int (*cz_pull_fn)(void* conn, void* slot);

typedef struct cz_batch_s {
  cz_arenas_t arenas;
  const cz_hooks_t* hooks;
  cz_server_t* srv;      /* the hooks' first argument; opaque here */
  const cz_log_t* log;
  cz_settle_fn settle;   /* set by the owner of the requests (cz_conn.c) */
  cz_stream_fn stream;   /* likewise, for streamed responses */
  cz_pull_fn pull;       /* set by the owner of the requests (cz_conn.c) */
  cz_ctx_slab_t ctxs;    /* requests JS may still answer */
  unsigned max;          /* requests per batch: CZ_BATCH_MAX or what the arenas hold */
  unsigned n;
  size_t data_used;      /* bytes of req_data taken by this batch */
  uint8_t has_bodies;
  uint8_t done;          /* the hook reported (cz__batch_done) */
  uint8_t running;       /* inside the dispatch hook */
  cz_batch_item_t items[CZ_BATCH_MAX];
} cz_batch_t;

void cz__batch_init(cz_batch_t* b, const cz_arenas_t* arenas, const cz_hooks_t* hooks,
                    cz_server_t* srv, const cz_log_t* log);
void cz__batch_free(cz_batch_t* b);

/* Is the body of the request p completed written into req_data (CZ_REQF_BODY_ARENA)? */
static inline int cz__batch_body_in_arena(const cz_batch_t* b, const cz_parser_t* p) {
  return p->req.keep_body && p->req.body_len <= b->arenas.req_data_len / CZ_BODY_ARENA_DIV;
}

/* Bytes of req_data the request p completed needs: target, headers when read, and the
 * body when it goes there. Only for a matched route. */
static inline size_t cz__batch_need(const cz_batch_t* b, const cz_parser_t* p) {
  size_t need = cz__parse_arena_bytes(p);
  if (cz__batch_body_in_arena(b, p))
    need += p->req.body_len;
  return need;
}

/* Does a request needing `need` bytes of req_data fit this batch? */
static inline int cz__batch_fits(const cz_batch_t* b, size_t need) {
  return b->n < b->max && need <= b->arenas.req_data_len - b->data_used;
}

/* Appends the request p just completed (a matched, non-const route) and takes its body.
 * It must fit (cz__batch_fits). 0, or UV_ENOMEM when no context is left. */
int cz__batch_add(cz_batch_t* b, cz_parser_t* p, void* conn, void* slot, int keep_alive,
                  uint32_t* ctx);

/* Hands the batch to JS and settles its sync results; nothing when it is empty. */
void cz__batch_run(cz_batch_t* b);

/* cz_server_batch_body() and cz_server_batch_done(), inside the dispatch hook. */
int cz__batch_body(cz_batch_t* b, unsigned i, char** base, size_t* len);
void cz__batch_done(cz_batch_t* b, int threw, cz_large_fn large, void* ud);

/* The one way an answer reaches its request: a sync result, a later respond(), or the 500
 * of a batch that threw. 1 when delivered, 0 when (ctx, gen) is stale (the connection
 * went away, or the request was answered already). */
int cz__batch_settle(cz_batch_t* b, uint32_t ctx, uint32_t gen, const cz_resp_t* resp, int close);

/* The connection (the `conn` given to cz__batch_add) of live context (ctx, gen), or NULL. */
void* cz__batch_owner(cz_batch_t* b, uint32_t ctx, uint32_t gen);
/* The request's owner dropped it unanswered: its context goes stale (and JS hears of it,
 * CZ_EV_GONE, when it watches the context). */
void cz__batch_forget(cz_batch_t* b, uint32_t ctx);

/* A stream operation for (ctx, gen), handed to b->stream; CZ_STREAM_GONE when stale. */
int cz__batch_stream(cz_batch_t* b, uint32_t ctx, uint32_t gen, int op, const cz_resp_t* resp);

/* Marks (ctx, gen) watched; 0 when stale. */
int cz__batch_watch(cz_batch_t* b, uint32_t ctx, uint32_t gen);

/* Reports event ev (enum cz_event) about live context ctx to the embedder. */
void cz__batch_notify(cz_batch_t* b, uint32_t ctx, int ev);

/* The generation of live context ctx (what JS names the request by, with ctx). */
static inline uint32_t cz__batch_gen(const cz_batch_t* b, uint32_t ctx) {
  return b->ctxs.items[ctx].gen;
}

/* A streamed request's body: hands bytes and an enum cz_body_event (or an error status)
 * to the embedder's body hook. Never inside the dispatch hook. Returns nonzero while the
 * embedder wants more (0: stop reading until cz__batch_pull). */
int cz__batch_body_in(cz_batch_t* b, uint32_t ctx, uint32_t gen, const char* base, size_t len, int event);

/* cz_server_body_pull(): the embedder wants more of (ctx, gen)'s body; 0 when stale. */
int cz__batch_pull(cz_batch_t* b, uint32_t ctx, uint32_t gen);

#endif /* CZ_BATCH_H */
