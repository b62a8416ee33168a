/*
 * cz_ctx.c: index + generation slab. Items live in one array that grows by doubling;
 * JS names them by index, so moving the array on growth is fine.
 */
#include "cz_ctx.h"

#include <stdlib.h>
#include <uv.h>

#include "cz_log.h"

void cz_ctx_slab_init(cz_ctx_slab_t* s) {
  s->items = NULL;
  s->cap = 0;
  s->free_head = CZ_CTX_NONE;
  s->used = 0;
}

void cz_ctx_slab_free(cz_ctx_slab_t* s) {
  free(s->items);
  cz_ctx_slab_init(s);
}

static int cz__ctx_grow(cz_ctx_slab_t* s) {
  uint32_t cap = s->cap ? s->cap * 2 : 64;
  uint32_t i;
  cz_ctx_t* items;

  if (s->cap >= CZ_CTX_MAX)
    return UV_ENOMEM;
  if (cap > CZ_CTX_MAX)
    cap = CZ_CTX_MAX;
  items = realloc(s->items, (size_t)cap * sizeof(*items));
  if (items == NULL)
    return UV_ENOMEM;
  /* New items go on the free list in index order, lowest first. */
  for (i = cap; i > s->cap; i--) {
    cz_ctx_t* c = &items[i - 1];
    c->gen = 1;
    c->conn = NULL;
    c->slot = NULL;
    c->watched = 0;
    c->next_free = s->free_head;
    s->free_head = i - 1;
  }
  s->items = items;
  s->cap = cap;
  return 0;
}

int cz_ctx_acquire(cz_ctx_slab_t* s, void* conn, void* slot, uint32_t* index) {
  cz_ctx_t* c;
  uint32_t i;

  if (s->free_head == CZ_CTX_NONE && cz__ctx_grow(s) != 0)
    return UV_ENOMEM;
  i = s->free_head;
  c = &s->items[i];
  s->free_head = c->next_free;
  c->next_free = CZ_CTX_NONE;
  c->conn = conn;
  c->slot = slot;
  c->watched = 0;
  s->used++;
  *index = i;
  return 0;
}

cz_ctx_t* cz_ctx_get(cz_ctx_slab_t* s, uint32_t index, uint32_t gen) {
  cz_ctx_t* c;
  if (index >= s->cap)
    return NULL;
  c = &s->items[index];
  if (c->gen != gen || c->next_free != CZ_CTX_NONE)
    return NULL;
  return c;
}

void cz_ctx_release(cz_ctx_slab_t* s, uint32_t index) {
  cz_ctx_t* c;

  CZ_ASSERT(index < s->cap && s->items[index].next_free == CZ_CTX_NONE && s->used > 0);
  c = &s->items[index];
  c->gen = (c->gen + 1) & 0x7fffffffu;
  if (c->gen == 0)
    c->gen = 1;
  c->conn = NULL;
  c->slot = NULL;
  c->next_free = s->free_head;
  s->free_head = index;
  s->used--;
}
