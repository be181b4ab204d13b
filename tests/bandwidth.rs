//! Bandwidth caps changed while the daemon runs, through the CLI (`magnetcast limit`, which is the
//! protocol's `settings_set`): a download cap holds within 10 % on a loopback swarm, and lifting it
//! lets the download finish at full speed; a cap below what a cast video needs is said.

#[path = "harness/mod.rs"]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::{Seeded, magnetcast, seeded, wait_for};

const T: Duration = Duration::from_secs(60);
const CAP: u64 = 400_000;

async fn downloaded(home: &Path) -> Option<(u64, u64)> {
    let s = harness::status_json(home).await?;
    let t = &s["torrents"][0];
    Some((t["downloaded"].as_u64()?, t["total"].as_u64()?))
}

async fn limit(home: &Path, args: &[&str]) -> String {
    let mut cmd = magnetcast(home);
    cmd.arg("limit").args(args);
    harness::stdout_of(cmd).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cap_set_at_run_time_holds_and_lifting_it_lets_the_download_finish() {
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(30, 3000, None).await;
    let home = work.path().join("home");
    harness::home_with_config(&home, "");
    let mut daemon = harness::start_daemon(&home).await;

    // The daemon runs uncapped; cap it now, then start the download.
    let said = limit(&home, &["--down", "400KB"]).await;
    assert!(said.contains(&format!("download: {CAP} bytes/s")), "{said}");
    let config = std::fs::read_to_string(home.join("config/config.toml")).unwrap();
    assert!(
        config.contains(&format!("download_limit = {CAP}")),
        "{config}"
    );
    let bad = magnetcast(&home)
        .args(["limit", "--down", "fast"])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"fast\" is not a rate"));

    let mut play = magnetcast(&home)
        .args(["play", &seed.magnet(), "--no-cast", "--json"])
        .spawn()
        .unwrap();
    wait_for("the download to start", T, || async {
        downloaded(&home).await.filter(|(d, _)| *d > 0)
    })
    .await;

    // Past the limiter's one-second burst, the rate over a few seconds stays at the cap.
    let (start_bytes, total) = wait_for("a second of download", T, || async {
        downloaded(&home).await.filter(|(d, _)| *d > CAP)
    })
    .await;
    let started = Instant::now();
    let end_bytes = wait_for("a 4 s measuring window", T, || async {
        let (d, _) = downloaded(&home).await?;
        (started.elapsed() >= Duration::from_secs(4)).then_some(d)
    })
    .await;
    let rate = (end_bytes - start_bytes) as f64 / started.elapsed().as_secs_f64();
    eprintln!("capped at {CAP} B/s: measured {rate:.0} B/s");
    assert!(
        (rate - CAP as f64).abs() <= CAP as f64 * 0.10,
        "rate {rate:.0} B/s is not within 10 % of the cap {CAP}"
    );
    assert!(
        end_bytes < total,
        "the file is big enough to still be under way"
    );

    // Lifted at run time: the rest comes at loopback speed.
    let said = limit(&home, &["--down", "off"]).await;
    assert!(said.contains("download: no cap"), "{said}");
    let lifted = Instant::now();
    wait_for("the rest of the download", T, || async {
        downloaded(&home).await.filter(|(d, t)| d == t)
    })
    .await;
    let rest = (total - end_bytes) as f64;
    eprintln!("uncapped: {:.1} MB in {:?}", rest / 1e6, lifted.elapsed());
    assert!(
        lifted.elapsed().as_secs_f64() < rest / CAP as f64 / 2.0,
        "the download stayed slow after the cap was lifted"
    );
    let file = harness::cached_file(&home, &seed.name);
    assert!(std::fs::read(file).unwrap() == original);
    let _ = harness::terminate(&mut play, Duration::from_secs(10)).await;
    let _ = harness::terminate(&mut daemon, Duration::from_secs(10)).await;
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cap_below_what_the_cast_video_needs_is_said_and_lifting_it_clears_the_warning() {
    // About 3 Mbit/s, about 400 kB/s: a 100 kB/s cap starves it.
    let Seeded { work, seed, .. } = seeded(30, 3000, None).await;
    let home = work.path().join("home");
    harness::home_with_config(&home, "");
    let paths = magnetcast::Paths::under(&home);
    let mut tv = harness::Receiver::start(&[]).await;
    let mut daemon = harness::start_daemon(&home).await;
    limit(&home, &["--down", "100KB"]).await;

    harness::add_and_cast(&paths, seed.magnet(), tv.addr()).await;
    let warning = || async {
        let s = harness::status_json(&home).await?;
        Some(s["torrents"][0]["warning"].as_str().map(str::to_string))
    };
    let said = wait_for("the warning once the TV told the duration", T, || async {
        warning().await.flatten()
    })
    .await;
    assert!(
        said.contains("download cap (100 kB/s) is below what") && said.contains("needs to play"),
        "{said}"
    );
    let printed = limit(&home, &["--down", "100KB"]).await;
    assert!(printed.contains("warning: the download cap"), "{printed}");
    tv.wait("the TV got the stream", T, |v| {
        (v["event"] == "state" && v["playerState"] == "PLAYING").then_some(())
    })
    .await;

    let mut status = magnetcast(&home);
    status.arg("status");
    let shown = harness::stdout_of(status).await;
    assert!(
        shown.contains("cache: ") && shown.contains(" MB of ") && shown.contains("1 torrents"),
        "status shows the streaming cache's use against its limit: {shown}"
    );

    let printed = limit(&home, &["--down", "off"]).await;
    assert!(!printed.contains("warning"), "{printed}");
    wait_for("no warning without a cap", T, || async {
        warning().await?.is_none().then_some(())
    })
    .await;
    let _ = harness::terminate(&mut daemon, Duration::from_secs(10)).await;
}
