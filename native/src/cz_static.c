/*
 * cz_static.c: one request for a file under a static mount (cz_static.h, cz_mount.h,
 * docs/static.md), from its path to its last chunk.
 *
 * A file request makes one trip to libuv's threadpool for its head: open beneath the root,
 * fstat, the directory's index, the conditional and Range headers, the head's lines, and
 * the first chunk of the body (the whole of a small file, whose fd is closed right there).
 * A larger body takes one more trip per CZ_STATIC_CHUNK, each asked for by the owner once
 * the socket has taken the chunk before (cz_conn.c), so a slow reader never makes the
 * server read far ahead. The file is stat'ed on every request: a change on disk is served
 * at once, with a new ETag and Last-Modified (no cache to go stale).
 *
 * No escape from the root: the path is decoded and checked first (cz__mount_path), then
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

#include "cz_cond.h"
#include "cz_log.h"

enum cz_static_step {
  CZ_STEP_HEAD = 0,      /* open, stat, decide, first chunk */
  CZ_STEP_READ = 1,      /* the next chunk */
  CZ_STEP_CLOSE = 2      /* close the fd (a cancelled request) */
};

struct cz_static_req_s {
  uv_work_t work;
  cz_mounts_t* st;
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

/* The two switches tests use, read once (on the loop thread, at the first request). */
static void cz__static_env(void) {
  static int read;
  if (read)
    return;
  read = 1;
  if (cz__env_on("CATZILLA_STATIC_NO_OPENAT2"))
    __atomic_store_n(&cz__openat2_missing, 1, __ATOMIC_RELAXED);
  if (cz__env_on("CATZILLA_STATIC_NO_FAST"))
    cz__fast_off = 1;
}

/* ---- mounts ------------------------------------------------------------------------- */

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
  cz_mounts_t* st = r->st;
  CZ_ASSERT(r->fd < 0 && !r->busy);
  free(r->chunk);
  free(r->inm);
  free(r->ims);
  free(r->range);
  free(r->if_range);
  free(r->location);
  cz_buf_free(&r->lines);
  free(r);
  cz__mount_unref(st);
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

int cz__static_start(cz_mounts_t* st, int mount, uv_loop_t* loop, const char* path, size_t path_len,
                     const char* target, size_t target_len, const char* headers, size_t headers_len,
                     int head, cz_static_cb cb, void* owner, void* tag, cz_static_req_t** out) {
  const cz_mount_t* m;
  cz_static_req_t* r;
  int dir;

  CZ_ASSERT(st != NULL && mount >= 0 && (size_t)mount < st->n);
  *out = NULL;
  cz__static_env();
  m = &st->m[mount];
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return UV_ENOMEM;
  if (cz__mount_path(path + m->prefix_len, path_len - m->prefix_len, m->dotfiles, r->rel, sizeof(r->rel),
                      &dir) != 0) {
    free(r);
    return -404;
  }
  r->st = st;
  cz__mount_ref(st);
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
  cz_cond_format_date(sb.st_mtim.tv_sec, date, sizeof(date));

  /* RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it. */
  if (r->inm != NULL) {
    fresh = m->etag ? cz_cond_inm_match(r->inm, etag) : (strchr(r->inm, '*') != NULL);
  } else if (r->ims != NULL && m->last_modified) {
    time_t since = cz_cond_parse_date(r->ims);
    fresh = since != (time_t)-1 && sb.st_mtim.tv_sec <= since;
  }
  if (!fresh && r->range != NULL) {
    int honour = 1;
    if (r->if_range != NULL) {
      /* If-Range (13.1.5): an entity tag compared strongly, or our exact Last-Modified. */
      if (r->if_range[0] == '"')
        honour = m->etag && strcmp(r->if_range, etag) == 0;
      else
        honour = m->last_modified && cz_cond_parse_date(r->if_range) == sb.st_mtim.tv_sec;
    }
    if (honour)
      rk = cz_cond_range(r->range, size, &from, &to);
  }

  /* A 304 carries only the validators and caching lines (RFC 9110 15.4.5). */
  if (!fresh && cz__lines_add(r, "Content-Type: %s\r\n", cz__mount_mime(r->rel)) != 0)
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
