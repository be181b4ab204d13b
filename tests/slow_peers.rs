//! A peer too slow for the piece a stream waits on is dropped, so a faster peer fetches it.
//!
//! Two real seeders on loopback: one at 300 kB/s, one at 20 kB/s (a 64 KiB piece takes it more
//! than three seconds; librqbit's limiter needs room for a 16 KiB block, so not less). Each takes
//! pieces from the head of the file when the stream starts, so the stream soon waits on one the
//! slow seeder holds. librqbit alone would let it finish that piece, or take it back only after
//! ten times the fast seeder's piece time: the fast one is slow enough for that to be seconds
//! even right after its limiter's first burst (a second's worth), so without the drop the list
//! of dropped peers stays empty.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{Rig, get, seed_copy, seeder, video};
use magnetcast::TorrentSource;
use magnetcast::engine::AddOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_slow_seeder_holding_the_streams_next_piece_is_dropped() {
    let src = video(20, 2000);
    let original = std::fs::read(&src).unwrap();
    let work = tempfile::tempdir().unwrap();
    let fast = seeder(&seed_copy(&src, &work.path().join("fast")), Some(300_000)).await;
    let slow = seeder(&seed_copy(&src, &work.path().join("slow")), Some(20_000)).await;

    let rig = Rig::new().await;
    let torrent = rig
        .engine
        .add(
            TorrentSource::Bytes(fast.torrent_bytes.clone()),
            AddOptions {
                peers: vec![slow.addr, fast.addr],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, _, body) = get(&rig.url(&torrent), None).await;
    assert_eq!(status, 200);
    assert!(
        body == original,
        "the stream served bytes that are not the source's"
    );

    let dropped = rig.engine.dropped_slow_peers(&torrent.info_hash).unwrap();
    assert!(
        dropped.contains(&slow.addr),
        "the slow seeder {} was not dropped (dropped: {dropped:?})",
        slow.addr
    );
    assert!(
        !dropped.contains(&fast.addr),
        "the fast seeder was dropped: {dropped:?}"
    );
    rig.finished(&torrent, Duration::from_secs(60)).await;
    fast.stop().await;
    slow.stop().await;
}
