#!/usr/bin/env python3
"""A seeder that is not librqbit: libtorrent-rasterbar (Debian's python3-libtorrent).

  libtorrent_seeder.py make FILE TORRENT_OUT TRACKER_URL|-
      writes a .torrent of FILE (v1+v2 hybrid, libtorrent's default) and prints its v1 info hash
  libtorrent_seeder.py seed TORRENT FILE LISTEN
      (LISTEN: an IP, listened on at a free port, or libtorrent's `ip:port,ip:port` list)
      seeds FILE with DHT, LSD, UPnP and NAT-PMP off; once listening (and, when the torrent has a
      tracker, once the tracker has accepted an announce) prints `ready <port>`, then prints
      `peer <ip>` for each peer address it sees, until stdin closes (the test holds the pipe)
"""
import os
import sys
import threading
import time

import libtorrent as lt


def make(path, torrent_out, tracker):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, 64 * 1024)
    if tracker != "-":
        t.add_tracker(tracker)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    data = lt.bencode(t.generate())
    with open(torrent_out, "wb") as f:
        f.write(data)
    print(lt.torrent_info(data).info_hashes().v1, flush=True)


def seed(torrent, path, listen_ip):
    ses = lt.session({
        "listen_interfaces": listen_ip if ":" in listen_ip else f"{listen_ip}:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification,
    })
    info = lt.torrent_info(torrent)
    h = ses.add_torrent({
        "ti": info,
        "save_path": os.path.dirname(os.path.abspath(path)),
        "flags": lt.torrent_flags.seed_mode,
    })
    # The tracker may reject an announce that races its start-up; libtorrent would then wait
    # minutes before retrying, so retry here until one is accepted.
    deadline = time.time() + 30
    announced = not list(info.trackers())
    while not ses.listen_port():
        if time.time() > deadline:
            sys.exit("libtorrent never opened its listen port")
        time.sleep(0.05)
    while not announced:
        if time.time() > deadline:
            sys.exit("the tracker never accepted an announce")
        if ses.wait_for_alert(500):
            for a in ses.pop_alerts():
                if isinstance(a, lt.tracker_reply_alert):
                    announced = True
                elif isinstance(a, lt.tracker_error_alert):
                    print(a.message(), file=sys.stderr)
        if not announced:
            h.force_reannounce()
    print(f"ready {ses.listen_port()}", flush=True)
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    # Connections can be shorter than any polling interval: watch the connection alerts.
    ses.apply_settings({"alert_mask": lt.alert.category_t.connect_notification
                        | lt.alert.category_t.peer_notification
                        | lt.alert.category_t.error_notification})
    seen = set()
    while not closed.is_set():
        addresses = [p.ip for p in h.get_peer_info()]
        if ses.wait_for_alert(100):
            for a in ses.pop_alerts():
                endpoint = getattr(a, "endpoint", None) or getattr(a, "ip", None)
                if endpoint:
                    addresses.append(endpoint)
        for endpoint in addresses:
            ip = endpoint[0] if isinstance(endpoint, tuple) else str(endpoint).rsplit(":", 1)[0]
            if ip not in seen:
                seen.add(ip)
                print(f"peer {ip}", flush=True)


if __name__ == "__main__":
    {"make": make, "seed": seed}[sys.argv[1]](*sys.argv[2:])
