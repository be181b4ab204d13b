//! The download queue: with `max_active = 1` a second torrent waits, `queued`, until someone
//! streams it; then it downloads first and the other one waits; when it is complete the other
//! one resumes and completes too.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{Rig, get, seeded, wait_for};

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_holds_new_torrents_and_a_streamed_one_goes_first() {
    // A: 20 s video from a slow seeder (stays mid-download for a while); B: a short one.
    let a = seeded(20, 2000, Some(400_000)).await;
    let b = seeded(6, 1000, None).await;
    let rig = Rig::with_config(|c| c.max_active = Some(1)).await;
    let engine = &rig.engine;
    let state = |t: &magnetcast::engine::Torrent| engine.progress(&t.info_hash).unwrap();

    let ta = rig.add_magnet(&a.seed.magnet()).await;
    wait_for("A downloading", T, || async {
        let p = state(&ta);
        (p.state == "downloading" && p.downloaded > 0).then_some(())
    })
    .await;

    let tb = rig.add_magnet(&b.seed.magnet()).await;
    let p = state(&tb);
    assert_eq!(p.state, "queued", "the only slot is taken: {p:?}");
    assert!(tb.is_queued() && tb.handle.is_paused());
    assert_eq!(p.downloaded, 0);

    // Streaming B gives it the slot at once, ahead of the older A.
    let (status, _, body) = tokio::time::timeout(T, get(&rig.url(&tb), None))
        .await
        .expect("B streams within 60 s");
    assert_eq!(status, 200);
    assert!(body == b.original, "B's stream differs from its source");
    let held = wait_for("A queued while B streams", T, || async {
        let p = state(&ta);
        (p.state == "queued").then_some(p)
    })
    .await;
    assert!(
        held.downloaded < held.total,
        "A was still downloading: {held:?}"
    );
    assert!(!tb.is_queued());

    // B is complete: A gets its slot back and finishes.
    wait_for("B seeding", T, || async {
        (state(&tb).state == "seeding").then_some(())
    })
    .await;
    rig.finished(&ta, T).await;
    assert!(!ta.is_queued());
    assert!(std::fs::read(rig.file_of(&ta)).unwrap() == a.original);
}
