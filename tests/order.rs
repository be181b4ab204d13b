//! Piece order, not speed: what a player needs next is fetched first. The seeder is throttled so
//! the file arrives over seconds; the test looks at which byte ranges are on disk (compared with
//! the source) at the moment the player's bytes arrive. Nothing here is timed: every wait is for a
//! condition, and the margins are whole megabytes of a slow sequential download.

mod harness;

use std::num::NonZeroU32;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use harness::{Rig, media, seed_copy, wait_for};
use magnetcast::seed::{LocalSeeder, SeedOptions};

/// Whether `range` of the file at `path` holds the source's bytes.
fn on_disk(path: &Path, source: &[u8], range: Range<usize>) -> bool {
    std::fs::read(path).is_ok_and(|d| d.len() >= range.end && d[range.clone()] == source[range])
}

/// The `moov` box of an MP4 (offset, size), from its top-level box headers.
fn moov(data: &[u8]) -> Range<usize> {
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        if &data[at + 4..at + 8] == b"moov" {
            return at..at + size;
        }
        assert!(size >= 8, "unexpected box at {at}");
        at += size;
    }
    panic!("no moov box");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_index_at_the_tail_comes_before_the_middle_and_a_seek_target_before_what_lies_between()
{
    // 60 s with its index at the tail: with 16 KiB pieces the index spans several pieces, more
    // than the one last piece librqbit favours by itself.
    let src = media("order.mp4", 60, "aac");
    let source = std::fs::read(&src).unwrap();
    let index = moov(&source);
    let piece = 16 * 1024;
    assert!(
        index.start > source.len() / 2,
        "the index should be at the tail"
    );
    assert!(
        index.len() > 2 * piece,
        "the index should span pieces: {index:?}"
    );
    let work = tempfile::tempdir().unwrap();
    let seed = LocalSeeder::start(
        &seed_copy(&src, &work.path().join("seed")),
        SeedOptions {
            piece_length: Some(piece as u32),
            upload_limit_bps: NonZeroU32::new(400_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&torrent);
    let file = rig.file_of(&torrent);

    // A player is prepared for the file, as a cast or Play here does before the player's first
    // request; then the player opens the file at its start and reads its first bytes.
    rig.engine
        .prefetch_index(&torrent.info_hash, torrent.selected());
    let client = harness::http();
    let mut head = client.get(&url).send().await.unwrap();
    assert!(head.chunk().await.unwrap().is_some());

    // Tail first: the whole index is there while the middle of the file is not yet.
    let middle = source.len() / 2..source.len() / 2 + piece;
    wait_for("the index at the tail", Duration::from_secs(60), || {
        let ok = on_disk(&file, &source, index.clone());
        async move { ok.then_some(()) }
    })
    .await;
    assert!(
        !on_disk(&file, &source, middle.clone()),
        "the middle of the file arrived before the index: the index was not fetched first"
    );

    // Seek first: the player drops its connection and asks for 80 %; those bytes come before
    // the ones between the sequential download's front and the target.
    drop(head);
    let target = source.len() * 8 / 10;
    let between = source.len() * 7 / 10..source.len() * 7 / 10 + piece;
    let mut seek = client
        .get(&url)
        .header("Range", format!("bytes={target}-"))
        .send()
        .await
        .unwrap();
    let first = seek
        .chunk()
        .await
        .unwrap()
        .expect("bytes at the seek target");
    assert_eq!(first[..], source[target..target + first.len()]);
    assert!(
        !on_disk(&file, &source, between),
        "bytes between the front and the seek target came before the target"
    );
    drop(seek);
    seed.stop().await;
}
