//! Staying awake: while a cast plays, the daemon holds the OS's idle-sleep inhibitor, and it
//! lets go when the cast stops. The OS side is a private D-Bus bus with a stand-in for
//! systemd-logind (tests/inhibit/login1.py) that answers `Inhibit` with a real file descriptor and
//! records when the daemon takes it and when it closes it, as logind would see it.

#[path = "harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use harness::{Receiver, Seeded, request, seeded, wait_for};
use magnetcast::Paths;
use magnetcast::protocol::Command;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

const T: Duration = Duration::from_secs(60);

/// A private bus with the fake logind on it.
struct FakeLogind {
    address: String,
    events: PathBuf,
    _bus: tokio::process::Child,
    _service: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl FakeLogind {
    async fn start() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/inhibit");
        // A short path: a unix socket's name is limited to about 107 bytes.
        let dir = tempfile::Builder::new()
            .prefix("mc-bus")
            .tempdir_in("/tmp")
            .unwrap();
        let mut bus = tokio::process::Command::new("dbus-daemon")
            .arg(format!("--config-file={}", root.join("bus.conf").display()))
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("bus").display()
            ))
            .args(["--nofork", "--nopidfile", "--nosyslog", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-daemon (apt install dbus-daemon)");
        let mut lines = tokio::io::BufReader::new(bus.stdout.take().unwrap()).lines();
        let address = tokio::time::timeout(T, lines.next_line())
            .await
            .expect("the bus's address within 60 s")
            .unwrap()
            .expect("dbus-daemon printed its address");
        let events = dir.path().join("inhibit.jsonl");
        let service = tokio::process::Command::new("/usr/bin/python3")
            .arg(root.join("login1.py"))
            .arg(&address)
            .arg(&events)
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with python3-dbus and python3-gi");
        let logind = Self {
            address,
            events,
            _bus: bus,
            _service: service,
            _dir: dir,
        };
        wait_for("the fake logind ready", T, || async {
            logind.find(|e| e["event"] == "ready")
        })
        .await;
        logind
    }

    fn find(&self, pick: impl Fn(&Value) -> bool) -> Option<Value> {
        let text = std::fs::read_to_string(&self.events).ok()?;
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|e| pick(e))
    }

    /// The first `event` ("taken" / "released") of a login1 inhibitor by process `pid`.
    fn inhibitor(&self, event: &str, pid: u32) -> Option<Value> {
        self.find(|e| {
            e["event"] == event
                && e["interface"] == "org.freedesktop.login1.Manager"
                && e["pid"] == pid
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_computer_stays_awake_while_a_cast_plays_and_may_sleep_after_stop() {
    let logind = FakeLogind::start().await;
    let Seeded { work, seed, .. } = seeded(20, 2000, Some(800_000)).await;
    let home = work.path().join("home");
    harness::home_with_config(&home, "");
    let paths = Paths::under(&home);
    let mut tv = Receiver::start(&[]).await;
    let bus = logind.address.as_str();
    let mut daemon = harness::start_daemon_with_env(
        &home,
        &[
            ("DBUS_SYSTEM_BUS_ADDRESS", bus),
            ("DBUS_SESSION_BUS_ADDRESS", bus),
        ],
    )
    .await;
    let pid = daemon.id().unwrap();

    harness::add_and_cast(&paths, seed.magnet(), tv.addr()).await;
    tv.wait("PLAYING", T, |v| {
        (v["event"] == "state" && v["playerState"] == "PLAYING").then_some(())
    })
    .await;
    let taken = wait_for("the daemon to hold an inhibitor", T, || async {
        logind.inhibitor("taken", pid)
    })
    .await;
    assert_eq!(taken["what"], "idle", "{taken}");
    assert_eq!(taken["who"], "magnetcast", "{taken}");
    assert_eq!(taken["mode"], "block", "{taken}");
    assert!(
        logind.inhibitor("released", pid).is_none(),
        "held while playing"
    );

    request(&paths, Command::Stop { device: None }).await;
    let released = wait_for("the inhibitor released after stop", T, || async {
        logind.inhibitor("released", pid)
    })
    .await;
    assert_eq!(released["how"], "closed", "{released}");
    assert!(
        harness::terminate(&mut daemon, Duration::from_secs(20))
            .await
            .success()
    );
}
