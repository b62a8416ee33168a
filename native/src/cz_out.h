/*
 * cz_out.h: a connection's outgoing bytes as the write path sees them: a queue of bytes
 * copied in (heads, small bodies: the common case, one buffer, one write) and, between
 * them, body sources written from where they are.
 *
 * A body source (cz_src_t) says where a response body's bytes come from. Today:
 *   CZ_SRC_MEM  bytes in an arena or a JS buffer, valid only until the call that queued
 *               them returns: written from there if the socket takes them at once, else
 *               pinned (copied into a CZ_SRC_BUF) first, see cz__out_pin;
 *   CZ_SRC_BUF  a heap buffer the source owns (a copied body), freed once written.
 * Next, without touching the flush: a file range (fd, offset, length) whose peek reads
 * ahead into a buffer, or a stream fed by JS whose peek reports nothing ready (UV_EAGAIN)
 * until JS pushes a chunk, and whose consume is the backpressure signal back to JS. The
 * flush (cz_conn.c) only ever asks the queue for the bytes ready now (cz__out_iov) and
 * says how many the socket took.
 */
#ifndef CZ_OUT_H
#define CZ_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cz_http.h"
#include "cz_log.h"

enum cz_src_kind {
  CZ_SRC_MEM = 0,
  CZ_SRC_BUF = 1
};

typedef struct cz_src_s {
  struct cz_src_s* next;
  size_t at;          /* the source's bytes go after bytes[0, at) of its queue */
  const char* base;   /* the bytes */
  size_t len;
  char* owned;        /* CZ_SRC_BUF: the allocation, freed with the source */
  uint8_t kind;       /* enum cz_src_kind */
} cz_src_t;

/* Bodies at least this long are queued as sources rather than copied in with their head. */
#define CZ_OUT_SRC_MIN (16u * 1024u)
/* Sources per queue; past it bodies are copied in, so a write gathers at most
 * 2 * CZ_OUT_SRC_MAX + 1 buffers (cz__out_iov). */
#define CZ_OUT_SRC_MAX 16
#define CZ_OUT_IOV_MAX (2 * CZ_OUT_SRC_MAX + 1)

typedef struct cz_out_s {
  cz_buf_t bytes;
  cz_src_t* first;
  cz_src_t* last;
  unsigned nsrc;
  size_t src_len;     /* bytes of every source */
} cz_out_t;

static inline size_t cz__out_len(const cz_out_t* q) {
  return q->bytes.len + q->src_len;
}

/* Appends bytes (copied). 0 or UV_ENOMEM. */
int cz__out_append(cz_out_t* q, const void* p, size_t n);

/* Appends a body of `len` bytes at base, as a CZ_SRC_MEM source that is pinned at once
 * unless `borrow` (the caller writes or pins it before the bytes go away), or copied in
 * when it is short or the queue holds CZ_OUT_SRC_MAX sources already. 0 or UV_ENOMEM. */
int cz__out_body(cz_out_t* q, const char* base, size_t len, int borrow);

/* Appends a body chunk the queue takes ownership of (malloc'ed; freed once written), as a
 * CZ_SRC_BUF source, or copied in (and freed now) when short or the queue is full of
 * sources. A static file's read-ahead (cz_static.c) arrives this way. 0 or UV_ENOMEM (base
 * is freed either way). */
int cz__out_own(cz_out_t* q, char* base, size_t len);

/* Moves everything of `from` to the end of q (from is left empty). 0 or UV_ENOMEM (q is
 * unchanged then). */
int cz__out_move(cz_out_t* q, cz_out_t* from);

/* Copies every borrowed (CZ_SRC_MEM) source into a buffer of its own. 0 or UV_ENOMEM. */
int cz__out_pin(cz_out_t* q);

/* Fills iov with the bytes ready to write, after the first `skip`. Returns the count
 * (at most CZ_OUT_IOV_MAX). */
int cz__out_iov(const cz_out_t* q, size_t skip, uv_buf_t* iov);

/* Frees q's sources (the slow path of the two below). */
void cz__out_drop_sources(cz_out_t* q);

/* Empties q, freeing its sources; the byte buffer is kept up to `keep` bytes. Inline, as
 * is cz__out_free: they run for every response, and nearly always on bytes alone. */
static inline void cz__out_reset(cz_out_t* q, size_t keep) {
  if (q->first != NULL)
    cz__out_drop_sources(q);
  cz_buf_reset(&q->bytes, keep);
}

static inline void cz__out_free(cz_out_t* q) {
  if (q->first != NULL)
    cz__out_drop_sources(q);
  cz_buf_free(&q->bytes);
}

#if CZ_CHECKS
/* Does q hold a borrowed source? (For asserts: none may outlive its call.) */
int cz__out_borrows(const cz_out_t* q);
#endif

#endif /* CZ_OUT_H */
