//! A local seeder: a second librqbit session that serves one file on loopback. `magnetcast demo`
//! uses it to prove a setup end to end without the internet, and the tests use it as the real
//! BitTorrent peer on the other side of the wire.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use librqbit::limits::LimitsConfig;
use librqbit::{CreateTorrentOptions, ListenerOptions, ManagedTorrent, Session, SessionOptions};

use crate::error::{Error, Result};
use crate::source::InfoHash;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub listen_ip: IpAddr,
    pub piece_length: Option<u32>,
    pub trackers: Vec<String>,
    /// Throttle, so a test can read while the download is still under way.
    pub upload_limit_bps: Option<NonZeroU32>,
    /// 0 picks a free port; a fixed one lets a seeder come back where peers knew it.
    pub listen_port: u16,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            listen_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            piece_length: None,
            trackers: Vec::new(),
            upload_limit_bps: None,
            listen_port: 0,
        }
    }
}

pub struct LocalSeeder {
    session: Arc<Session>,
    pub handle: Arc<ManagedTorrent>,
    pub info_hash: InfoHash,
    pub addr: SocketAddr,
    pub torrent_bytes: Bytes,
    pub name: String,
}

impl LocalSeeder {
    /// Hashes `file` and seeds it with DHT, local discovery and UPnP off.
    pub async fn start(file: &Path, opts: SeedOptions) -> Result<Self> {
        let folder = file
            .parent()
            .ok_or_else(|| Error::InvalidTorrent(format!("{} has no folder", file.display())))?;
        let session = Session::new_with_opts(
            folder.to_path_buf(),
            SessionOptions {
                dht: None,
                disable_local_service_discovery: true,
                disable_trackers: opts.trackers.is_empty(),
                listen: Some(ListenerOptions {
                    listen_addr: SocketAddr::new(opts.listen_ip, opts.listen_port),
                    ipv4_only: opts.listen_ip.is_ipv4(),
                    ..Default::default()
                }),
                ipv4_only: opts.listen_ip.is_ipv4(),
                ratelimits: LimitsConfig {
                    upload_bps: opts.upload_limit_bps,
                    download_bps: None,
                },
                ..Default::default()
            },
        )
        .await
        .map_err(Error::Engine)?;
        let (created, handle) = session
            .create_and_serve_torrent(
                file,
                CreateTorrentOptions {
                    name: None,
                    trackers: opts.trackers.clone(),
                    piece_length: opts.piece_length,
                },
            )
            .await
            .map_err(|e| Error::Engine(anyhow::anyhow!("{e}")))?;
        tokio::time::timeout(Duration::from_secs(120), handle.wait_until_completed())
            .await
            .map_err(|_| Error::Engine(anyhow::anyhow!("seeder did not finish hashing in 120 s")))?
            .map_err(Error::Engine)?;
        let port = session
            .listen_addr()
            .ok_or_else(|| Error::Engine(anyhow::anyhow!("seeder has no listen address")))?
            .port();
        Ok(Self {
            info_hash: InfoHash(created.info_hash().0),
            torrent_bytes: created.as_bytes().map_err(Error::Engine)?,
            name: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            addr: SocketAddr::new(opts.listen_ip, port),
            handle,
            session,
        })
    }

    /// A magnet link that finds this seeder through an `x.pe` peer hint.
    pub fn magnet(&self) -> String {
        format!(
            "magnet:?xt=urn:btih:{}&dn={}&x.pe={}",
            self.info_hash,
            percent_encoding::utf8_percent_encode(&self.name, percent_encoding::NON_ALPHANUMERIC),
            self.addr
        )
    }

    pub async fn stop(&self) {
        self.session.stop().await;
    }
}
