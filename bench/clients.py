"""The two clients under test, the test Cast receiver, and the small protocol pieces they need
(a stdlib WebSocket client for magnetcast's control API, a raw HTTP reader for stream timings).

Each client is started fresh per run with its own empty folders, DHT, LSD, UPnP and any tracker
but ours off, listening only on the client namespace's address.
"""
import base64
import http.client
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.parse

from lab import CLIENT_IP, read_line


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_usage(pid):
    """(peak RSS in bytes (VmHWM), CPU seconds (utime + stime)) of a live process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) * 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


class Timeline:
    """JSON messages from a reader thread, each stamped with time.monotonic() on arrival."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()
        self.closed = None

    def add(self, msg):
        with self.cond:
            self.items.append((time.monotonic(), msg))
            self.cond.notify_all()

    def close(self, why):
        with self.cond:
            self.closed = why
            self.cond.notify_all()

    def wait(self, pred, timeout, what, start=0):
        """The first (time, msg, index) at or after index `start` for which `pred(msg)`."""
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.items):
                    t, m = self.items[i]
                    if pred(m):
                        return t, m, i
                    i += 1
                if self.closed:
                    raise RuntimeError(f"{what}: {self.closed}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
                self.cond.wait(left)

    def __len__(self):
        with self.cond:
            return len(self.items)


class WebSocket:
    """Just enough RFC 6455 for magnetcast's /api/v1/ws: text frames, ping/pong, close."""

    def __init__(self, port, token, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
             f"Authorization: Bearer {token}\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the daemon closed the WebSocket handshake")
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"WebSocket upgrade refused: {head.decode(errors='replace')}")
        self.sock.settimeout(None)
        self.send_lock = threading.Lock()
        self.timeline = Timeline()
        self.next_id = 1
        threading.Thread(target=self._reader, daemon=True).start()

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.send_lock:
            self.sock.sendall(head + mask + masked)

    def _reader(self):
        message = b""
        try:
            while True:
                b0, b1 = self._exact(2)
                opcode, n = b0 & 0x0F, b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._exact(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._exact(8))[0]
                mask = self._exact(4) if b1 & 0x80 else None
                payload = self._exact(n)
                if mask:
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                if opcode == 9:
                    self._frame(0xA, payload)
                elif opcode == 8:
                    break
                elif opcode in (0, 1, 2):
                    message += payload
                    if b0 & 0x80:
                        self.timeline.add(json.loads(message))
                        message = b""
        except (EOFError, OSError) as e:
            self.timeline.close(f"the control API connection ended ({e!r})")
            return
        self.timeline.close("the daemon closed the control API connection")

    def send(self, cmd):
        """Sends a request; returns its id (the reply is awaited with `reply`)."""
        rid = self.next_id
        self.next_id += 1
        self._frame(1, json.dumps({"v": 1, "id": rid, **cmd}).encode())
        return rid

    def reply(self, rid, timeout, what):
        _, m, _ = self.timeline.wait(lambda m: m.get("id") == rid and "ok" in m, timeout, what)
        if not m["ok"]:
            raise RuntimeError(f"{what}: {m.get('error')}")
        return m.get("result")

    def request(self, cmd, timeout=30):
        return self.reply(self.send(cmd), timeout, cmd["cmd"])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Client:
    """A client process under test, started from `binary` with its own empty `home`."""

    def __init__(self, procs, binary, home):
        self.procs = procs
        self.binary = binary
        self.home = home
        self.proc = None

    def usage(self):
        return proc_usage(self.proc.pid)

    def stop(self):
        if self.proc:
            self.procs.stop(self.proc)
            self.log.close()


def client_env(base):
    """A client's environment: RUST_LOG only from BENCH_RUST_LOG, so a developer's own setting
    never slows the clients down unasked (tracing costs time)."""
    env = dict(base)
    env.pop("RUST_LOG", None)
    if os.environ.get("BENCH_RUST_LOG"):
        env["RUST_LOG"] = os.environ["BENCH_RUST_LOG"]
    return env


class Magnetcast(Client):
    """`magnetcast daemon` with a fresh MAGNETCAST_HOME; the magnet is handed over on the control
    API WebSocket (what the extension and `magnetcast play` do)."""

    name = "magnetcast"
    ws = None
    torrent = None

    def start(self):
        os.makedirs(os.path.join(self.home, "config"))
        with open(os.path.join(self.home, "config", "config.toml"), "w") as f:
            f.write(
                f'listen_host = "{CLIENT_IP}"\nlisten_port = 0\n'
                "dht = false\nlocal_discovery = false\nupnp = false\ntrackers = []\n"
                "stream_port = 0\nmetadata_timeout_secs = 60\nidle_exit_secs = 3600\n"
                "stay_awake = false\n")
            # Tuning experiments: extra config.toml lines, e.g. "request_window = 128".
            f.write(os.environ.get("BENCH_MAGNETCAST_CONFIG", "").replace("\\n", "\n") + "\n")
        env = client_env(os.environ)
        env.update(MAGNETCAST_HOME=self.home, HOME=self.home)
        self.log = open(os.path.join(self.home, "daemon.log"), "wb")
        self.proc = self.procs.spawn([self.binary, "daemon"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        runtime = os.path.join(self.home, "run", "daemon.json")
        deadline = time.monotonic() + 30
        while True:
            try:
                with open(runtime) as f:
                    info = json.load(f)
                self.ws = WebSocket(info["port"], info["token"])
                break
            except (OSError, ValueError, KeyError, ConnectionError):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"magnetcast daemon exited {self.proc.returncode}; see {self.log.name}")
                if time.monotonic() > deadline:
                    raise TimeoutError("the magnetcast daemon did not come up in 30 s")
                time.sleep(0.05)

    def add(self, magnet, device=None):
        """Hands the magnet over. Returns (time of the metadata event, time the torrent is
        streamable, stream URL)."""
        start = len(self.ws.timeline)
        cmd = {"cmd": "add", "source": magnet}
        if device:
            cmd["device"] = device
        result = self.ws.request(cmd, timeout=90)
        ready = time.monotonic()
        self.torrent = result["torrent"]
        t_meta, _, _ = self.ws.timeline.wait(
            lambda m: m.get("event") == "metadata" and m.get("torrent") == self.torrent,
            5, "the metadata event", start)
        return t_meta, ready, result["stream_url"]

    def progress(self):
        p = self.ws.request({"cmd": "status", "torrent": self.torrent}, timeout=10)
        return p["downloaded"], p["total"], p["finished"]

    def file_path(self, name):
        root = os.path.join(self.home, "cache", "torrents")
        for dirpath, _, files in os.walk(root):
            if name in files:
                return os.path.join(dirpath, name)
        return None

    def stop(self):
        if self.ws:
            self.ws.close()
        super().stop()


class Rqbit(Client):
    """`rqbit server start` with its HTTP API on loopback, persistence, DHT, LSD and UPnP off,
    a fresh HOME; the magnet is handed over with POST /torrents."""

    name = "rqbit"
    id = None

    def start(self):
        os.makedirs(self.home)
        self.out = os.path.join(self.home, "downloads")
        self.api = free_port()
        env = dict(os.environ, HOME=self.home, XDG_CACHE_HOME=os.path.join(self.home, ".cache"),
                   XDG_DATA_HOME=os.path.join(self.home, ".local/share"),
                   XDG_CONFIG_HOME=os.path.join(self.home, ".config"))
        env = client_env(env)
        self.log = open(os.path.join(self.home, "rqbit.log"), "wb")
        self.proc = self.procs.spawn(
            [self.binary, "--disable-dht", "--disable-dht-persistence", "--disable-lsd",
             "--disable-upnp-port-forward", "--listen-ip", CLIENT_IP,
             "--listen-port", str(free_port()), "--http-api-listen-addr", f"127.0.0.1:{self.api}",
             "server", "start", "--disable-persistence", self.out],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                self._get("/")
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"rqbit exited {self.proc.returncode}; see {self.log.name}")
                if time.monotonic() > deadline:
                    raise TimeoutError("rqbit's HTTP API did not come up in 30 s")
                time.sleep(0.05)

    def _conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.api, timeout=timeout)

    def _get(self, path):
        c = self._conn(5)
        try:
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError(f"rqbit GET {path}: {r.status} {body[:200]!r}")
            return json.loads(body) if body[:1] in (b"{", b"[") else body
        finally:
            c.close()

    def add(self, magnet, device=None):
        c = self._conn(90)
        try:
            c.request("POST", "/torrents?overwrite=true", body=magnet.encode())
            r = c.getresponse()
            body = r.read()
        finally:
            c.close()
        ready = time.monotonic()
        if r.status != 200:
            raise RuntimeError(f"rqbit POST /torrents: {r.status} {body[:300]!r}")
        self.id = json.loads(body)["id"]
        url = f"http://127.0.0.1:{self.api}/torrents/{self.id}/stream/0"
        # POST /torrents answers once the metadata is in and the torrent added: both at once.
        return ready, ready, url

    def progress(self):
        s = self._get(f"/torrents/{self.id}/stats/v1")
        return s["progress_bytes"], s["total_bytes"], bool(s["finished"])

    def file_path(self, name):
        p = os.path.join(self.out, name)
        return p if os.path.exists(p) else None


class Receiver:
    """tests/receiver/cast_receiver.py on the client namespace's loopback."""

    def __init__(self, procs, repo, record):
        self.procs = procs
        self.record = record
        self.timeline = Timeline()
        self.proc = procs.spawn(
            ["/usr/bin/python3", os.path.join(repo, "tests/receiver/cast_receiver.py"),
             "--bind", "127.0.0.1", "--record", record],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = read_line(self.proc, 20, "the test receiver")
        first = json.loads(line)
        assert first.get("event") == "listening", line
        self.addr = f"127.0.0.1:{first['port']}"
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.proc.stdout:
            try:
                self.timeline.add(json.loads(line))
            except ValueError:
                pass
        self.timeline.close("the receiver ended")

    def stop(self):
        self.procs.stop(self.proc)


class Stream:
    """One HTTP GET with a Range, read on a raw socket so the arrival of each byte is timed
    without a library's buffering in between."""

    def __init__(self, url, offset, timeout=60):
        u = urllib.parse.urlsplit(url)
        self.sent = time.monotonic()
        self.sock = socket.create_connection((u.hostname, u.port), timeout)
        self.sock.settimeout(timeout)
        path = u.path + (f"?{u.query}" if u.query else "")
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nRange: bytes={offset}-\r\n"
                          "Connection: close\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"GET {url}: closed before the headers")
            buf += chunk
        head, self.pending = buf.split(b"\r\n\r\n", 1)
        self.headers_at = time.monotonic()
        status = head.split(b"\r\n", 1)[0].decode()
        if " 206 " not in status:
            raise RuntimeError(f"GET {url} Range bytes={offset}-: {status}")
        self.first_at = self.headers_at if self.pending else None

    def read(self, n):
        """Up to `n` bytes, blocking until at least one arrives; b"" at the end."""
        if self.pending:
            out, self.pending = self.pending[:n], self.pending[n:]
            return out
        out = self.sock.recv(n)
        if self.first_at is None and out:
            self.first_at = time.monotonic()
        return out

    def read_exact(self, n):
        parts, got = [], 0
        while got < n:
            b = self.read(n - got)
            if not b:
                raise ConnectionError(f"stream ended after {got} of {n} bytes")
            parts.append(b)
            got += len(b)
        return b"".join(parts)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
