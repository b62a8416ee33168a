# The native server addon. llhttp's sources are copied into native/deps/llhttp by
# scripts/build-native.js (gyp cannot build sources that live outside the package).
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
      # Third-party code: built on its own so our -Wall -Wextra stays about our files.
      "target_name": "llhttp",
      "type": "static_library",
      "sources": [
        "native/deps/llhttp/llhttp.c",
        "native/deps/llhttp/api.c",
        "native/deps/llhttp/http.c",
      ],
      "include_dirs": ["native/deps/llhttp"],
      # Strict mode: no tolerance for bare LF, stray spaces and the like (smuggling).
      "defines": ["LLHTTP_STRICT_MODE=1"],
      "cflags": ["-fPIC", "-O2", "-w", "-fvisibility=hidden"],
      "direct_dependent_settings": {
        "include_dirs": ["native/deps/llhttp"],
      },
    },
    {
      "target_name": "catzilla",
      "dependencies": ["llhttp"],
      "sources": [
        "native/src/cz_ctx.c",
        "native/src/cz_http.c",
        "native/src/cz_table.c",
        "native/src/cz_conn.c",
        "native/src/cz_parse.c",
        "native/src/cz_server.c",
        "native/src/binding.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include",
        "native/src",
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
        "LLHTTP_STRICT_MODE=1",
      ],
      "cflags": ["-Wall", "-Wextra", "-O2", "-fno-strict-aliasing", "-fvisibility=hidden"],
      "cflags_c": ["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE"],
      "cflags_cc": ["-fno-exceptions", "-std=c++17"],
      "cflags!": ["-fno-exceptions"],
      "libraries": ["-ldl"],
      # Node exports its own llhttp (another version, another struct layout): our copy's
      # symbols must stay local so the addon never binds to Node's.
      "ldflags": ["-Wl,--exclude-libs,ALL"],
    },
  ],
}
