/* The plain C baseline: libuv + llhttp, the same routes as the other benchmark servers,
 * answered from fixed bytes (a Date header refreshed once a second). Pipelined requests
 * parsed in one read leave in one uv_write. Usage: PORT=8080 ./server */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#include "llhttp.h"

#define JSON_BODY "{\"message\":\"Hello, World!\"}"
#define TEXT_BODY "Hello, World!"
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

typedef struct {
  uv_tcp_t tcp;
  llhttp_t parser;
  char url[512];
  size_t url_len;
  char *out;
  size_t out_len, out_cap;
  int closing;
} conn_t;

static uv_loop_t *loop;
static llhttp_settings_t settings;
static char date[40]; /* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" */

static void tick(uv_timer_t *t) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  (void)t;
}

static void emit(conn_t *c, int status, const char *ct, const char *body, size_t len) {
  size_t need = c->out_len + 160 + len;
  if (need > c->out_cap) {
    c->out_cap = need * 2;
    c->out = realloc(c->out, c->out_cap);
  }
  c->out_len += (size_t)sprintf(c->out + c->out_len, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nContent-Type: %s\r\n\r\n",
                                status == 200 ? "200 OK" : "404 Not Found", date, len, ct);
  memcpy(c->out + c->out_len, body, len);
  c->out_len += len;
}

static int on_message_begin(llhttp_t *p) { ((conn_t *)p->data)->url_len = 0; return 0; }

static int on_url(llhttp_t *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->url_len + len > sizeof c->url - 1) return -1;
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  return 0;
}

static int on_message_complete(llhttp_t *p) {
  conn_t *c = p->data;
  char *u = c->url, buf[600];
  u[c->url_len] = 0;
  char *q = strchr(u, '?');
  if (q) *q = 0;
  if (!strcmp(u, "/json") || !strcmp(u, "/async") || !strcmp(u, "/const")) emit(c, 200, CT_JSON, JSON_BODY, sizeof JSON_BODY - 1);
  else if (!strcmp(u, "/plaintext")) emit(c, 200, CT_TEXT, TEXT_BODY, sizeof TEXT_BODY - 1);
  else if (!strncmp(u, "/user/", 6) && u[6] && !strchr(u + 6, '/'))
    emit(c, 200, CT_JSON, buf, (size_t)snprintf(buf, sizeof buf, "{\"id\":\"%s\"}", u + 6));
  else emit(c, 404, CT_TEXT, "Not Found", 9);
  if (!llhttp_should_keep_alive(p)) c->closing = 1;
  return 0;
}

static void on_close(uv_handle_t *h) { conn_t *c = (conn_t *)h; free(c->out); free(c); }

static void on_write(uv_write_t *w, int status) {
  uv_stream_t *s = w->handle;
  free(w->data);
  free(w);
  if (status < 0 && !uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_close);
}

static void on_shutdown(uv_shutdown_t *r, int status) {
  if (!uv_is_closing((uv_handle_t *)r->handle)) uv_close((uv_handle_t *)r->handle, on_close);
  free(r);
  (void)status;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  static char slab[65536];
  buf->base = slab;
  buf->len = sizeof slab;
  (void)h; (void)hint;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = (conn_t *)s;
  if (n < 0) { if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_close); return; }
  if (n == 0) return;
  if (llhttp_execute(&c->parser, buf->base, (size_t)n) != HPE_OK) {
    emit(c, 404, CT_TEXT, "Not Found", 9); /* malformed request: answer and close */
    c->closing = 1;
  }
  if (c->out_len) { /* every response parsed from this read, in one write */
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init(c->out, (unsigned)c->out_len);
    w->data = c->out;
    c->out = NULL;
    c->out_len = c->out_cap = 0;
    uv_write(w, s, &b, 1, on_write);
  }
  if (c->closing) {
    uv_read_stop(s);
    uv_shutdown_t *r = malloc(sizeof *r);
    if (uv_shutdown(r, s, on_shutdown)) { free(r); uv_close((uv_handle_t *)s, on_close); }
  }
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0) return;
  conn_t *c = calloc(1, sizeof *c);
  uv_tcp_init(loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t *)&c->tcp)) { uv_close((uv_handle_t *)&c->tcp, on_close); return; }
  uv_tcp_nodelay(&c->tcp, 1);
  llhttp_init(&c->parser, HTTP_REQUEST, &settings);
  c->parser.data = c;
  uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

int main(void) {
  const char *port = getenv("PORT");
  struct sockaddr_in addr;
  uv_tcp_t server;
  uv_timer_t timer;
  loop = uv_default_loop();
  llhttp_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_message_complete = on_message_complete;
  tick(NULL);
  uv_timer_init(loop, &timer);
  uv_timer_start(&timer, tick, 1000, 1000);
  uv_tcp_init(loop, &server);
  uv_ip4_addr("127.0.0.1", port ? atoi(port) : 8080, &addr);
  int r = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
  if (!r) r = uv_listen((uv_stream_t *)&server, 1024, on_connection);
  if (r) { fprintf(stderr, "plain-c: listen: %s\n", uv_strerror(r)); return 1; }
  printf("plain-c: listening on http://127.0.0.1:%s\n", port ? port : "8080");
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
