//! The extension in real Chromium (Debian's, driven by playwright-core through
//! `tests/browser/e2e.mjs`), talking to the real native host over native messaging:
//! - before the host manifest exists, the popup says how to install it;
//! - a trusted click on a magnet link on a local page makes the test Cast receiver fetch the stream
//!   from a real librqbit seeder;
//! - the context-menu handler, given a `.torrent` link that needs the page's cookie, fetches it
//!   with the cookie and the receiver plays that torrent, found through a real tracker
//!   (opentracker) and seeded by libtorrent;
//! - the popup shows the torrent's progress, and its pause button pauses the receiver.
//!
//! The driver takes steps when told (one line on its stdin) and reports each (one JSON line on
//! its stdout), so this side can check the receiver between them. Screenshots of the popup go to
//! `target/e2e-artifacts/` (or `$MAGNETCAST_ARTIFACTS`).

#[path = "harness/mod.rs"]
mod harness;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use harness::swarm::{Swarm, free_port};
use harness::{DaemonGuard, OFFLINE_TOML, Receiver, seeded};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const T: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The driver's stdin and stdout.
struct Driver {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Driver {
    async fn step(&mut self, name: &str) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(120), self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("browser driver: no step {name:?} within 120 s"))
            .unwrap()
            .unwrap_or_else(|| panic!("browser driver exited before step {name:?}"));
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("browser driver said {line:?}: {e}"));
        assert_eq!(v["step"], name, "browser driver: {v}");
        v
    }

    async fn go_on(&mut self) {
        self.stdin.write_all(b"go\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn magnet_click_context_menu_and_popup_drive_the_tv_through_the_real_host() {
    let chromium = std::env::var("MC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let extension = repo().join("extension/dist/chrome");
    for (what, path) in [
        (
            "Chromium (apt-get install chromium)",
            PathBuf::from(&chromium),
        ),
        (
            "the built extension (cd extension && npm ci && npm run build)",
            extension.clone(),
        ),
        (
            "playwright-core (cd extension && npm ci)",
            repo().join("extension/node_modules/playwright-core"),
        ),
    ] {
        assert!(
            path.exists(),
            "missing {what}: {} (bash tests/run.sh installs it)",
            path.display()
        );
    }

    // Torrent A behind a magnet link: a librqbit seeder, hinted in the magnet.
    let a = seeded(12, 1500, None).await;
    // Torrent B behind a cookie-protected .torrent link: libtorrent, found through opentracker.
    let localhost = Ipv4Addr::LOCALHOST.into();
    let b = Swarm::start(None, localhost, free_port(localhost), 8, 1000).await;
    let mut tv = Receiver::start(&[]).await;

    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!("{OFFLINE_TOML}default_device = \"{}\"\n", tv.addr()),
    )
    .unwrap();
    let _daemon = DaemonGuard(home.clone());
    let profile = work.path().join("profile");
    let artifacts = std::env::var_os("MAGNETCAST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/e2e-artifacts"));
    std::fs::create_dir_all(&artifacts).unwrap();

    let mut child = tokio::process::Command::new("node")
        .arg(repo().join("tests/browser/e2e.mjs"))
        .env("MC_CHROMIUM", &chromium)
        .env("MC_EXTENSION", &extension)
        .env("MC_PROFILE", &profile)
        .env("MC_MAGNET", a.seed.magnet())
        .env("MC_TORRENT_FILE", &b.torrent_file)
        .env("MC_ARTIFACTS", &artifacts)
        // The host Chromium starts inherits this: its daemon uses the test's home.
        .env("MAGNETCAST_HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(artifacts.join("driver.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let mut driver = Driver {
        stdin: child.stdin.take().unwrap(),
        lines: BufReader::new(child.stdout.take().unwrap()).lines(),
        child,
    };

    // No host manifest yet: the popup shows how to install it. Then install it where Chromium
    // looks for a profile's hosts.
    driver.step("not_installed").await;
    let installed = harness::magnetcast(&home)
        .args(["install", "--browser", "chromium", "--dir"])
        .arg(profile.join("NativeMessagingHosts"))
        .output()
        .await
        .unwrap();
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    driver.go_on().await;
    driver.step("connected").await;

    // A page cannot start a cast or read state by itself; then a magnet click casts torrent A.
    let clicked = driver.step("magnet_clicked").await;
    for attack in ["fetch_read", "ws_opened", "decoy_cast"] {
        assert_eq!(clicked["attacks"][attack], false, "{attack}: {clicked}");
    }
    tv.wait("LOAD after the magnet click", T, |v| {
        (v["event"] == "message" && v["type"] == "LOAD").then_some(())
    })
    .await;
    let (_, bytes) = tv.fetched(0, T).await;
    assert!(
        bytes == a.original,
        "the receiver got {} bytes, not torrent A's {}",
        bytes.len(),
        a.original.len()
    );
    driver.go_on().await;

    // "Cast torrent" on a .torrent link that needs the page's cookie casts torrent B.
    let cast = driver.step("torrent_link_cast").await;
    assert_eq!(cast["cookie_sent"], true, "{cast}");
    tv.wait("LOAD of torrent B", T, |v| {
        (v["event"] == "message" && v["type"] == "LOAD").then_some(())
    })
    .await;
    let index = tv
        .wait("B's first fetch", T, |v| {
            (v["event"] == "fetch").then(|| v["index"].as_u64().unwrap())
        })
        .await;
    let (offset, bytes) = tv.fetched(index, T).await;
    assert!(
        !bytes.is_empty() && b.original[offset as usize..].starts_with(&bytes),
        "the receiver's fetch after the .torrent cast is not torrent B ({} bytes at {offset})",
        bytes.len()
    );
    driver.go_on().await;

    // The popup shows progress; its pause button pauses the TV.
    let shown = driver.step("pause_clicked").await;
    assert_eq!(
        shown["torrents"], 2,
        "the popup lists both torrents: {shown}"
    );
    tv.wait("PAUSE from the popup", T, |v| {
        (v["event"] == "message" && v["type"] == "PAUSE").then_some(())
    })
    .await;
    driver.go_on().await;
    driver.step("paused").await;

    // The daemon's own error reaches the popup.
    let error = driver.step("daemon_error").await;
    let shown = error["shown"].as_str().unwrap_or_default();
    assert!(
        shown.contains("metadata") && shown.contains("c0ffee00"),
        "the popup shows {shown:?}"
    );
    let status = tokio::time::timeout(T, driver.child.wait())
        .await
        .expect("the driver closes the browser")
        .unwrap();
    assert!(status.success(), "driver exit: {status}");
    for shot in [
        "popup-error.png",
        "popup-not-installed.png",
        "popup-empty.png",
        "popup-playing.png",
        "popup-paused.png",
    ] {
        assert!(artifacts.join(shot).exists(), "missing screenshot {shot}");
    }
    a.seed.stop().await;
}
