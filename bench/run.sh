#!/usr/bin/env bash
# The streaming benchmark (issue 9) in one command, as root on Debian/Ubuntu:
#
#   bash bench/run.sh [--profile home|slow|mixed|all] [--runs N] [--keep] [--steps ...]
#
# Installs what it needs when missing, builds magnetcast (release) and rqbit 9.1.0 unless
# MAGNETCAST_BIN / RQBIT_BIN point at binaries, then runs bench/bench.py with the given options.
# All traffic stays in network namespaces it creates (and always removes).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo -E bash "$0" "$@"
    fi
    echo "bench: needs root (network namespaces, tc)" >&2
    exit 1
fi

missing=()
command -v ip >/dev/null && command -v tc >/dev/null || missing+=(iproute2)
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v opentracker >/dev/null || missing+=(opentracker)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
/usr/bin/python3 -c 'import zeroconf' 2>/dev/null || missing+=(python3-zeroconf)
case " $* " in *" --pcap "*) command -v tcpdump >/dev/null || missing+=(tcpdump) ;; esac
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -c /dev/net/tun ]; then
    modprobe tun 2>/dev/null || true
    if [ ! -c /dev/net/tun ]; then
        mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun
    fi
fi

if { [ -z "${MAGNETCAST_BIN:-}" ] || [ -z "${RQBIT_BIN:-}" ]; } && ! command -v cargo >/dev/null; then
    echo "bench: cargo is needed to build magnetcast and rqbit (install Rust with rustup), or set MAGNETCAST_BIN and RQBIT_BIN" >&2
    exit 1
fi
if [ -z "${MAGNETCAST_BIN:-}" ]; then
    cargo build --release -p magnetcast --locked
    MAGNETCAST_BIN=target/release/magnetcast
fi
if [ -z "${RQBIT_BIN:-}" ]; then
    if [ ! -x bench/.tools/bin/rqbit ]; then
        cargo install rqbit --version 9.1.0 --locked --root bench/.tools
    fi
    RQBIT_BIN=bench/.tools/bin/rqbit
fi

exec /usr/bin/python3 bench/bench.py --magnetcast "$MAGNETCAST_BIN" --rqbit "$RQBIT_BIN" "$@"
