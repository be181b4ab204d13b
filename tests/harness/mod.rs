//! Shared parts of the end-to-end tests: generated media, a real seeder, an engine wired to
//! it, and bounded waiting. Everything talks over loopback; DHT, LSD, UPnP and trackers are off.
#![allow(dead_code)]

pub mod netns;
pub mod swarm;

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use magnetcast::engine::{AddOptions, Torrent, TorrentEngine};
use magnetcast::seed::{LocalSeeder, SeedOptions};
use magnetcast::{Config, MagnetLink, Paths, StreamServer, TorrentSource};

/// Waits for `f` to yield `Some`, polling, up to `timeout`; panics with `what` otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is needed by this test: apt-get install ffmpeg (see .ci/run)"
    );
}

/// `file_name` in the target dir's media folder, made by ffmpeg from `seconds` of a 640x360
/// test picture and a sine tone with the encoding options `encode` adds, once per test binary
/// and cached (generation is the slowest step of a test). One at a time: tests running in
/// parallel may ask for the same file.
fn generated(file_name: &str, seconds: u32, encode: impl FnOnce(&mut Command)) -> PathBuf {
    static GENERATING: OnceLock<std::sync::Mutex<()>> = OnceLock::new();
    let _one = GENERATING.get_or_init(Default::default).lock().unwrap();
    require("ffmpeg");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("media");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file_name);
    if path.exists() {
        return path;
    }
    let tmp = dir.join(format!("partial-{file_name}"));
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=duration={seconds}:size=640x360:rate=25"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ]);
    encode(&mut ffmpeg);
    let status = ffmpeg.arg(&tmp).status().expect("run ffmpeg");
    assert!(status.success(), "ffmpeg failed to generate {file_name}");
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// An H.264/AAC MP4 of `seconds` at about `kbps` (constant rate), its index at the head.
pub fn video(seconds: u32, kbps: u32) -> PathBuf {
    generated(&format!("test-{seconds}s-{kbps}k.mp4"), seconds, |c| {
        c.args(["-b:v", &format!("{kbps}k"), "-minrate", &format!("{kbps}k")])
            .args(["-maxrate", &format!("{kbps}k")])
            .args(["-bufsize", &format!("{}k", kbps / 2)])
            .args(["-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-b:a", "64k"])
            .args(["-movflags", "+faststart"]);
    })
}

/// `seconds` of H.264 with a keyframe every second (so a seek lands within a second) and audio
/// `audio` (an ffmpeg encoder), in `name`'s container; an MP4's index is at its tail, as
/// encoders write it.
pub fn media(name: &str, seconds: u32, audio: &str) -> PathBuf {
    generated(&format!("{seconds}s-{audio}-{name}"), seconds, |c| {
        c.args(["-g", "25", "-c:a", audio, "-b:a", "128k"]);
    })
}

/// Copies `src` into a fresh folder so each seeder has its own directory.
pub fn seed_copy(src: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(src, &dst).unwrap();
    dst
}

/// A generated video, seeded by a real librqbit seeder from its own folder inside `work`.
pub struct Seeded {
    pub src: PathBuf,
    pub original: Vec<u8>,
    pub work: tempfile::TempDir,
    pub seed: LocalSeeder,
}

pub async fn seeded(seconds: u32, kbps: u32, upload_limit: Option<u32>) -> Seeded {
    let src = video(seconds, kbps);
    let original = std::fs::read(&src).unwrap();
    let work = tempfile::tempdir().unwrap();
    let seed = seeder(&seed_copy(&src, &work.path().join("seed")), upload_limit).await;
    Seeded {
        src,
        original,
        work,
        seed,
    }
}

pub async fn seeder(file: &Path, upload_limit: Option<u32>) -> LocalSeeder {
    LocalSeeder::start(
        file,
        SeedOptions {
            piece_length: Some(64 * 1024),
            upload_limit_bps: upload_limit.and_then(NonZeroU32::new),
            ..Default::default()
        },
    )
    .await
    .expect("start seeder")
}

/// A config that never leaves loopback.
pub fn offline_config(home: &Path) -> Config {
    Config {
        download_dir: Some(home.join("downloads")),
        listen_host: Some("127.0.0.1".into()),
        dht: false,
        local_discovery: false,
        upnp: false,
        metadata_timeout_secs: 20,
        ..Config::default()
    }
}

pub const OFFLINE_TOML: &str = "listen_host = \"127.0.0.1\"\ndht = false\nlocal_discovery = false\nupnp = false\nmetadata_timeout_secs = 20\n";

/// Where a daemon under `home` wrote the file `name` of a torrent it streamed: in the torrent's
/// own folder of the streaming cache. Panics unless exactly one is there.
pub fn cached_file(home: &Path, name: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(home.join("cache/torrents"))
        .map(|dirs| dirs.flatten().map(|d| d.path().join(name)).collect())
        .unwrap_or_default();
    let found: Vec<PathBuf> = found.into_iter().filter(|p| p.is_file()).collect();
    assert_eq!(found.len(), 1, "{name} in the cache: {found:?}");
    found.into_iter().next().unwrap()
}

/// Writes `home`'s config.toml: the offline settings plus `extra` TOML lines.
pub fn home_with_config(home: &Path, extra: &str) {
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!("{OFFLINE_TOML}{extra}"),
    )
    .unwrap();
}

/// Runs a command to its end; panics with its stderr unless it succeeded; returns its stdout.
pub async fn stdout_of(mut cmd: tokio::process::Command) -> String {
    let out = cmd.output().await.unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd.as_std().get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Rig {
    pub home: tempfile::TempDir,
    pub engine: Arc<TorrentEngine>,
    pub server: StreamServer,
}

impl Rig {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(tweak: impl FnOnce(&mut Config)) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut config = offline_config(home.path());
        tweak(&mut config);
        Self::start(home, config).await
    }

    /// Shuts the engine down and starts a new one on the same folders and settings.
    pub async fn restart(self) -> Self {
        let config = (*self.engine.config()).clone();
        self.server.shutdown();
        self.engine.shutdown().await;
        Self::start(self.home, config).await
    }

    async fn start(home: tempfile::TempDir, config: Config) -> Self {
        let engine = TorrentEngine::new(config, &Paths::under(home.path()))
            .await
            .expect("engine");
        let server = StreamServer::start(engine.clone(), Some("127.0.0.1:0".parse().unwrap()))
            .await
            .expect("stream server");
        Self {
            home,
            engine,
            server,
        }
    }

    pub async fn add_magnet(&self, magnet: &str) -> Arc<Torrent> {
        let source = TorrentSource::Magnet(MagnetLink::parse(magnet).unwrap());
        tokio::time::timeout(
            Duration::from_secs(30),
            self.engine.add(source, AddOptions::default()),
        )
        .await
        .expect("add within 30 s")
        .expect("add")
    }

    /// Publishes the torrent's selected file and returns its URL on loopback.
    pub fn url(&self, torrent: &Torrent) -> String {
        let path = self.server.publish(torrent, torrent.selected());
        self.server.url(&path, None)
    }

    /// Waits until every selected byte of `t` is verified.
    pub async fn finished(&self, t: &Torrent, timeout: Duration) {
        wait_for(&format!("{} to finish", t.name), timeout, || {
            let p = self.engine.progress(&t.info_hash).unwrap();
            async move { p.finished.then_some(()) }
        })
        .await
    }

    /// Where the torrent's selected file is written.
    pub fn file_of(&self, t: &Torrent) -> PathBuf {
        self.engine.file_path(t)
    }

    pub fn stream_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// GET with an optional Range header; returns status, headers and body.
pub async fn get(url: &str, range: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = http().get(url);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let resp = req.send().await.expect("GET");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

/// The real `magnetcast` binary with its own home folder and an offline config.
pub fn magnetcast(home: &Path) -> tokio::process::Command {
    std::fs::create_dir_all(home.join("config")).unwrap();
    let config = home.join("config/config.toml");
    if !config.exists() {
        std::fs::write(&config, OFFLINE_TOML).unwrap();
    }
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_magnetcast"));
    cmd.env("MAGNETCAST_HOME", home)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads JSON lines from a child's stdout until one satisfies `pick`.
pub async fn next_json<T>(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    timeout: Duration,
    pick: impl FnMut(&serde_json::Value) -> Option<T>,
) -> T {
    json_line_until(lines, "the expected JSON line", timeout, pick).await
}

async fn json_line_until<T>(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    what: &str,
    timeout: Duration,
    mut pick: impl FnMut(&serde_json::Value) -> Option<T>,
) -> T {
    tokio::time::timeout(timeout, async {
        loop {
            let line = lines
                .next_line()
                .await
                .expect("read stdout")
                .unwrap_or_else(|| panic!("stdout closed before {what}"));
            let v: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            if let Some(t) = pick(&v) {
                return t;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out after {timeout:?} waiting for {what}"))
}

/// The URL from `play --json`'s `stream` line.
pub async fn stream_url(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    timeout: Duration,
) -> String {
    next_json(lines, timeout, |v| {
        (v["event"] == "stream").then(|| v["url"].as_str().unwrap().to_string())
    })
    .await
}

/// Kills the detached daemon a test started (the relay starts one), whatever happens to the test.
pub struct DaemonGuard(pub PathBuf);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Some(info) = magnetcast::daemon::read_runtime(&Paths::under(&self.0)) {
            let _ = Command::new("kill").arg(info.pid.to_string()).status();
        }
    }
}

/// `magnetcast status --json` under `home`: the daemon's torrents and casts, or `None` while no
/// daemon answers.
pub async fn status_json(home: &Path) -> Option<serde_json::Value> {
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

/// Asks the daemon under `paths` to add the magnet and cast it to the receiver at `device`.
pub async fn add_and_cast(paths: &Paths, magnet: String, device: String) -> serde_json::Value {
    let add = magnetcast::protocol::Command::Add {
        source: Some(magnet),
        torrent_base64: None,
        file: None,
        device: Some(device),
        keep: false,
    };
    request(paths, add).await
}

/// One request to the daemon under `paths`; panics unless it succeeds; returns its result.
pub async fn request(paths: &Paths, command: magnetcast::protocol::Command) -> serde_json::Value {
    let mut socket = magnetcast::daemon::client::connect(paths).await.unwrap();
    let reply = magnetcast::daemon::client::request(&mut socket, command)
        .await
        .unwrap();
    assert!(reply.ok, "{reply:?}");
    reply.result.unwrap()
}

/// `magnetcast daemon` under `home`, once it has written its runtime file (a stale one from a
/// killed daemon is removed first).
pub async fn start_daemon(home: &Path) -> tokio::process::Child {
    start_daemon_with_env(home, &[]).await
}

/// `start_daemon` with extra environment variables.
pub async fn start_daemon_with_env(home: &Path, env: &[(&str, &str)]) -> tokio::process::Child {
    let paths = Paths::under(home);
    let _ = std::fs::remove_file(magnetcast::daemon::runtime_file(&paths));
    let mut cmd = magnetcast(home);
    cmd.arg("daemon").envs(env.iter().copied());
    let child = cmd.spawn().unwrap();
    wait_for("the daemon's runtime file", Duration::from_secs(30), || {
        let r = magnetcast::daemon::read_runtime(&paths);
        async move { r.map(|_| ()) }
    })
    .await;
    child
}

/// Duration of a media URL as ffprobe reads it over HTTP.
pub async fn ffprobe_duration(url: &str) -> f64 {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || ffprobe_duration_blocking(&url))
        .await
        .unwrap()
}

/// ffprobe's arguments that print a media's duration alone; the URL follows.
pub const FFPROBE_DURATION: [&str; 6] = [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
];

fn ffprobe_duration_blocking(url: &str) -> f64 {
    require("ffprobe");
    let out = Command::new("ffprobe")
        .args(FFPROBE_DURATION)
        .arg(url)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("duration")
}

/// SIGTERM, then the exit status within `timeout`.
pub async fn terminate(
    child: &mut tokio::process::Child,
    timeout: Duration,
) -> std::process::ExitStatus {
    let pid = child.id().expect("running") as i32;
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::timeout(timeout, child.wait())
        .await
        .expect("exit after SIGTERM in time")
        .unwrap()
}

/// The test Cast receiver (`tests/receiver/cast_receiver.py`): CASTV2 over TLS, fetches what it
/// is told to play and reports every step as a JSON line.
pub struct Receiver {
    pub child: tokio::process::Child,
    pub bind: String,
    pub port: u16,
    pub record: tempfile::TempDir,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Receiver {
    pub async fn start(extra: &[&str]) -> Self {
        Self::start_in(None, "127.0.0.1", extra).await
    }

    /// Starts the receiver bound to `bind`, inside `ns` when given.
    pub async fn start_in(ns: Option<&netns::Netns>, bind: &str, extra: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let record = tempfile::tempdir().unwrap();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/receiver/cast_receiver.py");
        let mut cmd = match ns {
            Some(ns) => ns.exec_tokio("/usr/bin/python3"),
            None => tokio::process::Command::new("/usr/bin/python3"),
        };
        let mut child = cmd
            .arg(script)
            .args(["--bind", bind, "--record"])
            .arg(record.path())
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the test receiver (python3, openssl)");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = next_json(&mut lines, Duration::from_secs(20), |v| {
            (v["event"] == "listening").then(|| v["port"].as_u64().unwrap() as u16)
        })
        .await;
        Self {
            child,
            bind: bind.to_string(),
            port,
            record,
            lines,
        }
    }

    pub fn addr(&self) -> String {
        format!("{}:{}", self.bind, self.port)
    }

    /// Reads the receiver's report until `pick` matches.
    pub async fn wait<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        pick: impl FnMut(&serde_json::Value) -> Option<T>,
    ) -> T {
        json_line_until(&mut self.lines, &format!("receiver: {what}"), timeout, pick).await
    }

    /// Waits until fetch `index` is complete and returns (offset, bytes).
    pub async fn fetched(&mut self, index: u64, timeout: Duration) -> (u64, Vec<u8>) {
        let (offset, path) = self
            .wait(&format!("fetch {index} to finish"), timeout, |v| {
                (v["event"] == "fetched" && v["index"] == index && v["done"] == true).then(|| {
                    (
                        v["offset"].as_u64().unwrap(),
                        v["path"].as_str().unwrap().to_string(),
                    )
                })
            })
            .await;
        (offset, std::fs::read(path).unwrap())
    }
}
