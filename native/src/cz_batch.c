/*
 * cz_batch.c: filling the request arenas, the crossing into JS, and settling answers.
 *
 * The arenas hold one batch at a time. An async request keeps reading them after the
 * dispatch hook returns; the embedder says so through *arenas.hold, and the first request
 * of the next batch calls hooks.release first, which copies out what is still read.
 */
#include "cz_batch.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

void cz__batch_init(cz_batch_t* b, const cz_arenas_t* arenas, const cz_hooks_t* hooks,
                    cz_server_t* srv, const cz_log_t* log) {
  size_t max = CZ_BATCH_MAX;

  memset(b, 0, sizeof(*b));
  b->arenas = *arenas;
  b->hooks = hooks;
  b->srv = srv;
  b->log = log;
  if (arenas->req_meta_len / CZ_REQ_STRIDE < max)
    max = arenas->req_meta_len / CZ_REQ_STRIDE;
  if (arenas->res_meta_len / CZ_RES_STRIDE < max)
    max = arenas->res_meta_len / CZ_RES_STRIDE;
  b->max = (unsigned)max;
  cz_ctx_slab_init(&b->ctxs);
}

void cz__batch_free(cz_batch_t* b) {
  CZ_ASSERT(b->n == 0 && !b->running);
  cz_ctx_slab_free(&b->ctxs);
}

int cz__batch_add(cz_batch_t* b, cz_parser_t* p, void* conn, void* slot, int keep_alive,
                  uint32_t* ctx) {
  const cz_req_t* r = &p->req;
  unsigned i = b->n;
  size_t need = cz__parse_arena_bytes(p);
  size_t off = b->data_used;
  int with_hdrs = need > r->url_len;
  int body_in_arena = cz__batch_body_in_arena(b, p);
  int32_t* m = b->arenas.req_meta + (size_t)i * CZ_REQ_STRIDE;
  cz_batch_item_t* it = &b->items[i];
  uint32_t idx;
  uint32_t gen;
  unsigned k;
  int flags = 0;

  /* The caller checked the fit (or ran the batch first); JS is not reading the arenas. */
  CZ_ASSERT(!b->running);
  CZ_ASSERT(cz__batch_fits(b, cz__batch_need(b, p)));
  if (cz_ctx_acquire(&b->ctxs, conn, slot, &idx) != 0)
    return UV_ENOMEM;
  gen = b->ctxs.items[idx].gen;
  /* The first request of a batch overwrites the last one's: let pending handlers copy out
   * what they still read. Only while some do (*hold), so a batch whose async handlers all
   * settled in its own microtask checkpoint costs nothing here. */
  if (i == 0 && b->arenas.hold != NULL && *b->arenas.hold != 0 && b->hooks->release != NULL)
    b->hooks->release(b->srv, b->hooks->data);
  /* The URL and the header block are contiguous in hbuf: one copy. */
  memcpy(b->arenas.req_data + off, p->hbuf.base, need);

  if (keep_alive)
    flags |= CZ_REQF_KEEP_ALIVE;
  if (p->ll.http_major == 1 && p->ll.http_minor == 0)
    flags |= CZ_REQF_HTTP10;
  if (r->keep_body)
    flags |= CZ_REQF_BODY;
  /* A body that fits goes beside its head: JS reads (decodes, parses) it from there, with
   * no Buffer, no copy and no allocation per request. The parser's buffer stays with the
   * parser and is freed by the caller as for a body no batch took. */
  if (body_in_arena) {
    flags |= CZ_REQF_BODY_ARENA;
    if (r->body_len > 0)
      memcpy(b->arenas.req_data + off + need, r->body, r->body_len);
    m[CZ_REQ_BODY_OFF] = (int32_t)(off + need);
    m[CZ_REQ_BODY_LEN] = (int32_t)r->body_len;
  }
  if (r->stream)
    flags |= CZ_REQF_STREAM | CZ_REQF_BODY;

  m[CZ_REQ_ROUTE] = r->route;
  m[CZ_REQ_CTX] = (int32_t)idx;
  m[CZ_REQ_GEN] = (int32_t)gen;
  m[CZ_REQ_METHOD] = p->ll.method;
  m[CZ_REQ_URL_OFF] = (int32_t)off;
  m[CZ_REQ_URL_LEN] = (int32_t)r->url_len;
  m[CZ_REQ_PATH_LEN] = (int32_t)r->path_len;
  m[CZ_REQ_HDR_OFF] = with_hdrs ? (int32_t)(off + r->url_len) : -1;
  m[CZ_REQ_HDR_LEN] = with_hdrs ? (int32_t)(need - r->url_len) : 0;
  m[CZ_REQ_HDR_COUNT] = (int32_t)r->hdr_count;
  m[CZ_REQ_FLAGS] = flags;
  m[CZ_REQ_NPARAMS] = r->m.nparams;
  m[CZ_REQ_TABLE] = (int32_t)r->table_gen;
  m[CZ_REQ_ID] = (int32_t)r->id;
  for (k = 0; k < r->m.nparams; k++) {
    m[CZ_REQ_PARAMS + 2 * k] = r->m.params[k][0];
    m[CZ_REQ_PARAMS + 2 * k + 1] = r->m.params[k][1];
  }

  it->ctx = idx;
  it->gen = gen;
  it->body = NULL;
  it->body_len = 0;
  if (r->keep_body && !body_in_arena) {
    it->body_len = r->body_len;
    it->body = cz__parse_take_body(p);
    b->has_bodies = 1;
  }
  if (r->stream)
    b->has_bodies = 1; /* bodies[i] marks it: its bytes follow through the body hook */
  b->n++;
  b->data_used += need + (body_in_arena ? r->body_len : 0);
  *ctx = idx;
  return 0;
}

int cz__batch_body(cz_batch_t* b, unsigned i, char** base, size_t* len) {
  cz_batch_item_t* it;
  if (!b->running || i >= b->n)
    return 0;
  it = &b->items[i];
  *base = it->body;
  *len = it->body_len;
  it->body = NULL;
  it->body_len = 0;
  return *base != NULL || *len == 0;
}

/* Releases live context x (index ctx) and hands the answer to its request's owner. */
static void cz__batch_deliver(cz_batch_t* b, uint32_t ctx, cz_ctx_t* x, const cz_resp_t* resp, int close) {
  void* conn = x->conn;
  void* slot = x->slot;

  cz_ctx_release(&b->ctxs, ctx);
  b->settle(conn, slot, resp, close);
}

int cz__batch_settle(cz_batch_t* b, uint32_t ctx, uint32_t gen, const cz_resp_t* resp, int close) {
  cz_ctx_t* x = cz_ctx_get(&b->ctxs, ctx, gen);

  if (x == NULL)
    return 0;
  cz__batch_deliver(b, ctx, x, resp, close);
  return 1;
}

void* cz__batch_owner(cz_batch_t* b, uint32_t ctx, uint32_t gen) {
  cz_ctx_t* x = cz_ctx_get(&b->ctxs, ctx, gen);
  return x == NULL ? NULL : x->conn;
}

void cz__batch_forget(cz_batch_t* b, uint32_t ctx) {
  /* Only a watched context costs a call: a request whose signal nobody read, dropped
   * because its client left, is simply released. */
  if (b->ctxs.items[ctx].watched)
    cz__batch_notify(b, ctx, CZ_EV_GONE);
  cz_ctx_release(&b->ctxs, ctx);
}

void cz__batch_notify(cz_batch_t* b, uint32_t ctx, int ev) {
  CZ_ASSERT(ctx < b->ctxs.cap && b->ctxs.items[ctx].next_free == CZ_CTX_NONE);
  if (b->hooks->event != NULL)
    b->hooks->event(b->srv, b->hooks->data, ev, ctx, b->ctxs.items[ctx].gen);
}

int cz__batch_watch(cz_batch_t* b, uint32_t ctx, uint32_t gen) {
  cz_ctx_t* x = cz_ctx_get(&b->ctxs, ctx, gen);
  if (x == NULL)
    return 0;
  x->watched = 1;
  return 1;
}

int cz__batch_stream(cz_batch_t* b, uint32_t ctx, uint32_t gen, int op, const cz_resp_t* resp) {
  cz_ctx_t* x = cz_ctx_get(&b->ctxs, ctx, gen);
  void* conn;
  void* slot;

  if (x == NULL || b->stream == NULL)
    return CZ_STREAM_GONE;
  conn = x->conn;
  slot = x->slot;
  /* The last operations end the request: its name goes stale before its owner runs (which
   * may close the connection and so drop slots). */
  if (op == CZ_STREAM_END || op == CZ_STREAM_ABORT)
    cz_ctx_release(&b->ctxs, ctx);
  else if (op == CZ_STREAM_START)
    x->watched = 1; /* JS must hear when the client goes, to stop pulling the source */
  return b->stream(conn, slot, op, resp);
}

int cz__batch_body_in(cz_batch_t* b, uint32_t ctx, uint32_t gen, const char* base, size_t len, int event) {
  /* The batch that carried the request has run (JS holds it). An ABORT or error may come
   * while a later batch settles (a closing response stops the connection): the hook only
   * ends a stream then, which is safe inside the dispatch hook. */
  if (b->hooks->body == NULL)
    return 1;
  return b->hooks->body(b->srv, b->hooks->data, ctx, gen, base, len, event);
}

int cz__batch_pull(cz_batch_t* b, uint32_t ctx, uint32_t gen) {
  cz_ctx_t* x = cz_ctx_get(&b->ctxs, ctx, gen);
  if (x == NULL || b->pull == NULL)
    return 0; /* answered, or its connection went: nothing to resume */
  return b->pull(x->conn, x->slot);
}

static int cz__range_ok(int32_t off, int32_t len, size_t size) {
  return off >= 0 && len >= 0 && (size_t)off <= size && (size_t)len <= size - (size_t)off;
}

/* Reads request i's sync result from resMeta into *r. 0, or -1 for a bad one. */
static int cz__batch_result(cz_batch_t* b, unsigned i, cz_large_fn large, void* ud, cz_resp_t* r) {
  const cz_arenas_t* a = &b->arenas;
  const int32_t* res = a->res_meta + (size_t)i * CZ_RES_STRIDE;

  memset(r, 0, sizeof(*r));
  r->status = res[CZ_RES_STATUS];
  r->ctype = CZ_RESF_CTYPE(res[CZ_RES_FLAGS]);
  if (!cz__range_ok(res[CZ_RES_HEAD_OFF], res[CZ_RES_HEAD_LEN], a->res_data_len))
    return -1;
  r->head = a->res_data + res[CZ_RES_HEAD_OFF];
  r->head_len = (size_t)res[CZ_RES_HEAD_LEN];
  if (res[CZ_RES_FLAGS] & CZ_RESF_LARGE)
    return large != NULL && large(ud, i, &r->body, &r->body_len) != 0 ? 0 : -1;
  if (!cz__range_ok(res[CZ_RES_BODY_OFF], res[CZ_RES_BODY_LEN], a->res_data_len))
    return -1;
  r->body = a->res_data + res[CZ_RES_BODY_OFF];
  r->body_len = (size_t)res[CZ_RES_BODY_LEN];
  return 0;
}

void cz__batch_done(cz_batch_t* b, int threw, cz_large_fn large, void* ud) {
  unsigned i;

  if (!b->running || b->done)
    return;
  b->done = 1;
  for (i = 0; i < b->n; i++) {
    const cz_batch_item_t* it = &b->items[i];
    const int32_t* res = b->arenas.res_meta + (size_t)i * CZ_RES_STRIDE;
    cz_ctx_t* x = cz_ctx_get(&b->ctxs, it->ctx, it->gen);
    cz_resp_t r;

    /* What cz__batch_settle() does, with the context looked up once. */
    if (x == NULL)
      continue; /* connection gone, or JS answered it through respond() already */
    if (threw) {
      cz__batch_deliver(b, it->ctx, x, NULL, 0);
      continue;
    }
    if (res[CZ_RES_STATUS] == 0)
      continue; /* pending: respond() comes later */
    if (cz__batch_result(b, i, large, ud, &r) != 0) {
      cz_log(b->log, "response %u of a batch has bad offsets or no large body; 500", i);
      cz__batch_deliver(b, it->ctx, x, NULL, 0);
      continue;
    }
    cz__batch_deliver(b, it->ctx, x, &r, (res[CZ_RES_FLAGS] & CZ_RESF_CLOSE) != 0);
  }
}

void cz__batch_run(cz_batch_t* b) {
  unsigned i;
  unsigned n = b->n;

  if (n == 0 || b->running)
    return;
  b->running = 1;
  b->done = 0;
  if (b->hooks->dispatch != NULL)
    b->hooks->dispatch(b->srv, b->hooks->data, n, b->has_bodies);
  if (!b->done) {
    cz_log(b->log, "dispatch hook did not report results; answering 500");
    cz__batch_done(b, 1, NULL, NULL);
  }
  for (i = 0; i < n; i++) {
    free(b->items[i].body);
    b->items[i].body = NULL;
  }
  b->n = 0;
  b->data_used = 0;
  b->has_bodies = 0;
  b->running = 0;
}
