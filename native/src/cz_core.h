/*
 * cz_core.h: the server struct, shared by cz_server.c, cz_conn.c and cz_parse.c (the
 * connection's own structs are in cz_conn.h). Not part of the embedder API.
 *
 * Lifetimes:
 *   cz_server_t  cz_server_new() .. cz_server_free() (after hooks.closed).
 *   cz_conn_t    accept .. the last of its two handle close callbacks; after
 *                cz__conn_close() nothing but those callbacks touches it.
 *   cz_slot_t    headers complete (or a rejected request) .. its response is moved into
 *                the connection's outgoing buffer, or the connection closes.
 *   contexts     a slot waiting on JS holds one; released with the slot.
 */
#ifndef CZ_CORE_H
#define CZ_CORE_H

#include <stdint.h>
#include <uv.h>

#include "catzilla_routes.h"
#include "cz_conn.h"
#include "cz_ctx.h"
#include "cz_http.h"
#include "cz_list.h"
#include "cz_server.h"
#include "cz_table.h"
#include "llhttp.h"

/* Shared read buffer: every read callback parses its bytes before the next read. */
#define CZ_READ_SIZE (64u * 1024u)

typedef struct cz_batch_item_s {
  uint32_t ctx;
  uint32_t gen;
  char* body;
  size_t body_len;
} cz_batch_item_t;

struct cz_server_s {
  uv_loop_t* loop;
  uv_tcp_t* listener;
  uv_timer_t grace;
  uv_idle_t resumer;
  cz_table_t table;
  uint32_t table_gen;     /* bumped by each cz_server_swap_table() */
  cz_table_t* old_tables; /* swapped-out tables: kept loaded until cz_server_free() */
  unsigned nold;
  cz_limits_t limits;
  cz_arenas_t arenas;
  cz_hooks_t hooks;
  cz_ctx_slab_t ctxs;
  cz_date_t date;
  llhttp_settings_t settings;
  cz_list_t conns;
  cz_list_t dirty;
  cz_list_t resume;
  unsigned nconns;        /* allocated connections (closing ones included) */
  unsigned nactive;       /* connections not closing */
  unsigned nhandles;      /* grace + resumer: open until the very end */
  unsigned nlisteners;    /* listeners open or closing */
  unsigned batch_max;
  unsigned defer;         /* > 0: writes wait for cz__server_flush() */
  uint64_t accept_log_ms; /* last accept error logged (loop time) */
  struct {
    unsigned n;
    size_t data_used;
    int has_bodies;
    int done;
    int running;
    cz_batch_item_t items[CZ_BATCH_MAX];
  } batch;
  uint8_t closing;
  uint8_t finishing;      /* own handles are being closed */
  uint8_t resumer_on;
  char read_buf[CZ_READ_SIZE];
};

/* cz_server.c */
void cz__server_log(cz_server_t* srv, const char* fmt, ...);
void cz__server_run_batch(cz_server_t* srv);
void cz__server_flush(cz_server_t* srv);
void cz__server_conn_freed(cz_server_t* srv);
void cz__server_want_resume(cz_server_t* srv, cz_conn_t* c);

#endif /* CZ_CORE_H */
