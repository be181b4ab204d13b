#!/usr/bin/env python3
"""Makes the benchmark's .torrent with libtorrent (Debian's python3-libtorrent): v1, 1 MiB pieces.

  maketorrent.py FILE TORRENT_OUT TRACKER_URL
      writes TORRENT_OUT and prints the v1 info hash (hex)

tests/peers/libtorrent_seeder.py makes 64 KiB pieces; the benchmark wants what real video torrents
use (1 MiB), and a v1-only torrent as most magnets in the wild are.
"""
import os
import sys

import libtorrent as lt

PIECE = 1024 * 1024


def main(path, torrent_out, tracker):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    t.add_tracker(tracker)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    data = lt.bencode(t.generate())
    tmp = torrent_out + ".partial"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, torrent_out)
    info = lt.torrent_info(data)
    assert info.piece_length() == PIECE, info.piece_length()
    print(str(info.info_hashes().v1), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
