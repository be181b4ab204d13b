//! Interop: `magnetcast play` against a seeder that is not librqbit (libtorrent-rasterbar) found
//! through a real tracker (opentracker), from a magnet link with `tr=` only. As root (CI) the
//! seeder and tracker live in a network namespace this test creates, behind a veth pair, so the
//! download crosses a real (virtual) link; otherwise they run on loopback.

#[path = "harness/mod.rs"]
mod harness;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use harness::netns::{self, Netns, Veth};
use harness::swarm::{Swarm, free_port};
use harness::{ffprobe_duration, get, magnetcast, stream_url, terminate};
use tokio::io::{AsyncBufReadExt, BufReader};

const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 77, 1);
const PEER_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 77, 2);

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
    let port = match &netns {
        Some(_) => 6969,
        None => free_port(peer_ip),
    };
    let swarm = Swarm::start(netns.as_ref().map(|(ns, _)| ns), peer_ip, port, 12, 1500).await;
    let original = &swarm.original;

    // magnetcast, from a magnet with only the hash and the tracker.
    let home = swarm.work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!(
            "listen_host = \"{host_ip}\"\ndht = false\nlocal_discovery = false\nupnp = false\n"
        ),
    )
    .unwrap();
    let magnet = swarm.magnet();
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
        body == *original,
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
}
