#!/usr/bin/env bash
# Runs every test of the repository. On a fresh Debian/Ubuntu machine it first installs what the
# tests need from the distribution (as root, or through sudo when it is there):
#   ffmpeg            generates the test videos; ffprobe reads streams like a player
#   opentracker       a real BitTorrent tracker for the interop test
#   python3-libtorrent  libtorrent-rasterbar, the non-librqbit seeder of the interop test
#   iproute2          network namespaces for the interop and discovery tests (root only)
#   openssl           the test Cast receiver's self-signed certificate
#   python3-zeroconf  the test Cast receiver's mDNS advertisement
#   chromium          the browser of the extension's end-to-end test (driven by playwright-core)
#   nodejs, npm       build, lint and unit-test the extension (when the machine has no Node.js)
#   dbus-daemon, python3-dbus, python3-gi  a private D-Bus bus and a stand-in for systemd-logind,
#                     which sees the daemon take and release the sleep inhibitor
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v opentracker >/dev/null || missing+=(opentracker)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
command -v ip >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
/usr/bin/python3 -c 'import zeroconf' 2>/dev/null || missing+=(python3-zeroconf)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
command -v dbus-daemon >/dev/null || missing+=(dbus-daemon)
/usr/bin/python3 -c 'import dbus; from gi.repository import GLib' 2>/dev/null || missing+=(python3-dbus python3-gi)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The extension: dependencies from the lock file, the Chrome and Firefox builds (the browser test
# loads dist/chrome), web-ext lint on the Firefox build, unit tests.
(cd extension && npm ci --no-audit --no-fund && npm run lint && npm test)

cargo test --workspace --locked
