/*
 * cz_out.c: the outgoing queue: copied bytes with body sources between them (cz_out.h).
 */
#include "cz_out.h"

#include <stdlib.h>
#include <string.h>

#include "cz_log.h"

int cz__out_append(cz_out_t* q, const void* p, size_t n) {
  return cz_buf_append(&q->bytes, p, n);
}

static int cz__src_pin(cz_src_t* s) {
  char* copy;

  if (s->kind != CZ_SRC_MEM)
    return 0;
  copy = malloc(s->len);
  if (copy == NULL)
    return UV_ENOMEM;
  memcpy(copy, s->base, s->len);
  s->owned = copy;
  s->base = copy;
  s->kind = CZ_SRC_BUF;
  return 0;
}

static void cz__src_free(cz_src_t* s) {
  free(s->owned);
  free(s);
}

int cz__out_body(cz_out_t* q, const char* base, size_t len, int borrow) {
  cz_src_t* s;

  if (len < CZ_OUT_SRC_MIN || q->nsrc >= CZ_OUT_SRC_MAX)
    return cz_buf_append(&q->bytes, base, len);
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return UV_ENOMEM;
  s->kind = CZ_SRC_MEM;
  s->base = base;
  s->len = len;
  if (!borrow && cz__src_pin(s) != 0) {
    free(s);
    return UV_ENOMEM;
  }
  s->at = q->bytes.len;
  if (q->last != NULL)
    q->last->next = s;
  else
    q->first = s;
  q->last = s;
  q->nsrc++;
  q->src_len += len;
  return 0;
}

int cz__out_own(cz_out_t* q, char* base, size_t len) {
  cz_src_t* s;
  int rc;

  if (len < CZ_OUT_SRC_MIN || q->nsrc >= CZ_OUT_SRC_MAX) {
    rc = cz_buf_append(&q->bytes, base, len);
    free(base);
    return rc;
  }
  s = calloc(1, sizeof(*s));
  if (s == NULL) {
    free(base);
    return UV_ENOMEM;
  }
  s->kind = CZ_SRC_BUF;
  s->base = base;
  s->owned = base;
  s->len = len;
  s->at = q->bytes.len;
  if (q->last != NULL)
    q->last->next = s;
  else
    q->first = s;
  q->last = s;
  q->nsrc++;
  q->src_len += len;
  return 0;
}

int cz__out_move(cz_out_t* q, cz_out_t* from) {
  size_t base = q->bytes.len;
  cz_src_t* s;

  if (from->nsrc > 0 && q->nsrc + from->nsrc > CZ_OUT_SRC_MAX) {
    /* Too many sources for one gather: copy from's in, in order. */
    size_t pos = 0;
    if (cz_buf_reserve(&q->bytes, cz__out_len(from)) != 0)
      return UV_ENOMEM;
    for (s = from->first; s != NULL; s = s->next) {
      if (s->at > pos)
        cz_buf_append(&q->bytes, from->bytes.base + pos, s->at - pos);
      cz_buf_append(&q->bytes, s->base, s->len);
      pos = s->at;
    }
    if (from->bytes.len > pos)
      cz_buf_append(&q->bytes, from->bytes.base + pos, from->bytes.len - pos);
    cz__out_reset(from, 0);
    return 0;
  }
  if (from->bytes.len != 0 && cz_buf_append(&q->bytes, from->bytes.base, from->bytes.len) != 0)
    return UV_ENOMEM;
  for (s = from->first; s != NULL; s = s->next)
    s->at += base;
  if (from->first != NULL) {
    if (q->last != NULL)
      q->last->next = from->first;
    else
      q->first = from->first;
    q->last = from->last;
  }
  q->nsrc += from->nsrc;
  q->src_len += from->src_len;
  from->first = NULL;
  from->last = NULL;
  from->nsrc = 0;
  from->src_len = 0;
  cz_buf_reset(&from->bytes, 0);
  return 0;
}

int cz__out_pin(cz_out_t* q) {
  cz_src_t* s;
  for (s = q->first; s != NULL; s = s->next)
    if (cz__src_pin(s) != 0)
      return UV_ENOMEM;
  return 0;
}

/* Adds base[off, off + len) past `*skip` to iov (base may be NULL when len is 0). */
static int cz__iov_add(uv_buf_t* iov, int n, const char* base, size_t off, size_t len, size_t* skip) {
  if (*skip >= len) {
    *skip -= len;
    return n;
  }
  iov[n] = uv_buf_init((char*)base + off + *skip, (unsigned int)(len - *skip));
  *skip = 0;
  return n + 1;
}

int cz__out_iov(const cz_out_t* q, size_t skip, uv_buf_t* iov) {
  const cz_src_t* s;
  size_t pos = 0;
  int n = 0;

  for (s = q->first; s != NULL; s = s->next) {
    CZ_ASSERT(s->at >= pos && s->at <= q->bytes.len && n + 2 <= CZ_OUT_IOV_MAX);
    n = cz__iov_add(iov, n, q->bytes.base, pos, s->at - pos, &skip);
    n = cz__iov_add(iov, n, s->base, 0, s->len, &skip);
    pos = s->at;
  }
  n = cz__iov_add(iov, n, q->bytes.base, pos, q->bytes.len - pos, &skip);
  CZ_ASSERT(skip == 0 && n <= CZ_OUT_IOV_MAX);
  return n;
}

void cz__out_drop_sources(cz_out_t* q) {
  cz_src_t* s = q->first;
  while (s != NULL) {
    cz_src_t* next = s->next;
    cz__src_free(s);
    s = next;
  }
  q->first = NULL;
  q->last = NULL;
  q->nsrc = 0;
  q->src_len = 0;
}

#if CZ_CHECKS
int cz__out_borrows(const cz_out_t* q) {
  const cz_src_t* s;
  for (s = q->first; s != NULL; s = s->next)
    if (s->kind == CZ_SRC_MEM)
      return 1;
  return 0;
}
#endif
