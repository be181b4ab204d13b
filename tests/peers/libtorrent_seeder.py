#!/usr/bin/env python3
"""A seeder that is not librqbit: libtorrent-rasterbar (Debian's python3-libtorrent).

Usage: libtorrent_seeder.py FILE TORRENT_OUT LISTEN_IP TRACKER_URL

Makes a .torrent of FILE announcing to TRACKER_URL, seeds it from LISTEN_IP with DHT, LSD,
UPnP and NAT-PMP off, prints one line `ready <port> <infohash>` on stdout, and seeds until
stdin closes (the test holds the pipe) or it is killed.
"""
import os
import sys
import time

import libtorrent as lt


def main():
    path, torrent_out, listen_ip, tracker = sys.argv[1:5]
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, 64 * 1024)
    t.add_tracker(tracker)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    data = lt.bencode(t.generate())
    with open(torrent_out, "wb") as f:
        f.write(data)

    ses = lt.session({
        "listen_interfaces": f"{listen_ip}:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "announce_to_all_trackers": True,
        "allow_multiple_connections_per_ip": True,
        # The client is on the same host or a neighbour namespace: do not treat it as local
        # and do not rate-limit differently.
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    })
    info = lt.torrent_info(data)
    h = ses.add_torrent({
        "ti": info,
        "save_path": os.path.dirname(os.path.abspath(path)),
        "flags": lt.torrent_flags.seed_mode,
    })
    deadline = time.time() + 30
    while not ses.listen_port() and time.time() < deadline:
        time.sleep(0.05)
    h.force_reannounce()
    print(f"ready {ses.listen_port()} {info.info_hash()}", flush=True)
    # Block until the test closes our stdin.
    sys.stdin.read()


if __name__ == "__main__":
    main()
