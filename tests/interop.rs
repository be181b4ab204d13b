//! Interop: `magnetcast play` against a seeder that is not librqbit (libtorrent-rasterbar) found
//! through a real tracker (opentracker), from a magnet link with `tr=` only. As root (CI) the
//! seeder and tracker live in a network namespace this test creates, behind a veth pair, so the
//! download crosses a real (virtual) link; otherwise they run on loopback.

#[path = "harness/mod.rs"]
mod harness;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::netns::{self, Netns, Veth};
use harness::{
    ffprobe_duration, get, magnetcast, seed_copy, stream_url, terminate, video, wait_for,
};
use tokio::io::{AsyncBufReadExt, BufReader};

const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 77, 1);
const PEER_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 77, 2);

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port(ip: IpAddr) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_streams_from_libtorrent_through_opentracker() {
    let netns = netns::available().then(|| {
        let ns = Netns::new("interop");
        let veth = Veth::new("mci", None, HOST_IP, &ns, PEER_IP);
        (ns, veth)
    });
    let (host_ip, peer_ip): (IpAddr, IpAddr) = match &netns {
        Some(_) => (HOST_IP.into(), PEER_IP.into()),
        None => (Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into()),
    };
    eprintln!(
        "interop over {}",
        if netns.is_some() {
            "a network namespace"
        } else {
            "loopback"
        }
    );
    let command = |program: &str| match &netns {
        Some((ns, _)) => ns.exec(program),
        None => Command::new(program),
    };

    // The torrent, made by libtorrent.
    let src = video(12, 1500);
    let original = std::fs::read(&src).unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = seed_copy(&src, &work.path().join("seed"));
    let torrent_file = work.path().join("lt.torrent");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/libtorrent_seeder.py");
    let port = match &netns {
        Some(_) => 6969,
        None => free_port(peer_ip),
    };
    let tracker_addr = SocketAddr::new(peer_ip, port);
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

    // The tracker. Debian builds opentracker with a whitelist: allow our torrent only. It
    // chroots into `-d` before reading the list, hence the list's path from that root.
    std::fs::write(work.path().join("whitelist"), format!("{info_hash}\n")).unwrap();
    let tracker = Killed(
        command("opentracker")
            .args([
                "-i",
                &peer_ip.to_string(),
                "-p",
                &port.to_string(),
                "-P",
                &port.to_string(),
            ])
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

    // The libtorrent seeder.
    let mut seeder = Killed(
        command("/usr/bin/python3")
            .arg(&script)
            .args([
                "seed".as_ref(),
                torrent_file.as_os_str(),
                file.as_os_str(),
                peer_ip.to_string().as_ref(),
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

    // magnetcast, from a magnet with only the hash and the tracker.
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!(
            "listen_host = \"{host_ip}\"\ndht = false\nlocal_discovery = false\nupnp = false\n"
        ),
    )
    .unwrap();
    let magnet = format!(
        "magnet:?xt=urn:btih:{info_hash}&tr={}",
        urlencode(&announce)
    );
    let started = Instant::now();
    let mut child = magnetcast(&home)
        .args(["play", &magnet, "--no-cast", "--json"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = stream_url(&mut lines, Duration::from_secs(60)).await;
    let to_url = started.elapsed();
    let duration = ffprobe_duration(&url).await;
    eprintln!(
        "stream URL after {to_url:?}, ffprobe done after {:?}",
        started.elapsed()
    );
    assert!((duration - 12.0).abs() < 0.2, "duration {duration}");
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert!(
        body == original,
        "streamed bytes differ from the seeded file"
    );
    let len = original.len();
    let (status, _, body) = get(
        &url,
        Some(&format!("bytes={}-{}", len / 3, len / 3 + 99_999)),
    )
    .await;
    assert_eq!(status, 206);
    assert!(body[..] == original[len / 3..len / 3 + 100_000]);

    assert!(
        terminate(&mut child, Duration::from_secs(10))
            .await
            .success()
    );
    drop(seeder.0.stdin.take());
    drop(tracker);
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
