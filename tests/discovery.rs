//! `magnetcast devices` finds the test receiver by its mDNS advertisement. Both sit in network
//! namespaces this test creates, joined by a veth pair, so the multicast never leaves the test.

#[path = "harness/mod.rs"]
mod harness;

use std::net::Ipv4Addr;
use std::time::Duration;

use harness::Receiver;
use harness::netns::{self, Netns, Veth};

const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 78, 1);
const TV_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 78, 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_finds_the_receiver_by_name_over_mdns() {
    if !netns::available() {
        eprintln!("SKIPPED: mDNS discovery needs root and iproute2 to create network namespaces");
        return;
    }
    let tv_ns = Netns::new("tv");
    let client_ns = Netns::new("client");
    let _link = Veth::new("mcd", Some(&client_ns), CLIENT_IP, &tv_ns, TV_IP);
    let tv = Receiver::start_in(
        Some(&tv_ns),
        &TV_IP.to_string(),
        &[
            "--advertise",
            "--name",
            "Living Room Test",
            "--port",
            "8009",
        ],
    )
    .await;

    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        client_ns
            .exec_tokio(env!("CARGO_BIN_EXE_magnetcast"))
            .env("MAGNETCAST_HOME", home.path())
            .args(["devices", "--json", "--timeout", "4"])
            .output(),
    )
    .await
    .expect("devices finishes")
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let devices: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tv_entry = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Living Room Test")
        .unwrap_or_else(|| panic!("receiver not found: {devices}"));
    assert_eq!(tv_entry["addr"], tv.addr());
    assert_eq!(tv_entry["model"], "Test Receiver");
    assert_eq!(tv_entry["id"], format!("testreceiver{}", tv.port));
    assert_eq!(tv_entry["group"], false);
}
