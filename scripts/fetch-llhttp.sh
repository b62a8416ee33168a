#!/usr/bin/env bash
# Brings llhttp 9 into native/deps/llhttp: llhttp.h and libllhttp.a (position-independent,
# so it links into the addon) from Debian 13's libllhttp-dev. Debian 12's node-llhttp is
# llhttp 8.1 (2022): no QUERY method and none of the fixes Node shipped since. The .deb is
# fetched with apt from Debian's own archive through a private apt configuration (a state
# folder of its own), so the machine's sources, lists and installed packages stay as they are.
#   scripts/fetch-llhttp.sh            fetch once (no-op when present)
#   CATZILLA_LLHTTP_DIR=/path          use llhttp.h + libllhttp.a from that folder instead
set -euo pipefail
cd "$(dirname "$0")/.."
dest=native/deps/llhttp
SUITE="${CATZILLA_LLHTTP_SUITE:-trixie}"

if [ -n "${CATZILLA_LLHTTP_DIR:-}" ]; then
  mkdir -p "$dest"
  cp "$CATZILLA_LLHTTP_DIR/llhttp.h" "$CATZILLA_LLHTTP_DIR/libllhttp.a" "$dest/"
  exit 0
fi
[ -f "$dest/libllhttp.a" ] && [ -f "$dest/llhttp.h" ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
echo "deb http://deb.debian.org/debian $SUITE main" > "$tmp/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=/dev/null
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root
)
echo "setup: fetching llhttp 9 (libllhttp-dev from Debian $SUITE)"
apt-get "${apt_opts[@]}" -qq update
(cd "$tmp/deb" && apt-get "${apt_opts[@]}" -qq download libllhttp-dev)
dpkg-deb -x "$tmp"/deb/libllhttp-dev_*.deb "$tmp/x"
lib=$(find "$tmp/x" -name libllhttp.a | head -n 1)
[ -n "$lib" ] || { echo "fetch-llhttp: libllhttp.a not in the package" >&2; exit 1; }
mkdir -p "$dest"
cp "$tmp/x/usr/include/llhttp.h" "$lib" "$dest/"
ver=$(awk '/#define LLHTTP_VERSION_(MAJOR|MINOR|PATCH)/ {printf "%s%s", sep, $3; sep="."}' "$dest/llhttp.h")
echo "$ver $(basename "$tmp"/deb/libllhttp-dev_*.deb)" > "$dest/VERSION"
echo "setup: llhttp $ver in $dest"
