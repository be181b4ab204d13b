#!/usr/bin/env python3
"""The benchmark's "wan": a learning Ethernet switch in user space that holds every frame for a
fixed one-way delay before forwarding it. (This kernel has tbf but no netem, so delay is added here;
rate is shaped by tbf on the seeders' egress, before their frames reach this switch.)

  delayline.py --delay-ms D NS [NS ...]

Each NS is a network namespace (a name under /run/netns) holding a persistent tap device `wan0`
(`ip -n NS tuntap add dev wan0 mode tap`). The switch attaches to each tap from inside its
namespace, prints `ready` once all are attached, and forwards until stdin closes or it is killed.

Taps rather than veth + AF_PACKET: a tap without offloads hands user space whole, checksummed,
MTU-sized frames (the kernel segments GSO and fills in checksums first), so nothing needs ethtool
and nothing forwarded is ever larger than the MTU. Frames cross the switch once between any two
namespaces, so the round trip between any two of them is 2 × D.
"""
import argparse
import collections
import ctypes
import fcntl
import os
import struct
import sys
import threading
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def attach(ns, own_ns_fd):
    """Opens the tap `wan0` of namespace `ns` (the open must happen inside that namespace)."""
    nsfd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        setns(nsfd)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"wan0", IFF_TAP | IFF_NO_PI))
        return fd
    finally:
        setns(own_ns_fd)
        os.close(nsfd)


class Switch:
    def __init__(self, fds, delay):
        self.fds = fds
        self.delay = delay
        self.macs = {}  # source MAC -> port index
        self.queue = collections.deque()  # (due, out fds, frame): one delay, so FIFO is due order
        self.cond = threading.Condition()
        self.forwarded = 0
        # How much earlier than due to wake: sleep overshoots by a steady ~0.1-0.4 ms, learnt
        # from the sends that followed a sleep, so the mean one-way delay is the one asked for.
        self.early = 0.0

    def reader(self, port):
        fd = self.fds[port]
        while True:
            try:
                frame = os.read(fd, 65536)
            except OSError:
                return
            now = time.monotonic()
            if len(frame) < 14:
                continue
            dst, src = frame[0:6], frame[6:12]
            self.macs[src] = port
            out = self.macs.get(dst)
            if dst[0] & 1 or out is None:
                outs = [f for i, f in enumerate(self.fds) if i != port]
            elif out == port:
                continue
            else:
                outs = [self.fds[out]]
            with self.cond:
                self.queue.append((now + self.delay, outs, frame))
                if len(self.queue) == 1:
                    self.cond.notify()

    def sender(self):
        slept = False
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                due, outs, frame = self.queue[0]
            wait = due - self.early - time.monotonic()
            if wait > 0:
                time.sleep(wait)
                slept = True
                continue
            with self.cond:
                self.queue.popleft()
            if slept:
                late = time.monotonic() - due
                self.early = min(0.002, max(0.0, self.early + 0.1 * late))
                slept = False
            for fd in outs:
                try:
                    os.write(fd, frame)
                except OSError:
                    pass  # a full queue drops the frame, as a switch would
            self.forwarded += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--delay-ms", type=float, required=True)
    p.add_argument("namespaces", nargs="+")
    args = p.parse_args()
    # Let a reader woken by a frame take the interpreter at once.
    sys.setswitchinterval(0.0002)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    fds = [attach(ns, own) for ns in args.namespaces]
    switch = Switch(fds, args.delay_ms / 1000.0)
    for port in range(len(fds)):
        threading.Thread(target=switch.reader, args=(port,), daemon=True).start()
    threading.Thread(target=switch.sender, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()  # the driver holds the pipe; EOF (or a kill) ends the switch


if __name__ == "__main__":
    main()
