/*
 * cz_cond.h: the request fields of conditional and range requests (RFC 9110 13 and 14),
 * for static files (cz_static.c): If-None-Match lists, HTTP dates, one byte range. Pure
 * functions over NUL-terminated values, like cz_fields.h's; a leaf of the layering in
 * cz_server.h.
 */
#ifndef CZ_COND_H
#define CZ_COND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" for t, into out (at least 30 bytes). */
void cz_cond_format_date(time_t t, char* out, size_t cap);

/* An IMF-fixdate, or -1 for anything else (a condition with it is then ignored). */
time_t cz_cond_parse_date(const char* s);

/* Does an If-None-Match value match etag ("\"...\"", quotes included)? "*" matches; the
 * list's tags and ours are compared weakly (W/ ignored on both). */
int cz_cond_inm_match(const char* list, const char* etag);

enum cz_range_result {
  CZ_RANGE_NONE = 0,  /* no usable single range: send the whole representation (200) */
  CZ_RANGE_ONE = 1,   /* [*from, *to] (inclusive, clamped to the size): 206 */
  CZ_RANGE_UNSAT = 2  /* no byte of it exists: 416 */
};

/* A Range value against a representation of size bytes: one "bytes" range a-b, a- or -n.
 * Several ranges, another unit or a malformed value are CZ_RANGE_NONE. */
int cz_cond_range(const char* s, uint64_t size, uint64_t* from, uint64_t* to);

#endif /* CZ_COND_H */
