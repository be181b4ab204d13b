//! The torrent engine: one librqbit `Session`, the torrents we added to it, and a broadcast of
//! what happens to them. Everything else (CLI, stream server, later the daemon) drives this.

pub mod events;
mod fetch;
pub mod files;
mod progress;
pub mod stream;

use std::collections::HashMap;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use librqbit::ManagedTorrent;
use librqbit::api::TorrentIdOrHash;
use librqbit::{
    AddTorrent, AddTorrentOptions, AddTorrentResponse, Api, ListenerMode, ListenerOptions, Session,
    SessionOptions,
};
use tokio::io::AsyncSeekExt;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use events::{FileEntry, Progress, TorrentEvent};
pub use files::FileChoice;
pub use stream::TrackedStream;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::source::{InfoHash, MagnetLink, TorrentSource};

/// Every open stream holds one of librqbit's blocking permits until dropped, and disk writes
/// share the same pool: keep it far above the number of streams a TV and a browser open.
const BLOCKING_THREADS: usize = 64;
const EVENT_BUFFER: usize = 1024;

pub struct TorrentEngine {
    pub session: Arc<Session>,
    pub config: Arc<Config>,
    pub events: broadcast::Sender<TorrentEvent>,
    api: Api,
    http: reqwest::Client,
    torrents: Mutex<HashMap<InfoHash, Arc<Torrent>>>,
}

/// A torrent we manage, with the file chosen for playback.
pub struct Torrent {
    pub info_hash: InfoHash,
    pub name: String,
    pub files: Vec<FileEntry>,
    selected: AtomicUsize,
    pub handle: Arc<ManagedTorrent>,
    streams: stream::StreamSet,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Torrent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Torrent")
            .field("info_hash", &self.info_hash)
            .field("name", &self.name)
            .field("selected", &self.selected_file().path)
            .finish_non_exhaustive()
    }
}

impl Torrent {
    /// The index of the file being played.
    pub fn selected(&self) -> usize {
        self.selected.load(Ordering::Relaxed)
    }

    pub fn selected_file(&self) -> &FileEntry {
        &self.files[self.selected()]
    }
}

#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub file: Option<FileChoice>,
    /// Peers to try first, on top of the source's own hints.
    pub peers: Vec<SocketAddr>,
}

impl TorrentEngine {
    pub async fn new(config: Config, paths: &Paths) -> Result<Arc<Self>> {
        let download_dir = config.download_dir(paths);
        std::fs::create_dir_all(&download_dir)?;
        std::fs::create_dir_all(&paths.data_dir)?;
        let listen_ip: IpAddr = match &config.listen_host {
            Some(h) => h.parse().map_err(|_| Error::Config {
                path: paths.config_file(),
                message: format!("key `listen_host`: {h:?} is not an IP address"),
            })?,
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let trackers = config
            .trackers
            .iter()
            .map(|t| {
                url::Url::parse(t).map_err(|e| Error::Config {
                    path: paths.config_file(),
                    message: format!("key `trackers`: {t:?}: {e}"),
                })
            })
            .collect::<Result<_>>()?;
        let opts = SessionOptions {
            dht: config.dht.then(|| librqbit::DhtSessionConfig {
                persistence: Some(librqbit::dht::DhtPersistenceConfig {
                    config_filename: Some(paths.data_dir.join("dht.json")),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            disable_local_service_discovery: !config.local_discovery,
            listen: Some(ListenerOptions {
                mode: ListenerMode::TcpOnly,
                listen_addr: SocketAddr::new(listen_ip, config.listen_port),
                enable_upnp_port_forwarding: config.upnp,
                ipv4_only: listen_ip.is_ipv4(),
                ..Default::default()
            }),
            ipv4_only: listen_ip.is_ipv4() && !listen_ip.is_unspecified(),
            runtime_worker_threads: Some(BLOCKING_THREADS),
            trackers,
            client_name_and_version: Some(concat!("magnetcast ", env!("CARGO_PKG_VERSION")).into()),
            ..Default::default()
        };
        let session = Session::new_with_opts(download_dir, opts)
            .await
            .map_err(Error::Engine)?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Arc::new(Self {
            api: Api::new(session.clone(), None),
            session,
            config: Arc::new(config),
            events,
            http: fetch::client(),
            torrents: Mutex::default(),
        }))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<TorrentEvent> {
        self.events.subscribe()
    }

    pub(crate) fn publish(&self, event: TorrentEvent) {
        // No subscriber is fine: events are a view, not the state.
        let _ = self.events.send(event);
    }

    pub fn torrent(&self, info_hash: &InfoHash) -> Option<Arc<Torrent>> {
        self.torrents.lock().unwrap().get(info_hash).cloned()
    }

    pub fn torrents(&self) -> Vec<Arc<Torrent>> {
        self.torrents.lock().unwrap().values().cloned().collect()
    }

    /// Adds a torrent, waits for its metadata (bounded by `metadata_timeout_secs`), picks the
    /// file to play and starts downloading only that file.
    pub async fn add(
        self: &Arc<Self>,
        source: TorrentSource,
        opts: AddOptions,
    ) -> Result<Arc<Torrent>> {
        let result = self.add_inner(source, opts).await;
        if let Err(e) = &result {
            self.publish(TorrentEvent::Error {
                torrent: None,
                message: e.to_string(),
            });
        }
        result
    }

    async fn add_inner(
        self: &Arc<Self>,
        source: TorrentSource,
        opts: AddOptions,
    ) -> Result<Arc<Torrent>> {
        let mut peers = opts.peers.clone();
        let (listing, magnet_name) = match source {
            TorrentSource::Magnet(magnet) => {
                if let Some(t) = self.torrent(&magnet.info_hash) {
                    return Ok(t);
                }
                self.publish(TorrentEvent::Added {
                    torrent: magnet.info_hash.to_hex(),
                    name: magnet.name.clone(),
                });
                peers.extend(magnet.peers.iter().copied());
                (self.resolve_magnet(&magnet, &peers).await?, magnet.name)
            }
            TorrentSource::Url(url) => {
                let bytes = fetch::torrent_from_url(&self.http, &url).await?;
                (self.list_bytes(bytes).await?, None)
            }
            TorrentSource::Bytes(bytes) => (self.list_bytes(bytes).await?, None),
        };
        let info_hash = InfoHash(listing.info_hash.0);
        if let Some(t) = self.torrent(&info_hash) {
            return Ok(t);
        }
        let files = files::entries(
            listing
                .info
                .iter_file_details()
                .map(|fd| (fd.filename.to_vec().join("/"), fd.len)),
        );
        let name = listing
            .info
            .name()
            .map(|n| n.to_string())
            .or(magnet_name)
            .unwrap_or_else(|| info_hash.to_hex());
        let selected = files::select(&files, opts.file.as_ref())?;
        self.publish(TorrentEvent::Metadata {
            torrent: info_hash.to_hex(),
            name: name.clone(),
            files: files::for_display(&files),
            file_count: files.len(),
            selected,
        });
        peers.extend(listing.seen_peers.iter().copied());
        peers.sort();
        peers.dedup();
        let response = self
            .session
            .add_torrent(
                AddTorrent::TorrentFileBytes(listing.torrent_bytes.clone()),
                Some(AddTorrentOptions {
                    only_files: Some(vec![selected]),
                    overwrite: true,
                    initial_peers: Some(peers),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| Error::InvalidTorrent(format!("{e:#}")))?;
        let handle = match response {
            AddTorrentResponse::Added(_, h) | AddTorrentResponse::AlreadyManaged(_, h) => h,
            AddTorrentResponse::ListOnly(_) => unreachable!("list_only was not asked for"),
        };
        info!(%info_hash, %name, file = %files[selected].path, "added");
        let torrent = Arc::new(Torrent {
            info_hash,
            name,
            files,
            selected: AtomicUsize::new(selected),
            handle,
            streams: stream::StreamSet::default(),
            cancel: CancellationToken::new(),
        });
        self.torrents
            .lock()
            .unwrap()
            .insert(info_hash, torrent.clone());
        tokio::spawn(progress::run(self.clone(), torrent.clone()));
        Ok(torrent)
    }

    async fn resolve_magnet(
        &self,
        magnet: &MagnetLink,
        peers: &[SocketAddr],
    ) -> Result<librqbit::ListOnlyResponse> {
        let secs = self.config.metadata_timeout_secs;
        let add = self.session.add_torrent(
            AddTorrent::Url(magnet.to_librqbit().into()),
            Some(AddTorrentOptions {
                list_only: true,
                initial_peers: Some(peers.to_vec()),
                ..Default::default()
            }),
        );
        // librqbit waits for metadata forever.
        let response = tokio::time::timeout(Duration::from_secs(secs), add)
            .await
            .map_err(|_| Error::MetadataTimeout {
                info_hash: magnet.info_hash.to_hex(),
                secs,
            })?
            .map_err(|e| Error::Metadata {
                info_hash: magnet.info_hash.to_hex(),
                reason: format!("{e:#}"),
            })?;
        into_listing(response)
    }

    async fn list_bytes(&self, bytes: Bytes) -> Result<librqbit::ListOnlyResponse> {
        let response = self
            .session
            .add_torrent(
                AddTorrent::TorrentFileBytes(bytes),
                Some(AddTorrentOptions {
                    list_only: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| Error::InvalidTorrent(format!("{e:#}")))?;
        let listing = into_listing(response)?;
        self.publish(TorrentEvent::Added {
            torrent: InfoHash(listing.info_hash.0).to_hex(),
            name: listing.info.name().map(|n| n.to_string()),
        });
        Ok(listing)
    }

    fn get(&self, info_hash: &InfoHash) -> Result<Arc<Torrent>> {
        self.torrent(info_hash)
            .ok_or_else(|| Error::UnknownTorrent(info_hash.to_hex()))
    }

    /// Opens the file for reading at `start`. Reads wait for missing pieces; librqbit fetches
    /// pieces from the read position first.
    pub async fn open_stream(
        &self,
        info_hash: &InfoHash,
        file_index: usize,
        start: u64,
    ) -> Result<TrackedStream> {
        let torrent = self.get(info_hash)?;
        let file = torrent
            .files
            .get(file_index)
            .ok_or_else(|| Error::NoSuchFile {
                wanted: file_index.to_string(),
                available: format!("{} files", torrent.files.len()),
            })?;
        let inner = torrent
            .handle
            .clone()
            .stream(file_index)
            .await
            .map_err(Error::Engine)?;
        let mut stream =
            TrackedStream::new(Box::pin(inner), &torrent.streams, file_index, file.length);
        if start > 0 {
            stream.seek(std::io::SeekFrom::Start(start)).await?;
        }
        Ok(stream)
    }

    /// Plays (and downloads only) another file of the torrent.
    pub async fn select_file(&self, info_hash: &InfoHash, file_index: usize) -> Result<()> {
        let torrent = self.get(info_hash)?;
        if file_index >= torrent.files.len() {
            return Err(Error::NoSuchFile {
                wanted: file_index.to_string(),
                available: format!("{} files", torrent.files.len()),
            });
        }
        self.session
            .update_only_files(&torrent.handle, &HashSet::from([file_index]))
            .await
            .map_err(Error::Engine)?;
        torrent.selected.store(file_index, Ordering::Relaxed);
        Ok(())
    }

    pub fn progress(&self, info_hash: &InfoHash) -> Result<Progress> {
        let torrent = self.get(info_hash)?;
        Ok(progress::snapshot(self, &torrent, &torrent.handle.stats()))
    }

    pub async fn pause(&self, info_hash: &InfoHash) -> Result<()> {
        let torrent = self.get(info_hash)?;
        self.session
            .pause(&torrent.handle)
            .await
            .map_err(Error::Engine)
    }

    pub async fn resume(&self, info_hash: &InfoHash) -> Result<()> {
        let torrent = self.get(info_hash)?;
        self.session
            .unpause(&torrent.handle)
            .await
            .map_err(Error::Engine)
    }

    pub async fn remove(&self, info_hash: &InfoHash, delete_files: bool) -> Result<()> {
        let torrent = self.get(info_hash)?;
        torrent.cancel.cancel();
        self.session
            .delete(TorrentIdOrHash::Hash(info_hash.id20()), delete_files)
            .await
            .map_err(Error::Engine)?;
        self.torrents.lock().unwrap().remove(info_hash);
        self.publish(TorrentEvent::Removed {
            torrent: info_hash.to_hex(),
            files_deleted: delete_files,
        });
        Ok(())
    }

    /// Stops every poller and the session. Streams still open fail their next read.
    pub async fn shutdown(&self) {
        for t in self.torrents() {
            t.cancel.cancel();
        }
        if tokio::time::timeout(Duration::from_secs(5), self.session.stop())
            .await
            .is_err()
        {
            warn!("session did not stop within 5 s");
        }
    }
}

fn into_listing(response: AddTorrentResponse) -> Result<librqbit::ListOnlyResponse> {
    match response {
        AddTorrentResponse::ListOnly(l) => Ok(l),
        _ => Err(Error::Engine(anyhow::anyhow!("librqbit ignored list_only"))),
    }
}
