/*
 * cz_ctx.h: the slab of in-flight requests (contexts JS holds while a response is pending).
 *
 * A context is named by (index, generation). Releasing bumps the generation, so a late
 * `respond` naming a released context finds a different generation and does nothing:
 * JS never holds a pointer, only numbers that C checks.
 */
#ifndef CZ_CTX_H
#define CZ_CTX_H

#include <stdint.h>

#define CZ_CTX_NONE UINT32_MAX
/* Hard ceiling on contexts; every one belongs to a live connection's pipeline. */
#define CZ_CTX_MAX (1u << 24)

typedef struct cz_ctx_s {
  uint32_t gen;       /* 31 bits, never 0: fits an int32 slot for JS */
  uint32_t next_free; /* free-list link while free; CZ_CTX_NONE while in use */
  void* conn;         /* owner while in use */
  void* slot;         /* pipeline slot the response goes to */
  uint8_t watched;    /* JS asked to hear if the request is dropped unanswered (req.signal,
                       * a streamed response); cleared when the context is taken */
} cz_ctx_t;

typedef struct cz_ctx_slab_s {
  cz_ctx_t* items;
  uint32_t cap;
  uint32_t free_head;
  uint32_t used;
} cz_ctx_slab_t;

void cz_ctx_slab_init(cz_ctx_slab_t* s);
void cz_ctx_slab_free(cz_ctx_slab_t* s);

/* Takes a free context for (conn, slot). 0, or UV_ENOMEM. */
int cz_ctx_acquire(cz_ctx_slab_t* s, void* conn, void* slot, uint32_t* index);

/* The context named by (index, gen), or NULL when it was released (stale name). */
cz_ctx_t* cz_ctx_get(cz_ctx_slab_t* s, uint32_t index, uint32_t gen);

/* Frees the context and bumps its generation. index must be in use (asserted in debug
 * and sanitizer builds, cz_log.h). */
void cz_ctx_release(cz_ctx_slab_t* s, uint32_t index);

#endif /* CZ_CTX_H */
