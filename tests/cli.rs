//! The real `magnetcast` binary, as a user runs it.

#[path = "harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{
    Seeded, ffprobe_duration, get, magnetcast, next_json, seeded, stream_url, terminate,
};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_prints_a_stream_url_that_ffprobe_reads_and_stops_on_sigterm() {
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(12, 1500, None).await;

    let started = Instant::now();
    let mut child = magnetcast(&work.path().join("home"))
        .args(["play", &seed.magnet(), "--no-cast", "--json"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = stream_url(&mut lines, Duration::from_secs(30)).await;
    eprintln!("stream URL after {:?}: {url}", started.elapsed());
    let duration = ffprobe_duration(&url).await;
    eprintln!("ffprobe done after {:?}", started.elapsed());
    assert!((duration - 12.0).abs() < 0.2, "duration {duration}");
    let (status, _, body) = get(&url, Some("bytes=100000-199999")).await;
    assert_eq!(status, 206);
    assert!(body[..] == original[100_000..200_000]);

    // Progress events follow on stdout as JSON lines.
    next_json(&mut lines, Duration::from_secs(10), |v| {
        (v["event"] == "progress").then_some(())
    })
    .await;

    let status = terminate(&mut child, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status:?}");
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_streams_and_verifies_the_bundled_sample() {
    let home = tempfile::tempdir().unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        magnetcast(home.path()).args(["demo"]).output(),
    )
    .await
    .expect("demo finishes")
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("stream: http://127.0.0.1:")),
        "{stdout}"
    );
    assert!(
        stdout.contains("demo: OK — 529102 bytes streamed and verified"),
        "{stdout}"
    );
}

#[tokio::test]
async fn bad_input_is_one_clear_line_and_a_failure_exit() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["play", "magnet:?dn=nothing", "--no-cast"],
            "invalid magnet link: no xt=urn:btih",
        ),
        (
            &["play", "magnet:?xt=urn:btih:1234", "--no-cast"],
            "expected 40 hex digits or 32 base32",
        ),
        (
            &["play", "gopher://x/y.torrent", "--no-cast"],
            "unsupported source",
        ),
        (
            &["play", "/nonexistent/file.torrent", "--no-cast"],
            "no such file",
        ),
    ];
    for (args, want) in cases {
        let out = magnetcast(home.path()).args(*args).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: nothing on stdout on error"
        );
    }

    // A config typo names the key and the line.
    std::fs::write(
        home.path().join("config/config.toml"),
        "dht = false\nstream_prot = 8000\n",
    )
    .unwrap();
    let out = magnetcast(home.path())
        .args(["play", "magnet:?dn=x", "--no-cast"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("config.toml")
            && stderr.contains("stream_prot")
            && stderr.contains("line 2"),
        "{stderr}"
    );
}

#[tokio::test]
async fn help_lists_the_commands() {
    let home = tempfile::tempdir().unwrap();
    let out = magnetcast(home.path())
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for cmd in ["play", "demo", "--home"] {
        assert!(help.contains(cmd), "{help}");
    }
}
