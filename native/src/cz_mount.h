/*
 * cz_mount.h: a server's static mounts (`app.static(prefix, dir, options)`): each one's
 * prefix, root directory (held open, as an fd) and options; which mount a request path
 * falls under; the path below it decoded and checked; a file name's Content-Type. File
 * requests (cz_static.c) hold a reference to the mounts, so a read still in flight when the
 * server is freed never sees its root closed. A leaf of the layering in cz_server.h.
 */
#ifndef CZ_MOUNT_H
#define CZ_MOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "cz_http.h"

/* One mount as the embedder describes it (runtime/static.ts → binding.cc). */
typedef struct cz_static_opts_s {
  const char* prefix;      /* "/assets" ("" or "/": every path) */
  const char* dir;         /* the root, relative to the working directory or absolute */
  const char* index;       /* file served for a directory, or NULL for none */
  uint32_t max_age;        /* Cache-Control max-age, seconds */
  uint8_t immutable;       /* Cache-Control: ..., immutable */
  uint8_t dotfiles;        /* 1: serve names starting with '.'; 0: 404 */
  uint8_t etag;            /* send ETag, answer If-None-Match */
  uint8_t last_modified;   /* send Last-Modified, answer If-Modified-Since */
} cz_static_opts_t;

/* Content-Type by extension: cz_mime.gen.c (scripts/gen-mime.mjs, from mime-db). */
typedef struct cz_mime_s {
  const char* ext;
  const char* type;
} cz_mime_t;
extern const cz_mime_t cz_mime_table[];
extern const unsigned cz_mime_count;

/* Longest path (after the prefix, decoded) a mount serves; longer is 404. */
#define CZ_STATIC_PATH_MAX 1024

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

struct cz_mounts_s {
  unsigned refs;         /* the owner's, plus one per live file request (loop thread only) */
  size_t n;
  cz_mount_t* m;         /* longest prefix first */
};

typedef struct cz_mounts_s cz_mounts_t;

/* Opens every mount's root (longest prefix first). 0, or a negative error with a sentence
 * in err. n == 0 gives *out = NULL (no mounts). */
int cz__mount_new(const cz_static_opts_t* opts, size_t n, cz_mounts_t** out, char* err, size_t errlen);
/* A reference for a file request, dropped with cz__mount_unref (the owner's too: the roots
 * close with the last one). Loop thread only. */
void cz__mount_ref(cz_mounts_t* t);
void cz__mount_unref(cz_mounts_t* t);

/* The mount a raw request path (no query) falls under, longest prefix first, or -1. */
int cz__mount_match(const cz_mounts_t* t, const char* path, size_t len);

/* Decodes and checks the part of a path after its mount's prefix ("" or "/..."), into
 * out (NUL-terminated, relative: "css/site.css", "." for the root). Refuses (returns -1)
 * what could leave the root or name what must not be served: "." and ".." segments (also
 * percent-encoded), an encoded '/' or '\', any '\', NUL, empty segments ("//"), bad
 * percent-encoding, and, unless dotfiles, a segment starting with '.'. *dir is set when the
 * path ends in '/' (or is the prefix's "/"). Pure. */
int cz__mount_path(const char* rest, size_t len, int dotfiles, char* out, size_t cap, int* dir);

/* Content-Type for a file name (by its last extension, any case); octet-stream if unknown. */
const char* cz__mount_mime(const char* name);

#endif /* CZ_MOUNT_H */
