#!/usr/bin/env bash
# Runs every test of the repository. On a fresh Debian/Ubuntu machine it first installs what the
# tests need from the distribution (as root, or through sudo when it is there):
#   ffmpeg            generates the test videos; ffprobe reads streams like a player
#   opentracker       a real BitTorrent tracker for the interop test
#   python3-libtorrent  libtorrent-rasterbar, the non-librqbit seeder of the interop test
#   iproute2          network namespaces for the interop and discovery tests (root only)
#   openssl           the test Cast receiver's self-signed certificate
#   python3-zeroconf  the test Cast receiver's mDNS advertisement
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v opentracker >/dev/null || missing+=(opentracker)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
command -v ip >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
/usr/bin/python3 -c 'import zeroconf' 2>/dev/null || missing+=(python3-zeroconf)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cargo test --workspace --locked
