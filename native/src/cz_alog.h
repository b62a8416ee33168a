/*
 * cz_alog.h: the access log's record buffer. One fixed-size record per finished request
 * (numbers only, plus the path's bytes), appended when its response is queued and taken by
 * the embedder in batches (binding.cc drainAccessLog, on a JS timer), so the response path
 * formats no text. A leaf: it knows nothing of connections or the server.
 */
#ifndef CZ_ALOG_H
#define CZ_ALOG_H

#include <stddef.h>
#include <stdint.h>

#include "cz_server.h" /* CZ_ALOG_* record layout, shared with JS */

/* Caps between two drains: past them records are counted in `dropped`, not kept. */
#define CZ__ALOG_MAX_RECS 65536u
#define CZ__ALOG_MAX_PATH_BYTES (4u * 1024u * 1024u)

typedef struct cz_alog_s {
  int32_t* recs;       /* n records of CZ_ALOG_STRIDE int32 */
  size_t n;
  size_t cap;          /* records allocated */
  char* paths;         /* every record's path, back to back */
  size_t plen;
  size_t pcap;
  uint64_t dropped;
} cz_alog_t;

/* What a record says, before it is laid out. */
typedef struct cz_alog_entry_s {
  uint32_t id;
  int method;          /* llhttp method, or -1 when the request line was never read */
  int status;
  uint64_t bytes;      /* response bytes queued: status line, headers, body */
  uint64_t start_ns;   /* uv_hrtime() when the head was complete */
  uint64_t end_ns;     /* uv_hrtime() when the response was queued */
  const void* addr;    /* struct sockaddr of the peer, or NULL */
  const char* path;
  size_t path_len;
} cz_alog_entry_t;

void cz__alog_init(cz_alog_t* a);
void cz__alog_free(cz_alog_t* a);
/* Appends a record; counts it dropped when the caps are reached or memory runs out. */
void cz__alog_add(cz_alog_t* a, const cz_alog_entry_t* e);
/* Empties the buffer (after the embedder copied what it needs); memory is kept. */
void cz__alog_clear(cz_alog_t* a);

#endif /* CZ_ALOG_H */
