/*
 * cz_fields.h: the grammar of the request header fields C itself acts on (RFC 9110/9112):
 * Host, Transfer-Encoding and Connection. Pure functions over a field value (leading and
 * trailing whitespace already removed), so the parser, the tests and the fuzzer share them.
 */
#ifndef CZ_FIELDS_H
#define CZ_FIELDS_H

#include <stddef.h>

/* Host = uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2): an IP-literal in brackets,
 * or a reg-name / IPv4 address. An empty value is valid (a target without authority).
 * Stricter than RFC 3986 in one place: a comma (a list separator to every proxy) is
 * refused. 1 valid, 0 not. */
int cz_fields_host_valid(const char* v, size_t n);

/* What a request's single Transfer-Encoding value asks for: 0 when it is exactly
 * "chunked"; 501 when it is a well-formed list of codings ending in a lone chunked (codings
 * we do not decode, RFC 9112 6.1); 400 for anything else (empty, empty elements,
 * chunked not last or repeated, parameters on chunked, characters outside tokens). */
int cz_fields_te_check(const char* v, size_t n);

/* Connection options (RFC 9110 7.6.1): a comma list of tokens, OWS around each. */
enum cz_conn_tokens {
  CZ_CONN_CLOSE = 1 << 0,
  CZ_CONN_KEEP_ALIVE = 1 << 1,
  CZ_CONN_UPGRADE = 1 << 2
};
/* The cz_conn_tokens bits found in v (case-insensitive); other tokens are ignored. */
int cz_fields_connection(const char* v, size_t n);

#endif /* CZ_FIELDS_H */
