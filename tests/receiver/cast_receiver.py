#!/usr/bin/env python3
"""A test Cast receiver: speaks CASTV2 over TLS like a Chromecast and really plays the stream.

It answers the connection, heartbeat, receiver and media namespaces; on LOAD it fetches the URL
with HTTP Range exactly like a TV (reading at a bounded rate), on SEEK it makes a new Range request
at the matching byte offset, and it records every fetch to files so tests can compare bytes.

Everything it does is reported as one JSON object per line on stdout:
  {"event": "listening", "port": P}
  {"event": "message", "ns": ..., "type": ...}          every message received
  {"event": "fetch", "index": K, "offset": O, "status": 206, "content_type": ...}
  {"event": "fetched", "index": K, "offset": O, "length": N, "path": F, "done": bool}
  {"event": "state", "playerState": S, ...}              every MEDIA_STATUS it sends
  {"event": "pong"}                                      the sender answered our PING
  {"event": "volume", "level": L, "muted": M}
  {"event": "load", "contentId": U, "contentType": T, "tracks": [...], "activeTrackIds": [...]}
  {"event": "track", "id": I, "status": 200, "content_type": ..., "cors": ..., "text": ...}
                                                          each text track of a LOAD, fetched
                                                          cross-origin like a receiver app does
  {"event": "tracks", "activeTrackIds": [...]}           EDIT_TRACKS_INFO

Usage: cast_receiver.py --bind IP --port P --record DIR [--rate BYTES_PER_S] [--name NAME]
       [--advertise]  (mDNS via python3-zeroconf) [--refuse URL_PART]
"""
import argparse
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

NS_CONNECTION = "urn:x-cast:com.google.cast.tp.connection"
NS_HEARTBEAT = "urn:x-cast:com.google.cast.tp.heartbeat"
NS_RECEIVER = "urn:x-cast:com.google.cast.receiver"
NS_MEDIA = "urn:x-cast:com.google.cast.media"
DEFAULT_MEDIA_RECEIVER = "CC1AD845"
SUPPORTED = {"video/mp4", "video/webm", "audio/mp4", "audio/mpeg", "video/x-matroska"}

out_lock = threading.Lock()


def report(**kw):
    with out_lock:
        print(json.dumps(kw), flush=True)


# --- protobuf: just CastMessage (fields 1..7) -------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def encode(source, dest, ns, payload):
    def field_str(num, s):
        b = s.encode()
        return varint(num << 3 | 2) + varint(len(b)) + b
    return (varint(1 << 3) + varint(0) + field_str(2, source) + field_str(3, dest)
            + field_str(4, ns) + varint(5 << 3) + varint(0) + field_str(6, payload))


def decode(buf):
    i, fields = 0, {}
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = read_varint(buf, i)
        elif wire == 2:
            ln, i = read_varint(buf, i)
            val, i = buf[i:i + ln], i + ln
        else:
            raise ValueError(f"unexpected wire type {wire}")
        fields[num] = val
    return {
        "source": fields.get(2, b"").decode(),
        "dest": fields.get(3, b"").decode(),
        "ns": fields.get(4, b"").decode(),
        "payload": fields.get(6, b"").decode(),
    }


def read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


# --- the receiver ----------------------------------------------------------------------------

class Player:
    """The Default Media Receiver's state and its HTTP fetches."""

    def __init__(self, conn, args):
        self.conn = conn
        self.args = args
        self.lock = threading.Lock()
        self.app_session = None
        self.media = None
        self.media_session = 0
        self.state = "IDLE"
        self.idle_reason = None
        self.position = 0.0
        self.since = None
        self.length = None
        self.duration = None
        self.fetch_index = 0
        self.cancel = None
        self.volume = {"level": 1.0, "muted": False}

    def now(self):
        if self.state == "PLAYING" and self.since is not None:
            return self.position + (time.monotonic() - self.since)
        return self.position

    def set_state(self, state, idle_reason=None):
        self.position = self.now()
        self.since = time.monotonic() if state == "PLAYING" else None
        self.state = state
        self.idle_reason = idle_reason

    def media_status(self, request_id=0):
        st = {"mediaSessionId": self.media_session, "playerState": self.state,
              "currentTime": round(self.now(), 3), "supportedMediaCommands": 15,
              "volume": self.volume}
        if self.idle_reason:
            st["idleReason"] = self.idle_reason
        if self.media:
            st["media"] = dict(self.media, duration=self.duration)
        report(event="state", playerState=self.state, currentTime=st["currentTime"],
               idleReason=self.idle_reason)
        self.conn.send("web-1", "*", NS_MEDIA, {"type": "MEDIA_STATUS", "status": [st],
                                                 "requestId": request_id})

    def receiver_status(self, request_id=0):
        apps = []
        if self.app_session:
            apps.append({"appId": DEFAULT_MEDIA_RECEIVER, "displayName": "Default Media Receiver",
                         "sessionId": self.app_session, "transportId": "web-1",
                         "namespaces": [{"name": NS_MEDIA}], "statusText": "Ready To Cast"})
        self.conn.send("receiver-0", "*", NS_RECEIVER, {
            "type": "RECEIVER_STATUS", "requestId": request_id,
            "status": {"applications": apps, "volume": self.volume}})

    def stop_fetch(self):
        if self.cancel:
            self.cancel.set()
            self.cancel = None

    def fetch(self, offset):
        """GET the stream from `offset` in a thread, at a bounded rate, recording the bytes."""
        self.stop_fetch()
        cancel = threading.Event()
        self.cancel = cancel
        index = self.fetch_index
        self.fetch_index += 1
        url = self.media["contentId"]
        session = self.media_session

        def run():
            path = os.path.join(self.args.record, f"fetch-{index}.bin")
            req = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"})
            try:
                resp = urllib.request.urlopen(req, timeout=30)
            except (urllib.error.URLError, OSError) as e:
                report(event="fetch", index=index, offset=offset, status=getattr(e, "code", 0),
                       error=str(e))
                with self.lock:
                    if session == self.media_session:
                        self.set_state("IDLE", "ERROR")
                        self.media_status()
                return
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            with self.lock:
                if total.isdigit():
                    self.length = int(total)
            report(event="fetch", index=index, offset=offset, status=resp.status,
                   content_type=resp.headers.get("Content-Type"))
            got = 0
            started = time.monotonic()
            last_report = 0
            with open(path, "wb") as f:
                while not cancel.is_set():
                    chunk = resp.read(64 * 1024)
                    if not chunk:
                        break
                    f.write(chunk)
                    f.flush()
                    got += len(chunk)
                    if got - last_report >= 256 * 1024 or last_report == 0:
                        last_report = got
                        report(event="fetched", index=index, offset=offset, length=got, path=path,
                               done=False)
                    with self.lock:
                        # A fetch a SEEK abandoned shares the media session: only the live one plays.
                        if (session == self.media_session and not cancel.is_set()
                                and self.state == "BUFFERING" and got >= 64 * 1024):
                            self.set_state("PLAYING")
                            self.media_status()
                    # A TV reads ahead of the playhead at a bounded rate.
                    ahead = got / self.args.rate - (time.monotonic() - started)
                    if ahead > 0:
                        cancel.wait(ahead)
            resp.close()
            report(event="fetched", index=index, offset=offset, length=got, path=path, done=True)
        threading.Thread(target=run, daemon=True).start()

    def on_media(self, msg, request_id):
        kind = msg.get("type")
        with self.lock:
            if kind == "LOAD":
                media = msg.get("media", {})
                refused = self.args.refuse and self.args.refuse in media.get("contentId", "")
                if media.get("contentType") not in SUPPORTED or refused:
                    self.conn.send("web-1", msg.get("_source", "*"), NS_MEDIA, {
                        "type": "LOAD_FAILED", "requestId": request_id,
                        "detailedErrorCode": 104, "reason": "MEDIA_SRC_NOT_SUPPORTED"})
                    return
                self.media = media
                self.media_session += 1
                report(event="load", contentId=media.get("contentId"),
                       contentType=media.get("contentType"), tracks=media.get("tracks", []),
                       activeTrackIds=msg.get("activeTrackIds", []))
                for track in media.get("tracks", []):
                    fetch_track(track)
                self.duration = media.get("duration") or probe_duration(media["contentId"])
                self.length = None
                self.position = float(msg.get("currentTime") or 0)
                self.set_state("BUFFERING")
                self.media_status(request_id)
                self.fetch(0)
            elif kind in ("PLAY", "PAUSE") and self.media:
                self.set_state("PLAYING" if kind == "PLAY" else "PAUSED")
                self.media_status(request_id)
            elif kind == "SEEK" and self.media:
                target = float(msg.get("currentTime", 0))
                resume = self.state
                self.position = target
                self.since = time.monotonic() if resume == "PLAYING" else None
                length = self.length or 0
                offset = int(length * target / self.duration) if self.duration and length else 0
                report(event="seek", currentTime=target, offset=offset)
                self.set_state("BUFFERING")
                self.media_status(request_id)
                self.fetch(offset)
            elif kind == "EDIT_TRACKS_INFO" and self.media:
                report(event="tracks", activeTrackIds=msg.get("activeTrackIds", []))
                self.media_status(request_id)
            elif kind == "STOP" and self.media:
                self.stop_fetch()
                self.set_state("IDLE", "CANCELLED")
                self.media_status(request_id)
            elif kind == "GET_STATUS":
                self.media_status(request_id)

    def on_receiver(self, msg, request_id):
        kind = msg.get("type")
        with self.lock:
            if kind == "LAUNCH" and msg.get("appId") == DEFAULT_MEDIA_RECEIVER:
                self.app_session = self.app_session or f"session-{time.monotonic_ns()}"
                self.receiver_status(request_id)
            elif kind == "STOP":
                self.stop_fetch()
                if self.media:
                    self.set_state("IDLE", "CANCELLED")
                self.app_session = None
                self.media = None
                report(event="app_stopped")
                self.receiver_status(request_id)
            elif kind == "SET_VOLUME":
                v = msg.get("volume", {})
                if "level" in v:
                    self.volume["level"] = float(v["level"])
                if "muted" in v:
                    self.volume["muted"] = bool(v["muted"])
                report(event="volume", **self.volume)
                self.receiver_status(request_id)
            elif kind == "GET_STATUS":
                self.receiver_status(request_id)


RECEIVER_ORIGIN = "https://www.gstatic.com"


def fetch_track(track):
    """Fetches a text track as the receiver's web app would: cross-origin, so it needs CORS."""
    def run():
        url = track.get("trackContentId", "")
        req = urllib.request.Request(url, headers={"Origin": RECEIVER_ORIGIN})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read(1 << 20).decode("utf-8", "replace")
                report(event="track", id=track.get("trackId"), status=resp.status,
                       content_type=resp.headers.get("Content-Type"),
                       cors=resp.headers.get("Access-Control-Allow-Origin"), text=text)
        except (urllib.error.URLError, OSError) as e:
            report(event="track", id=track.get("trackId"), status=getattr(e, "code", 0),
                   error=str(e))
    threading.Thread(target=run, daemon=True).start()


def probe_duration(url):
    try:
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                              "-of", "csv=p=0", url], capture_output=True, text=True, timeout=30)
        return float(out.stdout.strip())
    except (ValueError, OSError, subprocess.SubprocessError):
        return None


# Live sender connections, for the faults a test injects by signal: SIGUSR1 drops them (the TV's
# TCP connection breaks), SIGUSR2 makes them silent (a hung TV: nothing read is answered, no PING
# sent, the socket stays open). Later connections behave normally again.
CONNS = set()
CONNS_LOCK = threading.Lock()


def drop_connections():
    with CONNS_LOCK:
        for c in CONNS:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    report(event="dropped")


def silence_connections():
    with CONNS_LOCK:
        for c in CONNS:
            c.silent = True
    report(event="silent")


FAULTS = {signal.SIGUSR1: drop_connections, signal.SIGUSR2: silence_connections}


def faults():
    """Takes the fault signals in a thread of its own. A Python signal handler runs in the main
    thread between two bytecodes, possibly while it holds `out_lock` or `CONNS_LOCK`, and taking
    either again there deadlocks: the receiver then stops accepting connections."""
    while True:
        FAULTS[signal.sigwait(set(FAULTS))]()


class Connection:
    def __init__(self, sock, args):
        self.sock = sock
        self.send_lock = threading.Lock()
        self.player = Player(self, args)
        self.alive = True
        self.silent = False
        with CONNS_LOCK:
            CONNS.add(self)

    def send(self, source, dest, ns, payload):
        data = encode(source, dest, ns, json.dumps(payload))
        with self.send_lock:
            try:
                self.sock.sendall(struct.pack(">I", len(data)) + data)
            except OSError:
                self.alive = False

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def pinger(self):
        # Real devices ping their senders too; the sender must answer.
        while self.alive:
            time.sleep(2)
            if not self.silent:
                self.send("receiver-0", "sender-0", NS_HEARTBEAT, {"type": "PING"})

    def serve(self):
        threading.Thread(target=self.pinger, daemon=True).start()
        try:
            while True:
                (length,) = struct.unpack(">I", self.recv_exact(4))
                msg = decode(self.recv_exact(length))
                if self.silent:
                    continue
                payload = json.loads(msg["payload"] or "{}")
                kind = payload.get("type")
                report(event="message", ns=msg["ns"], type=kind, dest=msg["dest"])
                request_id = payload.get("requestId", 0)
                payload["_source"] = msg["source"]
                if msg["ns"] == NS_HEARTBEAT and kind == "PING":
                    self.send(msg["dest"], msg["source"], NS_HEARTBEAT, {"type": "PONG"})
                elif msg["ns"] == NS_HEARTBEAT and kind == "PONG":
                    report(event="pong")
                elif msg["ns"] == NS_RECEIVER:
                    self.player.on_receiver(payload, request_id)
                elif msg["ns"] == NS_MEDIA:
                    self.player.on_media(payload, request_id)
        except (EOFError, OSError, ValueError):
            pass
        finally:
            self.alive = False
            with CONNS_LOCK:
                CONNS.discard(self)
            self.player.stop_fetch()
            report(event="disconnected")


def self_signed(dir):
    cert, key = os.path.join(dir, "cert.pem"), os.path.join(dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=test-cast-receiver", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def advertise(args, port):
    from zeroconf import ServiceInfo, Zeroconf
    zc = Zeroconf(interfaces=[args.bind])
    info = ServiceInfo(
        "_googlecast._tcp.local.",
        f"Test-Receiver-{port}._googlecast._tcp.local.",
        addresses=[socket.inet_aton(args.bind)], port=port,
        properties={"fn": args.name, "md": "Test Receiver", "id": f"testreceiver{port}", "ve": "05"},
        server=f"test-receiver-{port}.local.")
    zc.register_service(info)
    return zc


def main():
    # Blocked before any thread starts (threads inherit the mask), so only `faults` takes them.
    signal.pthread_sigmask(signal.SIG_BLOCK, set(FAULTS))
    threading.Thread(target=faults, daemon=True).start()
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record", required=True)
    p.add_argument("--rate", type=float, default=4 * 1024 * 1024)
    p.add_argument("--name", default="Test Receiver")
    p.add_argument("--advertise", action="store_true")
    # Answers MEDIA_SRC_NOT_SUPPORTED for URLs containing this, as a TV does for a file it
    # cannot decode.
    p.add_argument("--refuse", default="")
    args = p.parse_args()
    os.makedirs(args.record, exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as d:
        ctx.load_cert_chain(*self_signed(d))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.bind, args.port))
    server.listen(8)
    port = server.getsockname()[1]
    zc = advertise(args, port) if args.advertise else None
    report(event="listening", port=port)
    try:
        while True:
            sock, _ = server.accept()
            try:
                tls = ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                continue
            # Registered before it is reported: a test that signals on "connected" must reach it.
            conn = Connection(tls, args)
            report(event="connected")
            threading.Thread(target=conn.serve, daemon=True).start()
    finally:
        if zc:
            zc.close()


if __name__ == "__main__":
    main()
