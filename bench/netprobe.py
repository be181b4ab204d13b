#!/usr/bin/env python3
"""Checks of the shaped path: ICMP echo round trips and a plain TCP bulk transfer.

  netprobe.py serve IP PORT     (inside a seeder's namespace) accepts connections on IP:PORT and
                                sends zeros to each until it closes; prints `ready` once listening;
                                leaves when stdin closes
The measuring side (`ping`, `goodput`) is imported by the driver, which runs in the client's
namespace.
"""
import os
import select
import socket
import struct
import sys
import threading
import time


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(ip, count=10, interval=0.05, timeout=2.0):
    """Round trips of `count` ICMP echo requests to `ip` (seconds; a lost one is left out)."""
    ident = os.getpid() & 0xFFFF
    rtts = []
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        for seq in range(count):
            payload = struct.pack("!d", time.monotonic()) + b"magnetcast-bench"
            header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            packet = struct.pack("!BBHHH", 8, 0, _checksum(header + payload), ident, seq) + payload
            sent = time.monotonic()
            s.sendto(packet, (ip, 0))
            deadline = sent + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    break
                data = s.recv(2048)
                ihl = (data[0] & 0x0F) * 4
                kind, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if kind == 0 and rid == ident and rseq == seq:
                    rtts.append(time.monotonic() - sent)
                    break
            time.sleep(max(0.0, interval - (time.monotonic() - sent)))
    return rtts


def goodput(addrs, seconds, warmup):
    """Bulk TCP from each `(ip, port)` at once for `seconds`: payload bytes per second received
    after `warmup` seconds (past slow start and tbf's initial burst), in total and per source."""
    counts = [[] for _ in addrs]  # per source: (time, total bytes so far)

    def pull(i, addr):
        with socket.create_connection(addr, timeout=10) as s:
            start = time.monotonic()
            got = 0
            buf = bytearray(256 * 1024)
            while time.monotonic() - start < seconds:
                n = s.recv_into(buf)
                if not n:
                    break
                got += n
                counts[i].append((time.monotonic() - start, got))

    threads = [threading.Thread(target=pull, args=(i, a)) for i, a in enumerate(addrs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 15)
    rates = []
    for samples in counts:
        after = [(t, b) for t, b in samples if t >= warmup]
        if len(after) < 2:
            rates.append(0.0)
            continue
        (t0, b0), (t1, b1) = after[0], after[-1]
        rates.append((b1 - b0) / (t1 - t0) if t1 > t0 else 0.0)
    return sum(rates), rates


def serve(ip, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, int(port)))
    srv.listen(8)
    zeros = bytes(256 * 1024)

    def send(conn):
        with conn:
            try:
                while True:
                    conn.sendall(zeros)
            except OSError:
                pass

    def accept():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=send, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
