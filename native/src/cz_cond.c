/*
 * cz_cond.c: the fields of conditional and range requests (cz_cond.h). Pure functions.
 */
#include "cz_cond.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void cz_cond_format_date(time_t t, char* out, size_t cap) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the one form senders must use; -1 for
 * anything else (the condition is then ignored, as RFC 9110 13.1.3 asks). */
time_t cz_cond_parse_date(const char* s) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  struct tm tm;
  char mon[4];
  int day, year, h, mi, sec, n = 0;
  const char* p;

  if (s == NULL || strlen(s) != 29 || s[3] != ',' ||
      sscanf(s + 5, "%2d %3s %4d %2d:%2d:%2d GMT%n", &day, mon, &year, &h, &mi, &sec, &n) != 6 || n != 24)
    return -1;
  p = strstr(months, mon);
  if (p == NULL || (p - months) % 3 != 0)
    return -1;
  memset(&tm, 0, sizeof(tm));
  tm.tm_mday = day;
  tm.tm_mon = (int)(p - months) / 3;
  tm.tm_year = year - 1900;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return timegm(&tm);
}

static int cz__ows(int c) {
  return c == ' ' || c == '\t';
}

/* If-None-Match (RFC 9110 13.1.2): "*", or a list of entity tags compared weakly (W/
 * ignored on both sides) with ours ("\"...\"", with its quotes). */
int cz_cond_inm_match(const char* list, const char* etag) {
  size_t el = strlen(etag);
  const char* p = list;
  while (*p) {
    const char* t;
    while (*p == ',' || cz__ows(*p))
      p++;
    if (*p == '\0')
      break;
    if (*p == '*')
      return 1;
    if (p[0] == 'W' && p[1] == '/')
      p += 2;
    t = p;
    if (*p == '"') {
      p = strchr(p + 1, '"');
      if (p == NULL)
        return 0;
      p++;
    } else {
      while (*p && *p != ',')
        p++;
    }
    if ((size_t)(p - t) == el && memcmp(t, etag, el) == 0)
      return 1;
    while (*p && *p != ',')
      p++;
  }
  return 0;
}

/* Parses one decimal number; -1 when none or too large. */
static int64_t cz__num(const char** p) {
  int64_t v = 0;
  const char* s = *p;
  if (*s < '0' || *s > '9')
    return -1;
  while (*s >= '0' && *s <= '9') {
    if (v > (INT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (*s++ - '0');
  }
  *p = s;
  return v;
}


/* Range (RFC 9110 14.2), one range of "bytes": a-b, a-, -n. Anything else (another unit,
 * a bad spec, several ranges: allowed to be served whole) is CZ_RANGE_NONE: 200. */
int cz_cond_range(const char* s, uint64_t size, uint64_t* from, uint64_t* to) {
  int64_t a = -1;
  int64_t b = -1;
  const char* p = s;

  if (strncasecmp(p, "bytes", 5) != 0)
    return CZ_RANGE_NONE;
  p += 5;
  while (cz__ows(*p))
    p++;
  if (*p++ != '=')
    return CZ_RANGE_NONE;
  while (cz__ows(*p))
    p++;
  if (strchr(p, ',') != NULL)
    return CZ_RANGE_NONE;
  if (*p == '-') {
    p++;
    b = cz__num(&p); /* suffix length */
    if (b < 0)
      return CZ_RANGE_NONE;
  } else {
    a = cz__num(&p);
    if (a < 0 || *p++ != '-')
      return CZ_RANGE_NONE;
    if (*p >= '0' && *p <= '9') {
      b = cz__num(&p);
      if (b < 0 || b < a)
        return CZ_RANGE_NONE;
    }
  }
  while (cz__ows(*p))
    p++;
  if (*p != '\0')
    return CZ_RANGE_NONE;
  if (a < 0) {
    if (b == 0 || size == 0)
      return CZ_RANGE_UNSAT;
    *from = (uint64_t)b >= size ? 0 : size - (uint64_t)b;
    *to = size - 1;
    return CZ_RANGE_ONE;
  }
  if ((uint64_t)a >= size)
    return CZ_RANGE_UNSAT;
  *from = (uint64_t)a;
  *to = b < 0 || (uint64_t)b >= size ? size - 1 : (uint64_t)b;
  return CZ_RANGE_ONE;
}
