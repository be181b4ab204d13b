//! `bind_interface`: with two routes to the seeder, a bound torrent reaches it only through the
//! chosen interface (checked on the seeder's side), and a missing interface refuses to start.
//! The client and the seeder (libtorrent) sit in two network namespaces this test creates, joined
//! by two veth pairs.

#[path = "harness/mod.rs"]
mod harness;

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use harness::netns::{self, Netns, Veth};
use harness::{seed_copy, stream_url, video};
use tokio::io::{AsyncBufReadExt, BufReader};

const T: Duration = Duration::from_secs(60);
const A_CLIENT: Ipv4Addr = Ipv4Addr::new(10, 213, 81, 1);
const A_SEEDER: Ipv4Addr = Ipv4Addr::new(10, 213, 81, 2);
const B_CLIENT: Ipv4Addr = Ipv4Addr::new(10, 213, 82, 1);
const B_SEEDER: Ipv4Addr = Ipv4Addr::new(10, 213, 82, 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_torrent_uses_only_its_interface_and_a_missing_one_refuses_to_start() {
    if !netns::available() {
        eprintln!("SKIPPED: bind_interface needs root and iproute2 to create network namespaces");
        return;
    }
    let client = Netns::new("vpnc");
    let seeder_ns = Netns::new("vpns");
    let _a = Veth::new("mva", Some(&client), A_CLIENT, &seeder_ns, A_SEEDER);
    let _b = Veth::new("mvb", Some(&client), B_CLIENT, &seeder_ns, B_SEEDER);
    let bound = format!("mvb{}a", std::process::id() % 100_000);

    // libtorrent seeds in its namespace, on both links.
    let src = video(12, 1500);
    let original = std::fs::read(&src).unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = seed_copy(&src, &work.path().join("seed"));
    let torrent = work.path().join("t.torrent");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/libtorrent_seeder.py");
    let made = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .args([
            "make".as_ref(),
            file.as_os_str(),
            torrent.as_os_str(),
            "-".as_ref(),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let hash = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let mut seeder = seeder_ns
        .exec_tokio("/usr/bin/python3")
        .arg(&script)
        .args(["seed".as_ref(), torrent.as_os_str(), file.as_os_str()])
        // Both links, one port (libtorrent gives each listen socket its own port otherwise).
        .arg(format!("{A_SEEDER}:6881,{B_SEEDER}:6881"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seeder_out = BufReader::new(seeder.stdout.take().unwrap()).lines();
    let ready = seeder_out.next_line().await.unwrap().unwrap();
    let port: u16 = ready.strip_prefix("ready ").unwrap().parse().unwrap();

    // magnetcast in the client namespace, bound to link B, told about the seeder on both links.
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    let config = |iface: &str| {
        format!(
            "dht = false\nlocal_discovery = false\nupnp = false\nbind_interface = \"{iface}\"\n"
        )
    };
    let magnet =
        format!("magnet:?xt=urn:btih:{hash}&x.pe={A_SEEDER}:{port}&x.pe={B_SEEDER}:{port}");

    std::fs::write(home.join("config/config.toml"), config("nope0")).unwrap();
    let refused = tokio::time::timeout(
        T,
        client
            .exec_tokio(env!("CARGO_BIN_EXE_magnetcast"))
            .env("MAGNETCAST_HOME", &home)
            .args(["play", &magnet, "--no-cast"])
            .output(),
    )
    .await
    .expect("a missing interface refuses at once")
    .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("no network interface named \"nope0\"") && stderr.contains(&bound),
        "{stderr}"
    );

    std::fs::write(home.join("config/config.toml"), config(&bound)).unwrap();
    let mut play = client
        .exec_tokio(env!("CARGO_BIN_EXE_magnetcast"))
        .env("MAGNETCAST_HOME", &home)
        .args(["play", &magnet, "--no-cast", "--json"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(work.path().join("play.err")).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(play.stdout.take().unwrap()).lines();
    let url = match tokio::spawn(async move { stream_url(&mut lines, T).await }).await {
        Ok(url) => url,
        Err(_) => panic!(
            "no stream URL; stderr: {}",
            std::fs::read_to_string(work.path().join("play.err")).unwrap_or_default()
        ),
    };
    // The stream server is not bound: it answers on the client namespace's loopback.
    let got = client
        .exec_tokio("curl")
        .args(["-sf", "-o", "-", &url])
        .output()
        .await
        .expect("curl");
    assert!(
        got.status.success() && got.stdout == original,
        "stream bytes differ ({} bytes)",
        got.stdout.len()
    );
    let probed = client
        .exec_tokio("ffprobe")
        .args(harness::FFPROBE_DURATION)
        .arg(&url)
        .output()
        .await
        .unwrap();
    assert!(
        (String::from_utf8_lossy(&probed.stdout)
            .trim()
            .parse::<f64>()
            .unwrap()
            - 12.0)
            .abs()
            < 0.2
    );

    // The seeder saw us only on link B.
    drop(seeder.stdin.take());
    let mut peers = Vec::new();
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(5), seeder_out.next_line())
        .await
        .unwrap_or(Ok(None))
    {
        if let Some(ip) = line.strip_prefix("peer ") {
            peers.push(ip.to_string());
        }
    }
    assert!(
        peers.contains(&B_CLIENT.to_string()),
        "the seeder never saw the bound address: {peers:?}"
    );
    assert!(
        !peers.contains(&A_CLIENT.to_string()),
        "traffic left through the unbound interface: {peers:?}"
    );
    let _ = harness::terminate(&mut play, Duration::from_secs(10)).await;
}

const L_HOST: Ipv4Addr = Ipv4Addr::new(10, 213, 83, 1);
const L_CLIENT: Ipv4Addr = Ipv4Addr::new(10, 213, 83, 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrents_pause_when_the_bound_interface_goes_and_resume_when_it_returns() {
    if !netns::available() {
        eprintln!("SKIPPED: bind_interface needs root and iproute2 to create network namespaces");
        return;
    }
    let client = Netns::new("linkc");
    let mut link = Some(Veth::new("mvl", None, L_HOST, &client, L_CLIENT));
    let bound = format!("mvl{}b", std::process::id() % 100_000);

    // A slow librqbit seeder on the host end of the link, so the download is under way when the
    // link goes.
    let src = video(20, 2000);
    let original = std::fs::read(&src).unwrap();
    let work = tempfile::tempdir().unwrap();
    let seed = magnetcast::seed::LocalSeeder::start(
        &seed_copy(&src, &work.path().join("seed")),
        magnetcast::seed::SeedOptions {
            listen_ip: L_HOST.into(),
            piece_length: Some(64 * 1024),
            upload_limit_bps: std::num::NonZeroU32::new(600_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!(
            "dht = false\nlocal_discovery = false\nupnp = false\nbind_interface = \"{bound}\"\n"
        ),
    )
    .unwrap();
    let mut play = client
        .exec_tokio(env!("CARGO_BIN_EXE_magnetcast"))
        .env("MAGNETCAST_HOME", &home)
        .args(["play", &seed.magnet(), "--no-cast", "--json"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(work.path().join("play.err")).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(play.stdout.take().unwrap()).lines();
    let progress = |state: &'static str| {
        move |v: &serde_json::Value| {
            (v["event"] == "progress" && v["state"] == state && v["downloaded"].as_u64()? > 0)
                .then(|| v.clone())
        }
    };
    harness::next_json(&mut lines, T, progress("downloading")).await;

    // The VPN goes away: an error event names it, and the torrent pauses with that reason.
    drop(link.take());
    let error = harness::next_json(&mut lines, T, |v| {
        (v["event"] == "error").then(|| v["message"].as_str().unwrap().to_string())
    })
    .await;
    assert!(
        error.contains(&bound) && error.contains("paused until it returns"),
        "{error}"
    );
    let paused = harness::next_json(&mut lines, T, progress("paused")).await;
    assert!(
        paused["reason"].as_str().unwrap().contains(&bound),
        "{paused}"
    );
    assert!(paused["downloaded"].as_u64() < paused["total"].as_u64());

    // It comes back: the torrent resumes by itself and completes over the bound link.
    let _link = Veth::new("mvl", None, L_HOST, &client, L_CLIENT);
    harness::next_json(&mut lines, T, progress("downloading")).await;
    harness::next_json(&mut lines, T, |v| (v["event"] == "completed").then_some(())).await;
    let downloaded = std::fs::read(harness::cached_file(&home, &seed.name)).unwrap_or_default();
    let _ = harness::terminate(&mut play, Duration::from_secs(10)).await;
    assert!(
        downloaded == original,
        "the finished file differs from the source"
    );
}
