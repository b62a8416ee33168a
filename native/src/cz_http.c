/*
 * cz_http.c: response formatting, status reasons, the cached Date line, buffers.
 */
#include "cz_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "llhttp.h"

void cz_limits_default(cz_limits_t* l) {
  l->max_header_bytes = CZ_DEFAULT_MAX_HEADER_BYTES;
  l->max_url_bytes = CZ_DEFAULT_MAX_URL_BYTES;
  l->max_header_count = CZ_DEFAULT_MAX_HEADER_COUNT;
  l->max_body_bytes = CZ_DEFAULT_MAX_BODY_BYTES;
  l->headers_timeout_ms = CZ_DEFAULT_HEADERS_TIMEOUT_MS;
  l->request_timeout_ms = CZ_DEFAULT_REQUEST_TIMEOUT_MS;
  l->keep_alive_timeout_ms = CZ_DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  l->max_connections = CZ_DEFAULT_MAX_CONNECTIONS;
  l->max_pipelined = CZ_DEFAULT_MAX_PIPELINED;
}

/* ---- buffers ---------------------------------------------------------------------- */

int cz_buf_reserve(cz_buf_t* b, size_t extra) {
  size_t need;
  size_t cap;
  char* p;

  if (extra > SIZE_MAX - b->len)
    return UV_ENOMEM;
  need = b->len + extra;
  if (need <= b->cap)
    return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  p = realloc(b->base, cap);
  if (p == NULL)
    return UV_ENOMEM;
  b->base = p;
  b->cap = cap;
  return 0;
}

int cz_buf_append(cz_buf_t* b, const void* p, size_t n) {
  if (n == 0)
    return 0;
  if (cz_buf_reserve(b, n) != 0)
    return UV_ENOMEM;
  memcpy(b->base + b->len, p, n);
  b->len += n;
  return 0;
}

void cz_buf_free(cz_buf_t* b) {
  free(b->base);
  b->base = NULL;
  b->len = 0;
  b->cap = 0;
}

void cz_buf_reset(cz_buf_t* b, size_t keep) {
  b->len = 0;
  if (b->cap > keep)
    cz_buf_free(b);
}

/* ---- Date ------------------------------------------------------------------------- */

void cz_date_update(cz_date_t* d) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t now = time(NULL);
  struct tm tm;
  int n;

  if (now == d->sec && d->len != 0)
    return;
  /* IMF-fixdate by hand: strftime's %a/%b follow the locale. */
  gmtime_r(&now, &tm);
  n = snprintf(d->line, sizeof(d->line), "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
               days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
               tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n < 0 || (size_t)n >= sizeof(d->line))
    n = 0;
  d->len = (size_t)n;
  d->sec = now;
}

/* ---- status reasons --------------------------------------------------------------- */

const char* cz_http_reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
  }
}

/* ---- rendering -------------------------------------------------------------------- */

static const char cz__close_line[] = "Connection: close\r\n";
static const char cz__ka_line[] = "Connection: keep-alive\r\n";

/* Bytes of the optional Connection line. */
static size_t cz__connhdr_len(int connhdr) {
  if (connhdr == CZ_CONNHDR_CLOSE)
    return sizeof(cz__close_line) - 1;
  if (connhdr == CZ_CONNHDR_KEEPALIVE)
    return sizeof(cz__ka_line) - 1;
  return 0;
}

static char* cz__put(char* p, const char* s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}

static char* cz__put_connhdr(char* p, int connhdr) {
  if (connhdr == CZ_CONNHDR_CLOSE)
    return cz__put(p, cz__close_line, sizeof(cz__close_line) - 1);
  if (connhdr == CZ_CONNHDR_KEEPALIVE)
    return cz__put(p, cz__ka_line, sizeof(cz__ka_line) - 1);
  return p;
}

/* Writes the decimal digits of v; returns the end. */
static char* cz__put_u64(char* p, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    *p++ = tmp[--n];
  return p;
}

static const struct {
  const char* line;
  size_t len;
} cz__ctypes[CZ_CT_MAX + 1] = {
    {"", 0},
#define CZ__CT(s) {"Content-Type: " s "\r\n", sizeof("Content-Type: " s "\r\n") - 1}
    CZ__CT("application/json"),
    CZ__CT("text/plain; charset=utf-8"),
    CZ__CT("application/octet-stream"),
#undef CZ__CT
};

/* RFC 9110 8.6: no Content-Length in 1xx and 204; 304 carries no body and we do not
 * know the selected representation's length, so we send none there either. */
static int cz__bodyless(int status) {
  return status < 200 || status == 204 || status == 304;
}

int cz_http_body_sent(int status, int omit_body) {
  return !cz__bodyless(status) && !omit_body;
}

int cz_http_render(cz_buf_t* b, const cz_date_t* d, const cz_resp_t* r) {
  int bodyless = cz__bodyless(r->status);
  int send_body = !bodyless && !r->omit_body && !r->body_apart && r->framing == CZ_FRAME_LENGTH;
  const char* reason = cz_http_reason(r->status);
  size_t reason_len = strlen(reason);
  int ct = r->ctype >= 0 && r->ctype <= CZ_CT_MAX ? r->ctype : CZ_CT_NONE;
  size_t need;
  char* p;

  need = 9 + 4 + reason_len + 2 + d->len + 16 + 24 + 2 + cz__connhdr_len(r->connhdr) +
         cz__ctypes[ct].len + r->head_len + 2 + (send_body ? r->body_len : 0);
  if (cz_buf_reserve(b, need) != 0)
    return UV_ENOMEM;
  p = b->base + b->len;
  p = cz__put(p, "HTTP/1.1 ", 9);
  p = cz__put_u64(p, (uint64_t)r->status);
  *p++ = ' ';
  p = cz__put(p, reason, reason_len);
  p = cz__put(p, "\r\n", 2);
  p = cz__put(p, d->line, d->len);
  if (!bodyless && r->framing == CZ_FRAME_CHUNKED) {
    p = cz__put(p, "Transfer-Encoding: chunked\r\n", 28);
  } else if (!bodyless && r->framing == CZ_FRAME_LENGTH) {
    p = cz__put(p, "Content-Length: ", 16);
    p = cz__put_u64(p, r->body_len);
    p = cz__put(p, "\r\n", 2);
  }
  p = cz__put_connhdr(p, r->connhdr);
  if (ct != CZ_CT_NONE)
    p = cz__put(p, cz__ctypes[ct].line, cz__ctypes[ct].len);
  if (r->head_len)
    p = cz__put(p, r->head, r->head_len);
  p = cz__put(p, "\r\n", 2);
  if (send_body && r->body_len)
    p = cz__put(p, r->body, r->body_len);
  b->len = (size_t)(p - b->base);
  return 0;
}

/* Offset just past the first CRLF, or 0. */
static size_t cz__line_end(const char* s, size_t len) {
  size_t i;
  for (i = 0; i + 1 < len; i++)
    if (s[i] == '\r' && s[i + 1] == '\n')
      return i + 2;
  return 0;
}

/* Offset just past the first CRLFCRLF, or 0. */
static size_t cz__head_end(const char* s, size_t len) {
  size_t i;
  for (i = 0; i + 3 < len; i++)
    if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n')
      return i + 4;
  return 0;
}

int cz_http_const_valid(const char* resp, size_t len) {
  return resp != NULL && len > 12 && memcmp(resp, "HTTP/1.", 7) == 0 &&
         cz__line_end(resp, len) != 0 && cz__head_end(resp, len) != 0;
}

int cz_http_render_const(cz_buf_t* b, const cz_date_t* d, const char* resp, size_t len,
                         int connhdr, int omit_body) {
  size_t line = cz__line_end(resp, len);
  size_t end = omit_body ? cz__head_end(resp, len) : len;
  char* p;

  if (line == 0 || end < line)
    return UV_EINVAL;
  if (cz_buf_reserve(b, end + d->len + cz__connhdr_len(connhdr)) != 0)
    return UV_ENOMEM;
  p = b->base + b->len;
  p = cz__put(p, resp, line);
  p = cz__put(p, d->line, d->len);
  p = cz__put_connhdr(p, connhdr);
  p = cz__put(p, resp + line, end - line);
  b->len = (size_t)(p - b->base);
  return 0;
}

static int cz__strcmp_p(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

/* "Allow: A, B\r\n" with the names sorted, so the line is the same on every run. */
static size_t cz__allow_line(char* out, size_t cap, uint64_t allow) {
  const char* names[64];
  size_t n = 0;
  size_t len = 0;
  size_t i;
  unsigned m;

  if (allow & ((uint64_t)1 << HTTP_GET))
    allow |= (uint64_t)1 << HTTP_HEAD;
  for (m = 0; m < 64; m++) {
    const char* name;
    if (!(allow & ((uint64_t)1 << m)))
      continue;
    name = llhttp_method_name((llhttp_method_t)m);
    if (name == NULL || name[0] == '<')
      continue;
    names[n++] = name;
  }
  qsort(names, n, sizeof(names[0]), cz__strcmp_p);
  len = (size_t)snprintf(out, cap, "Allow: ");
  for (i = 0; i < n && len < cap; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", names[i]);
  if (len + 3 > cap)
    return 0;
  memcpy(out + len, "\r\n", 3);
  return len + 2;
}

int cz_http_render_error(cz_buf_t* b, const cz_date_t* d, int status, int connhdr,
                         int omit_body, uint64_t allow, const char* json) {
  char head[1024];
  char body[96];
  size_t head_len = 0;
  int body_len;
  cz_resp_t r;

  memset(&r, 0, sizeof(r));
  if (allow != 0)
    head_len = cz__allow_line(head, sizeof(head), allow);
  if (json != NULL) {
    body_len = (int)strlen(json);
  } else {
    body_len = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", cz_http_reason(status));
    if (body_len < 0 || (size_t)body_len >= sizeof(body))
      body_len = 0;
  }

  r.status = status;
  r.ctype = CZ_CT_JSON;
  r.connhdr = connhdr;
  r.omit_body = omit_body;
  r.head = head;
  r.head_len = head_len;
  r.body = json != NULL ? json : body;
  r.body_len = (size_t)body_len;
  return cz_http_render(b, d, &r);
}

#define L4(c) c, c + 1, c + 2, c + 3
#define L16(c) L4(c), L4(c + 4), L4(c + 8), L4(c + 12)
const unsigned char cz_http_lower[256] = {
    L16(0),   L16(16),  L16(32),  L16(48),
    /* 'A'..'Z' (65..90) map to 'a'..'z' */
    64,       L16(97),  97 + 16, 97 + 17, 97 + 18, 97 + 19, 97 + 20, 97 + 21, 97 + 22, 97 + 23,
    97 + 24,  97 + 25,  91,      92,      93,      94,      95,
    L16(96),  L16(112), L16(128), L16(144), L16(160), L16(176), L16(192), L16(208), L16(224),
    L16(240),
};
