/*
 * cz_static.h: static file mounts (`app.static(prefix, dir, options)`), served in C: a
 * request under a mount is matched, its path decoded and checked, and the file opened,
 * checked and read on libuv's threadpool, without entering JS (docs/static.md).
 *
 * A leaf of the layering in cz_server.h: it knows libuv, the HTTP bits (cz_http.h) and
 * nothing of connections. Its owner (cz_conn.c) starts a file request, hears that the
 * head (and a first chunk) is ready through the callback it passed, renders it, and asks
 * for each next chunk only when the socket has taken the last one (backpressure).
 *
 * Lifetimes: the mounts (cz_statics_t) hold each root directory open; every file request
 * holds a reference, so a request the threadpool is still working on never sees its root
 * closed under it, even after the server is freed. A request whose owner goes away while
 * a read is in flight is cancelled (cz__static_cancel) and frees itself when it lands.
 */
#ifndef CZ_STATIC_H
#define CZ_STATIC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

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

/* Bytes read from a file per trip to the threadpool; also how far a response reads ahead
 * of what the socket has taken (cz_conn.c asks for the next chunk below this). */
#define CZ_STATIC_CHUNK (128u * 1024u)
/* Longest path (after the prefix, decoded) a mount serves; longer is 404. */
#define CZ_STATIC_PATH_MAX 1024

typedef struct cz_statics_s cz_statics_t;
typedef struct cz_static_req_s cz_static_req_t;

/* Opens every mount's root. 0, or a negative error with a sentence in err. n == 0 gives
 * *out = NULL (no mounts). */
int cz__statics_new(const cz_static_opts_t* opts, size_t n, cz_statics_t** out, char* err,
                    size_t errlen);
/* Drops the owner's reference (the roots close with the last file request). */
void cz__statics_unref(cz_statics_t* st);

/* The mount a raw request path (no query) falls under, longest prefix first, or -1. */
int cz__statics_match(const cz_statics_t* st, const char* path, size_t len);

/* Decodes and checks the part of a path after its mount's prefix ("" or "/..."), into
 * out (NUL-terminated, relative: "css/site.css", "." for the root). Refuses (returns -1)
 * what could leave the root or name what must not be served: "." and ".." segments (also
 * percent-encoded), an encoded '/' or '\', any '\', NUL, empty segments ("//"), bad
 * percent-encoding, and, unless dotfiles, a segment starting with '.'. *dir is set when the
 * path ends in '/'. Pure: test/native tests it through the server. */
int cz__static_path(const char* rest, size_t len, int dotfiles, char* out, size_t cap, int* dir);

/* Content-Type for a file name (by its last extension, any case); octet-stream if unknown. */
const char* cz__static_mime(const char* name);

/* What the owner hears: the head is ready (first call; cz__static_render), or the next
 * chunk is (cz__static_take). Runs on the loop thread from a threadpool completion. */
typedef void (*cz_static_cb)(cz_static_req_t* r, void* owner, void* tag);

/* cz__static_start() found everything cached: the head is ready now (cb is not called). */
#define CZ_STATIC_NOW 1

/* Starts serving `path` (raw, no query; `target` is the whole request target for a
 * redirect's Location) under mount `mount`. headers: the request's header block
 * ("name\0value\0...", names lowercased). head: a HEAD request. 0 with *out set (cb runs
 * later), CZ_STATIC_NOW with *out set (the head is ready: the caller goes on as its cb
 * would), -404 when the path is refused at once (answer 404 now), or UV_ENOMEM. */
int cz__static_start(cz_statics_t* st, int mount, uv_loop_t* loop, const char* path, size_t path_len,
                     const char* target, size_t target_len, const char* headers, size_t headers_len,
                     int head, cz_static_cb cb, void* owner, void* tag, cz_static_req_t** out);

/* Once the head is ready: its status; 404 (and any status >= 400 but 416) means the file
 * is not served: the owner answers it as its own errors (the hook for an app's notFound). */
int cz__static_status(const cz_static_req_t* r);

/* Renders the head (and, for HEAD, 304 and 416, the whole response) into b. */
int cz__static_render(cz_static_req_t* r, cz_buf_t* b, const cz_date_t* d, int connhdr, int omit_body);

/* Takes the chunk read (the caller frees it); *len 0 when none. */
char* cz__static_take(cz_static_req_t* r, size_t* len);

/* Are body bytes still to be read (the owner asks for them with cz__static_read)? */
int cz__static_more(const cz_static_req_t* r);
/* Did a read fail or come up short (the file shrank)? The Content-Length sent cannot be
 * met: the owner closes the connection. */
int cz__static_failed(const cz_static_req_t* r);
/* Is a trip to the threadpool in flight? */
int cz__static_busy(const cz_static_req_t* r);
/* Reads the next chunk; cb runs when it is there. 0 or a UV error. */
int cz__static_read(cz_static_req_t* r);

/* The owner is done with r (served, or its connection went): closes the file and frees
 * r now, or when the trip in flight lands. */
void cz__static_cancel(cz_static_req_t* r);

#endif /* CZ_STATIC_H */
