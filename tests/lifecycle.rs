//! Torrents survive the daemon: kill -9 mid-download, start again, and the download resumes
//! from the verified pieces instead of starting over.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{Seeded, magnetcast, request, seeded, wait_for};
use magnetcast::Paths;
use magnetcast::daemon::read_runtime;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_download_then_restart_resumes_from_verified_pieces() {
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(20, 2000, Some(800_000)).await;
    let home = work.path().join("home");
    harness::home_with_config(&home, "");
    let hash = seed.info_hash.to_hex();

    let mut daemon = harness::start_daemon(&home).await;
    let out = tokio::time::timeout(T, async {
        let mut play = magnetcast(&home)
            .args(["play", &seed.magnet(), "--no-cast", "--json"])
            .spawn()
            .unwrap();
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            play.stdout.take().unwrap(),
        ));
        harness::stream_url(&mut lines, T).await;
        play
    })
    .await
    .unwrap();
    let before = wait_for("a third of the file", T, || async {
        let s = harness::status_json(&home).await?;
        let d = s["torrents"][0]["downloaded"].as_u64()?;
        (d > original.len() as u64 / 3).then_some(d)
    })
    .await;
    daemon.kill().await.unwrap(); // SIGKILL: no chance to save anything
    drop(out);
    assert!(
        read_runtime(&Paths::under(&home)).is_some(),
        "a killed daemon leaves its runtime file"
    );

    let mut daemon = harness::start_daemon(&home).await;
    let after = wait_for("the torrent back after the restart", T, || async {
        let s = harness::status_json(&home).await?;
        let t = s["torrents"]
            .as_array()?
            .iter()
            .find(|t| t["torrent"] == hash.as_str())?
            .clone();
        (t["state"] != "initializing").then_some(t)
    })
    .await;
    let resumed = after["downloaded"].as_u64().unwrap();
    assert!(
        resumed * 10 >= before * 9,
        "restart lost verified pieces: {before} before, {resumed} after"
    );
    wait_for("download to finish", T, || async {
        let s = harness::status_json(&home).await?;
        (s["torrents"][0]["finished"] == true).then_some(())
    })
    .await;
    let file = harness::cached_file(&home, &seed.name);
    assert!(
        std::fs::read(file).unwrap() == original,
        "resumed download differs from the source"
    );
    assert!(
        harness::terminate(&mut daemon, Duration::from_secs(10))
            .await
            .success()
    );
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_cast_running_stops_the_tv_saves_state_and_the_next_cast_resumes() {
    use magnetcast::protocol::Command;
    let Seeded { work, seed, .. } = seeded(20, 2000, Some(800_000)).await;
    let home = work.path().join("home");
    harness::home_with_config(&home, "");
    let paths = Paths::under(&home);
    let hash = seed.info_hash.to_hex();
    let mut tv = harness::Receiver::start(&[]).await;
    let mut daemon = harness::start_daemon(&home).await;

    // The browser's way: the cast lives in the daemon, no client keeps it.
    harness::add_and_cast(&paths, seed.magnet(), tv.addr()).await;
    tv.wait("PLAYING", T, |v| {
        (v["event"] == "state" && v["playerState"] == "PLAYING").then_some(())
    })
    .await;
    request(
        &paths,
        Command::Seek {
            seconds: Some(14.0),
            by: None,
            device: None,
        },
    )
    .await;
    let saved_position = || {
        let saved: Value =
            serde_json::from_slice(&std::fs::read(paths.data_dir.join("torrents.json")).ok()?)
                .ok()?;
        saved[&hash]["position_secs"].as_f64()
    };
    wait_for("the playhead saved", T, || async {
        saved_position().filter(|p| *p >= 14.0)
    })
    .await;

    let started = std::time::Instant::now();
    assert!(
        harness::terminate(&mut daemon, Duration::from_secs(20))
            .await
            .success()
    );
    eprintln!("SIGTERM → daemon exited: {:?}", started.elapsed());
    tv.wait("the daemon stopped the TV's player", T, |v| {
        (v["event"] == "app_stopped").then_some(())
    })
    .await;
    assert!(read_runtime(&paths).is_none(), "runtime file removed");
    assert!(
        paths.data_dir.join("session/clean-shutdown").exists(),
        "the session was stopped cleanly (fast resume trusted next time)"
    );

    // Next time, casting the torrent again starts where the viewer was.
    let mut daemon = harness::start_daemon(&home).await;
    let played = request(
        &paths,
        Command::Play {
            torrent: hash.clone(),
            device: Some(tv.addr()),
            subtitles: None,
        },
    )
    .await;
    assert!(played["start_at"].as_f64().unwrap() >= 14.0, "{played}");
    let at = tv
        .wait("the LOAD's start", T, |v| {
            (v["event"] == "state" && v["playerState"] == "BUFFERING")
                .then(|| v["currentTime"].as_f64().unwrap())
        })
        .await;
    assert!(at >= 14.0, "the TV started at {at} s");
    assert!(
        harness::terminate(&mut daemon, Duration::from_secs(20))
            .await
            .success()
    );
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_magnet_shows_as_fetching_metadata_until_it_resolves_or_times_out() {
    let rig = harness::Rig::with_config(|c| c.metadata_timeout_secs = 2).await;
    let hash = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
    // A hinted peer that accepts the connection and never answers: the metadata never comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let magnet = format!(
        "magnet:?xt=urn:btih:{hash}&dn=Lost&x.pe={}",
        silent.local_addr().unwrap()
    );
    let source = magnetcast::TorrentSource::Magnet(magnetcast::MagnetLink::parse(&magnet).unwrap());
    let mut events = rig.engine.subscribe();
    let engine = rig.engine.clone();
    let add = tokio::spawn(async move { engine.add(source, Default::default()).await });
    let (progress, name) = wait_for("the magnet listed as pending", T, || async {
        rig.engine.pending().into_iter().next()
    })
    .await;
    assert_eq!(
        (
            progress.torrent.as_str(),
            progress.state.as_str(),
            name.as_deref()
        ),
        (hash, "fetching_metadata", Some("Lost"))
    );
    let err = add.await.unwrap().unwrap_err().to_string();
    assert!(err.contains("no metadata") && err.contains(hash), "{err}");
    assert!(
        rig.engine.pending().is_empty(),
        "a timed-out magnet is not left listed"
    );
    assert!(rig.engine.torrents().is_empty());
    let removed = std::iter::from_fn(|| events.try_recv().ok()).any(|e| {
        matches!(e, magnetcast::engine::TorrentEvent::Removed { torrent, .. } if torrent == hash)
    });
    assert!(removed, "views are told to drop the failed magnet");
}
