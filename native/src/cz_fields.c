/*
 * cz_fields.c: the grammar of Host, Transfer-Encoding and Connection (see cz_fields.h).
 * llhttp frames the message; these decide what C accepts on top of it, whatever llhttp
 * lets through, because a proxy in front and this server must read framing the same way.
 */
#include "cz_fields.h"

#include <string.h>

#include "cz_http.h"

/* RFC 9110 5.6.2 tchar. */
static int cz__tchar(unsigned char ch) {
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
    return 1;
  return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int cz__hex(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* RFC 3986 unreserved / sub-delims, less the comma (see cz_fields.h). */
static int cz__regname_char(unsigned char ch) {
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
    return 1;
  return ch != 0 && strchr("-._~!$&'()*+;=", ch) != NULL;
}

int cz_fields_host_valid(const char* v, size_t n) {
  size_t i = 0;

  if (n > 0 && v[0] == '[') {
    /* IP-literal: IPv6address or IPvFuture, checked for its alphabet only: the server
     * never resolves it, it only must not hide a second host, a user or a path. */
    for (i = 1; i < n && v[i] != ']'; i++)
      if (!cz__regname_char((unsigned char)v[i]) && v[i] != ':')
        return 0;
    if (i == n || i == 1)
      return 0;
    i++; /* the ']' */
  } else {
    for (; i < n && v[i] != ':'; i++) {
      if (v[i] == '%') {
        if (i + 2 >= n || !cz__hex((unsigned char)v[i + 1]) || !cz__hex((unsigned char)v[i + 2]))
          return 0;
        i += 2;
      } else if (!cz__regname_char((unsigned char)v[i])) {
        return 0;
      }
    }
  }
  if (i == n)
    return 1;
  if (v[i] != ':')
    return 0;
  for (i++; i < n; i++)
    if (v[i] < '0' || v[i] > '9')
      return 0;
  return 1;
}

static int cz__ows(char ch) {
  return ch == ' ' || ch == '\t';
}

/* Case-insensitive equality of v[0, n) with the lowercase literal s. */
static int cz__ieq(const char* v, size_t n, const char* s) {
  size_t i;
  if (strlen(s) != n)
    return 0;
  for (i = 0; i < n; i++)
    if (cz_http_lower[(unsigned char)v[i]] != (unsigned char)s[i])
      return 0;
  return 1;
}

int cz_fields_te_check(const char* v, size_t n) {
  size_t i = 0;
  int others = 0;

  for (;;) {
    size_t start;
    size_t end;
    int params = 0;

    while (i < n && cz__ows(v[i]))
      i++;
    start = i;
    while (i < n && cz__tchar((unsigned char)v[i]))
      i++;
    end = i;
    if (end == start)
      return 400; /* an empty element (or a character no token has) */
    /* transfer-parameters: ( OWS ";" OWS token "=" ( token / quoted-string ) ); only
     * their shape matters, since no coding with parameters is one we decode. */
    for (;;) {
      size_t j = i;
      while (j < n && cz__ows(v[j]))
        j++;
      if (j == n || v[j] != ';')
        break;
      j++;
      while (j < n && cz__ows(v[j]))
        j++;
      if (j == n || !cz__tchar((unsigned char)v[j]))
        return 400;
      while (j < n && cz__tchar((unsigned char)v[j]))
        j++;
      if (j == n || v[j] != '=')
        return 400;
      j++;
      if (j < n && v[j] == '"') {
        for (j++; j < n && v[j] != '"'; j++)
          if (v[j] == '\\' && ++j == n)
            return 400;
        if (j == n)
          return 400;
        j++;
      } else {
        size_t k = j;
        while (j < n && cz__tchar((unsigned char)v[j]))
          j++;
        if (j == k)
          return 400;
      }
      i = j;
      params = 1;
    }
    while (i < n && cz__ows(v[i]))
      i++;
    if (cz__ieq(v + start, end - start, "chunked")) {
      /* chunked: only once, last, without parameters (RFC 9112 6.1, 7.1). */
      if (params || i != n)
        return 400;
      return others ? 501 : 0;
    }
    others = 1;
    if (i == n)
      return 400; /* the final coding is not chunked: the body's end is unknowable */
    if (v[i] != ',')
      return 400;
    i++;
  }
}

int cz_fields_connection(const char* v, size_t n) {
  int bits = 0;
  size_t i = 0;

  while (i < n) {
    size_t start;
    size_t end;
    while (i < n && (cz__ows(v[i]) || v[i] == ','))
      i++;
    start = i;
    while (i < n && v[i] != ',' && !cz__ows(v[i]))
      i++;
    end = i;
    if (cz__ieq(v + start, end - start, "close"))
      bits |= CZ_CONN_CLOSE;
    else if (cz__ieq(v + start, end - start, "keep-alive"))
      bits |= CZ_CONN_KEEP_ALIVE;
    else if (cz__ieq(v + start, end - start, "upgrade"))
      bits |= CZ_CONN_UPGRADE;
  }
  return bits;
}
