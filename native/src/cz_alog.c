/*
 * cz_alog.c: the access log's record buffer (cz_alog.h).
 */
#include "cz_alog.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void cz__alog_init(cz_alog_t* a) {
  memset(a, 0, sizeof(*a));
}

void cz__alog_free(cz_alog_t* a) {
  free(a->recs);
  free(a->paths);
  memset(a, 0, sizeof(*a));
}

void cz__alog_clear(cz_alog_t* a) {
  a->n = 0;
  a->plen = 0;
  a->dropped = 0;
}

/* Room for one more record and `path_len` path bytes; 0 or -1 (caps, memory). */
static int cz__alog_reserve(cz_alog_t* a, size_t path_len) {
  if (a->n >= CZ__ALOG_MAX_RECS || path_len > CZ__ALOG_MAX_PATH_BYTES - a->plen)
    return -1;
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 256;
    int32_t* r = realloc(a->recs, cap * CZ_ALOG_STRIDE * sizeof(int32_t));
    if (r == NULL)
      return -1;
    a->recs = r;
    a->cap = cap;
  }
  if (a->plen + path_len > a->pcap) {
    size_t cap = a->pcap ? a->pcap : 4096;
    char* p;
    while (cap < a->plen + path_len)
      cap *= 2;
    p = realloc(a->paths, cap);
    if (p == NULL)
      return -1;
    a->paths = p;
    a->pcap = cap;
  }
  return 0;
}

/* Microseconds from start to end, saturated (0 when the head never completed). */
static int32_t cz__alog_us(uint64_t start_ns, uint64_t end_ns) {
  uint64_t us;
  if (start_ns == 0 || end_ns <= start_ns)
    return 0;
  us = (end_ns - start_ns) / 1000;
  return us > INT32_MAX ? INT32_MAX : (int32_t)us;
}

void cz__alog_add(cz_alog_t* a, const cz_alog_entry_t* e) {
  int32_t* r;
  const struct sockaddr* sa = e->addr;

  if (cz__alog_reserve(a, e->path_len) != 0) {
    a->dropped++;
    return;
  }
  r = a->recs + a->n * CZ_ALOG_STRIDE;
  memset(r, 0, CZ_ALOG_STRIDE * sizeof(int32_t));
  r[CZ_ALOG_ID] = (int32_t)e->id;
  r[CZ_ALOG_METHOD] = e->method;
  r[CZ_ALOG_STATUS] = e->status;
  r[CZ_ALOG_BYTES_HI] = (int32_t)(e->bytes >> 32);
  r[CZ_ALOG_BYTES_LO] = (int32_t)(uint32_t)e->bytes;
  r[CZ_ALOG_DUR_US] = cz__alog_us(e->start_ns, e->end_ns);
  r[CZ_ALOG_END_HI] = (int32_t)(e->end_ns >> 32);
  r[CZ_ALOG_END_LO] = (int32_t)(uint32_t)e->end_ns;
  if (sa != NULL && sa->sa_family == AF_INET) {
    const struct sockaddr_in* in = (const struct sockaddr_in*)sa;
    r[CZ_ALOG_FAMILY] = 4;
    r[CZ_ALOG_PORT] = ntohs(in->sin_port);
    memcpy(&r[CZ_ALOG_ADDR], &in->sin_addr, 4);
  } else if (sa != NULL && sa->sa_family == AF_INET6) {
    const struct sockaddr_in6* in6 = (const struct sockaddr_in6*)sa;
    r[CZ_ALOG_FAMILY] = 6;
    r[CZ_ALOG_PORT] = ntohs(in6->sin6_port);
    memcpy(&r[CZ_ALOG_ADDR], &in6->sin6_addr, 16);
  }
  r[CZ_ALOG_PATH_LEN] = (int32_t)e->path_len;
  a->n++;
  /* A path equal to the previous record's points at its bytes: most traffic repeats a few
   * paths, and the reader then decodes each run of them once (same offset, same string). */
  if (a->n > 1) {
    const int32_t* prev = r - CZ_ALOG_STRIDE;
    if ((size_t)prev[CZ_ALOG_PATH_LEN] == e->path_len &&
        (e->path_len == 0 || memcmp(a->paths + prev[CZ_ALOG_PATH_OFF], e->path, e->path_len) == 0)) {
      r[CZ_ALOG_PATH_OFF] = prev[CZ_ALOG_PATH_OFF];
      return;
    }
  }
  r[CZ_ALOG_PATH_OFF] = (int32_t)a->plen;
  if (e->path_len > 0)
    memcpy(a->paths + a->plen, e->path, e->path_len);
  a->plen += e->path_len;
}
