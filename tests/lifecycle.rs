//! Torrents survive the daemon: kill -9 mid-download, start again, and the download resumes
//! from the verified pieces instead of starting over.

#[path = "harness/mod.rs"]
mod harness;

use std::path::Path;
use std::time::Duration;

use harness::{OFFLINE_TOML, Seeded, magnetcast, seeded, wait_for};
use magnetcast::Paths;
use magnetcast::daemon::read_runtime;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

async fn status(home: &Path) -> Option<Value> {
    let out = magnetcast(home)
        .args(["status", "--json"])
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).ok())
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_download_then_restart_resumes_from_verified_pieces() {
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(20, 2000, Some(800_000)).await;
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(home.join("config/config.toml"), OFFLINE_TOML).unwrap();
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
        let s = status(&home).await?;
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
        let s = status(&home).await?;
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
        let s = status(&home).await?;
        (s["torrents"][0]["finished"] == true).then_some(())
    })
    .await;
    let file = home.join("downloads").join(seed.name.clone());
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
