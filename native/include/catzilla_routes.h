/*
 * catzilla_routes.h: the ABI between a generated route table and the native server.
 *
 * `catzilla-compile` writes routes.c for one app; the system C compiler turns it into a
 * shared object (routes.so) that the server loads with dlopen() when the app listens.
 * The addon itself is never rebuilt for an app. Everything here is plain data plus one
 * generated match function, so the table can be read, diffed and fuzzed on its own.
 *
 * Bump CZ_ROUTES_ABI_VERSION on any change to this file; the server refuses a table
 * built against another version with a message that says to recompile the app.
 */
#ifndef CATZILLA_ROUTES_H
#define CATZILLA_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CZ_ROUTES_ABI_VERSION 3

/* A route pattern has at most this many parameters (`:name` segments plus a trailing `*`). */
#define CZ_MAX_PARAMS 16

/* Handler kinds, decided at compile time (docs/internals.md, "Generated files"). */
enum cz_kind {
  CZ_KIND_SYNC = 0,
  CZ_KIND_ASYNC = 1,
  CZ_KIND_MAYBE = 2,
  CZ_KIND_CONST = 3,
  CZ_KIND_BLOCKING = 4
};

/* Which parts of the request a handler reads. The server copies only these into the
 * request arena; a route with flags == 0 gets method, path and params only. */
enum cz_route_flags {
  CZ_ROUTE_HEADERS = 1 << 0,
  CZ_ROUTE_QUERY = 1 << 1,
  CZ_ROUTE_BODY = 1 << 2,
  /* The handler reads the body as it arrives (req.stream(), req.formData()): the request
   * is handed to JS at headers-complete and its body follows in chunks, with backpressure
   * (docs/internals.md, "Streamed bodies"). Set with CZ_ROUTE_BODY. */
  CZ_ROUTE_STREAM = 1 << 3
};

/* HTTP methods are llhttp's numbers (llhttp_method_t: DELETE=0, GET=1, HEAD=2, POST=3,
 * PUT=4, OPTIONS=6, PATCH=28, ...). Sets of methods are 64-bit masks, bit n = method n. */
#define CZ_METHOD_BIT(m) (UINT64_C(1) << (m))

typedef struct cz_route_s {
  uint8_t method;              /* llhttp_method_t */
  uint8_t kind;                /* enum cz_kind */
  uint16_t flags;              /* enum cz_route_flags */
  uint32_t body_limit;         /* max request body bytes (the route option maxBodyBytes);
                                * 0 = the server's maxBodyBytes */
  const char* pattern;         /* "/users/:id", for logs and diagnostics */
  /* CZ_KIND_CONST only (else NULL, 0): the complete response, i.e. status line, headers
   * with Content-Length but without Date or Connection, CRLF, body. The server writes the
   * status line, then its own Date (and Connection where needed) lines, then the rest. */
  const char* const_response;
  uint32_t const_len;
  /* Routes with the option `paramMismatch: 400` (else NULL): per parameter, the JSON body of
   * the 400 answered when the path fits this route but for that typed parameter's value
   * (NULL for untyped parameters). */
  const char* const* param_errors;
} cz_route_t;

typedef struct cz_match_s {
  uint64_t allow;              /* set when the path matched but not the method: methods it has */
  uint16_t nparams;
  uint16_t params[CZ_MAX_PARAMS][2]; /* (offset, length) of each parameter, into the path */
  /* Set only when match() returns -1: the path and method would have matched route
   * bad_route, which has param_errors, but for the value of its parameter bad_param - 1.
   * 0 = no such route. The server then answers 400 with that parameter's body. */
  uint16_t bad_param;
  uint32_t bad_route;
} cz_match_t;

/*
 * Matches `path` (raw bytes, without the query string, not percent-decoded) for `method`.
 * Returns the route index (>= 0) with m->nparams/m->params filled in pattern order,
 * or -1: with m->bad_param != 0 a typed parameter did not fit a route that asks for a 400
 * (see cz_route_t.param_errors); else with m->allow != 0 the path exists for those
 * methods (405); else 404.
 * HEAD falls back to the GET route when the path has no HEAD route; wherever GET is
 * allowed HEAD is too. The caller zeroes *m before the call.
 *
 * Matching is segment by segment with priority static > `:param` > `*`, backtracking
 * when a branch fails. A `:param` matches one non-empty segment (no '/'); a trailing `*`
 * matches the rest of the path, possibly empty.
 */
typedef int (*cz_match_fn)(const char* path, size_t len, unsigned method, cz_match_t* m);

/*
 * The app's notFound handlers (`app.notFound(h)`, a group's `r.notFound(h)`): a request whose
 * path no route matches, for any method (a plain 404: not a 405, not a typed parameter's
 * 400), goes to the route of the longest `prefix` it falls under instead of C's 404, with no
 * parameters. `prefix` "/" takes every path; "/api" takes "/api" and "/api/..." but not
 * "/apix". The entries are sorted longest prefix first, so the first that fits wins.
 */
typedef struct cz_not_found_s {
  const char* prefix;
  uint32_t prefix_len;
  uint32_t route;              /* index into routes; its method is not matched */
} cz_not_found_t;

typedef struct cz_route_table_s {
  uint32_t abi_version;        /* CZ_ROUTES_ABI_VERSION */
  uint32_t nroutes;
  const cz_route_t* routes;    /* nroutes entries; index = route id in the dispatch module */
  cz_match_fn match;
  const char* fingerprint;     /* hash of the route set; the dispatch module carries the same */
  const cz_not_found_t* not_found; /* nnot_found entries, or NULL: unmatched paths are C's 404 */
  uint32_t nnot_found;
} cz_route_table_t;

/* The one symbol a routes.so exports. */
const cz_route_table_t* catzilla_route_table(void);

#ifdef __cplusplus
}
#endif

#endif /* CATZILLA_ROUTES_H */
