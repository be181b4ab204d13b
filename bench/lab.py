"""The shaped swarm: network namespaces, the delay line, tbf, opentracker and libtorrent seeders.

Layout (one /24, all on the user-space switch of delayline.py, which runs in its own "wan"
namespace and holds each frame RTT/2):

    client 10.213.90.1 ─┐
    tracker 10.213.90.2 ─┼─ wan (delay RTT/2 per crossing) ─┬─ seeder 10.213.90.11 (tbf egress)
                         │                                   ├─ seeder 10.213.90.12 (tbf egress)
                         │                                   └─ seeder 10.213.90.13 (tbf egress)

Nothing here has a route anywhere else: every address is in a namespace this module created, and
every namespace and process it starts is removed by `Lab.down()` (called from the driver's
`finally`, also on Ctrl-C and SIGTERM).
"""
import ctypes
import os
import select
import signal
import subprocess
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_ORIGINAL_NS = os.open("/proc/self/ns/net", os.O_RDONLY)  # where the driver started

SUBNET = "10.213.90"
CLIENT_IP = f"{SUBNET}.1"
TRACKER_IP = f"{SUBNET}.2"
TRACKER_PORT = 6969
PROBE_PORT = 5001
PREFIX = "mcb"  # namespace names: mcb<driver pid>-<role>


def seeder_ip(i):
    return f"{SUBNET}.{11 + i}"


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Procs:
    """Every process the benchmark starts, each in its own process group, ended by id."""

    def __init__(self):
        self.live = []

    def spawn(self, cmd, ns=None, **kw):
        if ns:
            cmd = ["ip", "netns", "exec", ns] + list(cmd)
        p = subprocess.Popen(cmd, start_new_session=True, **kw)
        self.live.append(p)
        return p

    def stop(self, p, grace=5.0):
        """SIGTERM to the process's group, SIGKILL after `grace` seconds."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # leftovers of the group (e.g. the receiver's ffprobe)
        except (ProcessLookupError, PermissionError):
            pass
        if p.poll() is None:
            p.wait(5)
        for f in (p.stdin, p.stdout, p.stderr):
            if f:
                f.close()
        if p in self.live:
            self.live.remove(p)

    def stop_all(self):
        for p in list(reversed(self.live)):
            self.stop(p, grace=2.0)


def read_line(p, timeout, what):
    """The next line of `p`'s stdout within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    line = b""
    fd = p.stdout.fileno()
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        b = os.read(fd, 1)
        if not b:
            raise RuntimeError(f"{what}: the process ended (exit {p.wait()})")
        line += b
    return line.decode().strip()


def enter_netns(name):
    """Moves the calling thread (the driver's main thread) into namespace `name`, or back to the
    one the driver started in when `name` is None. Sockets it opens and processes it starts from
    then on live there."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY) if name else _ORIGINAL_NS
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {name}: {os.strerror(err)}")
    finally:
        if name:
            os.close(fd)


def remove_stale():
    """Namespaces left by a benchmark that was killed outright (SIGKILL): their pid is gone."""
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return
    for n in names:
        if not n.startswith(PREFIX) or "-" not in n:
            continue
        pid = n[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            # What that benchmark started there (opentracker, seeders) outlived it: end them.
            left = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True).stdout
            for p in left.split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)


class Lab:
    def __init__(self, procs, rtt_ms, rates_mbit, here):
        self.procs = procs
        self.rtt_ms = rtt_ms
        self.rates = rates_mbit
        self.here = here  # the bench/ folder
        tag = f"{PREFIX}{os.getpid()}"
        self.client = f"{tag}-c"
        self.wan = f"{tag}-w"
        self.tracker = f"{tag}-t"
        self.seeders = [f"{tag}-s{i + 1}" for i in range(len(rates_mbit))]
        self.created = []
        self.switch = None

    def up(self):
        for ns, ip in [(self.client, CLIENT_IP), (self.tracker, TRACKER_IP)] + [
            (s, seeder_ip(i)) for i, s in enumerate(self.seeders)
        ]:
            self._netns(ns)
            run("ip", "-n", ns, "tuntap", "add", "dev", "wan0", "mode", "tap")
            run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "wan0")
            run("ip", "-n", ns, "link", "set", "wan0", "up")
        for ns, mbit in zip(self.seeders, self.rates):
            # Rate: tbf on the seeder's egress, the direction the video flows. The queue holds
            # 100 ms at the rate; the sender's own TCP feels it (TSQ) rather than losing packets.
            burst = max(15000, int(mbit * 1e6 / 8 / 250))
            run("tc", "-n", ns, "qdisc", "add", "dev", "wan0", "root", "tbf",
                "rate", f"{mbit}mbit", "burst", str(burst), "latency", "100ms")
        self._netns(self.wan)
        self.switch = self.procs.spawn(
            ["/usr/bin/python3", os.path.join(self.here, "delayline.py"),
             "--delay-ms", str(self.rtt_ms / 2), self.client, self.tracker, *self.seeders],
            ns=self.wan, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = read_line(self.switch, 10, "the delay line")
        assert line == "ready", line

    def _netns(self, ns):
        run("ip", "netns", "add", ns)
        self.created.append(ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")

    def down(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.created = []


class Swarm:
    """opentracker in the tracker namespace (whitelist: our torrent), a libtorrent seeder in each
    seeder namespace, and a bulk-TCP probe server beside each seeder for the goodput check."""

    def __init__(self, procs, lab, torrent, media, info_hash, repo, work):
        self.procs = procs
        self.lab = lab
        self.torrent = torrent
        self.media = media
        self.info_hash = info_hash
        self.repo = repo
        self.work = work
        self.announce = f"http://{TRACKER_IP}:{TRACKER_PORT}/announce"

    def magnet(self):
        from urllib.parse import quote
        return f"magnet:?xt=urn:btih:{self.info_hash}&tr={quote(self.announce, safe='')}"

    def up(self):
        os.makedirs(self.work, exist_ok=True)
        # Debian's opentracker chroots into -d before reading the whitelist.
        with open(os.path.join(self.work, "whitelist"), "w") as f:
            f.write(self.info_hash + "\n")
        self.procs.spawn(
            ["opentracker", "-i", TRACKER_IP, "-p", str(TRACKER_PORT), "-P", str(TRACKER_PORT),
             "-d", self.work, "-w", "/whitelist"],
            ns=self.lab.tracker, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_tcp(self.lab.tracker, TRACKER_IP, TRACKER_PORT, 10)
        seeder = os.path.join(self.repo, "tests/peers/libtorrent_seeder.py")
        started = []
        for i, ns in enumerate(self.lab.seeders):
            p = self.procs.spawn(
                ["/usr/bin/python3", seeder, "seed", self.torrent, self.media, seeder_ip(i)],
                ns=ns, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            started.append(p)
            probe = self.procs.spawn(
                ["/usr/bin/python3", os.path.join(self.lab.here, "netprobe.py"), "serve",
                 seeder_ip(i), str(PROBE_PORT)],
                ns=ns, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert read_line(probe, 10, "the probe server") == "ready"
        for i, p in enumerate(started):
            # The seeder says ready once the tracker has accepted its announce.
            line = read_line(p, 60, f"seeder {i + 1}")
            assert line.startswith("ready "), line


def wait_tcp(ns, ip, port, timeout):
    """Waits (bounded) until something listens on ip:port inside namespace `ns`."""
    deadline = time.monotonic() + timeout
    probe = (f"import socket,sys\ntry:\n socket.create_connection(('{ip}',{port}),1).close()\n"
             f"except OSError:\n sys.exit(1)")
    while True:
        if subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", probe]).returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {ip}:{port} after {timeout} s")
        time.sleep(0.1)
