//! A swarm that is not librqbit: opentracker (Debian) and a libtorrent-rasterbar seeder (Debian's
//! python3-libtorrent, `tests/peers/libtorrent_seeder.py`) seeding a generated video, found only
//! through the tracker. Inside a network namespace when given one, else on loopback.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::netns::Netns;
use super::{seed_copy, video, wait_for};

/// A child process killed on drop.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Swarm {
    pub info_hash: String,
    pub announce: String,
    pub torrent_file: PathBuf,
    pub original: Vec<u8>,
    pub work: tempfile::TempDir,
    seeder: Killed,
    _tracker: Killed,
}

impl Swarm {
    /// Tracker on `ip:port`, seeder on `ip`; returns once the tracker accepted the seeder.
    pub async fn start(ns: Option<&Netns>, ip: IpAddr, port: u16, seconds: u32, kbps: u32) -> Self {
        let command = |program: &str| match ns {
            Some(ns) => ns.exec(program),
            None => Command::new(program),
        };
        let src = video(seconds, kbps);
        let original = std::fs::read(&src).unwrap();
        let work = tempfile::tempdir().unwrap();
        let file = seed_copy(&src, &work.path().join("seed"));
        let torrent_file = work.path().join("lt.torrent");
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/libtorrent_seeder.py");
        let tracker_addr = SocketAddr::new(ip, port);
        let announce = format!("http://{tracker_addr}/announce");
        let made = Command::new("/usr/bin/python3")
            .arg(&script)
            .args([
                "make".as_ref(),
                file.as_os_str(),
                torrent_file.as_os_str(),
                announce.as_ref(),
            ])
            .output()
            .expect("python3 with libtorrent (apt-get install python3-libtorrent)");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let info_hash = String::from_utf8(made.stdout).unwrap().trim().to_string();
        assert_eq!(info_hash.len(), 40, "{info_hash}");

        // Debian builds opentracker with a whitelist: allow our torrent only. It chroots into
        // `-d` before reading the list, hence the list's path from that root.
        std::fs::write(work.path().join("whitelist"), format!("{info_hash}\n")).unwrap();
        let tracker = Killed(
            command("opentracker")
                .args(["-i", &ip.to_string()])
                .args(["-p", &port.to_string(), "-P", &port.to_string()])
                .arg("-d")
                .arg(work.path())
                .args(["-w", "/whitelist"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("opentracker (apt-get install opentracker)"),
        );
        wait_for(
            "tracker to listen",
            Duration::from_secs(10),
            || async move {
                TcpStream::connect_timeout(&tracker_addr, Duration::from_millis(200))
                    .ok()
                    .map(|_| ())
            },
        )
        .await;

        let mut seeder = Killed(
            command("/usr/bin/python3")
                .arg(&script)
                .args([
                    "seed".as_ref(),
                    torrent_file.as_os_str(),
                    file.as_os_str(),
                    ip.to_string().as_ref(),
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(seeder.0.stdout.as_mut().unwrap()),
            &mut ready,
        )
        .unwrap();
        // The seeder says ready once the tracker has accepted its announce.
        assert!(
            ready.starts_with("ready "),
            "seeder did not start: {ready:?}"
        );
        Self {
            info_hash,
            announce,
            torrent_file,
            original,
            work,
            seeder,
            _tracker: tracker,
        }
    }

    /// A magnet with only the hash and the tracker.
    pub fn magnet(&self) -> String {
        format!(
            "magnet:?xt=urn:btih:{}&tr={}",
            self.info_hash,
            urlencode(&self.announce)
        )
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        // The seeder leaves cleanly when its stdin closes.
        drop(self.seeder.0.stdin.take());
    }
}

pub fn free_port(ip: IpAddr) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
