//! Seeding limits: a ratio, a time, and "never seed", each stopping a real torrent with a reason.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{Rig, Seeded, seeded, wait_for};
use magnetcast::TorrentSource;
use magnetcast::engine::{AddOptions, Progress};

const T: Duration = Duration::from_secs(60);

async fn finished(rig: &Rig, hash: &magnetcast::InfoHash) -> Progress {
    wait_for("seeding to stop", T, || {
        let p = rig.engine.progress(hash).unwrap();
        async move { (p.state == "finished").then_some(p) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ratio_limit_stops_seeding_once_enough_was_uploaded() {
    let Seeded {
        work: _work, seed, ..
    } = seeded(12, 1500, None).await;

    // A downloads from the seeder and must stop at ratio 0.5; B downloads from A alone.
    let a = Rig::with_config(|c| c.seed_ratio = Some(0.5)).await;
    let ta = a.add_magnet(&seed.magnet()).await;
    let seeding = wait_for("A to finish downloading and seed", T, || {
        let p = a.engine.progress(&ta.info_hash).unwrap();
        async move { (p.state == "seeding").then_some(p) }
    })
    .await;
    assert!(seeding.finished && seeding.reason.is_none(), "{seeding:?}");
    let a_addr = a.engine.session.listen_addr().unwrap();
    let b = Rig::new().await;
    b.engine
        .add(
            TorrentSource::Bytes(seed.torrent_bytes.clone()),
            AddOptions {
                peers: vec![a_addr],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let p = finished(&a, &ta.info_hash).await;
    assert!(p.ratio >= 0.5, "{p:?}");
    assert!(
        p.reason
            .as_deref()
            .unwrap()
            .contains("reached the limit 0.5"),
        "{p:?}"
    );

    // The totals and the decision survive a restart.
    a.engine.shutdown().await;
    let again = magnetcast::TorrentEngine::new(
        harness::offline_config(a.home.path()),
        &magnetcast::Paths::under(a.home.path()),
    )
    .await
    .unwrap();
    let p2 = wait_for("the restored torrent to be finished again", T, || {
        let p = again.progress(&ta.info_hash).unwrap();
        async move { (p.state == "finished").then_some(p) }
    })
    .await;
    assert_eq!(
        (p2.uploaded, p2.state.as_str()),
        (p.uploaded, "finished"),
        "{p2:?}"
    );
    assert!(
        p2.active_secs >= p.active_secs && p2.seeding_secs >= p.seeding_secs,
        "time totals lost: {p:?} then {p2:?}"
    );
    again.shutdown().await;
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_time_limit_and_seeding_off_stop_seeding_with_a_reason() {
    let Seeded {
        work: _work, seed, ..
    } = seeded(12, 1500, None).await;

    let timed = Rig::with_config(|c| c.seed_time_secs = Some(2)).await;
    let t = timed.add_magnet(&seed.magnet()).await;
    let p = finished(&timed, &t.info_hash).await;
    assert!(
        p.reason.as_deref().unwrap().contains("the limit is 2 s"),
        "{p:?}"
    );
    assert!(p.finished);
    assert!(
        p.seeding_secs >= 2 && p.active_secs >= p.seeding_secs,
        "{p:?}"
    );

    let off = Rig::with_config(|c| c.seed_ratio = Some(0.0)).await;
    let t = off.add_magnet(&seed.magnet()).await;
    let p = finished(&off, &t.info_hash).await;
    assert!(
        p.reason.as_deref().unwrap().contains("seeding is off"),
        "{p:?}"
    );

    // A per-torrent override lifts the limit: it seeds again.
    off.engine
        .set_seed_limits(
            &t.info_hash,
            Some(magnetcast::engine::seeding::SeedLimits::default()),
        )
        .await
        .unwrap();
    let p = wait_for("seeding again", T, || {
        let p = off.engine.progress(&t.info_hash).unwrap();
        async move { (p.state == "seeding").then_some(p) }
    })
    .await;
    assert_eq!(p.reason, None);
    seed.stop().await;
}
