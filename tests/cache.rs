//! The streaming cache: torrents stream into it; over its limit it evicts the least recently
//! watched torrent, never one being read; a torrent that cannot fit even after eviction is refused
//! before it starts; a kept torrent moves to the download folder, is never evicted, and is still
//! there after a restart.

#[path = "harness/mod.rs"]
mod harness;

use std::sync::Arc;
use std::time::Duration;

use harness::{Rig, Seeded, get, seeded, wait_for};
use magnetcast::engine::{Torrent, TorrentEvent};
use tokio::io::AsyncReadExt;

const T: Duration = Duration::from_secs(60);

fn len(s: &Seeded) -> u64 {
    s.original.len() as u64
}

/// Adds and downloads a torrent completely.
async fn complete(rig: &Rig, s: &Seeded) -> Arc<Torrent> {
    let t = rig.add_magnet(&s.seed.magnet()).await;
    rig.finished(&t, T).await;
    t
}

/// Streams a torrent's whole file over HTTP, as a player watching it would; returns its URL.
async fn watch(rig: &Rig, t: &Torrent, s: &Seeded) -> String {
    let url = rig.url(t);
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert!(body == s.original, "{} streams its source's bytes", t.name);
    url
}

/// The torrent's own folder in the streaming cache.
fn cache_folder(rig: &Rig, t: &Torrent) -> std::path::PathBuf {
    rig.home
        .path()
        .join("cache/torrents")
        .join(t.info_hash.to_hex())
}

fn cached(rig: &Rig, t: &Torrent) -> bool {
    rig.engine.torrent(&t.info_hash).is_some() && rig.file_of(t).is_file()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_cache_evicts_the_least_recently_watched_never_the_one_streaming() {
    // Five different videos (sizes grow with the duration: about 0.8 to 2.7 MB).
    let (a, b, s, d, e) = (
        seeded(6, 1000, None).await,
        seeded(7, 1000, None).await,
        seeded(8, 1000, None).await,
        seeded(9, 1000, None).await,
        seeded(20, 1000, None).await,
    );
    // Room for A, S and D and half of B: adding D must evict exactly one torrent, and B is it.
    let limit = len(&a) + len(&s) + len(&d) + len(&b) / 2;
    // E fits only if S, the one streaming, were evicted too.
    assert!(len(&a) + len(&d) + len(&b) / 2 < len(&e) && len(&e) <= limit);
    let rig = Rig::with_config(|c| c.cache_limit = Some(limit)).await;
    let mut events = rig.engine.subscribe();

    let ta = complete(&rig, &a).await;
    let tb = complete(&rig, &b).await;
    let ts = complete(&rig, &s).await;
    for t in [&ta, &tb, &ts] {
        assert!(rig.engine.in_cache(t), "{} streams into the cache", t.name);
        assert!(rig.file_of(t).starts_with(rig.home.path().join("cache")));
    }
    // Watched in the order S, B, A (A most recently); S stays open, as a TV reading it.
    let mut playing = rig
        .engine
        .open_stream(&ts.info_hash, ts.selected(), 0)
        .await
        .unwrap();
    let mut head = vec![0u8; 4096];
    playing.read_exact(&mut head).await.unwrap();
    let url_b = watch(&rig, &tb, &b).await;
    watch(&rig, &ta, &a).await;

    let td = complete(&rig, &d).await;
    let usage = rig.engine.cache_usage();
    assert!(usage.used <= limit, "{usage:?}");
    assert!(!cached(&rig, &tb), "B, watched least recently, was evicted");
    assert!(!cache_folder(&rig, &tb).exists(), "B's folder is gone");
    assert!(cached(&rig, &ta) && cached(&rig, &ts) && cached(&rig, &td));
    let (status, _, _) = get(&url_b, None).await;
    assert_eq!(status, 404, "an evicted torrent's stream URL is gone");
    let evicted = std::iter::from_fn(|| events.try_recv().ok()).find_map(|e| match e {
        TorrentEvent::Removed {
            torrent, reason, ..
        } if torrent == tb.info_hash.to_hex() => Some(reason),
        _ => None,
    });
    let reason = evicted
        .flatten()
        .expect("B's removal is an event with its reason");
    assert!(
        reason.contains("evicted from the streaming cache") && reason.contains("least recently"),
        "{reason}"
    );

    // E needs S's room too, and S is being read: E is refused before it starts, nothing evicted.
    let source =
        magnetcast::TorrentSource::Magnet(magnetcast::MagnetLink::parse(&e.seed.magnet()).unwrap());
    let err = tokio::time::timeout(T, rig.engine.add(source, Default::default()))
        .await
        .expect("an answer within 60 s")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("streaming cache has no room") && err.contains("MB"),
        "{err}"
    );
    assert!(cached(&rig, &ta) && cached(&rig, &ts) && cached(&rig, &td));
    assert_eq!(
        rig.engine.torrents().len(),
        3,
        "nothing was added or evicted"
    );

    // S still plays to the end.
    let mut rest = Vec::new();
    playing.read_to_end(&mut rest).await.unwrap();
    head.extend(rest);
    assert!(head == s.original);
    rig.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_torrent_moves_out_of_the_cache_is_never_evicted_and_survives_a_restart() {
    let (k, w, x) = (
        seeded(6, 1000, None).await,
        seeded(7, 1000, None).await,
        seeded(9, 1000, None).await,
    );
    // The cache holds one of these at a time.
    let rig = Rig::with_config(|c| c.cache_limit = Some(len(&x) + 1000)).await;
    let downloads = rig.home.path().join("downloads");

    let tk = complete(&rig, &k).await;
    let kept = rig.engine.keep(&tk.info_hash).await.unwrap();
    assert!(!kept.moving);
    assert_eq!(kept.path, downloads.join(&k.seed.name));
    assert!(std::fs::read(&kept.path).unwrap() == k.original);
    assert!(
        !cache_folder(&rig, &tk).exists(),
        "the cache's copy is gone"
    );
    // librqbit checks the files again in their new place, then it is complete as before.
    rig.finished(&rig.engine.torrent(&tk.info_hash).unwrap(), T)
        .await;
    assert!(rig.engine.progress(&tk.info_hash).unwrap().kept);

    // Keeping W while it is read: safe at once, moved when the reader goes.
    let tw = complete(&rig, &w).await;
    let reader = rig
        .engine
        .open_stream(&tw.info_hash, tw.selected(), 0)
        .await
        .unwrap();
    let kept = rig.engine.keep(&tw.info_hash).await.unwrap();
    assert!(kept.moving && kept.path.starts_with(rig.home.path().join("cache")));
    assert!(rig.engine.progress(&tw.info_hash).unwrap().kept);
    drop(reader);
    let moved = downloads.join(&w.seed.name);
    wait_for("W moved to the download folder", T, || async {
        let now = rig.engine.torrent(&tw.info_hash)?;
        (rig.file_of(&now) == moved && !rig.engine.in_cache(&now)).then_some(())
    })
    .await;
    rig.finished(&rig.engine.torrent(&tw.info_hash).unwrap(), T)
        .await;
    assert!(std::fs::read(&moved).unwrap() == w.original);

    // X fills the cache; nothing kept counts against it or is evicted for it.
    let tx = complete(&rig, &x).await;
    assert!(rig.engine.in_cache(&tx));
    assert_eq!(rig.engine.torrents().len(), 3);

    // After a restart both kept torrents are still complete in the download folder.
    let rig = rig.restart().await;
    for (t, s) in [(&tk, &k), (&tw, &w)] {
        let again = wait_for("restored", T, || async { rig.engine.torrent(&t.info_hash) }).await;
        rig.finished(&again, T).await;
        assert!(!rig.engine.in_cache(&again));
        assert!(rig.engine.progress(&t.info_hash).unwrap().kept);
        assert!(std::fs::read(rig.file_of(&again)).unwrap() == s.original);
    }
    assert!(
        rig.engine
            .in_cache(&rig.engine.torrent(&tx.info_hash).unwrap())
    );
    rig.engine.shutdown().await;
}
