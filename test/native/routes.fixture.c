/*
 * routes.fixture.c: a hand-written route table for the native server tests (what
 * catzilla-compile would generate, minus the cleverness). Built by test/native/driver.mjs
 * with `cc -O2 -shared -fPIC -I native/include`.
 *
 * The matcher is a plain loop over patterns, segment by segment: static segments,
 * `:param` (one non-empty segment) and a trailing `*` (the rest, possibly empty).
 */
#include <string.h>

#include "catzilla_routes.h"

#define GET 1
#define HEAD 2
#define POST 3
#define PUT 4

static const char const_hello[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nconst hello";

/* Route ids are the indexes the driver's handlers use (keep in sync with driver.mjs). */
static const cz_route_t routes[] = {
    /* 0 */ {GET, CZ_KIND_SYNC, 0, 0, "/hello", NULL, 0},
    /* 1 */ {GET, CZ_KIND_SYNC, CZ_ROUTE_QUERY, 0, "/users/:id", NULL, 0},
    /* 2 */ {POST, CZ_KIND_SYNC, CZ_ROUTE_BODY | CZ_ROUTE_HEADERS, 0, "/echo", NULL, 0},
    /* 3 */ {GET, CZ_KIND_SYNC, 0, 0, "/files/*", NULL, 0},
    /* 4 */ {GET, CZ_KIND_ASYNC, CZ_ROUTE_QUERY, 0, "/slow", NULL, 0},
    /* 5 */ {GET, CZ_KIND_CONST, 0, 0, "/const", const_hello, sizeof(const_hello) - 1},
    /* 6 */ {PUT, CZ_KIND_SYNC, CZ_ROUTE_BODY, 0, "/users/:id", NULL, 0},
    /* 7 */ {POST, CZ_KIND_SYNC, CZ_ROUTE_BODY, 16, "/small", NULL, 0},
    /* 8 */ {GET, CZ_KIND_SYNC, CZ_ROUTE_HEADERS, 0, "/headers", NULL, 0},
    /* 9 */ {GET, CZ_KIND_ASYNC, 0, 0, "/hang", NULL, 0},
    /* 10 */ {GET, CZ_KIND_SYNC, CZ_ROUTE_QUERY, 0, "/misc", NULL, 0},
    /* 11 */ {POST, CZ_KIND_ASYNC, CZ_ROUTE_BODY, 0, "/async-echo", NULL, 0},
    /* 12 */ {GET, CZ_KIND_SYNC, 0, 0, "/a/:x/b/:y", NULL, 0},
    /* 13 */ {POST, CZ_KIND_ASYNC, CZ_ROUTE_BODY | CZ_ROUTE_STREAM, 0, "/stream", NULL, 0},
    /* 14 */ {PUT, CZ_KIND_ASYNC, CZ_ROUTE_BODY | CZ_ROUTE_STREAM, 100, "/stream", NULL, 0},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Matches one pattern; fills m->params on success. */
static int match_one(const char* pat, const char* path, size_t len, cz_match_t* m) {
  size_t i = 0; /* position in path */
  const char* p = pat;
  uint16_t np = 0;

  while (*p != '\0') {
    if (*p != '/' || i >= len || path[i] != '/')
      return 0;
    p++;
    i++;
    if (*p == '*' && p[1] == '\0') {
      m->params[np][0] = (uint16_t)i;
      m->params[np][1] = (uint16_t)(len - i);
      np++;
      m->nparams = np;
      return 1;
    }
    if (*p == ':') {
      size_t start = i;
      while (*p != '\0' && *p != '/')
        p++;
      while (i < len && path[i] != '/')
        i++;
      if (i == start)
        return 0;
      m->params[np][0] = (uint16_t)start;
      m->params[np][1] = (uint16_t)(i - start);
      np++;
      continue;
    }
    while (*p != '\0' && *p != '/') {
      if (i >= len || path[i] != *p)
        return 0;
      p++;
      i++;
    }
    if (i < len && path[i] != '/')
      return 0;
  }
  if (i != len)
    return 0;
  m->nparams = np;
  return 1;
}

static int match(const char* path, size_t len, unsigned method, cz_match_t* m) {
  size_t r;
  uint64_t allow = 0;
  int head_fallback = -1;

  if (len > 0xffff)
    return -1;
  for (r = 0; r < NROUTES; r++) {
    cz_match_t tmp;
    memset(&tmp, 0, sizeof(tmp));
    if (!match_one(routes[r].pattern, path, len, &tmp))
      continue;
    if (routes[r].method == method) {
      *m = tmp;
      return (int)r;
    }
    if (method == HEAD && routes[r].method == GET && head_fallback < 0) {
      head_fallback = (int)r;
      *m = tmp;
    }
    allow |= CZ_METHOD_BIT(routes[r].method);
    if (routes[r].method == GET)
      allow |= CZ_METHOD_BIT(HEAD);
  }
  if (head_fallback >= 0)
    return head_fallback;
  m->nparams = 0;
  m->allow = allow;
  return -1;
}

static const cz_route_table_t table = {
    CZ_ROUTES_ABI_VERSION, NROUTES, routes, match,
#ifdef FIXTURE_FINGERPRINT
    FIXTURE_FINGERPRINT,
#else
    "fixture-v1",
#endif
};

const cz_route_table_t* catzilla_route_table(void) {
#ifdef FIXTURE_BAD_ABI
  static cz_route_table_t bad;
  bad = table;
  bad.abi_version = 999;
  return &bad;
#else
  return &table;
#endif
}
