/*
 * cz_static.h: one request for a file under a static mount (`app.static(prefix, dir,
 * options)`, cz_mount.h), served in C without entering JS: the file opened beneath the
 * root, checked, its head decided and its bytes read, on the loop when nothing would wait
 * on the disk and on libuv's threadpool otherwise (docs/static.md).
 *
 * A leaf of the layering in cz_server.h: it knows libuv, the HTTP bits (cz_http.h) and
 * nothing of connections. Its owner (cz_conn.c) starts a file request, hears that the
 * head (and a first chunk) is ready through the callback it passed, renders it, and asks
 * for each next chunk only when the socket has taken the last one (backpressure).
 *
 * Lifetimes: the mounts (cz_mount.h) hold each root directory open; every file request
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
#include "cz_mount.h"

/* Bytes read from a file per trip to the threadpool; also how far a response reads ahead
 * of what the socket has taken (cz_conn.c asks for the next chunk below this). */
#define CZ_STATIC_CHUNK (128u * 1024u)

typedef struct cz_static_req_s cz_static_req_t;

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
int cz__static_start(cz_mounts_t* st, int mount, uv_loop_t* loop, const char* path, size_t path_len,
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
