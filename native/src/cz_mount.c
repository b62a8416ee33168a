/*
 * cz_mount.c: a server's static mounts (cz_mount.h): opening their roots, matching a
 * request path to one, decoding and checking the path below it, and Content-Type by name.
 */
#include "cz_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static void cz__mounts_free(cz_mounts_t* st) {
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

void cz__mount_ref(cz_mounts_t* st) {
  st->refs++;
}

void cz__mount_unref(cz_mounts_t* st) {
  if (st != NULL && --st->refs == 0)
    cz__mounts_free(st);
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

int cz__mount_new(const cz_static_opts_t* opts, size_t n, cz_mounts_t** out, char* err, size_t errlen) {
  cz_mounts_t* st;
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
      cz__mounts_free(st);
      return UV_EINVAL;
    }
    m->root = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->root < 0 || realpath(o->dir, real) == NULL) {
      snprintf(err, errlen, "catzilla: static directory \"%s\" (for %s): %s", o->dir, o->prefix,
               strerror(errno));
      cz__mounts_free(st);
      return UV_EINVAL;
    }
    m->prefix = malloc(plen + 1);
    m->root_real = cz__strdup(real);
    m->index = o->index != NULL && o->index[0] != '\0' ? cz__strdup(o->index) : NULL;
    if (m->prefix == NULL || m->root_real == NULL || (o->index != NULL && o->index[0] != '\0' && m->index == NULL)) {
      snprintf(err, errlen, "catzilla: out of memory");
      cz__mounts_free(st);
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

int cz__mount_match(const cz_mounts_t* st, const char* path, size_t len) {
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

int cz__mount_path(const char* rest, size_t len, int dotfiles, char* out, size_t cap, int* dir) {
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

const char* cz__mount_mime(const char* name) {
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
