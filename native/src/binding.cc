/*
 * binding.cc: node-addon-api glue, the only file that knows N-API. The C core
 * (cz_server.h) sees this file only through its hooks struct.
 *
 * JS API (docs/internals.md, "The addon's JS API"):
 *
 *   createServer(opts) -> handle (an External)
 *     opts = { table: string,          // path to the app's routes.so
 *              fingerprint: string,    // must equal the table's fingerprint
 *              dispatch: (n: number, bodies: (Buffer|undefined)[] | undefined)
 *                          => (Buffer|undefined)[] | undefined,
 *              reqMeta: Int32Array, reqData: Buffer, resMeta: Int32Array,
 *              resData: Buffer, asyncData: Buffer,
 *              log?: (line: string) => void, // C's log lines, later on the loop (default stderr)
 *              accessLog?: boolean,          // keep records for drainAccessLog
 *              limits?: { maxHeaderBytes?, maxUrlBytes?, maxHeaderCount?, maxBodyBytes?,
 *                         headersTimeoutMs?, requestTimeoutMs?, keepAliveTimeoutMs?, maxConnections?,
 *                         maxPipelined?, sendTimeoutMs? },
 *              statics?: { prefix: string, dir: string, index: string | null, maxAge: number,
 *                          immutable: boolean, dotfiles: boolean, etag: boolean,
 *                          lastModified: boolean }[] }   // static mounts, served in C
 *     Throws Error for a missing/foreign/stale table ("recompile the app"), TypeError for
 *     bad options.
 *   listen(handle, host: string, port: number, backlog: number, reusePort?: boolean) -> bound port
 *     Throws Error "EADDRINUSE: address already in use" etc. (err.code = "EADDRINUSE");
 *     with reusePort, SO_REUSEPORT is set before bind ("ENOTSUP" where the platform lacks it).
 *   setHealth(handle, path: string | null)
 *     The readiness path answered in C (200, then 503 once goAway ran). TypeError unless
 *     path starts with "/".
 *   goAway(handle)
 *     Shutdown's first step: health answers 503, every response from now on says
 *     Connection: close; the server still accepts until close().
 *   respond(handle, ctx, gen, status, flags, headLen, bodyLen, large?: Buffer) -> boolean
 *     Head at asyncData[0, headLen), body at asyncData[headLen, headLen + bodyLen) or
 *     large[0, bodyLen). false when (ctx, gen) is stale or the server is closed.
 *   respondMany(handle, meta: Int32Array, n, large?: (Buffer|undefined)[]) -> delivered count
 *     n responses at once (meta[i*8..]: status, flags, headOff, headLen, bodyOff, bodyLen,
 *     ctx, gen; bytes in asyncData); queued together, then one flush. n <= 256.
 *   bodyPull(handle, ctx, gen) -> boolean
 *     The reader of a streamed body (opts.body, called (ctx, gen, chunk?, event) per read;
 *     it returns false to stop reading) wants more; false when it is no longer read.
 *   close(handle, graceMs: number, callback: () => void) -> boolean
 *     false (and callback never called) when already closing or closed.
 *   stats(handle) -> { connections: number, inflight: number }
 *   swapTable(handle, table: string, fingerprint: string) -> generation (number)
 *     Requests whose headers complete from now on are matched against the new routes.so
 *     (a path not loaded before); reqMeta[REQ_TABLE] names the table a request was
 *     matched against. Throws Error like createServer (the current table is kept).
 *   inject(handle) -> fd (number)
 *     A connected AF_UNIX stream socketpair: one end is served as if accepted (the same
 *     parser, limits and dispatch as a TCP client), the other end's fd is returned and
 *     belongs to the caller (wrap it in a net.Socket, which closes it). No port is bound.
 *     Throws Error with err.code (e.g. "EMFILE") when the pair cannot be made or served.
 *   peer(handle, ctx, gen) -> string | undefined
 *     The peer address of live request (ctx, gen)'s connection; undefined when stale or
 *     not an IP peer (inject()'s socketpair).
 *   drainAccessLog(handle) -> { recs: Int32Array, paths: Buffer, nowHi, nowLo, dropped } | undefined
 *     The access-log records (CZ_ALOG_STRIDE int32 each, cz_server.h) since the last call,
 *     kept when createServer's opts.accessLog was true; also after close.
 *   streamStart(handle, ctx, gen, status, flags, head: Buffer) -> enum cz_stream_rc
 *     A streamed response for pending request (ctx, gen): its head (extra header lines,
 *     latin1). -1 stale, 0 wait for a drain event, 1 push more, 2 no body (HEAD, 204, 304).
 *   streamPush(handle, ctx, gen, chunk: Uint8Array) -> enum cz_stream_rc (as above, 0..1)
 *   streamEnd(handle, ctx, gen, abort: boolean) -> -1 stale, else 1. abort: close the
 *     connection without ending the body (the producer failed).
 *   watch(handle, ctx, gen) -> boolean: report CZ_EV_GONE for (ctx, gen) if it is dropped
 *     unanswered; false when already stale.
 *   opts.event (optional, createServer): (ev, ctx, gen) => void, enum cz_event. Called from
 *     inside the server, even inside the calls above, without a callback scope (no promise
 *     job runs after it): it must only note the event and act later (setImmediate).
 *   constants -> { BATCH_MAX, REQ_STRIDE, RES_STRIDE, REQ_ID, ALOG_STRIDE, REQ_BODY_OFF, ROUTES_ABI_VERSION, ... }
 */
#include <napi.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "catzilla_routes.h"
#include "cz_server.h"
}

namespace {

const napi_type_tag kServerTag = {0x6361747a696c6c61ULL, 0x736572766572a001ULL};

struct Server {
  napi_env env = nullptr;
  cz_server_t* srv = nullptr;
  Napi::FunctionReference dispatch;
  Napi::FunctionReference close_cb;
  Napi::FunctionReference release;
  Napi::FunctionReference event;
  Napi::FunctionReference body; /* opts.body: a streamed request's chunks and end */
  Napi::ObjectReference arenas[5];
  Napi::ObjectReference hold;
  Napi::ObjectReference resource;
  Napi::AsyncContext* actx = nullptr;
  Napi::Reference<Napi::External<Server>> self;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  int32_t* req_meta = nullptr;
  size_t req_meta_len = 0;
  int32_t* hold_open = nullptr; /* hold[CZ_HOLD_OPEN], when hold has that element */
  char* async_data = nullptr;
  size_t async_len = 0;
  bool closing = false;
  bool dead = false;
  bool teardown = false; /* the environment is going away: no more JS */
  /* opts.log: C's log lines reach JS through it, later on the loop (a line may be written
   * in the middle of C's own work, where calling JS is not safe). */
  napi_threadsafe_function log_fn = nullptr;
  /* The access log's records still undrained when the server closed (drainAccessLog). */
  std::vector<int32_t> alog_recs;
  std::string alog_paths;
  uint64_t alog_dropped = 0;
};

void Log(void* data, const char* msg) {
  Server* s = static_cast<Server*>(data);
  if (s != nullptr && s->log_fn != nullptr && !s->teardown) {
    char* copy = strdup(msg);
    if (copy != nullptr &&
        napi_call_threadsafe_function(s->log_fn, copy, napi_tsfn_nonblocking) == napi_ok)
      return;
    free(copy);
  }
  std::fprintf(stderr, "catzilla: %s\n", msg);
}

/* The log function's call on the loop: opts.log(line). env is NULL at teardown. */
void CallLog(napi_env env, napi_value fn, void*, void* data) {
  char* line = static_cast<char*>(data);
  if (env != nullptr && fn != nullptr) {
    Napi::Env e(env);
    Napi::HandleScope hs(e);
    Napi::Function(e, fn).Call({Napi::String::New(e, line)});
    if (e.IsExceptionPending())
      e.GetAndClearPendingException(); /* a logger that throws loses its line, nothing else */
  }
  free(line);
}

/* Keeps what the access log still holds: the server is about to be freed. */
void SaveAccessLog(Server* s, cz_server_t* srv) {
  cz_access_view_t v;
  if (!cz_server_access_log(srv, &v))
    return;
  s->alog_recs.insert(s->alog_recs.end(), v.recs, v.recs + v.n * CZ_ALOG_STRIDE);
  s->alog_paths.append(v.paths, v.plen);
  s->alog_dropped += v.dropped;
}

/* ---- hooks ------------------------------------------------------------------------- */

struct LargeLookup {
  Napi::Env env;
  Napi::Array arr;
  bool has;
};

int GetLarge(void* ud, unsigned i, const char** base, size_t* len) {
  LargeLookup* l = static_cast<LargeLookup*>(ud);
  if (!l->has)
    return 0;
  Napi::Value v = l->arr.Get(i);
  if (l->env.IsExceptionPending()) {
    l->env.GetAndClearPendingException();
    return 0;
  }
  if (!v.IsTypedArray() && !v.IsBuffer())
    return 0;
  Napi::Uint8Array u = v.As<Napi::Uint8Array>();
  if (u.TypedArrayType() != napi_uint8_array)
    return 0;
  *base = reinterpret_cast<const char*>(u.Data());
  *len = u.ByteLength();
  return 1;
}

/* Calls JS's dispatch inside a callback scope, and returns once the scope has closed: when
 * it does, nextTicks and promise jobs run (async handlers make progress), as after any
 * libuv callback into JS. The batch's results are read after that (OnDispatch): an async
 * handler that settled in this checkpoint (no real wait, as `await req.json()`) has put its
 * answer into resMeta by then, like a sync one, and needs no respondMany of its own
 * (runtime/answers.ts, CZ_HOLD_OPEN). */
Napi::Value CallDispatch(Server* s, cz_server_t* srv, unsigned n, int has_bodies, int* threw) {
  Napi::Env env(s->env);
  Napi::CallbackScope scope(env, *s->actx);

  Napi::Value bodies = env.Undefined();
  if (has_bodies) {
    Napi::Array arr = Napi::Array::New(env, n);
    for (unsigned i = 0; i < n; i++) {
      int32_t flags = s->req_meta[(size_t)i * CZ_REQ_STRIDE + CZ_REQ_FLAGS];
      if (!(flags & CZ_REQF_BODY) || (flags & CZ_REQF_BODY_ARENA))
        continue; /* no body, or it is in reqData */
      if (flags & CZ_REQF_STREAM) {
        arr.Set(i, env.Null()); /* its bytes follow through opts.body (OnBody) */
        continue;
      }
      char* base = nullptr;
      size_t len = 0;
      if (!cz_server_batch_body(srv, i, &base, &len))
        continue;
      Napi::Buffer<char> b = base ? Napi::Buffer<char>::Copy(env, base, len)
                                  : Napi::Buffer<char>::New(env, 0);
      std::free(base);
      arr.Set(i, b);
    }
    bodies = arr;
  }

  Napi::Value r = s->dispatch.Value().Call(env.Undefined(), {Napi::Number::New(env, n), bodies});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    std::string msg = e.Message();
    std::fprintf(stderr, "catzilla: dispatch threw (%u requests answered 500): %s\n", n,
                 msg.c_str());
    *threw = 1;
  } else if (r.IsEmpty()) {
    /* No result and no exception: the environment is going away (a worker thread that
     * crashed or is terminated), so JS cannot run. resMeta holds nothing of this batch. */
    *threw = 1;
  }
  return r;
}

void OnDispatch(cz_server_t* srv, void* data, unsigned n, int has_bodies) {
  Server* s = static_cast<Server*>(data);
  Napi::Env env(s->env);
  Napi::HandleScope hs(env);
  int threw = 0;
  Napi::Value r = CallDispatch(s, srv, n, has_bodies, &threw);
  LargeLookup l{env, Napi::Array(), false};
  if (!threw && !r.IsEmpty() && r.IsArray()) {
    l.arr = r.As<Napi::Array>();
    l.has = true;
  }
  cz_server_batch_done(srv, threw, GetLarge, &l);
  /* From here a settling answer of this batch goes through respondMany. */
  if (s->hold_open != nullptr)
    *s->hold_open = 0;
}

/* C raises its events in the middle of its own work (a connection being dropped, a call
 * from JS): JS is called plainly, with no callback scope, so no promise job can run and
 * call back into C before C is done; runtime/streaming.ts only notes the event and acts
 * from setImmediate. Being synchronous keeps events in order with C's own reuse of a
 * context. */
void OnEvent(cz_server_t*, void* data, int ev, uint32_t ctx, uint32_t gen) {
  Server* s = static_cast<Server*>(data);
  if (s->teardown || s->event.IsEmpty())
    return;
  Napi::Env env(s->env);
  Napi::HandleScope hs(env);
  s->event.Value().Call(env.Undefined(), {Napi::Number::New(env, ev), Napi::Number::New(env, ctx),
                                          Napi::Number::New(env, gen)});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    std::fprintf(stderr, "catzilla: event hook threw: %s\n", e.Message().c_str());
  }
}

/* A streamed request's body: opts.body(ctx, gen, chunk | undefined, event) -> wants more.
 * The chunk is a copy (the parser reuses its buffer). */
int OnBody(cz_server_t*, void* data, uint32_t ctx, uint32_t gen, const char* base, size_t len, int event) {
  Server* s = static_cast<Server*>(data);
  if (s->teardown || s->body.IsEmpty())
    return 1;
  Napi::Env env(s->env);
  Napi::HandleScope hs(env);
  /* Like a dispatch: the reader's promise jobs run when the scope closes. */
  Napi::CallbackScope scope(env, *s->actx);
  Napi::Value chunk = len > 0 ? Napi::Buffer<char>::Copy(env, base, len).As<Napi::Value>() : env.Undefined();
  Napi::Value r = s->body.Value().Call(env.Undefined(), {Napi::Number::New(env, ctx), Napi::Number::New(env, gen),
                                                         chunk, Napi::Number::New(env, event)});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    std::fprintf(stderr, "catzilla: body callback threw: %s\n", e.Message().c_str());
    return 1;
  }
  return r.IsEmpty() || r.ToBoolean().Value() ? 1 : 0;
}

void ReleaseJs(Server* s) {
  s->body.Reset();
  s->dispatch.Reset();
  s->event.Reset();
  s->close_cb.Reset();
  s->release.Reset();
  s->hold.Reset();
  for (auto& a : s->arenas)
    a.Reset();
  s->resource.Reset();
  delete s->actx;
  s->actx = nullptr;
  s->req_meta = nullptr;
  s->async_data = nullptr;
  if (!s->self.IsEmpty())
    s->self.Reset(); /* the External may now be collected; its finalizer deletes s */
}

void OnRelease(cz_server_t*, void* data) {
  Server* s = static_cast<Server*>(data);
  if (s->teardown || s->release.IsEmpty())
    return;
  Napi::Env env(s->env);
  Napi::HandleScope hs(env);
  s->release.Value().Call(env.Undefined(), {});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    std::fprintf(stderr, "catzilla: release threw: %s\n", e.Message().c_str());
  }
}

void OnClosed(cz_server_t* srv, void* data) {
  Server* s = static_cast<Server*>(data);
  SaveAccessLog(s, srv);
  cz_server_free(srv);
  s->srv = nullptr;
  /* At environment teardown (a worker thread ending, the process exiting) Node finalizes
   * the log function itself, by its own cleanup hook, which runs before this close callback:
   * releasing it here then would lock a destroyed mutex (an abort when a worker crashes). */
  if (s->log_fn != nullptr && !s->teardown)
    napi_release_threadsafe_function(s->log_fn, napi_tsfn_release); /* queued lines still run */
  s->log_fn = nullptr;
  s->dead = true;
  if (s->cleanup != nullptr) {
    napi_remove_async_cleanup_hook(s->cleanup);
    s->cleanup = nullptr;
  }
  if (s->teardown) {
    /* The environment is being torn down: its references may already be finalized, so
     * touch no N-API state and leave s to the process's end (see the finalizer). */
    return;
  }
  Napi::Env env(s->env);
  Napi::HandleScope hs(env);
  if (!s->close_cb.IsEmpty()) {
    Napi::Function cb = s->close_cb.Value();
    Napi::AsyncContext* actx = s->actx;
    s->close_cb.Reset();
    cb.MakeCallback(env.Global(), {}, *actx);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }
  ReleaseJs(s);
}

/* Worker or process teardown: close everything now, report back when done. */
void OnEnvCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  Server* s = static_cast<Server*>(arg);
  s->teardown = true;
  if (s->srv == nullptr) {
    napi_remove_async_cleanup_hook(handle);
    s->cleanup = nullptr;
    return;
  }
  if (!s->closing) {
    s->closing = true;
    cz_server_close(s->srv, 0);
  }
}

/* ---- argument helpers ------------------------------------------------------------- */

Napi::Value ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, "catzilla: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

Server* Unwrap(const Napi::Value& v) {
  if (!v.IsExternal())
    return nullptr;
  bool ok = false;
  if (napi_check_object_type_tag(v.Env(), v, &kServerTag, &ok) != napi_ok || !ok)
    return nullptr;
  return v.As<Napi::External<Server>>().Data();
}

bool GetInt32Array(Napi::Object o, const char* key, int32_t** data, size_t* len) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return false;
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  *data = a.Data();
  *len = a.ElementLength();
  return true;
}

bool GetBytes(Napi::Object o, const char* key, char** data, size_t* len) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return false;
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  *data = reinterpret_cast<char*>(a.Data());
  *len = a.ByteLength();
  return true;
}

/* An optional non-negative integer limit; false when present but not one. */
bool GetLimit(Napi::Object limits, const char* key, uint32_t* out) {
  Napi::Value v = limits.Get(key);
  if (v.IsUndefined() || v.IsNull())
    return true;
  if (!v.IsNumber())
    return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0 || d != (double)(uint64_t)d)
    return false;
  *out = (uint32_t)d;
  return true;
}

/* opts.statics: the static mounts (runtime/static.ts gives them whole). The strings live
 * in `keep` until cz_server_new has copied them. Returns an error message, or "". */
std::string GetStatics(Napi::Object o, std::vector<cz_static_opts_t>* out, std::vector<std::string>* keep) {
  Napi::Value v = o.Get("statics");
  if (v.IsUndefined() || v.IsNull())
    return "";
  if (!v.IsArray())
    return "opts.statics must be an array";
  Napi::Array a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  keep->reserve(3 * n); /* no reallocation: c_str() pointers stay valid */
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject())
      return "opts.statics[i] must be an object";
    Napi::Object m = e.As<Napi::Object>();
    Napi::Value prefix = m.Get("prefix");
    Napi::Value dir = m.Get("dir");
    Napi::Value index = m.Get("index");
    Napi::Value max_age = m.Get("maxAge");
    if (!prefix.IsString() || !dir.IsString())
      return "opts.statics[i].prefix and .dir must be strings";
    if (!index.IsString() && !index.IsNull() && !index.IsUndefined())
      return "opts.statics[i].index must be a string or null";
    cz_static_opts_t so = {};
    keep->push_back(prefix.As<Napi::String>().Utf8Value());
    so.prefix = keep->back().c_str();
    keep->push_back(dir.As<Napi::String>().Utf8Value());
    so.dir = keep->back().c_str();
    if (index.IsString()) {
      keep->push_back(index.As<Napi::String>().Utf8Value());
      so.index = keep->back().c_str();
    }
    if (!max_age.IsUndefined() && !GetLimit(m, "maxAge", &so.max_age))
      return "opts.statics[i].maxAge must be a non-negative integer (seconds)";
    so.immutable = m.Get("immutable").ToBoolean().Value();
    so.dotfiles = m.Get("dotfiles").ToBoolean().Value();
    so.etag = m.Get("etag").ToBoolean().Value();
    so.last_modified = m.Get("lastModified").ToBoolean().Value();
    out->push_back(so);
  }
  return "";
}

/* The listen options C enforces, by name: read by CreateServer, reported with their
 * defaults by constants.defaults (one list for both). */
static const struct {
  const char* key;
  size_t off;
} kLimitKeys[] = {
  {"maxHeaderBytes", offsetof(cz_limits_t, max_header_bytes)},
  {"maxUrlBytes", offsetof(cz_limits_t, max_url_bytes)},
  {"maxHeaderCount", offsetof(cz_limits_t, max_header_count)},
  {"maxBodyBytes", offsetof(cz_limits_t, max_body_bytes)},
  {"headersTimeoutMs", offsetof(cz_limits_t, headers_timeout_ms)},
  {"requestTimeoutMs", offsetof(cz_limits_t, request_timeout_ms)},
  {"keepAliveTimeoutMs", offsetof(cz_limits_t, keep_alive_timeout_ms)},
  {"maxConnections", offsetof(cz_limits_t, max_connections)},
  {"maxPipelined", offsetof(cz_limits_t, max_pipelined)},
  {"sendTimeoutMs", offsetof(cz_limits_t, send_timeout_ms)},
};

/* ---- exported functions ------------------------------------------------------------- */

Napi::Value CreateServer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowType(env, "createServer(opts) needs an options object");
  Napi::Object o = info[0].As<Napi::Object>();

  Napi::Value table = o.Get("table");
  Napi::Value fingerprint = o.Get("fingerprint");
  Napi::Value dispatch = o.Get("dispatch");
  if (!table.IsString())
    return ThrowType(env, "opts.table must be the path of routes.so");
  if (!fingerprint.IsString())
    return ThrowType(env, "opts.fingerprint must be a string");
  if (!dispatch.IsFunction())
    return ThrowType(env, "opts.dispatch must be a function");

  cz_server_options_t so = {};
  size_t async_len = 0;
  char* async_data = nullptr;
  if (!GetInt32Array(o, "reqMeta", &so.arenas.req_meta, &so.arenas.req_meta_len))
    return ThrowType(env, "opts.reqMeta must be an Int32Array");
  if (!GetInt32Array(o, "resMeta", &so.arenas.res_meta, &so.arenas.res_meta_len))
    return ThrowType(env, "opts.resMeta must be an Int32Array");
  if (!GetBytes(o, "reqData", &so.arenas.req_data, &so.arenas.req_data_len))
    return ThrowType(env, "opts.reqData must be a Buffer");
  if (!GetBytes(o, "resData", &so.arenas.res_data, &so.arenas.res_data_len))
    return ThrowType(env, "opts.resData must be a Buffer");
  if (!GetBytes(o, "asyncData", &async_data, &async_len))
    return ThrowType(env, "opts.asyncData must be a Buffer");
  /* Optional pair: hold (Int32Array: CZ_HOLD_PENDING, and CZ_HOLD_OPEN if present) and
   * release (function). */
  Napi::Value release = o.Get("release");
  int32_t* hold_open = nullptr;
  Napi::Value event = o.Get("event");
  if (!event.IsUndefined() && !event.IsFunction())
    return ThrowType(env, "opts.event must be a function");
  if (!o.Get("hold").IsUndefined()) {
    size_t hold_len = 0;
    if (!GetInt32Array(o, "hold", &so.arenas.hold, &hold_len) || hold_len < 1)
      return ThrowType(env, "opts.hold must be a non-empty Int32Array");
    if (hold_len > CZ_HOLD_OPEN)
      hold_open = so.arenas.hold + CZ_HOLD_OPEN;
    if (!release.IsFunction())
      return ThrowType(env, "opts.release must be a function when opts.hold is given");
  }

  cz_limits_default(&so.limits);
  so.limits.send_timeout_ms = CZ_SEND_TIMEOUT_MS;
  Napi::Value lv = o.Get("limits");
  if (!lv.IsUndefined() && !lv.IsNull()) {
    if (!lv.IsObject())
      return ThrowType(env, "opts.limits must be an object");
    Napi::Object l = lv.As<Napi::Object>();
    for (const auto& k : kLimitKeys) {
      uint32_t* field = reinterpret_cast<uint32_t*>(reinterpret_cast<char*>(&so.limits) + k.off);
      if (!GetLimit(l, k.key, field))
        return ThrowType(env, std::string("opts.limits.") + k.key +
                                  " must be a non-negative integer");
    }
  }
  std::vector<cz_static_opts_t> statics;
  std::vector<std::string> statics_strings;
  std::string statics_err = GetStatics(o, &statics, &statics_strings);
  if (!statics_err.empty())
    return ThrowType(env, statics_err);
  so.statics = statics.data();
  so.nstatics = statics.size();
  if (env.IsExceptionPending())
    return env.Undefined(); /* a getter on opts threw */

  std::string table_path = table.As<Napi::String>().Utf8Value();
  std::string fp = fingerprint.As<Napi::String>().Utf8Value();
  so.table_path = table_path.c_str();
  so.fingerprint = fp.c_str();

  Server* s = new Server();
  s->env = env;
  so.hooks.dispatch = OnDispatch;
  so.hooks.closed = OnClosed;
  so.hooks.release = OnRelease;
  so.hooks.body = OnBody;
  so.hooks.log = Log;
  so.hooks.event = OnEvent;
  so.hooks.data = s;
  so.access_log = o.Get("accessLog").ToBoolean() ? 1 : 0;
  Napi::Value log = o.Get("log");
  if (log.IsFunction()) {
    if (napi_create_threadsafe_function(env, log, nullptr, Napi::String::New(env, "catzilla:log"), 0, 1,
                                        nullptr, nullptr, nullptr, CallLog, &s->log_fn) != napi_ok) {
      delete s;
      Napi::Error::New(env, "catzilla: cannot create the log function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    napi_unref_threadsafe_function(env, s->log_fn); /* a logger never keeps the process alive */
  }

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    delete s;
    Napi::Error::New(env, "catzilla: no libuv loop").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  char err[1024];
  err[0] = '\0';
  int r = cz_server_new(loop, &so, &s->srv, err, sizeof(err));
  if (r != 0) {
    if (s->log_fn != nullptr)
      napi_release_threadsafe_function(s->log_fn, napi_tsfn_abort);
    delete s;
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  s->dispatch = Napi::Persistent(dispatch.As<Napi::Function>());
  if (event.IsFunction())
    s->event = Napi::Persistent(event.As<Napi::Function>());
  Napi::Value body = o.Get("body");
  if (body.IsFunction())
    s->body = Napi::Persistent(body.As<Napi::Function>());
  if (so.arenas.hold != nullptr) {
    s->hold = Napi::Persistent(o.Get("hold").As<Napi::Object>());
    s->release = Napi::Persistent(release.As<Napi::Function>());
  }
  static const char* arena_keys[5] = {"reqMeta", "reqData", "resMeta", "resData", "asyncData"};
  for (int i = 0; i < 5; i++)
    s->arenas[i] = Napi::Persistent(o.Get(arena_keys[i]).As<Napi::Object>());
  s->req_meta = so.arenas.req_meta;
  s->hold_open = hold_open;
  s->req_meta_len = so.arenas.req_meta_len;
  s->async_data = async_data;
  s->async_len = async_len;
  Napi::Object resource = Napi::Object::New(env);
  s->resource = Napi::Persistent(resource);
  s->actx = new Napi::AsyncContext(env, "catzilla:server", resource);

  Napi::External<Server> ext = Napi::External<Server>::New(env, s, [](Napi::Env, Server* p) {
    /* Only reachable once closed (self holds a strong reference until then), or at
     * environment teardown after the cleanup hook closed the server. */
    if (p->srv == nullptr && !p->teardown)
      delete p;
  });
  napi_type_tag_object(env, ext, &kServerTag);
  s->self = Napi::Persistent(ext);
  napi_add_async_cleanup_hook(env, OnEnvCleanup, s, &s->cleanup);
  return ext;
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "listen(handle, host, port, backlog): not a server handle");
  if (!info[1].IsString() || !info[2].IsNumber())
    return ThrowType(env, "listen(handle, host, port, backlog): host string, port number");
  double port = info[2].As<Napi::Number>().DoubleValue();
  if (!(port >= 0 && port <= 65535) || port != (double)(int)port)
    return ThrowType(env, "listen: port must be an integer in 0..65535");
  int backlog = 511;
  if (info[3].IsNumber()) {
    double b = info[3].As<Napi::Number>().DoubleValue();
    if (b >= 1 && b <= 65535)
      backlog = (int)b;
  }
  if (s->dead || s->closing || s->srv == nullptr) {
    Napi::Error::New(env, "catzilla: listen on a closed server").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string host = info[1].As<Napi::String>().Utf8Value();
  unsigned flags = info.Length() > 4 && info[4].ToBoolean().Value() ? CZ_LISTEN_REUSEPORT : 0;
  int bound = 0;
  int r = cz_server_listen_ex(s->srv, host.c_str(), (int)port, backlog, flags, &bound);
  if (r != 0) {
    std::string msg = std::string(uv_err_name(r)) + ": " + uv_strerror(r) + " (" + host +
                      ":" + std::to_string((int)port) + ")";
    Napi::Error e = Napi::Error::New(env, msg);
    e.Set("code", Napi::String::New(env, uv_err_name(r)));
    e.Set("errno", Napi::Number::New(env, r));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, bound);
}

Napi::Value SetHealth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "setHealth(handle, path): not a server handle");
  bool off = info[1].IsNull() || info[1].IsUndefined();
  if (!off && !info[1].IsString())
    return ThrowType(env, "setHealth(handle, path): path must be a string or null");
  if (s->dead || s->srv == nullptr)
    return env.Undefined();
  std::string path = off ? std::string() : info[1].As<Napi::String>().Utf8Value();
  if (!off && (path.empty() || path[0] != '/' || path.find_first_of("?# \t\r\n") != std::string::npos))
    return ThrowType(env, "health must be a path starting with \"/\" (no query, no spaces)");
  if (cz_server_set_health(s->srv, off ? nullptr : path.c_str()) != 0) {
    Napi::Error::New(env, "catzilla: setHealth: out of memory").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value GoAway(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "goAway(handle): not a server handle");
  if (!s->dead && !s->closing && s->srv != nullptr)
    cz_server_go_away(s->srv);
  return env.Undefined();
}

Napi::Value Inject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "inject(handle): not a server handle");
  if (s->dead || s->closing || s->srv == nullptr) {
    Napi::Error::New(env, "catzilla: inject on a closed server").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int sv[2];
  int r = 0;
  /* CLOEXEC: a child process must not keep the pair open (the peer would never see EOF). */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    r = uv_translate_sys_error(errno);
  else if ((r = cz_server_adopt(s->srv, sv[0])) != 0) {
    /* Not adopted: both ends are still ours. */
    close(sv[0]);
    close(sv[1]);
  }
  if (r != 0) {
    Napi::Error e = Napi::Error::New(env, std::string("catzilla: inject: ") + uv_err_name(r) + ": " +
                                              uv_strerror(r));
    e.Set("code", Napi::String::New(env, uv_err_name(r)));
    e.Set("errno", Napi::Number::New(env, r));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  /* sv[0] now belongs to the server (closed with its connection, even a refused one). */
  return Napi::Number::New(env, sv[1]);
}

Napi::Value Respond(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "respond: not a server handle");
  if (s->dead || s->srv == nullptr)
    return Napi::Boolean::New(env, false);
  for (size_t i = 1; i <= 6; i++)
    if (!info[i].IsNumber())
      return ThrowType(env, "respond(handle, ctx, gen, status, flags, headLen, bodyLen, large?)");
  uint32_t ctx = info[1].As<Napi::Number>().Uint32Value();
  uint32_t gen = info[2].As<Napi::Number>().Uint32Value();
  int status = info[3].As<Napi::Number>().Int32Value();
  int flags = info[4].As<Napi::Number>().Int32Value();
  int64_t head_len = info[5].As<Napi::Number>().Int64Value();
  int64_t body_len = info[6].As<Napi::Number>().Int64Value();
  const char* body;
  if (head_len < 0 || body_len < 0 || (uint64_t)head_len > s->async_len) {
    Napi::RangeError::New(env, "catzilla: respond: headLen/bodyLen out of range")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (flags & CZ_RESF_LARGE) {
    if (!info[7].IsTypedArray() ||
        info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      return ThrowType(env, "respond: flags say large but no Buffer was given");
    Napi::Uint8Array large = info[7].As<Napi::Uint8Array>();
    if ((uint64_t)body_len > large.ByteLength()) {
      Napi::RangeError::New(env, "catzilla: respond: bodyLen exceeds the large buffer")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    body = reinterpret_cast<const char*>(large.Data());
  } else {
    if ((uint64_t)body_len > s->async_len - (uint64_t)head_len) {
      Napi::RangeError::New(env, "catzilla: respond: headLen + bodyLen exceed asyncData")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    body = s->async_data + head_len;
  }
  int r = cz_server_respond(s->srv, ctx, gen, status, flags, s->async_data, (size_t)head_len,
                            body, (size_t)body_len);
  return Napi::Boolean::New(env, r == 1);
}

/* respondMany(handle, meta: Int32Array, n, large?: (Buffer|undefined)[]) -> delivered count.
 * Entry i at meta[i * CZ_RES_STRIDE], slots CZ_RES_* (STATUS .. BODY_LEN, CTX, GEN); the
 * bytes are in asyncData (or large[i] when flags has CZ_RESF_LARGE). Responses that settled
 * together are queued, then flushed once: one write per connection. */

Napi::Value RespondMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "respondMany: not a server handle");
  if (s->dead || s->srv == nullptr)
    return Napi::Number::New(env, 0);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsNumber())
    return ThrowType(env, "respondMany(handle, meta: Int32Array, n, large?)");
  Napi::Int32Array meta = info[1].As<Napi::Int32Array>();
  int64_t n = info[2].As<Napi::Number>().Int64Value();
  if (n < 0 || (uint64_t)n > CZ_RESPOND_MANY_MAX || (uint64_t)n * CZ_RES_STRIDE > meta.ElementLength()) {
    Napi::RangeError::New(env, "catzilla: respondMany: n out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool has_large = info.Length() > 3 && info[3].IsArray();
  Napi::Array large = has_large ? info[3].As<Napi::Array>() : Napi::Array();
  cz_respond_t list[CZ_RESPOND_MANY_MAX];
  const int32_t* m = meta.Data();
  for (int64_t i = 0; i < n; i++, m += CZ_RES_STRIDE) {
    cz_respond_t* r = &list[i];
    int64_t head_off = m[CZ_RES_HEAD_OFF], head_len = m[CZ_RES_HEAD_LEN];
    int64_t body_off = m[CZ_RES_BODY_OFF], body_len = m[CZ_RES_BODY_LEN];
    if (head_off < 0 || head_len < 0 || body_len < 0 ||
        (uint64_t)(head_off + head_len) > s->async_len) {
      Napi::RangeError::New(env, "catzilla: respondMany: head out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    r->status = m[CZ_RES_STATUS];
    r->flags = m[CZ_RES_FLAGS];
    r->head = s->async_data + head_off;
    r->head_len = (size_t)head_len;
    r->ctx = (uint32_t)m[CZ_RES_CTX];
    r->gen = (uint32_t)m[CZ_RES_GEN];
    r->body_len = (size_t)body_len;
    if (r->flags & CZ_RESF_LARGE) {
      Napi::Value v = has_large ? large.Get((uint32_t)i) : env.Undefined();
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
          (uint64_t)body_len > v.As<Napi::Uint8Array>().ByteLength())
        return ThrowType(env, "respondMany: flags say large but no fitting Buffer was given");
      /* The array keeps the Buffer alive until this call returns; C copies before then. */
      r->body = reinterpret_cast<const char*>(v.As<Napi::Uint8Array>().Data());
    } else {
      if (body_off < 0 || (uint64_t)(body_off + body_len) > s->async_len) {
        Napi::RangeError::New(env, "catzilla: respondMany: body out of range").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      r->body = s->async_data + body_off;
    }
  }
  size_t live = cz_server_respond_many(s->srv, list, (size_t)n);
  return Napi::Number::New(env, (double)live);
}

/* (handle, ctx, gen, ...): the server and the request's name, or false with a TypeError
 * thrown / the server gone (then *live is false). */
bool StreamArgs(const Napi::CallbackInfo& info, const char* usage, size_t nums, Server** out,
                uint32_t* ctx, uint32_t* gen, bool* live) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  *live = false;
  if (s == nullptr) {
    ThrowType(env, std::string(usage) + ": not a server handle");
    return false;
  }
  for (size_t i = 1; i <= nums; i++)
    if (!info[i].IsNumber()) {
      ThrowType(env, usage);
      return false;
    }
  *out = s;
  *ctx = info[1].As<Napi::Number>().Uint32Value();
  *gen = info[2].As<Napi::Number>().Uint32Value();
  *live = !s->dead && s->srv != nullptr;
  return true;
}

Napi::Value StreamStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "streamStart(handle, ctx, gen, status, flags, head: Buffer)";
  Server* s;
  uint32_t ctx, gen;
  bool live;
  if (!StreamArgs(info, usage, 4, &s, &ctx, &gen, &live))
    return env.Undefined();
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return ThrowType(env, usage);
  if (!live)
    return Napi::Number::New(env, CZ_STREAM_GONE);
  Napi::Uint8Array head = info[5].As<Napi::Uint8Array>();
  cz_respond_t a = {};
  a.status = info[3].As<Napi::Number>().Int32Value();
  a.flags = info[4].As<Napi::Number>().Int32Value();
  a.head = reinterpret_cast<const char*>(head.Data());
  a.head_len = head.ByteLength();
  return Napi::Number::New(env, cz_server_stream(s->srv, ctx, gen, CZ_STREAM_START, &a));
}

Napi::Value StreamPush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "streamPush(handle, ctx, gen, chunk: Uint8Array)";
  Server* s;
  uint32_t ctx, gen;
  bool live;
  if (!StreamArgs(info, usage, 2, &s, &ctx, &gen, &live))
    return env.Undefined();
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return ThrowType(env, usage);
  if (!live)
    return Napi::Number::New(env, CZ_STREAM_GONE);
  Napi::Uint8Array chunk = info[3].As<Napi::Uint8Array>();
  cz_respond_t a = {};
  /* C copies the bytes before it returns (cz__out_body, not borrowed). */
  a.body = reinterpret_cast<const char*>(chunk.Data());
  a.body_len = chunk.ByteLength();
  return Napi::Number::New(env, cz_server_stream(s->srv, ctx, gen, CZ_STREAM_PUSH, &a));
}

Napi::Value StreamEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s;
  uint32_t ctx, gen;
  bool live;
  if (!StreamArgs(info, "streamEnd(handle, ctx, gen, abort: boolean)", 2, &s, &ctx, &gen, &live))
    return env.Undefined();
  if (!live)
    return Napi::Number::New(env, CZ_STREAM_GONE);
  int op = info[3].ToBoolean().Value() ? CZ_STREAM_ABORT : CZ_STREAM_END;
  cz_respond_t a = {};
  return Napi::Number::New(env, cz_server_stream(s->srv, ctx, gen, op, &a));
}

Napi::Value Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s;
  uint32_t ctx, gen;
  bool live;
  if (!StreamArgs(info, "watch(handle, ctx, gen)", 2, &s, &ctx, &gen, &live))
    return env.Undefined();
  return Napi::Boolean::New(env, live && cz_server_watch(s->srv, ctx, gen) == 1);
}

/* bodyPull(handle, ctx, gen) -> boolean: the reader of a streamed body drained what it
 * was given; reading resumes if it had stopped. false when that body is no longer read. */
Napi::Value BodyPull(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "bodyPull: not a server handle");
  if (!info[1].IsNumber() || !info[2].IsNumber())
    return ThrowType(env, "bodyPull(handle, ctx, gen)");
  if (s->dead || s->srv == nullptr)
    return Napi::Boolean::New(env, false);
  int r = cz_server_body_pull(s->srv, info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Uint32Value());
  return Napi::Boolean::New(env, r == 1);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "close: not a server handle");
  if (s->dead || s->closing || s->srv == nullptr)
    return Napi::Boolean::New(env, false);
  double grace = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  if (!(grace >= 0))
    grace = 0;
  if (grace > 1e12)
    grace = 1e12;
  if (info[2].IsFunction())
    s->close_cb = Napi::Persistent(info[2].As<Napi::Function>());
  else if (!info[2].IsUndefined())
    return ThrowType(env, "close(handle, graceMs, callback): callback must be a function");
  s->closing = true;
  cz_server_close(s->srv, (uint64_t)grace);
  return Napi::Boolean::New(env, true);
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "stats: not a server handle");
  unsigned conns = 0;
  unsigned inflight = 0;
  if (s->srv != nullptr)
    cz_server_stats(s->srv, &conns, &inflight);
  Napi::Object o = Napi::Object::New(env);
  o.Set("connections", Napi::Number::New(env, conns));
  o.Set("inflight", Napi::Number::New(env, inflight));
  return o;
}

Napi::Value Peer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "peer(handle, ctx, gen): not a server handle");
  if (!info[1].IsNumber() || !info[2].IsNumber())
    return ThrowType(env, "peer(handle, ctx, gen): ctx and gen must be numbers");
  if (s->srv == nullptr)
    return env.Undefined();
  char buf[64]; /* INET6_ADDRSTRLEN is 46 */
  uint32_t ctx = info[1].As<Napi::Number>().Uint32Value();
  uint32_t gen = info[2].As<Napi::Number>().Uint32Value();
  if (cz_server_peer(s->srv, ctx, gen, buf, sizeof(buf)) != 0)
    return env.Undefined();
  return Napi::String::New(env, buf);
}

/* { recs: Int32Array, paths: Buffer, nowHi, nowLo, dropped } or undefined: a copy of the
 * server's records (or, once it closed, of what SaveAccessLog kept), which are then dropped. */
Napi::Value DrainAccessLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "drainAccessLog(handle): not a server handle");
  cz_access_view_t v;
  if (s->srv != nullptr) {
    if (!cz_server_access_log(s->srv, &v))
      return env.Undefined();
  } else {
    if (s->alog_recs.empty() && s->alog_dropped == 0)
      return env.Undefined();
    v.recs = s->alog_recs.data();
    v.n = s->alog_recs.size() / CZ_ALOG_STRIDE;
    v.paths = s->alog_paths.data();
    v.plen = s->alog_paths.size();
    v.dropped = s->alog_dropped;
  }
  size_t bytes = v.n * CZ_ALOG_STRIDE * sizeof(int32_t);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0)
    std::memcpy(ab.Data(), v.recs, bytes);
  uint64_t now = uv_hrtime();
  Napi::Object o = Napi::Object::New(env);
  o.Set("recs", Napi::Int32Array::New(env, v.n * CZ_ALOG_STRIDE, ab, 0));
  o.Set("paths", Napi::Buffer<char>::Copy(env, v.paths, v.plen));
  o.Set("nowHi", Napi::Number::New(env, (double)(uint32_t)(now >> 32)));
  o.Set("nowLo", Napi::Number::New(env, (double)(uint32_t)now));
  o.Set("dropped", Napi::Number::New(env, (double)v.dropped));
  if (s->srv != nullptr) {
    cz_server_access_log_clear(s->srv);
  } else {
    /* Closed: nothing more will come; give the memory back. */
    std::vector<int32_t>().swap(s->alog_recs);
    std::string().swap(s->alog_paths);
    s->alog_dropped = 0;
  }
  return o;
}

Napi::Value SwapTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = Unwrap(info[0]);
  if (s == nullptr)
    return ThrowType(env, "swapTable: not a server handle");
  if (!info[1].IsString() || !info[2].IsString())
    return ThrowType(env, "swapTable(handle, table: string, fingerprint: string)");
  if (s->dead || s->closing || s->srv == nullptr) {
    Napi::Error::New(env, "catzilla: swapTable: the server is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string table_path = info[1].As<Napi::String>().Utf8Value();
  std::string fp = info[2].As<Napi::String>().Utf8Value();
  char err[1024];
  err[0] = '\0';
  uint32_t gen = 0;
  int r = cz_server_swap_table(s->srv, table_path.c_str(), fp.c_str(), &gen, err, sizeof(err));
  if (r != 0) {
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, gen);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createServer", Napi::Function::New(env, CreateServer, "createServer"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("inject", Napi::Function::New(env, Inject, "inject"));
  exports.Set("setHealth", Napi::Function::New(env, SetHealth, "setHealth"));
  exports.Set("goAway", Napi::Function::New(env, GoAway, "goAway"));
  exports.Set("respond", Napi::Function::New(env, Respond, "respond"));
  exports.Set("respondMany", Napi::Function::New(env, RespondMany, "respondMany"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("bodyPull", Napi::Function::New(env, BodyPull, "bodyPull"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("swapTable", Napi::Function::New(env, SwapTable, "swapTable"));
  exports.Set("peer", Napi::Function::New(env, Peer, "peer"));
  exports.Set("drainAccessLog", Napi::Function::New(env, DrainAccessLog, "drainAccessLog"));
  exports.Set("streamStart", Napi::Function::New(env, StreamStart, "streamStart"));
  exports.Set("streamPush", Napi::Function::New(env, StreamPush, "streamPush"));
  exports.Set("streamEnd", Napi::Function::New(env, StreamEnd, "streamEnd"));
  exports.Set("watch", Napi::Function::New(env, Watch, "watch"));
  Napi::Object c = Napi::Object::New(env);
  c.Set("BATCH_MAX", Napi::Number::New(env, CZ_BATCH_MAX));
  c.Set("REQ_STRIDE", Napi::Number::New(env, CZ_REQ_STRIDE));
  c.Set("RES_STRIDE", Napi::Number::New(env, CZ_RES_STRIDE));
  c.Set("REQ_TABLE", Napi::Number::New(env, CZ_REQ_TABLE));
  c.Set("REQ_ID", Napi::Number::New(env, CZ_REQ_ID));
  c.Set("ALOG_STRIDE", Napi::Number::New(env, CZ_ALOG_STRIDE));
  c.Set("REQ_BODY_OFF", Napi::Number::New(env, CZ_REQ_BODY_OFF));
  c.Set("REQF_BODY_ARENA", Napi::Number::New(env, CZ_REQF_BODY_ARENA));
  c.Set("ROUTES_ABI_VERSION", Napi::Number::New(env, CZ_ROUTES_ABI_VERSION));
  c.Set("MAX_PARAMS", Napi::Number::New(env, CZ_MAX_PARAMS));
  c.Set("RESPOND_MANY_MAX", Napi::Number::New(env, CZ_RESPOND_MANY_MAX));
  c.Set("RES_CTX", Napi::Number::New(env, CZ_RES_CTX));
  c.Set("RES_GEN", Napi::Number::New(env, CZ_RES_GEN));
#if defined(SO_REUSEPORT)
  c.Set("REUSEPORT", Napi::Boolean::New(env, true));
#else
  c.Set("REUSEPORT", Napi::Boolean::New(env, false));
#endif
  /* What the compiled addon enforces when a limit is not given (test/abi.test.ts). */
  cz_limits_t d;
  cz_limits_default(&d);
  d.send_timeout_ms = CZ_SEND_TIMEOUT_MS; /* as CreateServer sets it */
  Napi::Object defaults = Napi::Object::New(env);
  for (const auto& k : kLimitKeys) {
    uint32_t v = *reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(&d) + k.off);
    defaults.Set(k.key, Napi::Number::New(env, v));
  }
  c.Set("defaults", defaults);
  exports.Set("constants", c);
  return exports;
}

}  // namespace

NODE_API_MODULE(catzilla, Init)
