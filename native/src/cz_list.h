/*
 * cz_list.h: intrusive circular doubly-linked lists (the libuv QUEUE idea, typed).
 *
 * A node that is not on any list points at itself, so removing it twice is harmless and
 * "is it linked?" is one compare. Used for the server's connection set, its dirty set
 * (connections with bytes to write after a batch) and its resume set.
 */
#ifndef CZ_LIST_H
#define CZ_LIST_H

#include <stddef.h>

typedef struct cz_list_s {
  struct cz_list_s* prev;
  struct cz_list_s* next;
} cz_list_t;

#define cz_container_of(ptr, type, field) ((type*)((char*)(ptr) - offsetof(type, field)))

static inline void cz_list_init(cz_list_t* n) {
  n->prev = n;
  n->next = n;
}

static inline int cz_list_empty(const cz_list_t* h) {
  return h->next == h;
}

/* Appends n at the tail of the list headed by h. */
static inline void cz_list_push(cz_list_t* h, cz_list_t* n) {
  n->next = h;
  n->prev = h->prev;
  h->prev->next = n;
  h->prev = n;
}

static inline void cz_list_remove(cz_list_t* n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n;
  n->next = n;
}

#endif /* CZ_LIST_H */
