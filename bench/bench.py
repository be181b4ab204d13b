#!/usr/bin/env python3
"""magnetcast streaming benchmark (issue 9): magnetcast and rqbit on the same shaped local swarm,
against the physical limit of the link. Run it through bench/run.sh, as root.

  bench.py --magnetcast BIN --rqbit BIN [--profile home|slow|mixed|all] [--runs N]

See the "Benchmark" section of README.md and bench/README.md for what is measured and how.
"""
import argparse
import json
import math
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import lab as labmod  # noqa: E402
from clients import Magnetcast, Receiver, Rqbit, Stream  # noqa: E402
from netprobe import goodput, ping  # noqa: E402

MiB = 1024 * 1024
PIECE = MiB
CHUNK = 64 * 1024
SEEK_AT = 0.70
MEDIA_NAME = "bench-720p-200s.mp4"

# rates in Mbit/s, one per seeder; window: seconds of reading at the video's bitrate (stalls, and
# the throughput window when `full` is off); probe: seconds of the bulk-TCP goodput check.
PROFILES = {
    "home": {"rtt_ms": 20, "rates": [40], "window": 10, "full": True, "probe": 3.0},
    "slow": {"rtt_ms": 100, "rates": [8], "window": 10, "full": False, "probe": 4.5},
    "mixed": {"rtt_ms": 30, "rates": [20, 20, 2], "window": 15, "full": False, "probe": 3.0},
}

# (key, label, unit); times in seconds from the hand-over of the magnet unless said otherwise.
METRICS = [
    ("metadata", "metadata", "s"),
    ("first_byte", "first stream byte", "s"),
    ("first_4mib", "first 4 MiB (verified)", "s"),
    ("playable", "playable (receiver PLAYING)", "s"),
    ("seek_first_byte", "seek 70%: first byte", "s"),
    ("seek_1mib", "seek 70%: 1 MiB (verified)", "s"),
    ("seek_playing", "seek 70%: SEEK -> PLAYING", "s"),
    ("stall_max", "longest stall at bitrate", "s"),
    ("throughput", "throughput / goodput", "%"),
    ("rss", "peak RSS (VmHWM)", "MiB"),
    ("cpu", "CPU (utime+stime)", "s"),
]
CAST_ONLY = {"playable", "seek_playing"}

# Targets of issue 9: (metric, kind, value). kind "limit": ≤ value × limit and faster than rqbit;
# "max"/"min": an absolute bound in the metric's unit.
TARGETS = {
    "home": [("first_byte", "limit", 1.25), ("first_4mib", "limit", 1.15),
             ("seek_1mib", "limit", 1.5), ("throughput", "min", 95.0), ("rss", "max", 40.0)],
    "slow": [("playable", "max", 10.0)],
    "mixed": [("stall_max", "max", 2.0)],
}


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (KeyboardInterrupt), past `except Exception`."""


def on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


# --- media --------------------------------------------------------------------------------------

def prepare_media(cache):
    """The ~197 MB H.264/AAC MP4 (moov at the tail) and its v1 .torrent, made once."""
    media_dir = os.path.join(cache, "media")
    os.makedirs(media_dir, exist_ok=True)
    media = os.path.join(media_dir, MEDIA_NAME)
    if not os.path.exists(media):
        print("bench: generating the test video (once, cached in bench/.cache/media)", flush=True)
        tmp = media + ".partial.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=200",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=200",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-b:v", "7750k", "-minrate", "7750k", "-maxrate", "7750k", "-bufsize", "3875k",
             "-x264-params", "nal-hrd=cbr", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
             "-c:a", "aac", "-b:a", "128k", "-f", "mp4", tmp],  # no faststart: moov at the tail
            check=True)
        os.replace(tmp, media)
    torrent = os.path.join(media_dir, "bench.torrent")
    hash_file = torrent + ".hash"
    if not (os.path.exists(torrent) and os.path.exists(hash_file)):
        out = subprocess.run(
            ["/usr/bin/python3", os.path.join(HERE, "maketorrent.py"), media, torrent,
             f"http://{labmod.TRACKER_IP}:{labmod.TRACKER_PORT}/announce"],
            check=True, capture_output=True, text=True).stdout.strip()
        with open(hash_file, "w") as f:
            f.write(out + "\n")
    with open(hash_file) as f:
        info_hash = f.read().strip()
    with open(torrent, "rb") as f:
        info_bytes = info_dict_size(f.read())
    size = os.path.getsize(media)
    duration = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", media],
        check=True, capture_output=True, text=True).stdout.strip())
    return {"path": media, "torrent": torrent, "info_hash": info_hash, "size": size,
            "duration": duration, "bitrate": size / duration, "info_bytes": info_bytes,
            "moov": top_level_box(media, b"moov")}


def info_dict_size(data):
    """Length of the bencoded info dict (what ut_metadata transfers)."""
    def skip(i):
        c = data[i:i + 1]
        if c == b"i":
            return data.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while data[i:i + 1] != b"e":
                i = skip(i)
            return i + 1
        colon = data.index(b":", i)
        return colon + 1 + int(data[i:colon])
    i = 1
    while data[i:i + 1] != b"e":
        key_end = skip(i)
        key = data[data.index(b":", i) + 1:key_end]
        value_end = skip(key_end)
        if key == b"info":
            return value_end - key_end
        i = value_end
    raise ValueError("no info dict")


def top_level_box(path, kind):
    """(offset, size) of the first top-level MP4 box of `kind`."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        off = 0
        while off < size:
            f.seek(off)
            head = f.read(16)
            n, t = int.from_bytes(head[:4], "big"), head[4:8]
            if n == 1:
                n = int.from_bytes(head[8:16], "big")
            elif n == 0:
                n = size - off
            if t == kind:
                return off, n
            off += n
    raise ValueError(f"no {kind!r} box in {path}")


# --- the physical limit ---------------------------------------------------------------------------

def span_bytes(size, start, end):
    """Bytes of the whole pieces covering [start, end): what must arrive before they are served."""
    first, last = start // PIECE, (min(end, size) - 1) // PIECE
    return sum(min(PIECE, size - p * PIECE) for p in range(first, last + 1))


def limits(prof, media):
    """Lower bounds from the profile alone: RTTs + bytes / rate (rate: all seeders together).

    metadata   5 RTT: tracker TCP handshake, announce; peer TCP handshake; BitTorrent + extension
               handshake; ut_metadata request -> info dict (+ its bytes / rate)
    first byte 6 RTT (the 5 above + the first block request; interested goes out with the
               handshake) + piece 0 / rate: a byte is served only from a verified piece
    first 4 MiB  6 RTT + pieces 0-3 / rate
    playable   6 RTT + (piece 0 + the pieces holding the moov at the tail) / rate: the receiver
               probes the file (head, then moov) before it plays, and reads 64 KiB from 0
    seek       1 RTT (request -> first block) + the pieces the range needs / rate: first byte its
               first piece, 1 MiB the pieces under [offset, offset + 1 MiB), SEEK -> PLAYING the
               pieces under the receiver's first 64 KiB
    stall      0; throughput 100 % of the measured goodput
    """
    rate = sum(prof["rates"]) * 1e6 / 8
    rtt = prof["rtt_ms"] / 1000
    size = media["size"]
    seek = int(size * SEEK_AT)
    moov_off, _ = media["moov"]
    return {
        "metadata": 5 * rtt + media["info_bytes"] / rate,
        "first_byte": 6 * rtt + span_bytes(size, 0, 1) / rate,
        "first_4mib": 6 * rtt + span_bytes(size, 0, 4 * MiB) / rate,
        "playable": 6 * rtt + (span_bytes(size, 0, CHUNK) + span_bytes(size, moov_off, size)) / rate,
        "seek_first_byte": rtt + span_bytes(size, seek, seek + 1) / rate,
        "seek_1mib": rtt + span_bytes(size, seek, seek + MiB) / rate,
        "seek_playing": rtt + span_bytes(size, seek, seek + CHUNK) / rate,
        "stall_max": 0.0,
        "throughput": 100.0,
    }


# --- measuring ------------------------------------------------------------------------------------

class PieceWatch:
    """Which pieces of the client's output file are fully written, sampled every 20 ms with
    SEEK_DATA/SEEK_HOLE (both clients write sparse files): when each piece first appeared (a
    piece is written, then verified, then served: its time here is at most one period late)."""

    period = 0.02

    def __init__(self, client, media, t0):
        self.client, self.media, self.t0 = client, media, t0
        self.count = math.ceil(media["size"] / PIECE)
        self.seen = {}
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self._sample()
        except Exception as e:  # a diagnostic only: say so rather than stop the run
            self.error = f"{type(e).__name__}: {e}"

    error = None

    def _sample(self):
        fd = None
        while not self.stop_flag.wait(self.period):
            if fd is None:
                path = self.client.file_path(MEDIA_NAME)
                if not path:
                    continue
                fd = os.open(path, os.O_RDONLY)
            now = time.monotonic() - self.t0
            pos, size = 0, self.media["size"]
            while pos < size:
                try:
                    data = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:
                    break
                hole = min(os.lseek(fd, data, os.SEEK_HOLE), size)
                for p in range(-(-data // PIECE), self.count):
                    end = min((p + 1) * PIECE, size)
                    if end > hole:
                        break
                    self.seen.setdefault(p, now)
                pos = hole
            if len(self.seen) == self.count:
                break
        if fd is not None:
            os.close(fd)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(2)

    def at(self, p):
        return self.seen.get(p)

    def summary(self, t_rel):
        """Pieces present at time t_rel (from t0)."""
        return sorted(p for p, t in self.seen.items() if t <= t_rel)


def verify(src_fd, offset, data, what):
    if os.pread(src_fd, len(data), offset) != data:
        raise AssertionError(f"{what}: bytes at {offset} differ from the source file")


def measure_stream(client, magnet, media, prof, src_fd, phase=0.0):
    """The HTTP path, the same for both clients: hand-over -> metadata -> GET from 0 (first byte,
    first 4 MiB as fast as it comes, then `window` seconds read at the video's bitrate) -> GET at
    70 % (first byte, 1 MiB) -> throughput -> peak RSS and CPU."""
    r, notes = {}, {}
    size = media["size"]
    t0 = time.monotonic()
    watch = PieceWatch(client, media, t0)
    try:
        t_meta, t_ready, url = client.add(magnet)
        r["metadata"] = t_meta - t0
        notes["streamable"] = t_ready - t0

        # One sequential reader from byte 0, in 64 KiB chunks: the first 4 MiB as fast as they
        # come, then paced at the video's bitrate for `window` seconds. Playback is taken to start
        # at the first byte, so chunk k is due at first_byte + k * 64 KiB / bitrate; a stall is a
        # wait for a chunk already due: arrival - max(due, previous arrival).
        s = Stream(url, 0)
        stalls, got, k, prev = [], 0, 0, None
        t4 = None
        down_a = ta = None
        while got < size:
            now = time.monotonic()
            if t4 is None and now - t0 > 180:
                raise TimeoutError(f"{client.name}: first 4 MiB not in 180 s ({got} bytes)")
            if t4 is not None:
                if now - t4 >= prof["window"]:
                    break
                due = s.first_at + k * CHUNK / media["bitrate"]
                if due > now:
                    time.sleep(due - now)
            n = min(CHUNK, size - got)
            b = s.read_exact(n)
            arrived = time.monotonic()
            verify(src_fd, got, b, "sequential read")
            if k > 0:
                due = s.first_at + k * CHUNK / media["bitrate"]
                stalls.append(max(0.0, arrived - max(due, prev)))
            got, k, prev = got + n, k + 1, arrived
            if t4 is None and got >= 4 * MiB:
                t4 = arrived
                r["first_byte"] = s.first_at - t0
                r["first_4mib"] = t4 - t0
                notes["pieces_at_4mib"] = compact(watch.summary(t4 - t0))
                down_a, _, _ = client.progress()
                ta = time.monotonic()
        s.close()
        down_b, _, _ = client.progress()
        tb = time.monotonic()
        r["stall_max"] = max(stalls) if stalls else 0.0
        notes["stalled_total"] = sum(stalls)
        notes["read_at_bitrate"] = got

        seek = int(size * SEEK_AT)
        # The full download goes on behind the reader, and librqbit finishes the piece a peer is
        # on before it takes the seek's: the seek waits for the rest of that piece, which depends
        # on when in the piece it lands. That moment is the same from run to run, so runs move
        # it by `phase` of a piece's time at the link rate: medians over phases 0, 1/3, 2/3 are a
        # seek landing anywhere, not one lucky or unlucky point.
        time.sleep(phase * PIECE / prof_rate(prof))
        notes["seek_phase"] = phase
        s2 = Stream(url, seek)
        b = s2.read_exact(MiB)
        t_1m = time.monotonic()
        verify(src_fd, seek, b, "seek 1 MiB")
        r["seek_first_byte"] = s2.first_at - s2.sent
        r["seek_1mib"] = t_1m - s2.sent
        # Wall clock, to find the seek in a --pcap capture.
        notes["seek_sent_epoch"] = time.time() - (time.monotonic() - s2.sent)
        s2.close()
        t_seek = s2.sent - t0

        if prof["full"]:
            deadline = time.monotonic() + size / (prof_rate(prof) * 0.3) + 60
            while True:
                done, total, finished = client.progress()
                if finished:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{client.name}: not finished ({done}/{total})")
                time.sleep(0.1)
            t_done = time.monotonic()
            r["throughput_bps"] = size / (t_done - t_meta)
            notes["download_s"] = t_done - t_meta
        else:
            r["throughput_bps"] = (down_b - down_a) / (tb - ta)
        rss, cpu = client.usage()
        r["rss"] = rss / MiB
        r["cpu"] = cpu
        notes["seek_piece_written"] = rel(watch.at(seek // PIECE), t_seek)
        notes["stream_moov_written"] = watch.at(media["moov"][0] // PIECE)
        notes["first_pieces_order"] = [p for p, _ in sorted(watch.seen.items(), key=lambda x: x[1])][:12]
        if watch.error:
            notes["piece_watch_error"] = watch.error
    finally:
        watch.stop()
    return r, notes


def measure_cast(mc, receiver, magnet, media, src_fd):
    """magnetcast only: one add with the device (the one-click hand-over) -> the receiver plays
    (it probes the file with ffprobe first, as a TV reads the container) -> SEEK to 70 % of the
    duration through the control API -> the receiver plays from there."""
    r, notes = {}, {}
    rx = receiver.timeline
    t0 = time.monotonic()
    watch = PieceWatch(mc, media, t0)
    try:
        t_meta, t_ready, _ = mc.add(magnet, device=receiver.addr)
        notes["cast_metadata"] = t_meta - t0
        t_load, _, _ = rx.wait(lambda m: m.get("event") == "message" and m.get("type") == "LOAD",
                               60, "LOAD at the receiver")
        t_buf, _, i_buf = rx.wait(lambda m: m.get("event") == "state" and m.get("playerState") == "BUFFERING",
                                  60, "BUFFERING (after the receiver's ffprobe)")
        t_play, _, _ = rx.wait(lambda m: m.get("event") == "state" and m.get("playerState") == "PLAYING",
                               60, "PLAYING", i_buf)
        r["playable"] = t_play - t0
        notes["load_at"] = t_load - t0
        notes["probed_at"] = t_buf - t0

        target = media["duration"] * SEEK_AT
        start = len(rx)
        ts = time.monotonic()
        mc.ws.request({"cmd": "seek", "seconds": target}, timeout=10)
        _, fetch, i_fetch = rx.wait(
            lambda m: m.get("event") == "fetch" and m.get("offset", 0) > 0, 30, "the seek's fetch", start)
        # The first `fetched` report of that fetch is its first 64 KiB, which is when the
        # receiver switches to PLAYING (an old fetch can flip the state first: use the report).
        t_got, _, _ = rx.wait(lambda m: m.get("event") == "fetched" and m.get("index") == fetch["index"],
                              60, "the seek's first 64 KiB", i_fetch)
        r["seek_playing"] = t_got - ts
        notes["seek_offset"] = fetch["offset"]
        mc.ws.request({"cmd": "stop"}, timeout=10)
        rss, cpu = mc.usage()
        notes["cast_rss"] = rss / MiB
        notes["cast_cpu"] = cpu
        # The receiver recorded what it played: check the start and the seek's first bytes.
        for name, offset in ((f"fetch-0.bin", 0), (f"fetch-{fetch['index']}.bin", fetch["offset"])):
            with open(os.path.join(receiver.record, name), "rb") as f:
                verify(src_fd, offset, f.read(CHUNK), f"receiver {name}")
        notes["moov_written"] = watch.at(media["moov"][0] // PIECE)
        notes["cast_pieces_at_playing"] = compact(watch.summary(t_play - t0 + watch.period))
    finally:
        watch.stop()
    return r, notes


def prof_rate(prof):
    return sum(prof["rates"]) * 1e6 / 8


def rel(t, base):
    return None if t is None else t - base


def compact(pieces):
    """[0,1,2,5,6,188] -> '0-2,5-6,188'."""
    out, run = [], []
    for p in pieces:
        if run and p == run[-1] + 1:
            run.append(p)
        else:
            if run:
                out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = [p]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def shaping(lab, prof):
    """RTT (ICMP echo) to each seeder and the tracker while idle, goodput of bulk TCP from all
    seeders at once, and the RTT to seeder 1 while that transfer runs (tbf's queue and the delay
    line's own lateness under load)."""
    rtts = {}
    for i, _ in enumerate(lab.seeders):
        rt = ping(labmod.seeder_ip(i), count=8, interval=0.02)
        rtts[f"seeder{i + 1}"] = statistics.median(rt[1:] or rt) * 1000 if rt else None
    rt = ping(labmod.TRACKER_IP, count=4, interval=0.02)
    rtts["tracker"] = statistics.median(rt[1:] or rt) * 1000 if rt else None
    warmup = 1.5 if prof["rtt_ms"] >= 100 else 1.0
    out = {}
    bulk = threading.Thread(target=lambda: out.update(zip(("total", "per"), goodput(
        [(labmod.seeder_ip(i), labmod.PROBE_PORT) for i in range(len(lab.seeders))],
        prof["probe"], warmup))))
    bulk.start()
    time.sleep(warmup)  # pace: ping once the transfer runs at full rate
    loaded = ping(labmod.seeder_ip(0), count=5, interval=0.1)
    bulk.join(prof["probe"] + 30)
    return {"rtt_ms": rtts, "rtt_loaded_ms": statistics.median(loaded) * 1000 if loaded else None,
            "goodput_bps": out["total"], "goodput_per_seeder_bps": out["per"]}


def machine_load():
    """The 1-min load average and how many cargo/rustc processes run: other work on the machine
    shows in wall-clock timings."""
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    builds = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    builds += f.read().strip() in ("cargo", "rustc", "clippy-driver")
            except OSError:
                pass
    return {"loadavg": load, "builds": builds}


# --- one profile ----------------------------------------------------------------------------------

def run_step(step, args, procs, home, magnet, media, prof, src_fd, phase):
    """One client, fresh: `magnetcast` or `rqbit` (the HTTP path), or `cast` (magnetcast casting
    to the test receiver)."""
    if step == "cast":
        mc = Magnetcast(procs, args.magnetcast, home)
        receiver = None
        try:
            mc.start()
            record = os.path.join(home, "receiver")
            os.makedirs(record)
            receiver = Receiver(procs, REPO, record)
            return measure_cast(mc, receiver, magnet, media, src_fd)
        finally:
            mc.stop()
            if receiver:
                receiver.stop()
    client = (Magnetcast(procs, args.magnetcast, home) if step == "magnetcast"
              else Rqbit(procs, args.rqbit, home))
    try:
        client.start()
        return measure_stream(client, magnet, media, prof, src_fd, phase)
    finally:
        client.stop()


def start_pcap(procs, home):
    """tcpdump of the client's link (headers only) into the step's folder, for reading where a
    run's time goes (e.g. `tshark -r client.pcap`); started from the client namespace."""
    os.makedirs(home, exist_ok=True)
    path = os.path.join(home, "client.pcap")
    p = procs.spawn(["tcpdump", "-i", "wan0", "-s", "128", "-U", "-w", path, "-n"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # tcpdump says "listening on" once its capture is open: a step starting earlier would be
    # missing its first packets.
    deadline = time.monotonic() + 10
    line = b""
    while b"listening on" not in line:
        if time.monotonic() > deadline or p.poll() is not None:
            raise RuntimeError("tcpdump did not start (is it installed?)")
        line += p.stderr.read1(256) if select.select([p.stderr], [], [], 0.5)[0] else b""
    return p


def run_profile(name, prof, args, media, procs, work):
    lab = labmod.Lab(procs, prof["rtt_ms"], prof["rates"], HERE)
    entered = False
    runs = []
    try:
        lab.up()
        swarm = labmod.Swarm(procs, lab, media["torrent"], media["path"], media["info_hash"], REPO,
                             os.path.join(work, "tracker"))
        swarm.up()
        magnet = swarm.magnet()
        labmod.enter_netns(lab.client)
        entered = True
        src_fd = os.open(media["path"], os.O_RDONLY)
        for i in range(args.runs):
            load = machine_load()
            shape = shaping(lab, prof)
            print(f"\n[{name} run {i + 1}/{args.runs}] shaping: RTT "
                  + ", ".join(f"{k} {v:.1f} ms" for k, v in shape["rtt_ms"].items() if v)
                  + f"; under load {shape['rtt_loaded_ms'] or float('nan'):.1f} ms"
                  + f"; goodput {shape['goodput_bps'] * 8 / 1e6:.2f} Mbit/s"
                  + (" (" + " + ".join(f"{x * 8 / 1e6:.2f}" for x in shape["goodput_per_seeder_bps"]) + ")"
                     if len(prof["rates"]) > 1 else "")
                  + f"; load {load['loadavg']:.2f}"
                  + (f", {load['builds']} cargo/rustc running" if load["builds"] else ""), flush=True)
            steps = ["magnetcast", "cast", "rqbit"]
            if i % 2:
                steps = ["rqbit", "magnetcast", "cast"]
            steps = [s for s in steps if s in args.steps]
            run = {"shaping": shape, "magnetcast": {}, "rqbit": {}, "errors": [],
                   "notes": {"magnetcast": {}, "rqbit": {}}, "machine": load}
            for step in steps:
                home = os.path.join(work, f"run{i + 1}-{step}")
                shutil.rmtree(home, ignore_errors=True)
                t_step = time.monotonic()
                pcap = start_pcap(procs, home) if args.pcap else None
                try:
                    res, notes = run_step(step, args, procs, home, magnet, media, prof, src_fd,
                                          phase=(i % 3) / 3)
                except Exception as e:  # one failed step is reported; the others still run
                    res, notes = {}, {}
                    error = f"{step}: {type(e).__name__}: {e}"
                    run["errors"].append(error)
                    print(f"  FAILED {error}", flush=True)
                if pcap:
                    procs.stop(pcap)
                if "throughput_bps" in res:
                    res["throughput"] = 100.0 * res.pop("throughput_bps") / shape["goodput_bps"]
                who = "rqbit" if step == "rqbit" else "magnetcast"
                run[who].update(res)
                run["notes"][who].update(notes)
                if not args.keep:
                    shutil.rmtree(home, ignore_errors=True)
                print(f"  {step}: done in {time.monotonic() - t_step:.1f} s", flush=True)
            runs.append(run)
            print_run(name, i + 1, run, limits(prof, media), prof)
        os.close(src_fd)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            if entered:
                labmod.enter_netns(None)
            procs.stop_all()
            lab.down()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
    return runs


# --- reporting ------------------------------------------------------------------------------------

def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "MiB":
        return f"{v:.1f}"
    return f"{v:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def judge(profile, key, mc, rq, lim):
    for metric, kind, value in TARGETS.get(profile, []):
        if metric != key:
            continue
        if mc is None:
            return "MISS (no value)", f"-"
        if kind == "limit":
            ok = lim is not None and mc <= value * lim and (rq is None or mc < rq)
            return ("PASS" if ok else "MISS"), f"<={value}x limit, < rqbit"
        if kind == "max":
            return ("PASS" if mc <= value else "MISS"), f"<= {value:g}"
        if kind == "min":
            return ("PASS" if mc >= value else "MISS"), f">= {value:g}"
    return "", ""


def table(profile, values, lims):
    """Rows: metric, limit, magnetcast, rqbit, mc/limit, mc/rqbit, target, result."""
    head = ["metric", "unit", "limit", "magnetcast", "rqbit", "mc/limit", "mc/rqbit", "target", ""]
    rows = [head]
    for key, label, unit in METRICS:
        mc, rq, lim = values["magnetcast"].get(key), values["rqbit"].get(key), lims.get(key)
        r_lim = ratio(mc, lim) if key not in ("stall_max", "rss", "cpu") else None
        if key == "throughput":
            r_lim = ratio(mc, lim)
        r_rq = ratio(mc, rq)
        verdict, target = judge(profile, key, mc, rq, lim)
        rows.append([label, unit, fmt(lim, unit), fmt(mc, unit),
                     "n/a" if key in CAST_ONLY else fmt(rq, unit),
                     f"{r_lim:.2f}x" if r_lim is not None else "-",
                     f"{r_rq:.2f}x" if r_rq is not None else "-", target, verdict])
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  " + "  ".join(c.ljust(w) if i in (0, 1, 7) else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_run(profile, n, run, lims, prof):
    print(f"[{profile} run {n}] (RTT {prof['rtt_ms']} ms, rates {'+'.join(map(str, prof['rates']))} Mbit/s)")
    print(table(profile, run, lims))
    mc, rq = run["notes"]["magnetcast"], run["notes"]["rqbit"]
    for error in run["errors"]:
        print(f"  FAILED {error}")
    for who in ("magnetcast", "rqbit"):
        if run["notes"][who].get("piece_watch_error"):
            print(f"  ({who}: piece watch failed: {run['notes'][who]['piece_watch_error']})")
    if "streamable" in mc:
        print(f"  magnetcast: streamable at {mc['streamable']:.3f} s (metadata event "
              f"{run['magnetcast']['metadata']:.3f} s)")
    if "load_at" in mc:
        print(f"  cast: LOAD at the receiver {opt(mc['load_at'])}, BUFFERING (after its ffprobe of "
              f"head and moov) {opt(mc.get('probed_at'))}, moov piece written "
              f"{opt(mc.get('moov_written'))}, pieces written at PLAYING: "
              f"{mc.get('cast_pieces_at_playing')}")
    for who, nt in (("magnetcast", mc), ("rqbit", rq)):
        if "first_pieces_order" not in nt:
            continue
        print(f"  {who}: pieces written at 4 MiB: {nt.get('pieces_at_4mib')}; first pieces in order "
              f"{nt['first_pieces_order']}; seek piece written "
              f"{opt(nt.get('seek_piece_written'))} after the seek request; "
              f"stalled {nt.get('stalled_total', 0):.2f} s in all"
              + (f"; full download {nt['download_s']:.1f} s" if "download_s" in nt else ""))
    sys.stdout.flush()


def opt(v):
    return "-" if v is None else f"{v:.3f} s"


def medians(runs):
    out = {"magnetcast": {}, "rqbit": {}}
    for who in out:
        for key, _, _ in METRICS:
            vals = [r[who][key] for r in runs if r[who].get(key) is not None]
            if vals:
                out[who][key] = statistics.median(vals)
    return out


def report(profile, prof, runs, media, path):
    lims = limits(prof, media)
    med = medians(runs)
    shaping_med = {
        "rtt_ms": statistics.median(
            [v for r in runs for v in r["shaping"]["rtt_ms"].values() if v is not None]),
        "goodput_mbit": statistics.median(r["shaping"]["goodput_bps"] for r in runs) * 8 / 1e6,
    }
    print(f"\n=== {profile}: medians of {len(runs)} runs (RTT {prof['rtt_ms']} ms, "
          f"{'+'.join(map(str, prof['rates']))} Mbit/s; measured RTT {shaping_med['rtt_ms']:.1f} ms, "
          f"goodput {shaping_med['goodput_mbit']:.2f} Mbit/s) ===")
    print(table(profile, med, lims))
    # Medians hide a bimodal metric (a piece that lands on the slow seeder or not): show the runs.
    for key, label, unit in METRICS:
        per = {who: [r[who][key] for r in runs if r[who].get(key) is not None] for who in med}
        wide = [v for v in per.values() if len(v) > 1 and min(v) > 0 and max(v) / min(v) > 1.5]
        if wide and unit == "s":
            print(f"  spread, {label}: " + "; ".join(
                f"{who} " + " ".join(f"{v:.2f}" for v in vals) for who, vals in per.items() if vals))
    verdicts = {}
    for key, _, _ in METRICS:
        v, _ = judge(profile, key, med["magnetcast"].get(key), med["rqbit"].get(key), lims.get(key))
        if v:
            verdicts[key] = v
    with open(path, "w") as f:
        json.dump({"profile": profile, "settings": prof, "media": {k: v for k, v in media.items()},
                   "limits": lims, "medians": med, "shaping_medians": shaping_med,
                   "targets": verdicts, "runs": runs}, f, indent=2)
    print(f"  (written to {os.path.relpath(path, REPO)})", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="all", choices=[*PROFILES, "all"])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--magnetcast", required=True, help="the magnetcast binary (release build)")
    p.add_argument("--rqbit", required=True, help="the rqbit 9.1.0 binary")
    p.add_argument("--keep", action="store_true", help="keep each run's folders (logs, downloads)")
    p.add_argument("--pcap", action="store_true",
                   help="capture the client's packets (headers) per step; with --keep to read them")
    p.add_argument("--steps", default="magnetcast,cast,rqbit",
                   help="which of magnetcast (stream), cast (magnetcast to the receiver), rqbit to run")
    args = p.parse_args()
    args.steps = args.steps.split(",")
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, tc)")
    if args.runs < 1:
        sys.exit("bench: --runs must be at least 1")
    for b in (args.magnetcast, args.rqbit):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench: {b} is not an executable")
    args.magnetcast, args.rqbit = os.path.abspath(args.magnetcast), os.path.abspath(args.rqbit)
    sys.setswitchinterval(0.001)  # timestamps of reader threads stay within a millisecond
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    cache = os.path.join(HERE, ".cache")
    labmod.remove_stale()
    media = prepare_media(cache)
    print(f"bench: {os.path.relpath(media['path'], REPO)}: {media['size']} bytes, "
          f"{media['duration']:.1f} s, {media['bitrate'] * 8 / 1e6:.2f} Mbit/s, moov at "
          f"{media['moov'][0]} ({media['moov'][1]} bytes), info dict {media['info_bytes']} bytes, "
          f"{math.ceil(media['size'] / PIECE)} pieces of 1 MiB; magnet hash {media['info_hash']}",
          flush=True)
    procs = labmod.Procs()
    profiles = list(PROFILES) if args.profile == "all" else [args.profile]
    started = time.monotonic()
    try:
        for name in profiles:
            work = os.path.join(cache, "work", name)
            shutil.rmtree(work, ignore_errors=True)
            os.makedirs(work)
            runs = run_profile(name, PROFILES[name], args, media, procs, work)
            report(name, PROFILES[name], runs, media, os.path.join(cache, f"results-{name}.json"))
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"\nbench: interrupted ({str(e) or 'Ctrl-C'}); cleaned up", file=sys.stderr)
        sys.exit(130)
    finally:
        procs.stop_all()
    print(f"\nbench: done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
