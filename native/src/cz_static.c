/*
 * cz_static.c: static file mounts served in C (cz_static.h, docs/static.md).
 *
 * A file request makes one trip to libuv's threadpool for its head: open beneath the root,
 * fstat, the directory's index, the conditional and Range headers, the head's lines, and
 * the first chunk of the body (the whole of a small file, whose fd is closed right there).
 * A larger body takes one more trip per CZ_STATIC_CHUNK, each asked for by the owner once
 * the socket has taken the chunk before (cz_conn.c), so a slow reader never makes the
 * server read far ahead. The file is stat'ed on every request: a change on disk is served
 * at once, with a new ETag and Last-Modified (no cache to go stale).
 *
 * No escape from the root: the path is decoded and checked first (cz__static_path), then
 * opened relative to the root's fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
 * so neither ".." nor a symlink can lead outside it; where openat2 is missing (kernels
 * before 5.6, or a sandbox that refuses it) the path is resolved with realpath() and must
 * lie under the root's own realpath.
 *
 * The loop thread never waits on the disk, yet most files need no thread: a request first
 * tries the head on the loop with calls the kernel refuses (EAGAIN) rather than block,
 * openat2(RESOLVE_CACHED) (every path component in the dentry cache) and
 * preadv2(RWF_NOWAIT) (bytes in the page cache); only what would block goes to the
 * threadpool. A cached 4 KiB file is thus served in the loop's turn with no thread hand-off
 * (two context switches and an eventfd wake-up each way): bench/RESULTS.md, "Static files".
 */
#define _GNU_SOURCE /* preadv2 and RWF_NOWAIT */
#include "cz_static.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#if defined(SYS_openat2)
#include <linux/openat2.h>
#endif
#endif

#include "cz_log.h"

typedef struct cz_mount_s {
  char* prefix;          /* without a trailing '/': "" mounts every path */
  size_t prefix_len;
  char* root_real;       /* realpath of the root (the fallback check) */
  char* index;           /* NULL: no index file */
  int root;              /* O_DIRECTORY fd of the root */
  uint8_t dotfiles;
  uint8_t etag;
  uint8_t last_modified;
  char cache_control[96];/* "Cache-Control: ...\r\n" */
} cz_mount_t;

struct cz_statics_s {
  unsigned refs;         /* the owner's, plus one per live file request (loop thread only) */
  size_t n;
  cz_mount_t* m;         /* longest prefix first */
};

enum cz_static_step {
  CZ_STEP_HEAD = 0,      /* open, stat, decide, first chunk */
  CZ_STEP_READ = 1,      /* the next chunk */
  CZ_STEP_CLOSE = 2      /* close the fd (a cancelled request) */
};

struct cz_static_req_s {
  uv_work_t work;
  cz_statics_t* st;
  const cz_mount_t* m;
  cz_static_cb cb;
  void* owner;
  void* tag;
  int fd;                /* -1 when closed */
  int status;            /* 0 until the head is decided */
  int err;               /* a read failed or came up short: the response cannot be finished */
  uint8_t head;          /* a HEAD request */
  uint8_t dir;           /* the path ends in '/' */
  uint8_t busy;          /* a trip to the threadpool is in flight */
  uint8_t cancelled;     /* the owner is gone: free when the trip lands */
  uint8_t step;          /* enum cz_static_step of the trip in flight */
  uint64_t off;          /* body bytes [off, end) are still to be read */
  uint64_t end;
  uint64_t body_len;     /* Content-Length */
  char* chunk;           /* bytes read, for the owner to take */
  size_t chunk_len;
  cz_buf_t lines;        /* the head's extra lines, built on the threadpool */
  /* The request's inputs (copies: the parser's buffer is reused before the trip lands). */
  char* inm;             /* If-None-Match lines, joined with ',' (NULL: none) */
  char* ims;             /* If-Modified-Since */
  char* range;           /* Range (NULL also when the request has two) */
  char* if_range;        /* If-Range */
  char* location;        /* a directory asked for without its '/': where it is */
  char rel[CZ_STATIC_PATH_MAX];
};

/* Set once openat2 says ENOSYS (or by CATZILLA_STATIC_NO_OPENAT2=1, which tests use to
 * run the realpath() fallback on a kernel that has openat2); read with relaxed atomics. */
static int cz__openat2_missing;
/* Set once the kernel refuses RESOLVE_CACHED or RWF_NOWAIT (before 5.12), or by
 * CATZILLA_STATIC_NO_FAST=1 (tests run the threadpool path alone with it): every head
 * then goes to the threadpool. Written and read on the loop thread only. */
static int cz__fast_off;

static int cz__env_on(const char* name) {
  const char* v = getenv(name);
  return v != NULL && strcmp(v, "1") == 0;
}

/* ---- mounts ------------------------------------------------------------------------- */

static void cz__statics_free(cz_statics_t* st) {
  size_t i;
  for (i = 0; i < st->n; i++) {
    if (st->m[i].root >= 0)
      close(st->m[i].root);
    free(st->m[i].prefix);
    free(st->m[i].root_real);
    free(st->m[i].index);
  }
  free(st->m);
  free(st);
}

void cz__statics_unref(cz_statics_t* st) {
  if (st != NULL && --st->refs == 0)
    cz__statics_free(st);
}

static int cz__mount_cmp(const void* a, const void* b) {
  const cz_mount_t* x = a;
  const cz_mount_t* y = b;
  if (x->prefix_len != y->prefix_len)
    return x->prefix_len > y->prefix_len ? -1 : 1;
  return strcmp(x->prefix, y->prefix);
}

static char* cz__strdup(const char* s) {
  size_t n = strlen(s) + 1;
  char* p = malloc(n);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}

int cz__statics_new(const cz_static_opts_t* opts, size_t n, cz_statics_t** out, char* err, size_t errlen) {
  cz_statics_t* st;
  size_t i;

  *out = NULL;
  if (n == 0)
    return 0;
  st = calloc(1, sizeof(*st));
  if (st == NULL || (st->m = calloc(n, sizeof(*st->m))) == NULL) {
    free(st);
    snprintf(err, errlen, "catzilla: out of memory");
    return UV_ENOMEM;
  }
  st->refs = 1;
  if (cz__env_on("CATZILLA_STATIC_NO_OPENAT2"))
    __atomic_store_n(&cz__openat2_missing, 1, __ATOMIC_RELAXED);
  if (cz__env_on("CATZILLA_STATIC_NO_FAST"))
    cz__fast_off = 1;
  for (i = 0; i < n; i++)
    st->m[i].root = -1;
  st->n = n;
  for (i = 0; i < n; i++) {
    const cz_static_opts_t* o = &opts[i];
    cz_mount_t* m = &st->m[i];
    size_t plen = strlen(o->prefix);
    char real[4096];

    if (plen > 0 && o->prefix[plen - 1] == '/')
      plen--; /* "/" mounts every path, "/assets/" is "/assets" */
    if (o->prefix[0] != '/' && plen > 0) {
      snprintf(err, errlen, "catzilla: static prefix \"%s\" must start with '/'", o->prefix);
      cz__statics_free(st);
      return UV_EINVAL;
    }
    m->root = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->root < 0 || realpath(o->dir, real) == NULL) {
      snprintf(err, errlen, "catzilla: static directory \"%s\" (for %s): %s", o->dir, o->prefix,
               strerror(errno));
      cz__statics_free(st);
      return UV_EINVAL;
    }
    m->prefix = malloc(plen + 1);
    m->root_real = cz__strdup(real);
    m->index = o->index != NULL && o->index[0] != '\0' ? cz__strdup(o->index) : NULL;
    if (m->prefix == NULL || m->root_real == NULL || (o->index != NULL && o->index[0] != '\0' && m->index == NULL)) {
      snprintf(err, errlen, "catzilla: out of memory");
      cz__statics_free(st);
      return UV_ENOMEM;
    }
    memcpy(m->prefix, o->prefix, plen);
    m->prefix[plen] = '\0';
    m->prefix_len = plen;
    m->dotfiles = o->dotfiles;
    m->etag = o->etag;
    m->last_modified = o->last_modified;
    snprintf(m->cache_control, sizeof(m->cache_control), "Cache-Control: public, max-age=%u%s\r\n",
             (unsigned)o->max_age, o->immutable ? ", immutable" : "");
  }
  qsort(st->m, n, sizeof(*st->m), cz__mount_cmp);
  *out = st;
  return 0;
}

int cz__statics_match(const cz_statics_t* st, const char* path, size_t len) {
  size_t i;
  if (st == NULL)
    return -1;
  for (i = 0; i < st->n; i++) {
    const cz_mount_t* m = &st->m[i];
    if (len >= m->prefix_len && memcmp(path, m->prefix, m->prefix_len) == 0 &&
        (len == m->prefix_len || path[m->prefix_len] == '/'))
      return (int)i;
  }
  return -1;
}

/* ---- paths -------------------------------------------------------------------------- */

static int cz__hex(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int cz__static_path(const char* rest, size_t len, int dotfiles, char* out, size_t cap, int* dir) {
  size_t i = 0;
  size_t o = 0;

  *dir = 0;
  if (len > 0 && rest[0] != '/')
    return -1;
  if (len > 0)
    i = 1; /* the '/' after the prefix */
  if (len == 1)
    *dir = 1; /* "/": the root; "" (the prefix alone) is redirected to it like any directory */
  while (i < len) {
    size_t seg = o;
    /* One segment, decoded into out. */
    while (i < len && rest[i] != '/') {
      int c = (unsigned char)rest[i];
      if (c == '%') {
        int hi = i + 2 < len ? cz__hex(rest[i + 1]) : -1;
        int lo = i + 2 < len ? cz__hex(rest[i + 2]) : -1;
        if (hi < 0 || lo < 0)
          return -1;
        c = hi * 16 + lo;
        i += 3;
      } else {
        i++;
      }
      /* An encoded separator would make two segments of one; NUL ends a C path early. */
      if (c == '/' || c == '\\' || c == '\0')
        return -1;
      if (o + 2 >= cap)
        return -1;
      out[o++] = (char)c;
    }
    if (o == seg) {
      /* An empty segment: "//" inside the path (an absolute path after the prefix) is
       * refused; a trailing '/' asks for a directory. */
      if (i < len)
        return -1;
      *dir = 1;
      break;
    }
    if (out[seg] == '.') {
      size_t n = o - seg;
      if (n == 1 || (n == 2 && out[seg + 1] == '.'))
        return -1; /* "." and "..", however they were spelled */
      if (!dotfiles)
        return -1;
    }
    if (i < len) {
      i++; /* the '/' */
      if (i < len) {
        if (o + 2 >= cap)
          return -1;
        out[o++] = '/';
      } else {
        *dir = 1;
      }
    }
  }
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return 0;
}

const char* cz__static_mime(const char* name) {
  const char* dot = strrchr(name, '.');
  const char* slash = strrchr(name, '/');
  char ext[16];
  size_t n;
  size_t i;
  unsigned lo = 0;
  unsigned hi = cz_mime_count;

  if (dot == NULL || (slash != NULL && dot < slash) || (n = strlen(dot + 1)) == 0 || n >= sizeof(ext))
    return "application/octet-stream";
  for (i = 0; i <= n; i++)
    ext[i] = (char)cz_http_lower[(unsigned char)dot[1 + i]];
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    int c = strcmp(ext, cz_mime_table[mid].ext);
    if (c == 0)
      return cz_mime_table[mid].type;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return "application/octet-stream";
}

/* ---- request headers ---------------------------------------------------------------- */

/* A copy of value[0, n), NUL-terminated, or with join a copy of *dst + ',' + value. */
static int cz__keep(char** dst, const char* v, size_t n, int join) {
  size_t old = (join && *dst != NULL) ? strlen(*dst) : 0;
  char* p = realloc(join ? *dst : NULL, old + n + 2);
  if (p == NULL)
    return UV_ENOMEM;
  if (old > 0)
    p[old++] = ',';
  memcpy(p + old, v, n);
  p[old + n] = '\0';
  *dst = p;
  return 0;
}

static int cz__read_headers(cz_static_req_t* r, const char* h, size_t len) {
  size_t i = 0;
  int ranges = 0;

  while (i < len) {
    const char* name = h + i;
    size_t nl = strnlen(name, len - i);
    size_t at = i + nl + 1; /* the value's offset */
    const char* v = h + at;
    size_t vl;
    int rc = 0;

    if (at > len)
      break; /* no NUL after the name: not a block C wrote */
    vl = strnlen(v, len - at);
    i = at + vl + 1;
    if (nl == 13 && memcmp(name, "if-none-match", 13) == 0)
      rc = cz__keep(&r->inm, v, vl, 1);
    else if (nl == 17 && memcmp(name, "if-modified-since", 17) == 0 && r->ims == NULL)
      rc = cz__keep(&r->ims, v, vl, 0);
    else if (nl == 5 && memcmp(name, "range", 5) == 0 && ++ranges == 1)
      rc = cz__keep(&r->range, v, vl, 0);
    else if (nl == 8 && memcmp(name, "if-range", 8) == 0 && r->if_range == NULL)
      rc = cz__keep(&r->if_range, v, vl, 0);
    if (rc != 0)
      return rc;
  }
  if (ranges > 1) {
    free(r->range); /* two Range lines: a list of ranges, served whole */
    r->range = NULL;
  }
  return 0;
}

/* ---- the request -------------------------------------------------------------------- */

static void cz__req_free(cz_static_req_t* r) {
  cz_statics_t* st = r->st;
  CZ_ASSERT(r->fd < 0 && !r->busy);
  free(r->chunk);
  free(r->inm);
  free(r->ims);
  free(r->range);
  free(r->if_range);
  free(r->location);
  cz_buf_free(&r->lines);
  free(r);
  cz__statics_unref(st);
}

static void cz__static_work(uv_work_t* w);
static void cz__static_after(uv_work_t* w, int status);
static int cz__static_head(cz_static_req_t* r, int nowait);
static void cz__close_fd(cz_static_req_t* r);

static int cz__trip(cz_static_req_t* r, int step) {
  int rc;
  CZ_ASSERT(!r->busy);
  r->step = (uint8_t)step;
  rc = uv_queue_work(r->work.loop, &r->work, cz__static_work, cz__static_after);
  if (rc == 0)
    r->busy = 1;
  return rc;
}

int cz__static_start(cz_statics_t* st, int mount, uv_loop_t* loop, const char* path, size_t path_len,
                     const char* target, size_t target_len, const char* headers, size_t headers_len,
                     int head, cz_static_cb cb, void* owner, void* tag, cz_static_req_t** out) {
  const cz_mount_t* m;
  cz_static_req_t* r;
  int dir;

  CZ_ASSERT(st != NULL && mount >= 0 && (size_t)mount < st->n);
  *out = NULL;
  m = &st->m[mount];
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return UV_ENOMEM;
  if (cz__static_path(path + m->prefix_len, path_len - m->prefix_len, m->dotfiles, r->rel, sizeof(r->rel),
                      &dir) != 0) {
    free(r);
    return -404;
  }
  r->st = st;
  st->refs++;
  r->m = m;
  r->cb = cb;
  r->owner = owner;
  r->tag = tag;
  r->fd = -1;
  r->head = (uint8_t)(head != 0);
  r->dir = (uint8_t)dir;
  r->work.loop = loop;
  r->work.data = r;
  if (cz__read_headers(r, headers, headers_len) != 0) {
    cz__req_free(r);
    return UV_ENOMEM;
  }
  if (!dir && m->index != NULL) {
    /* Kept for a directory asked for without its '/': 301 to path + '/' (+ query). */
    size_t q = target_len - path_len;
    r->location = malloc(path_len + 1 + q + 1);
    if (r->location == NULL) {
      cz__req_free(r);
      return UV_ENOMEM;
    }
    memcpy(r->location, target, path_len);
    r->location[path_len] = '/';
    memcpy(r->location + path_len + 1, target + path_len, q);
    r->location[path_len + 1 + q] = '\0';
  }
  *out = r;
  if (!cz__fast_off && cz__static_head(r, 1) == 0) {
    if (r->status != 200 && r->status != 206)
      cz__close_fd(r);
    return CZ_STATIC_NOW; /* every file and byte it needed was cached: no thread */
  }
  if (cz__trip(r, CZ_STEP_HEAD) != 0) {
    *out = NULL;
    cz__req_free(r);
    return UV_ENOMEM;
  }
  return 0;
}

int cz__static_status(const cz_static_req_t* r) {
  return r->status;
}

int cz__static_more(const cz_static_req_t* r) {
  return r->err == 0 && r->off < r->end;
}

int cz__static_busy(const cz_static_req_t* r) {
  return r->busy;
}

int cz__static_failed(const cz_static_req_t* r) {
  return r->err != 0;
}

char* cz__static_take(cz_static_req_t* r, size_t* len) {
  char* c = r->chunk;
  *len = r->chunk_len;
  r->chunk = NULL;
  r->chunk_len = 0;
  return c;
}

int cz__static_read(cz_static_req_t* r) {
  CZ_ASSERT(!r->cancelled && r->fd >= 0 && r->off < r->end);
  return cz__trip(r, CZ_STEP_READ);
}

void cz__static_cancel(cz_static_req_t* r) {
  if (r == NULL)
    return;
  r->cancelled = 1;
  if (r->busy)
    return; /* freed when the trip lands (cz__static_after) */
  if (r->fd >= 0 && cz__trip(r, CZ_STEP_CLOSE) == 0)
    return;
  if (r->fd >= 0) {
    close(r->fd); /* could not queue the close: a regular file's close does not block */
    r->fd = -1;
  }
  cz__req_free(r);
}

int cz__static_render(cz_static_req_t* r, cz_buf_t* b, const cz_date_t* d, int connhdr, int omit_body) {
  cz_resp_t resp;
  memset(&resp, 0, sizeof(resp));
  resp.status = r->status;
  resp.connhdr = connhdr;
  resp.omit_body = omit_body;
  resp.head = r->lines.base;
  resp.head_len = r->lines.len;
  resp.body_len = (size_t)r->body_len;
  resp.body_apart = 1; /* the body follows in chunks (cz__static_take) */
  return cz_http_render(b, d, &resp);
}

/* ---- on the threadpool -------------------------------------------------------------- */


/* Opens rel beneath root: -errno on failure (EXDEV/ELOOP: it would leave the root). With
 * nowait, -EAGAIN when that would wait on the disk (or cannot be known not to). */
static int cz__open_beneath(const cz_mount_t* m, int at, const char* rel, int nowait) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK; /* NONBLOCK: a FIFO must not hang us */
  char path[4096 + CZ_STATIC_PATH_MAX + 2];
  char real[4096];
  size_t rl;
  int fd;

#if defined(__linux__) && defined(SYS_openat2)
  if (!__atomic_load_n(&cz__openat2_missing, __ATOMIC_RELAXED)) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
#if defined(RESOLVE_CACHED)
    if (nowait)
      how.resolve |= RESOLVE_CACHED;
#else
    if (nowait)
      return -EAGAIN;
#endif
    fd = (int)syscall(SYS_openat2, at, rel, &how, sizeof(how));
    if (fd >= 0)
      return fd;
    if (nowait && errno == EINVAL) {
      cz__fast_off = 1; /* a kernel without RESOLVE_CACHED (only the loop passes nowait) */
      return -EAGAIN;
    }
    if (errno != ENOSYS)
      return -errno;
    __atomic_store_n(&cz__openat2_missing, 1, __ATOMIC_RELAXED);
  }
#endif
  if (nowait)
    return -EAGAIN; /* realpath() may wait on the disk: the threadpool's */
  /* The fallback resolves from the root's path, so `at` must be the root itself. */
  (void)at;
  snprintf(path, sizeof(path), "%s/%s", m->root_real, rel);
  if (realpath(path, real) == NULL)
    return -errno;
  rl = strlen(m->root_real);
  if (strncmp(real, m->root_real, rl) != 0 || (real[rl] != '/' && real[rl] != '\0' && rl != 1))
    return -EXDEV;
  fd = open(real, flags | O_NOFOLLOW);
  return fd >= 0 ? fd : -errno;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int cz__lines_add(cz_static_req_t* r, const char* fmt, ...) {
  char tmp[512];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(tmp))
    return UV_EINVAL;
  return cz_buf_append(&r->lines, tmp, (size_t)n);
}

static void cz__http_date(time_t t, char* out, size_t cap) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the one form senders must use; -1 for
 * anything else (the condition is then ignored, as RFC 9110 13.1.3 asks). */
static time_t cz__parse_date(const char* s) {
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
static int cz__inm_match(const char* list, const char* etag) {
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

enum { CZ_RANGE_NONE = 0, CZ_RANGE_ONE = 1, CZ_RANGE_UNSAT = 2 };

/* Range (RFC 9110 14.2), one range of "bytes": a-b, a-, -n. Anything else (another unit,
 * a bad spec, several ranges: allowed to be served whole) is CZ_RANGE_NONE: 200. */
static int cz__range(const char* s, uint64_t size, uint64_t* from, uint64_t* to) {
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

/* Reads the next chunk of [off, end) into r->chunk. With nowait only what the page cache
 * holds (maybe nothing: r->chunk stays NULL); the rest is read on the threadpool. */
static void cz__read_chunk(cz_static_req_t* r, int nowait) {
  size_t want = r->end - r->off > CZ_STATIC_CHUNK ? CZ_STATIC_CHUNK : (size_t)(r->end - r->off);
  size_t got = 0;

  r->chunk = malloc(want);
  if (r->chunk == NULL) {
    r->err = UV_ENOMEM;
    return;
  }
  while (got < want) {
    ssize_t n;
#if defined(RWF_NOWAIT)
    if (nowait) {
      struct iovec v = {r->chunk + got, want - got};
      n = preadv2(r->fd, &v, 1, (off_t)(r->off + got), RWF_NOWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EOPNOTSUPP || errno == ENOSYS)) {
        if (errno != EAGAIN)
          cz__fast_off = 1;
        break; /* not cached (or not known): the threadpool reads the rest */
      }
    } else
#endif
    {
      (void)nowait;
      n = pread(r->fd, r->chunk + got, want - got, (off_t)(r->off + got));
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      /* The file shrank under us (or failed): the Content-Length sent cannot be met. */
      r->err = n < 0 ? -errno : UV_EOF;
      break;
    }
    got += (size_t)n;
  }
  if (got == 0) {
    free(r->chunk);
    r->chunk = NULL;
  }
  r->chunk_len = got;
  r->off += got;
}

static void cz__close_fd(cz_static_req_t* r) {
  if (r->fd >= 0) {
    close(r->fd);
    r->fd = -1;
  }
}

/* Undoes a head tried on the loop that would have waited: the threadpool starts over. */
static int cz__head_retry(cz_static_req_t* r) {
  cz__close_fd(r);
  r->status = 0;
  r->lines.len = 0;
  return -EAGAIN;
}

/* The head: open, stat, decide the status, build the lines, read the first chunk. With
 * nowait (on the loop) -EAGAIN when opening would wait on the disk, else 0. */
static int cz__static_head(cz_static_req_t* r, int nowait) {
  const cz_mount_t* m = r->m;
  struct stat sb;
  char etag[80];
  char date[40];
  uint64_t size;
  uint64_t from = 0;
  uint64_t to = 0;
  int fresh = 0;
  int rk = CZ_RANGE_NONE;
  int fd;

  fd = cz__open_beneath(m, m->root, r->rel, nowait);
  if (fd == -EAGAIN && nowait)
    return cz__head_retry(r);
  if (fd < 0) {
    /* Out of descriptors or memory is ours, not the client's: 503; the rest is a 404
     * (missing, EXDEV/ELOOP: it would leave the root, EACCES, ENOTDIR, ...). */
    r->status = (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) ? 503 : 404;
    return 0;
  }
  r->fd = fd;
  if (fstat(fd, &sb) != 0) {
    r->status = 404;
    return 0;
  }
  if (S_ISDIR(sb.st_mode)) {
    char rel[CZ_STATIC_PATH_MAX + 256];
    if (m->index == NULL) {
      r->status = 404;
      return 0;
    }
    if (!r->dir) {
      r->status = 301;
      if (r->location == NULL || cz__lines_add(r, "Location: %s\r\n", r->location) != 0)
        r->status = 404;
      return 0;
    }
    cz__close_fd(r);
    snprintf(rel, sizeof(rel), "%s/%s", r->rel, m->index);
    fd = cz__open_beneath(m, m->root, rel, nowait);
    if (fd == -EAGAIN && nowait)
      return cz__head_retry(r);
    if (fd < 0) {
      r->status = (fd == -EMFILE || fd == -ENFILE) ? 503 : 404;
      return 0;
    }
    r->fd = fd;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
      r->status = 404;
      return 0;
    }
    snprintf(r->rel, sizeof(r->rel), "%s", m->index); /* its name gives the type */
  } else if (!S_ISREG(sb.st_mode) || r->dir) {
    r->status = 404; /* a device, a FIFO, ...; or a file asked for as a directory */
    return 0;
  }

  size = (uint64_t)sb.st_size;
  /* Strong: mtime to the nanosecond and size. A change on disk within one clock tick
   * that keeps the size would keep it; nginx accepts the same with whole seconds. */
  snprintf(etag, sizeof(etag), "\"%llx-%lx-%llx\"", (unsigned long long)sb.st_mtim.tv_sec,
           (unsigned long)sb.st_mtim.tv_nsec, (unsigned long long)size);
  cz__http_date(sb.st_mtim.tv_sec, date, sizeof(date));

  /* RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it. */
  if (r->inm != NULL) {
    fresh = m->etag ? cz__inm_match(r->inm, etag) : (strchr(r->inm, '*') != NULL);
  } else if (r->ims != NULL && m->last_modified) {
    time_t since = cz__parse_date(r->ims);
    fresh = since != (time_t)-1 && sb.st_mtim.tv_sec <= since;
  }
  if (!fresh && r->range != NULL) {
    int honour = 1;
    if (r->if_range != NULL) {
      /* If-Range (13.1.5): an entity tag compared strongly, or our exact Last-Modified. */
      if (r->if_range[0] == '"')
        honour = m->etag && strcmp(r->if_range, etag) == 0;
      else
        honour = m->last_modified && cz__parse_date(r->if_range) == sb.st_mtim.tv_sec;
    }
    if (honour)
      rk = cz__range(r->range, size, &from, &to);
  }

  /* A 304 carries only the validators and caching lines (RFC 9110 15.4.5). */
  if (!fresh && cz__lines_add(r, "Content-Type: %s\r\n", cz__static_mime(r->rel)) != 0)
    goto fail;
  if (m->etag && cz__lines_add(r, "ETag: %s\r\n", etag) != 0)
    goto fail;
  if (m->last_modified && cz__lines_add(r, "Last-Modified: %s\r\n", date) != 0)
    goto fail;
  if (cz_buf_append(&r->lines, m->cache_control, strlen(m->cache_control)) != 0 ||
      (!fresh && cz__lines_add(r, "Accept-Ranges: bytes\r\n") != 0))
    goto fail;
  if (fresh) {
    r->status = 304;
  } else if (rk == CZ_RANGE_UNSAT) {
    r->status = 416;
    if (cz__lines_add(r, "Content-Range: bytes */%llu\r\n", (unsigned long long)size) != 0)
      goto fail;
  } else if (rk == CZ_RANGE_ONE) {
    r->status = 206;
    if (cz__lines_add(r, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)from,
                      (unsigned long long)to, (unsigned long long)size) != 0)
      goto fail;
    r->off = from;
    r->end = to + 1;
    r->body_len = r->end - r->off;
  } else {
    r->status = 200;
    r->off = 0;
    r->end = size;
    r->body_len = size;
  }
  if (r->head || (r->status != 200 && r->status != 206))
    r->end = r->off; /* no body bytes to read */
  if (r->off < r->end)
    cz__read_chunk(r, nowait);
  if (r->off >= r->end || r->err != 0)
    cz__close_fd(r);
  return 0;
fail:
  r->status = 503;
  r->lines.len = 0;
  cz__close_fd(r);
  return 0;
}

static void cz__static_work(uv_work_t* w) {
  cz_static_req_t* r = w->data;
  switch (r->step) {
    case CZ_STEP_HEAD:
      (void)cz__static_head(r, 0);
      if (r->status != 200 && r->status != 206)
        cz__close_fd(r);
      break;
    case CZ_STEP_READ:
      cz__read_chunk(r, 0);
      if (r->off >= r->end || r->err != 0)
        cz__close_fd(r);
      break;
    default:
      cz__close_fd(r);
      break;
  }
}

static void cz__static_after(uv_work_t* w, int status) {
  cz_static_req_t* r = w->data;

  r->busy = 0;
  if (status == UV_ECANCELED && r->status == 0)
    r->status = 503;
  if (r->cancelled) {
    if (r->fd >= 0 && cz__trip(r, CZ_STEP_CLOSE) == 0)
      return;
    cz__close_fd(r);
    cz__req_free(r);
    return;
  }
  r->cb(r, r->owner, r->tag);
}
