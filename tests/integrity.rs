//! A peer that serves corrupted pieces never gets them to the player: pieces that fail their hash
//! are dropped and fetched again, from the honest seeder if need be.

#[path = "harness/mod.rs"]
mod harness;

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use harness::{Rig, get, seed_copy, seeder, video};
use magnetcast::TorrentSource;
use magnetcast::engine::AddOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn corrupted_pieces_from_a_lying_peer_never_reach_the_stream() {
    let src = video(20, 2000);
    let original = std::fs::read(&src).unwrap();
    let len = original.len() as u64;
    let work = tempfile::tempdir().unwrap();
    // The honest seeder is slow, so the liar surely gets asked for pieces.
    let honest = seeder(
        &seed_copy(&src, &work.path().join("honest")),
        Some(1_500_000),
    )
    .await;
    let liar_file = seed_copy(&src, &work.path().join("liar"));
    let liar = seeder(&liar_file, None).await;
    // After hashing, the liar's disk changes under it: every 64 KiB piece it serves is garbage
    // while it claims to have them all.
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&liar_file)
            .unwrap();
        let mut offset = 0;
        while offset < len {
            f.seek(SeekFrom::Start(offset)).unwrap();
            f.write_all(&vec![0xA5; 4096]).unwrap();
            offset += 64 * 1024;
        }
        f.sync_all().unwrap();
    }

    let rig = Rig::new().await;
    let torrent = rig
        .engine
        .add(
            TorrentSource::Bytes(honest.torrent_bytes.clone()),
            AddOptions {
                peers: vec![liar.addr, honest.addr],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let url = rig.url(&torrent);
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    let first_bad = body.iter().zip(&original).position(|(a, b)| a != b);
    assert!(
        body == original,
        "the stream served bytes that are not the source's: {} of {} bytes, first difference at {first_bad:?}",
        body.len(),
        original.len()
    );
    rig.finished(&torrent, Duration::from_secs(60)).await;
    // The liar did send data (every byte of it bad), and none of it got through.
    assert!(
        liar.handle.stats().uploaded_bytes > 0,
        "the liar was never asked: the test proves nothing"
    );
    assert!(
        std::fs::read(rig.file_of(&torrent)).unwrap() == original,
        "the file on disk differs from the source"
    );
    honest.stop().await;
    liar.stop().await;
}
