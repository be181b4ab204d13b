//! The engine and the stream server against a real librqbit seeder on loopback: a magnet link
//! goes in, exact bytes come out over real HTTP, with every Range form a player uses.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{Rig, Seeded, get, seeded, wait_for};
use magnetcast::TorrentEvent;
use magnetcast::engine::AddOptions;
use magnetcast::{MagnetLink, TorrentSource};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn magnet_with_peer_hint_streams_exact_bytes_for_every_range_form() {
    let Seeded {
        original,
        work: _work,
        seed,
        ..
    } = seeded(12, 1500, None).await;
    let len = original.len() as u64;

    let rig = Rig::new().await;
    let mut events = rig.engine.subscribe();
    let torrent = rig.add_magnet(&seed.magnet()).await;
    assert_eq!(torrent.selected_file().length, len);
    let url = rig.url(&torrent);
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{}/s/", rig.stream_addr().port())),
        "{url}"
    );
    assert!(url.ends_with("/test-12s-1500k.mp4"), "{url}");

    // Whole file, no Range: 200 with the exact bytes and the headers a Cast receiver needs.
    let (status, headers, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["content-length"], len.to_string().as_str());
    assert!(body == original, "full body differs");

    let mid = len / 2;
    for (range, first, last) in [
        (format!("bytes=0-{}", 65535), 0, 65535),
        (format!("bytes={mid}-{}", mid + 100_000), mid, mid + 100_000),
        (format!("bytes={}-", len - 5000), len - 5000, len - 1),
        ("bytes=-7777".to_string(), len - 7777, len - 1),
        (
            format!("bytes={}-{}", len - 10, len + 1_000_000),
            len - 10,
            len - 1,
        ),
        (format!("bytes={}-{}", len - 1, len - 1), len - 1, len - 1),
    ] {
        let (status, headers, body) = get(&url, Some(&range)).await;
        assert_eq!(status, 206, "{range}");
        assert_eq!(
            headers["content-range"],
            format!("bytes {first}-{last}/{len}").as_str(),
            "{range}"
        );
        assert_eq!(
            headers["content-length"],
            (last - first + 1).to_string().as_str(),
            "{range}"
        );
        assert!(
            body[..] == original[first as usize..=last as usize],
            "{range}: bytes differ"
        );
    }

    // Start past EOF: 416 with the length; malformed: 400 with a reason.
    let (status, headers, body) = get(&url, Some(&format!("bytes={len}-"))).await;
    assert_eq!(status, 416);
    assert_eq!(headers["content-range"], format!("bytes */{len}").as_str());
    assert!(String::from_utf8_lossy(&body).contains("not satisfiable"));
    let (status, _, body) = get(&url, Some("bytes=x-y")).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("malformed Range header"));

    // HEAD: the length from metadata, no stream opened.
    let resp = harness::http().head(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], len.to_string().as_str());
    assert_eq!(rig.engine.progress(&torrent.info_hash).unwrap().streams, 0);

    // Unknown token, wrong name, other paths and methods.
    let base = format!("http://{}", rig.stream_addr());
    for bad in [
        format!("{base}/s/00000000000000000000000000000000/test-12s-1500k.mp4"),
        url.replace("test-12s-1500k.mp4", "other.mp4"),
        format!("{base}/"),
        format!("{base}/s/../../etc/passwd"),
    ] {
        assert_eq!(get(&bad, None).await.0, 404, "{bad}");
    }
    let post = harness::http().post(&url).send().await.unwrap();
    assert_eq!(post.status(), 405);

    // Two readers at once, at different offsets.
    let tail_range = format!("bytes={}-{}", len - 400_000, len - 1000);
    let (a, b) = tokio::join!(
        get(&url, Some("bytes=1000-400000")),
        get(&url, Some(&tail_range))
    );
    assert!(a.2[..] == original[1000..=400_000]);
    assert!(b.2[..] == original[(len - 400_000) as usize..=(len - 1000) as usize]);

    // The event stream told the story in order.
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(match e {
            TorrentEvent::Added { .. } => "added",
            TorrentEvent::Metadata { .. } => "metadata",
            TorrentEvent::Progress(p) if p.state == "fetching_metadata" => "fetching_metadata",
            TorrentEvent::Progress(_) => "progress",
            TorrentEvent::Completed { .. } => "completed",
            TorrentEvent::Error { .. } => "error",
            TorrentEvent::Removed { .. } => "removed",
            TorrentEvent::Cast(_) => "cast",
        });
    }
    assert_eq!(
        &seen[..3],
        ["added", "fetching_metadata", "metadata"],
        "{seen:?}"
    );
    assert!(!seen.contains(&"error"), "{seen:?}");

    // Completion and removal are published too.
    let info_hash = torrent.info_hash;
    rig.finished(&torrent, Duration::from_secs(10)).await;
    let downloaded = rig.file_of(&torrent);
    assert!(downloaded.exists());
    rig.engine.remove(&info_hash, true).await.unwrap();
    assert!(rig.engine.torrent(&info_hash).is_none());
    assert!(
        !downloaded.exists(),
        "remove(delete files) deleted the file"
    );
    let removed = wait_for("removed event", Duration::from_secs(5), || {
        let r = events.try_recv().ok();
        async move {
            match r {
                Some(TorrentEvent::Removed {
                    torrent,
                    files_deleted,
                    reason: None,
                }) => Some((torrent, files_deleted)),
                _ => None,
            }
        }
    })
    .await;
    assert_eq!(removed, (info_hash.to_hex(), true));
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_while_downloading_waits_for_pieces_and_returns_correct_bytes() {
    // ~1.5 MiB/s: the 5 MB file takes several seconds, so reads overlap the download.
    let Seeded {
        original,
        work: _work,
        seed,
        ..
    } = seeded(20, 2000, Some(1_500_000)).await;
    let len = original.len();
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&torrent);

    // Read from the middle first (pieces there are not yet downloaded), then the start.
    let at = len * 3 / 5;
    let (status, _, body) = get(&url, Some(&format!("bytes={at}-{}", at + 300_000))).await;
    let progress = rig.engine.progress(&torrent.info_hash).unwrap();
    assert_eq!(status, 206);
    assert!(
        body[..] == original[at..=at + 300_000],
        "middle bytes differ"
    );
    assert!(
        !progress.finished && progress.downloaded < len as u64,
        "the read should finish before the download: {progress:?}"
    );
    assert!(progress.peers >= 1, "{progress:?}");
    let (_, _, body) = get(&url, None).await;
    assert!(body == original, "full body differs");
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn progress_reports_the_buffer_ahead_of_an_open_stream_and_disconnects_release_it() {
    // Slow enough (~400 KB/s for 5 MB) that the download is still running when we look.
    let Seeded {
        original,
        work: _work,
        seed,
        ..
    } = seeded(20, 2000, Some(400_000)).await;
    let len = original.len() as u64;
    let rig = Rig::new().await;
    let mut events = rig.engine.subscribe();
    let torrent = rig.add_magnet(&seed.magnet()).await;

    // A stream parked at the start, reading nothing, like a paused player: the verified bytes
    // ahead of it grow as the download proceeds.
    let parked = rig
        .engine
        .open_stream(&torrent.info_hash, torrent.selected(), 0)
        .await
        .unwrap();
    let p = wait_for(
        "progress with an open stream and a growing buffer",
        Duration::from_secs(30),
        || {
            let e = events.try_recv().ok();
            async move {
                match e {
                    Some(TorrentEvent::Progress(p))
                        if p.streams == 1 && p.buffered_ahead >= 256 * 1024 =>
                    {
                        Some(p)
                    }
                    _ => None,
                }
            }
        },
    )
    .await;
    assert!(
        p.peers >= 1 && p.down_bps > 0 && p.total == len && !p.finished,
        "{p:?}"
    );
    assert!(p.buffered_ahead <= p.downloaded, "{p:?}");
    drop(parked);

    // An HTTP client that goes away mid-body releases its stream while the download goes on.
    let url = rig.url(&torrent);
    let mut resp = harness::http().get(&url).send().await.unwrap();
    resp.chunk().await.unwrap().expect("first bytes");
    assert_eq!(rig.engine.progress(&torrent.info_hash).unwrap().streams, 1);
    drop(resp);
    let p = wait_for(
        "stream released after disconnect",
        Duration::from_secs(10),
        || {
            let p = rig.engine.progress(&torrent.info_hash).unwrap();
            async move { (p.streams == 0).then_some(p) }
        },
    )
    .await;
    assert!(
        !p.finished,
        "the release must not wait for the download: {p:?}"
    );
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_sources_give_clear_errors_and_leave_the_engine_working() {
    let rig = Rig::with_config(|c| c.metadata_timeout_secs = 2).await;
    let add = |s| rig.engine.add(s, AddOptions::default());

    let err = add(TorrentSource::Bytes(
        b"d4:infod6:lengthi-5eee".to_vec().into(),
    ))
    .await
    .unwrap_err();
    assert!(
        err.to_string().starts_with("invalid .torrent file"),
        "{err}"
    );

    // A magnet whose only peer accepts the connection and then says nothing: bounded wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hash = "c9e15763f722f23e98a29decdfae341b98d53056";
    let m = MagnetLink::parse(&format!(
        "magnet:?xt=urn:btih:{hash}&x.pe={}",
        silent.local_addr().unwrap()
    ))
    .unwrap();
    let started = std::time::Instant::now();
    let err = add(TorrentSource::Magnet(m)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("no metadata for {hash} after 2 s")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // A magnet whose only peer refuses: a clear reason, not a wait.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let m = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{hash}&x.pe={refused}")).unwrap();
    let err = add(TorrentSource::Magnet(m)).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot get the metadata of {hash}")),
        "{err}"
    );

    // .torrent URLs on a real local HTTP server: HTML instead of a torrent, a redirect loop, a 404.
    let app = axum::Router::new()
        .route(
            "/login.torrent",
            axum::routing::get(|| async { axum::response::Html("<html>log in</html>") }),
        )
        .route(
            "/loop.torrent",
            axum::routing::get(|| async { axum::response::Redirect::temporary("/loop.torrent") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = |p: &str| TorrentSource::Url(format!("{base}{p}").parse().unwrap());
    let err = add(url("/login.torrent")).await.unwrap_err();
    assert!(err.to_string().contains("not a bencoded torrent"), "{err}");
    let err = add(url("/loop.torrent")).await.unwrap_err();
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
    let err = add(url("/missing.torrent")).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");

    // Asking for a file that is not there names the files that are.
    let Seeded {
        src,
        work: _work,
        seed,
        ..
    } = seeded(12, 1500, None).await;
    let err = rig
        .engine
        .add(
            TorrentSource::Bytes(seed.torrent_bytes.clone()),
            AddOptions {
                file: Some("subs.srt".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no file matches \"subs.srt\"")
            && err.to_string().contains("[0] test-12s-1500k.mp4"),
        "{err}"
    );
    assert!(
        rig.engine.torrents().is_empty(),
        "a failed add must not leave a torrent behind"
    );

    // The engine still works after all that.
    let torrent = rig
        .engine
        .add(
            TorrentSource::Bytes(seed.torrent_bytes.clone()),
            AddOptions {
                peers: vec![seed.addr],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, _, body) = get(&rig.url(&torrent), Some("bytes=0-99")).await;
    assert_eq!(status, 206);
    assert!(body[..] == std::fs::read(&src).unwrap()[..100]);
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_resume_and_remove_keeping_files() {
    let Seeded {
        original,
        work: _work,
        seed,
        ..
    } = seeded(20, 2000, Some(1_000_000)).await;
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let hash = torrent.info_hash;

    rig.engine.pause(&hash).await.unwrap();
    let paused = rig.engine.progress(&hash).unwrap();
    assert_eq!(paused.state, "paused", "{paused:?}");
    assert!(!paused.finished);
    rig.engine.resume(&hash).await.unwrap();
    rig.finished(&torrent, Duration::from_secs(30)).await;
    let file = rig.file_of(&torrent);
    assert!(
        std::fs::read(&file).unwrap() == original,
        "downloaded file differs"
    );
    rig.engine.remove(&hash, false).await.unwrap();
    assert!(file.exists(), "remove(keep files) kept the file");
    assert!(
        rig.engine
            .progress(&hash)
            .unwrap_err()
            .to_string()
            .contains("unknown torrent")
    );
    seed.stop().await;
}
