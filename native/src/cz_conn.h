/*
 * cz_conn.h: client connections: the socket, the feed loop that drives the parser, the
 * pipeline slots, the write path and the timers; and cz_conn_set_t, what the connections
 * of one server share. Internal; see the layering in cz_server.h: this layer sits on the
 * batch (cz_batch.h) and the parser (cz_parse.h), and the server above it reaches the
 * connections only through the cz__conn_* functions declared here.
 */
#ifndef CZ_CONN_H
#define CZ_CONN_H

#include <stdint.h>
#include <uv.h>

#include "cz_batch.h"
#include "cz_alog.h"
#include "cz_http.h"
#include "cz_list.h"
#include "cz_log.h"
#include "cz_parse.h"
#include "cz_static.h"

/* Shared read buffer: every read callback parses its bytes before the next read. */
#define CZ_READ_SIZE (64u * 1024u)
/* Bytes in flight or queued per connection before reading stops (backpressure). */
#define CZ_WRITE_HIGH (1u << 20)

/* Lingering close after a rejected request (see cz__conn_linger): how long, and how many
 * bytes, the rest of what the client sends is read and dropped so the error response is
 * not destroyed by a TCP reset (closing with unread input sends RST, and a client's stack
 * may discard the response it had not read yet). */
#define CZ_LINGER_MS 2000u
#define CZ_LINGER_BYTES (64u * 1024u)

typedef struct cz_conn_s cz_conn_t;
typedef struct cz_conn_set_s cz_conn_set_t;

/* What the connections of one server share; embedded in, and set up by, the server. */
struct cz_conn_set_s {
  uv_loop_t* loop;
  const cz_limits_t* limits;
  const cz_parse_env_t* penv;
  cz_batch_t* batch;
  const cz_log_t* log;
  cz_mounts_t* statics;  /* static file mounts (the server's), or NULL */
  cz_date_t date;
  cz_list_t all;          /* every connection, closing ones included */
  cz_list_t dirty;        /* connections with bytes to flush once the batch is done */
  cz_list_t resume;       /* connections with parked bytes to parse */
  uv_idle_t resumer;      /* parses parked bytes on the next loop turn */
  unsigned n;             /* allocated connections (closing ones included) */
  unsigned nactive;       /* connections not closing */
  unsigned defer;         /* > 0: writes wait for cz__conn_flush_all() */
  uint8_t resumer_on;
  uint8_t stopped;        /* the server is closing: nothing is resumed */
  uint32_t last_id;       /* the last request id given (CZ_REQ_ID); ids start at 1 and wrap */
  cz_alog_t* alog;        /* the access log's records, or NULL when it is off (set by the owner) */
  /* The server is going away (cz_server_go_away): the health path answers 503, and every
   * request from now on is answered with Connection: close, so keep-alive clients move
   * to another instance before the listener closes. */
  uint8_t going_away;
  /* The readiness path answered in C (listen({ health })), or NULL: GET/HEAD get 200
   * while serving, 503 once going away; it takes precedence over the app's routes. */
  const char* health;
  size_t health_len;
  /* A streamed body's last event when it ends in error or abort, from wherever the
   * connection stopped (a timer, a JS call, a close): handed to JS from the resumer's
   * turn, where calling JS cannot re-enter a half-done stop (cz__conn_stream_fail). */
  struct cz_body_ev_s* events;
  size_t nevents;
  size_t events_cap;
  /* Up to the owner, by pointer rather than by include: a connection's memory is gone;
   * the set's own handle is closed (cz__conn_set_close). */
  void (*freed)(cz_conn_set_t* set);
  void (*closed)(cz_conn_set_t* set);
  char read_buf[CZ_READ_SIZE];
};

/* Sets up the set and makes it the batch's settle target. */
void cz__conn_set_init(cz_conn_set_t* set, uv_loop_t* loop, const cz_limits_t* limits,
                       const cz_parse_env_t* penv, cz_batch_t* batch, const cz_log_t* log);
/* The server closes: nothing is resumed any more; every connection is closed now
 * (grace_ms == 0) or drained (finishes what JS is working on, then closes). */
void cz__conn_set_stop(cz_conn_set_t* set, uint64_t grace_ms);
/* The server is going away but still serving: sets set->going_away and puts Connection:
 * close on the last response each connection still owes (see going_away). */
void cz__conn_set_go_away(cz_conn_set_t* set);
/* Closes the set's own handle; set->closed runs once it is. */
void cz__conn_set_close(cz_conn_set_t* set);

/* A connection for a socket the caller is about to attach to c->tcp (uv_accept or
 * uv_tcp_open), then hands to cz__conn_start() or cz__conn_refuse(). NULL: out of memory. */
cz_conn_t* cz__conn_new(cz_conn_set_t* set);
uv_tcp_t* cz__conn_tcp(cz_conn_t* c);
void cz__conn_start(cz_conn_t* c);
/* Closes a connection that never started (over the limit, or no socket). */
void cz__conn_refuse(cz_conn_t* c);
/* The peer's address as text (looked up on the first call, then cached). 0, or
 * UV_EAFNOSUPPORT when it has none (a socketpair), or the error of uv_tcp_getpeername. */
int cz__conn_peer_name(cz_conn_t* c, char* buf, size_t len);

void cz__conn_close(cz_conn_t* c);
void cz__conn_close_all(cz_conn_set_t* set);

/* Writes what every connection queued while writes were deferred (a batch, respondMany),
 * one write per connection; nothing while still deferred. */
void cz__conn_flush_all(cz_conn_set_t* set);

#endif /* CZ_CONN_H */
