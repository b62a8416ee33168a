/*
 * fuzz_core.c: libFuzzer target for the native server's C core, built without Node
 * (system libuv, llhttp 9 from native/deps/llhttp, the fixture route table). scripts/fuzz-native.sh builds
 * and runs it.
 *
 * One input = one client. Byte 0 picks the behaviour of the stand-in JS side (which
 * requests stay pending and are answered on a later loop turn, close flags, a throwing
 * batch, an invalid status) and byte 1 the size of the chunks the client writes in; the
 * rest is the byte stream. The client writes it over a socketpair chunk by chunk, letting
 * the loop run in between, then shuts down its side and reads until the server closes.
 * After each input no connection and no context may remain.
 *
 * Streamed bodies (/stream, CZ_ROUTE_STREAM): the body hook checks that each streamed
 * request's events name a body that is open (dispatched, not ended) and that every one ends
 * exactly once; with mode bit 64 it asks C to stop reading and pulls on a later turn, with
 * bit 128 it pulls from inside the hook and then says "enough" (reading must go on).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cz_server.h"

static uv_loop_t* loop;
static cz_server_t* srv;
static int32_t req_meta[CZ_BATCH_MAX * CZ_REQ_STRIDE];
static char req_data[8192]; /* small: batches split on space too */
static int32_t res_meta[CZ_BATCH_MAX * CZ_RES_STRIDE];
static char res_data[4096];
static unsigned mode;

typedef struct {
  uint32_t ctx;
  uint32_t gen;
} pending_t;
static pending_t pending[8192];
static unsigned npending;
static uv_idle_t answerer;
/* Streamed bodies dispatched and not ended yet; and those C was told to stop reading. */
static pending_t streams[8192];
static unsigned nstreams;
static pending_t pulls[8192];
static unsigned npulls;

static void die(const char* what) {
  fprintf(stderr, "fuzz_core: %s\n", what);
  abort();
}

/* Later loop turn: answer what was left pending (some with close). Stale names are fine. */
static void answer_cb(uv_idle_t* h) {
  static const char head[] = "Content-Type: text/plain\r\n";
  unsigned n = npending;
  unsigned i;
  npending = 0;
  for (i = 0; i < npulls; i++)
    cz_server_body_pull(srv, pulls[i].ctx, pulls[i].gen);
  npulls = 0;
  for (i = 0; i < n; i++)
    cz_server_respond(srv, pending[i].ctx, pending[i].gen, 200 + (int)(i % 3),
                      (mode & 4) && i == n - 1 ? CZ_RESF_CLOSE : 0, head, sizeof(head) - 1,
                      "late", 4);
  if (npending == 0 && npulls == 0)
    uv_idle_stop(h);
}

static int stream_find(uint32_t ctx, uint32_t gen) {
  unsigned i;
  for (i = 0; i < nstreams; i++)
    if (streams[i].ctx == ctx && streams[i].gen == gen)
      return (int)i;
  return -1;
}

static int body(cz_server_t* s, void* data, uint32_t ctx, uint32_t gen, const char* base, size_t len, int event) {
  int k = stream_find(ctx, gen);
  (void)s;
  (void)data;
  if (k < 0)
    die("a body event for a body that is not open");
  if (len > 0 && base == NULL)
    die("body bytes without a pointer");
  if (len > 0)
    (void)*(volatile const char*)(base + len - 1); /* ASan: the bytes are readable */
  if (event != CZ_BODY_DATA) {
    streams[k] = streams[--nstreams];
    if (event == CZ_BODY_END && (mode & 128) && npending < sizeof(pending) / sizeof(pending[0])) {
      /* Answered once read, as an app would: only the body's flow can stall it. */
      pending[npending].ctx = ctx;
      pending[npending].gen = gen;
      npending++;
      uv_idle_start(&answerer, answer_cb);
    }
    return 1;
  }
  if (mode & 128) {
    /* A reader that drains its queue in the promise jobs run before the hook returns:
     * its pull comes first, then the stale "enough"; reading must go on. */
    if (cz_server_body_pull(s, ctx, gen) != 1)
      die("pull of an open body refused");
    return 0;
  }
  if ((mode & 64) && npulls < sizeof(pulls) / sizeof(pulls[0])) {
    pulls[npulls].ctx = ctx;
    pulls[npulls].gen = gen;
    npulls++;
    uv_idle_start(&answerer, answer_cb);
    return 0;
  }
  return 1;
}

static void check_range(int32_t off, int32_t len, size_t size) {
  if (off < 0 || len < 0 || (size_t)off + (size_t)len > size)
    die("request slice outside reqData");
}

/* The access log's records point inside their path bytes; then they are dropped. */
static void check_access_log(cz_server_t* s) {
  cz_access_view_t v;
  size_t i;
  if (!cz_server_access_log(s, &v))
    return;
  for (i = 0; i < v.n; i++) {
    const int32_t* r = v.recs + i * CZ_ALOG_STRIDE;
    check_range(r[CZ_ALOG_PATH_OFF], r[CZ_ALOG_PATH_LEN], v.plen);
    if (r[CZ_ALOG_STATUS] < 100 || r[CZ_ALOG_STATUS] > 999)
      die("access log status out of range");
  }
  cz_server_access_log_clear(s);
}

static void dispatch(cz_server_t* s, void* data, unsigned n, int has_bodies) {
  size_t off = 0;
  unsigned i;
  (void)data;
  check_access_log(s);
  for (i = 0; i < n; i++) {
    const int32_t* m = req_meta + (size_t)i * CZ_REQ_STRIDE;
    int32_t* r = res_meta + (size_t)i * CZ_RES_STRIDE;
    int32_t k;
    size_t len;

    /* What JS would read must be inside the arena. */
    check_range(m[CZ_REQ_URL_OFF], m[CZ_REQ_URL_LEN], sizeof(req_data));
    if (m[CZ_REQ_PATH_LEN] > m[CZ_REQ_URL_LEN])
      die("path longer than url");
    if (m[CZ_REQ_HDR_OFF] >= 0)
      check_range(m[CZ_REQ_HDR_OFF], m[CZ_REQ_HDR_LEN], sizeof(req_data));
    for (k = 0; k < m[CZ_REQ_NPARAMS]; k++)
      check_range(m[CZ_REQ_PARAMS + 2 * k], m[CZ_REQ_PARAMS + 2 * k + 1],
                  (size_t)m[CZ_REQ_URL_LEN]);
    if (m[CZ_REQ_FLAGS] & CZ_REQF_STREAM) {
      if (!has_bodies || stream_find((uint32_t)m[CZ_REQ_CTX], (uint32_t)m[CZ_REQ_GEN]) >= 0 ||
          nstreams >= sizeof(streams) / sizeof(streams[0]))
        die("a streamed request dispatched twice, or without has_bodies");
      streams[nstreams].ctx = (uint32_t)m[CZ_REQ_CTX];
      streams[nstreams].gen = (uint32_t)m[CZ_REQ_GEN];
      nstreams++;
      if (mode & 128) {
        memset(res_meta + (size_t)i * CZ_RES_STRIDE, 0, CZ_RES_STRIDE * sizeof(int32_t));
        continue; /* pending until its body ends (see body()) */
      }
    } else if (has_bodies && (m[CZ_REQ_FLAGS] & CZ_REQF_BODY)) {
      char* body = NULL;
      size_t blen = 0;
      if (cz_server_batch_body(s, i, &body, &blen))
        free(body);
    }

    memset(r, 0, CZ_RES_STRIDE * sizeof(*r));
    if ((unsigned)(m[CZ_REQ_ROUTE] + (int)mode) % 3 == 0 &&
        npending < sizeof(pending) / sizeof(pending[0])) {
      pending[npending].ctx = (uint32_t)m[CZ_REQ_CTX];
      pending[npending].gen = (uint32_t)m[CZ_REQ_GEN];
      npending++;
      uv_idle_start(&answerer, answer_cb);
      continue; /* status 0: pending */
    }
    r[CZ_RES_STATUS] = (mode & 8) && i == 1 ? 42 : 200;
    len = (size_t)m[CZ_REQ_URL_LEN];
    if (len > sizeof(res_data) - off)
      len = sizeof(res_data) - off;
    memcpy(res_data + off, req_data + m[CZ_REQ_URL_OFF], len);
    r[CZ_RES_HEAD_OFF] = (int32_t)off;
    r[CZ_RES_BODY_OFF] = (int32_t)off;
    r[CZ_RES_BODY_LEN] = (int32_t)len;
    off += len;
    if ((mode & 16) && i + 1 == n)
      r[CZ_RES_FLAGS] = CZ_RESF_CLOSE;
  }
  cz_server_batch_done(s, (mode & 32) && n > 2, NULL, NULL);
}

static void closed(cz_server_t* s, void* data) {
  (void)s;
  (void)data;
}

static void quiet_log(void* data, const char* msg) {
  (void)data;
  (void)msg;
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  const char* table = getenv("CZ_FUZZ_TABLE");
  cz_server_options_t o;
  char err[512];
  (void)argc;
  (void)argv;

  memset(&o, 0, sizeof(o));
  o.table_path = table ? table : "test/.tmp/routes.fixture.so";
  o.fingerprint = "fixture-v1";
  cz_limits_default(&o.limits);
  o.limits.max_header_bytes = 2048;
  o.limits.max_url_bytes = 512;
  o.limits.max_header_count = 20;
  o.limits.max_body_bytes = 4096;
  o.limits.max_pipelined = 4;
  o.arenas.req_meta = req_meta;
  o.arenas.req_meta_len = sizeof(req_meta) / sizeof(req_meta[0]);
  o.arenas.req_data = req_data;
  o.arenas.req_data_len = sizeof(req_data);
  o.arenas.res_meta = res_meta;
  o.arenas.res_meta_len = sizeof(res_meta) / sizeof(res_meta[0]);
  o.arenas.res_data = res_data;
  o.arenas.res_data_len = sizeof(res_data);
  o.hooks.dispatch = dispatch;
  o.hooks.closed = closed;
  o.hooks.log = quiet_log;
  o.access_log = 1; /* exercised too: records appended on every response, checked and cleared */
  o.hooks.body = body;
  loop = uv_default_loop();
  if (cz_server_new(loop, &o, &srv, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  uv_idle_init(loop, &answerer);
  return 0;
}

/* Reads and discards what the server wrote; 1 once it has closed its side. */
static int drain(int fd) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0)
      continue;
    if (n == 0)
      return 1;
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int sv[2];
  size_t chunk;
  size_t off;
  long spins;
  unsigned conns;
  unsigned inflight;

  if (size < 2)
    return 0;
  mode = data[0];
  chunk = 1 + data[1] % 64;
  data += 2;
  size -= 2;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    die("socketpair");
  fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
  if (cz_server_adopt(srv, sv[0]) != 0)
    die("adopt");

  for (off = 0; off < size;) {
    size_t n = size - off < chunk ? size - off : chunk;
    ssize_t w = write(sv[1], data + off, n);
    if (w > 0)
      off += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
      break; /* the server closed on us: fine */
    uv_run(loop, UV_RUN_NOWAIT);
    if (drain(sv[1]))
      break;
  }
  shutdown(sv[1], SHUT_WR);
  for (spins = 0; !drain(sv[1]); spins++) {
    if (spins > 2000000)
      die("the server never closed the connection");
    uv_run(loop, UV_RUN_NOWAIT);
  }
  close(sv[1]);
  /* Let the close callbacks run, then everything must be gone. */
  for (spins = 0; spins < 1000; spins++) {
    uv_run(loop, UV_RUN_NOWAIT);
    cz_server_stats(srv, &conns, &inflight);
    if (conns == 0 && inflight == 0 && npending == 0 && nstreams == 0)
      break;
  }
  cz_server_stats(srv, &conns, &inflight);
  if (conns != 0 || inflight != 0)
    die("a connection or context outlived its client");
  if (nstreams != 0)
    die("a streamed body never ended");
  npulls = 0;
  return 0;
}
