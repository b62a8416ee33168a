# The native server addon. llhttp 9 (llhttp.h and the position-independent libllhttp.a
# from Debian 13's libllhttp-dev) is brought into native/deps/llhttp by
# scripts/fetch-llhttp.sh; it is linked in statically and its symbols kept local.
# CATZILLA_SANITIZE=1 in the environment builds everything with AddressSanitizer
# (scripts/sanitize-native.sh).
{
  "variables": {
    "cz_sanitize%": "<!(node -p \"process.env.CATZILLA_SANITIZE === '1' ? 1 : 0\")",
  },
  "target_defaults": {
    "conditions": [
      ["cz_sanitize==1", {
        "cflags": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
        "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
        "ldflags": ["-fsanitize=address"],
      }],
    ],
  },
  "targets": [
    {
      "target_name": "catzilla",
      "sources": [
        "native/src/cz_log.c",
        "native/src/cz_alog.c",
        "native/src/cz_ctx.c",
        "native/src/cz_http.c",
        "native/src/cz_fields.c",
        "native/src/cz_table.c",
        "native/src/cz_parse.c",
        "native/src/cz_batch.c",
        "native/src/cz_out.c",
        "native/src/cz_cond.c",
        "native/src/cz_mount.c",
        "native/src/cz_static.c",
        "native/src/cz_mime.gen.c",
        "native/src/cz_conn.c",
        "native/src/cz_server.c",
        "native/src/binding.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include",
        "native/src",
        "native/deps/llhttp",
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
      ],
      # -flto: the C core is split into layers (docs/internals.md), and link-time
      # optimisation inlines across them again (measured: bench/RESULTS.md, issue 10).
      "cflags": ["-Wall", "-Wextra", "-O2", "-fno-strict-aliasing", "-fvisibility=hidden", "-flto=auto"],
      "cflags_c": ["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE"],
      "cflags_cc": ["-fno-exceptions", "-std=c++17"],
      "cflags!": ["-fno-exceptions"],
      "libraries": ["<(module_root_dir)/native/deps/llhttp/libllhttp.a", "-ldl"],
      # Node exports its own llhttp (another version, another struct layout): our copy's
      # symbols must stay local so the addon never binds to Node's.
      "ldflags": ["-Wl,--exclude-libs,ALL", "-flto=auto", "-O2"],
    },
  ],
}
