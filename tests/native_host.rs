//! The native host as a browser starts it (relay mode, framed stdin/stdout), the daemon it
//! starts, and the control API's guards.

#[path = "harness/mod.rs"]
mod harness;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use harness::{DaemonGuard, Seeded, home_with_config, seeded};
use magnetcast::Paths;
use magnetcast::daemon::{Daemon, read_runtime};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};

const CHROME_ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/";
const T: Duration = Duration::from_secs(30);

/// A home for a test's daemon, with an offline config plus `extra`; the guard kills the daemon.
fn daemon_home(extra: &str) -> (tempfile::TempDir, DaemonGuard) {
    let home = tempfile::tempdir().unwrap();
    home_with_config(home.path(), extra);
    let guard = DaemonGuard(home.path().to_path_buf());
    (home, guard)
}

struct Relay {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl Relay {
    fn start(home: &Path) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_magnetcast"))
            .arg(CHROME_ORIGIN)
            .env("MAGNETCAST_HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self {
            stdin: child.stdin.take().unwrap(),
            stdout: child.stdout.take().unwrap(),
            child,
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin
            .write_all(&(bytes.len() as u32).to_ne_bytes())
            .await
            .unwrap();
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn send(&mut self, v: Value) {
        self.send_raw(v.to_string().as_bytes()).await;
    }

    async fn next(&mut self) -> Value {
        let mut len = [0u8; 4];
        tokio::time::timeout(T, self.stdout.read_exact(&mut len))
            .await
            .expect("a frame in time")
            .expect("stdout open");
        let len = u32::from_ne_bytes(len) as usize;
        assert!(len < 1024 * 1024, "host message of {len} bytes");
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "frame is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })
    }

    /// The next frame matching `pick`, skipping events and other replies.
    async fn until<T>(&mut self, mut pick: impl FnMut(&Value) -> Option<T>) -> T {
        loop {
            let v = self.next().await;
            if let Some(t) = pick(&v) {
                return t;
            }
        }
    }

    async fn reply(&mut self, id: u64) -> Value {
        self.until(|v| (v["id"] == id && v.get("ok").is_some()).then(|| v.clone()))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_started_relay_adds_a_torrent_gets_events_and_shares_the_daemon() {
    let Seeded { work, seed, .. } = seeded(12, 1500, None).await;
    let home = work.path().join("home");
    home_with_config(&home, "");
    let _guard = DaemonGuard(home.clone());

    let mut relay = Relay::start(&home);
    relay
        .send(json!({"v": 1, "id": 1, "cmd": "add", "source": seed.magnet()}))
        .await;
    let reply = relay.reply(1).await;
    assert_eq!(reply["ok"], true, "{reply}");
    let torrent = reply["result"]["torrent"].as_str().unwrap().to_string();
    assert_eq!(torrent, seed.info_hash.to_hex());
    assert!(
        reply["result"]["stream_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let progress = relay
        .until(|v| {
            (v["event"] == "progress" && v["torrent"] == torrent.as_str()).then(|| v.clone())
        })
        .await;
    assert_eq!(progress["v"], 1);

    // Bad input gets an answer and the relay keeps going.
    relay.send_raw(b"{not json").await;
    let r = relay.until(|v| (v["ok"] == false).then(|| v.clone())).await;
    assert_eq!(r["error"]["code"], "bad_request", "{r}");
    relay.send_raw(&[0xff, 0xfe, 0x00]).await;
    let r = relay.until(|v| (v["ok"] == false).then(|| v.clone())).await;
    assert!(
        r["error"]["message"].as_str().unwrap().contains("UTF-8"),
        "{r}"
    );
    relay.send_raw(&vec![b' '; 16 * 1024 * 1024 + 1]).await;
    let r = relay.until(|v| (v["ok"] == false).then(|| v.clone())).await;
    assert_eq!(r["error"]["code"], "frame_too_large", "{r}");
    relay.send(json!({"id": 2, "cmd": "format_disk"})).await;
    let r = relay.reply(2).await;
    assert_eq!(r["error"]["code"], "unknown_command", "{r}");
    relay
        .send(json!({"id": 3, "cmd": "files", "torrent": torrent}))
        .await;
    let r = relay.reply(3).await;
    assert_eq!(r["result"]["total"], 1, "{r}");

    // A second relay (the other browser) talks to the same daemon and sees the torrent.
    let pid = read_runtime(&Paths::under(&home)).unwrap().pid;
    let mut second = Relay::start(&home);
    second.send(json!({"id": 4, "cmd": "list"})).await;
    let r = second.reply(4).await;
    assert_eq!(
        r["result"]["torrents"][0]["torrent"],
        torrent.as_str(),
        "{r}"
    );
    assert_eq!(
        read_runtime(&Paths::under(&home)).unwrap().pid,
        pid,
        "one daemon"
    );

    // Closing stdin ends the relay; the daemon stays.
    drop(relay.stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), relay.child.wait())
        .await
        .expect("relay exits")
        .unwrap();
    assert!(status.success());
    second
        .send(json!({"id": 5, "cmd": "status", "torrent": torrent}))
        .await;
    assert_eq!(second.reply(5).await["ok"], true);
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_is_single_and_leaves_when_idle() {
    let (home, _guard) = daemon_home("idle_exit_secs = 1\n");
    let mut first = harness::start_daemon(home.path()).await;
    let paths = Paths::under(home.path());
    let second = harness::magnetcast(home.path())
        .arg("daemon")
        .output()
        .await
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another magnetcast daemon is running")
    );
    let status = tokio::time::timeout(T, first.wait())
        .await
        .expect("idle exit")
        .unwrap();
    assert!(status.success());
    assert!(
        read_runtime(&paths).is_none(),
        "runtime file removed on exit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_wants_the_token_our_host_and_no_browser_origin() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let daemon = Daemon::start(harness::offline_config(home.path()), paths.clone())
        .await
        .unwrap();
    let info = read_runtime(&paths).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(magnetcast::daemon::runtime_file(&paths))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let url = format!("http://127.0.0.1:{}/api/v1/torrents", info.port);
    let bearer = format!("Bearer {}", info.token);
    let http = harness::http();
    let status =
        |r: reqwest::RequestBuilder| async move { r.send().await.unwrap().status().as_u16() };
    let other_port = format!("attacker.example:{}", info.port);
    // (headers, expected status): the token, our own Host, no browser Origin.
    let cases: [(&[(&str, &str)], u16); 6] = [
        (&[], 401),
        (&[("Authorization", "Bearer wrong")], 401),
        (&[("Authorization", &bearer)], 200),
        (
            &[("Authorization", &bearer), ("Host", "attacker.example:80")],
            403,
        ),
        (&[("Authorization", &bearer), ("Host", &other_port)], 403),
        (
            &[
                ("Authorization", &bearer),
                ("Origin", "https://evil.example"),
            ],
            403,
        ),
    ];
    for (headers, expected) in cases {
        let request = headers
            .iter()
            .fold(http.get(&url), |r, (k, v)| r.header(*k, *v));
        assert_eq!(status(request).await, expected, "{headers:?}");
    }
    let ws = format!("http://127.0.0.1:{}/api/v1/ws", info.port);
    let upgrade = |r: reqwest::RequestBuilder| {
        r.header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    };
    assert_eq!(status(upgrade(http.get(&ws))).await, 401);
    assert_eq!(
        status(
            upgrade(http.get(&ws))
                .header("Authorization", &bearer)
                .header("Origin", "https://evil.example")
        )
        .await,
        403
    );
    let body: Value = http
        .get(&url)
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 0);
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_with_sigkill_is_restarted_by_the_next_relay() {
    let (home, _guard) = daemon_home("");
    let paths = Paths::under(home.path());
    let mut relay = Relay::start(home.path());
    relay.send(json!({"id": 1, "cmd": "list"})).await;
    assert_eq!(relay.reply(1).await["ok"], true);
    let first = read_runtime(&paths).unwrap().pid;

    std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap();
    // The relay notices its daemon is gone, says so, and ends.
    let r = relay.until(|v| (v["ok"] == false).then(|| v.clone())).await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("daemon went away"),
        "{r}"
    );

    let mut next = Relay::start(home.path());
    next.send(json!({"id": 2, "cmd": "list"})).await;
    assert_eq!(next.reply(2).await["ok"], true);
    let second = read_runtime(&paths).unwrap().pid;
    assert_ne!(first, second, "a new daemon answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_hands_the_torrent_to_a_running_daemon_and_cli_controls_reach_the_tv() {
    use tokio::io::AsyncBufReadExt;
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(12, 1500, None).await;
    let home = work.path().join("home");
    home_with_config(&home, "");
    let _guard = DaemonGuard(home.clone());
    let mut daemon = harness::start_daemon(&home).await;
    let mut tv = harness::Receiver::start(&["--rate", "1000000"]).await;

    let mut play = harness::magnetcast(&home)
        .args(["play", &seed.magnet(), "--device", &tv.addr(), "--json"])
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(play.stdout.take().unwrap()).lines();
    harness::stream_url(&mut lines, T).await;
    tv.wait("PLAYING", T, |v| {
        (v["event"] == "state" && v["playerState"] == "PLAYING").then_some(())
    })
    .await;

    // Controls from another terminal reach the TV through the daemon.
    let out = harness::magnetcast(&home)
        .args(["pause"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tv.wait("PAUSE", T, |v| {
        (v["event"] == "message" && v["type"] == "PAUSE").then_some(())
    })
    .await;
    let out = harness::magnetcast(&home)
        .args(["volume", "40"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    tv.wait("volume 0.4", T, |v| {
        (v["event"] == "volume" && v["level"] == 0.4).then_some(())
    })
    .await;
    let (_, bytes) = tv.fetched(0, T).await;
    assert!(bytes == original);

    // Ctrl-C on `play` stops the TV; the torrent stays with the daemon.
    assert!(
        harness::terminate(&mut play, Duration::from_secs(10))
            .await
            .success()
    );
    tv.wait("app stopped", T, |v| {
        (v["event"] == "app_stopped").then_some(())
    })
    .await;
    let status = harness::status_json(&home)
        .await
        .expect("the daemon's status");
    assert_eq!(
        status["torrents"][0]["torrent"],
        seed.info_hash.to_hex().as_str(),
        "{status}"
    );
    assert!(
        harness::terminate(&mut daemon, Duration::from_secs(10))
            .await
            .success()
    );
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_set_saves_config_toml_unsets_with_null_and_names_a_bad_key() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let service =
        magnetcast::service::Service::start(harness::offline_config(home.path()), paths.clone())
            .await
            .unwrap();
    let call = |id: u64, text: Value| {
        let service = service.clone();
        async move {
            let mut req = text;
            req["id"] = json!(id);
            let request = magnetcast::protocol::parse_request(&req.to_string()).unwrap();
            serde_json::to_value(service.handle(request).await).unwrap()
        }
    };
    // Most keys are unset by default; saving one key must not trip over them.
    let r = call(
        1,
        json!({"cmd": "settings_set", "settings": {"seed_ratio": 1.5, "default_device": "10.0.0.9:8009"}}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    let saved = magnetcast::Config::load(&paths).unwrap();
    assert_eq!(saved.seed_ratio, Some(1.5));
    assert_eq!(
        *service.engine.config(),
        saved,
        "the engine uses the new settings at once, the same as the file"
    );
    assert_eq!(saved.default_device.as_deref(), Some("10.0.0.9:8009"));
    assert!(!saved.dht, "untouched keys keep their values");

    let r = call(
        2,
        json!({"cmd": "settings_set", "settings": {"seed_ratio": null}}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["seed_ratio"], Value::Null);
    assert_eq!(magnetcast::Config::load(&paths).unwrap().seed_ratio, None);

    let r = call(
        3,
        json!({"cmd": "settings_set", "settings": {"seed_time_secs": "a week"}}),
    )
    .await;
    assert_eq!(r["ok"], false);
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("seed_time_secs"), "{message}");
    let r = call(4, json!({"cmd": "settings_get"})).await;
    assert_eq!(
        r["result"]["default_device"], "10.0.0.9:8009",
        "a refused change loses nothing"
    );
    service.shutdown().await;
}
