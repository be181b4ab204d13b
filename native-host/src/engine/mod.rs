//! The torrent engine: one librqbit `Session`, the torrents we added to it, and a broadcast of
//! what happens to them. Everything else (CLI, stream server, later the daemon) drives this.

mod cache;
pub mod casting;
mod clock;
mod connections;
pub mod events;
mod fetch;
pub mod files;
pub mod hold;
mod index;
mod keep;
mod link;
mod need;
mod progress;
mod queue;
mod scheduler;
pub mod seeding;
mod slow_peers;
mod space;
mod state;
pub mod stream;

use std::collections::HashMap;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

pub use cache::CacheUsage;
pub use events::{FileEntry, Progress, TorrentEvent};
pub use files::FileChoice;
pub use keep::Kept;
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
    /// The settings in force; `set_config` replaces them while running.
    config: Mutex<Arc<Config>>,
    /// Read once at start: librqbit binds its sockets to it when the session starts.
    bound_interface: Option<String>,
    session_dir: std::path::PathBuf,
    download_dir: std::path::PathBuf,
    /// Read once at start, like `download_dir`.
    cache_dir: std::path::PathBuf,
    /// Which torrent each Cast device plays.
    pub casting: casting::Casting,
    /// Kept torrents that could not be moved out of the cache this run (they stay, kept).
    keep_failed: Mutex<HashSet<InfoHash>>,
    /// Bytes per second each watched torrent's playback needs, as its player's duration says.
    playback_rates: Mutex<HashMap<InfoHash, u64>>,
    /// Torrents told that the download cap starves their playback.
    rate_warned: Mutex<HashSet<InfoHash>>,
    pub events: broadcast::Sender<TorrentEvent>,
    api: Api,
    http: reqwest::Client,
    torrents: Mutex<HashMap<InfoHash, Arc<Torrent>>>,
    state: state::StateFile,
    /// Serialises queue decisions (adds, streams and the supervisor all trigger them).
    scheduling: tokio::sync::Mutex<()>,
    wake: Arc<tokio::sync::Notify>,
    /// Magnets still fetching their metadata (not torrents of ours yet), with their names.
    pending: Mutex<HashMap<InfoHash, Option<String>>>,
    /// What holds torrents now (the interface gone, the disk full), with the reasons.
    holds: hold::Causes,
    cancel: CancellationToken,
}

/// A torrent we manage, with the file chosen for playback.
pub struct Torrent {
    pub info_hash: InfoHash,
    pub name: String,
    pub files: Vec<FileEntry>,
    selected: AtomicUsize,
    pub handle: Arc<ManagedTorrent>,
    /// Bytes uploaded, all runs included.
    uploaded: Mutex<UploadCounter>,
    /// Time live and time seeding, all runs included.
    clock: Mutex<clock::Clock>,
    /// This torrent's own limits; `None` follows the config.
    limits: Mutex<Option<seeding::SeedLimits>>,
    streams: stream::StreamSet,
    cancel: CancellationToken,
    /// Waiting for a download slot; paused by the queue, not by the user.
    queued: AtomicBool,
    /// Paused by the engine for an outside cause (see `hold`).
    held: hold::HeldFor,
    /// Its place in the queue: when it was first added (ms since the Unix epoch).
    order: u64,
    /// Files whose MP4 index was looked for (once is enough).
    indexed: Mutex<HashSet<usize>>,
    /// Peers dropped for being too slow for a waiting stream (`slow_peers.rs`).
    dropped_slow: Mutex<Vec<SocketAddr>>,
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

/// librqbit counts uploaded bytes from zero each time a torrent goes live (start, unpause); this
/// keeps the running total across those restarts.
#[derive(Debug, Default)]
struct UploadCounter {
    total: u64,
    base: u64,
    last_live: u64,
}

impl UploadCounter {
    fn starting_at(total: u64) -> Self {
        Self {
            total,
            base: total,
            last_live: 0,
        }
    }

    fn observe(&mut self, live: u64) -> u64 {
        if live < self.last_live {
            self.base = self.total;
        }
        self.last_live = live;
        self.total = self.total.max(self.base + live);
        self.total
    }
}

impl Torrent {
    fn new(
        info_hash: InfoHash,
        name: String,
        files: Vec<FileEntry>,
        selected: usize,
        handle: Arc<ManagedTorrent>,
    ) -> Self {
        Self {
            info_hash,
            name,
            files,
            selected: AtomicUsize::new(selected),
            handle,
            uploaded: Mutex::default(),
            clock: Mutex::new(clock::Clock::starting_at(0, 0)),
            limits: Mutex::default(),
            streams: stream::StreamSet::default(),
            cancel: CancellationToken::new(),
            queued: AtomicBool::new(false),
            held: hold::HeldFor::default(),
            order: 0,
            indexed: Mutex::default(),
            dropped_slow: Mutex::default(),
        }
    }

    /// Waiting for a download slot (`max_active`).
    pub fn is_queued(&self) -> bool {
        self.queued.load(Ordering::Relaxed)
    }

    /// Bytes uploaded over the torrent's whole life, given its current stats.
    pub(crate) fn uploaded_total(&self, stats: &librqbit::TorrentStats) -> u64 {
        self.uploaded.lock().unwrap().observe(stats.uploaded_bytes)
    }

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
    /// Download straight into `download_dir` instead of the streaming cache.
    pub keep: bool,
}

impl TorrentEngine {
    pub async fn new(config: Config, paths: &Paths) -> Result<Arc<Self>> {
        let download_dir = config.download_dir(paths);
        std::fs::create_dir_all(&download_dir)?;
        let cache_dir = config.cache_dir(paths);
        std::fs::create_dir_all(&cache_dir)?;
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
        if let Some(name) = &config.bind_interface {
            check_interface(name).map_err(|message| Error::Config {
                path: paths.config_file(),
                message,
            })?;
        }
        if config.request_window == 0 {
            return Err(Error::Config {
                path: paths.config_file(),
                message: "key `request_window`: must be at least 1".into(),
            });
        }
        let opts = SessionOptions {
            connect: Some(librqbit::ConnectionOptions {
                peer_opts: Some(librqbit::PeerConnectionOptions {
                    max_request_window: Some(config.request_window),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            bind_device_name: config.bind_interface.clone(),
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
            // Torrents, their file selection and verified pieces survive restarts, kill -9 included.
            persistence: Some(librqbit::SessionPersistenceConfig::Json {
                folder: Some(prepare_session_dir(&paths.data_dir.join("session"))?),
            }),
            fastresume: true,
            ratelimits: librqbit::limits::LimitsConfig {
                download_bps: rate(config.download_limit),
                upload_bps: rate(config.upload_limit),
            },
            ..Default::default()
        };
        connections::watch();
        let session = Session::new_with_opts(download_dir.clone(), opts)
            .await
            .map_err(Error::Engine)?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let engine = Arc::new(Self {
            session_dir: paths.data_dir.join("session"),
            download_dir,
            cache_dir,
            casting: casting::Casting::default(),
            keep_failed: Mutex::default(),
            playback_rates: Mutex::default(),
            rate_warned: Mutex::default(),
            api: Api::new(session.clone(), None),
            session,
            bound_interface: config.bind_interface.clone(),
            config: Mutex::new(Arc::new(config)),
            events,
            http: fetch::client(),
            torrents: Mutex::default(),
            state: state::StateFile::open(paths.data_dir.join("torrents.json")),
            scheduling: tokio::sync::Mutex::new(()),
            wake: Arc::default(),
            holds: hold::Causes::default(),
            pending: Mutex::default(),
            cancel: CancellationToken::new(),
        });
        engine.restore().await;
        tokio::spawn(scheduler::supervise(
            Arc::downgrade(&engine),
            engine.cancel.clone(),
        ));
        Ok(engine)
    }

    /// Takes back the torrents librqbit restored from its persistence.
    async fn restore(self: &Arc<Self>) {
        let handles: Vec<_> = self
            .session
            .with_torrents(|it| it.map(|(_, h)| h.clone()).collect());
        for handle in handles {
            let info_hash = InfoHash(handle.info_hash().0);
            let handle = match self.state.get(&info_hash.to_hex()) {
                Some(saved) if !saved.peers.is_empty() => {
                    let folder = handle.output_folder().to_path_buf();
                    match self.readd(handle, folder, saved.peers).await {
                        Ok(h) => h,
                        Err(e) => {
                            warn!(%info_hash, "cannot restore with its peers: {e}");
                            continue;
                        }
                    }
                }
                _ => handle,
            };
            let Ok(files) = handle.with_metadata(|m| {
                files::entries(
                    m.info
                        .iter_file_details()
                        .map(|fd| (fd.filename.to_vec().join("/"), fd.len)),
                )
            }) else {
                continue;
            };
            let saved = self.state.get(&info_hash.to_hex());
            let selected = saved
                .as_ref()
                .map(|s| s.selected)
                .or_else(|| handle.only_files().and_then(|f| f.first().copied()))
                .filter(|i| *i < files.len())
                .unwrap_or(0);
            let name = saved
                .map(|s| s.name)
                .or_else(|| handle.name())
                .unwrap_or_else(|| info_hash.to_hex());
            tracing::info!(%info_hash, %name, "restored");
            let t = self.track(Torrent::new(info_hash, name, files, selected, handle));
            if self.state.get(&info_hash.to_hex()).is_some_and(|s| s.held) {
                self.resume_held(&t).await;
            }
        }
    }

    /// Gives librqbit a torrent again, writing to `folder`, with peer hints: it keeps no hints and
    /// has no way to add a peer to a running torrent, nor to move one. Its files are re-checked,
    /// not downloaded again.
    async fn readd(
        &self,
        handle: Arc<ManagedTorrent>,
        folder: std::path::PathBuf,
        peers: Vec<SocketAddr>,
    ) -> Result<Arc<ManagedTorrent>> {
        let bytes = handle
            .with_metadata(|m| m.torrent_bytes.clone())
            .map_err(Error::Engine)?;
        let only_files = handle.only_files();
        let paused = handle.is_paused();
        self.session
            .delete(TorrentIdOrHash::Hash(handle.info_hash()), false)
            .await
            .map_err(Error::Engine)?;
        let response = self
            .session
            .add_torrent(
                AddTorrent::TorrentFileBytes(bytes),
                Some(AddTorrentOptions {
                    only_files,
                    paused,
                    overwrite: true,
                    initial_peers: Some(peers),
                    output_folder: Some(folder.to_string_lossy().into_owned()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(Error::Engine)?;
        response
            .into_handle()
            .ok_or_else(|| Error::Engine(anyhow::anyhow!("librqbit ignored the add")))
    }

    fn track(self: &Arc<Self>, mut torrent: Torrent) -> Arc<Torrent> {
        let saved = self
            .state
            .get(&torrent.info_hash.to_hex())
            .unwrap_or_default();
        torrent.uploaded = Mutex::new(UploadCounter::starting_at(saved.uploaded_total));
        torrent.clock = Mutex::new(clock::Clock::starting_at(
            saved.active_secs,
            saved.seeding_secs,
        ));
        *torrent.queued.get_mut() |= saved.queued;
        torrent.order = match saved.added_ms {
            0 => cache::now_ms(),
            ms => ms,
        };
        let torrent = Arc::new(torrent);
        self.state.update(&torrent.info_hash.to_hex(), |s| {
            s.name = torrent.name.clone();
            s.selected = torrent.selected();
            s.added_ms = torrent.order;
            s.queued = torrent.is_queued();
        });
        self.torrents
            .lock()
            .unwrap()
            .insert(torrent.info_hash, torrent.clone());
        tokio::spawn(progress::run(self.clone(), torrent.clone()));
        tokio::spawn(slow_peers::run(torrent.clone()));
        torrent
    }

    /// Saves the totals that must survive a restart (the poller calls this every few seconds,
    /// so even kill -9 loses little).
    pub(crate) fn save_totals(&self, t: &Torrent) {
        let total = t.uploaded_total(&t.handle.stats());
        let (active, seeding) = t.clock.lock().unwrap().totals();
        let watched = self.last_watched_ms(t);
        self.state.update(&t.info_hash.to_hex(), |s| {
            s.watched_ms = s.watched_ms.max(watched);
            s.uploaded_total = total;
            s.active_secs = s.active_secs.max(active);
            s.seeding_secs = s.seeding_secs.max(seeding);
        });
    }

    /// The limits in force for `t`: its own, else the config's.
    pub fn seed_limits(&self, t: &Torrent) -> seeding::SeedLimits {
        t.limits.lock().unwrap().unwrap_or(seeding::SeedLimits {
            ratio: self.config().seed_ratio,
            time_secs: self.config().seed_time_secs,
        })
    }

    /// Sets (or with `None` clears) a torrent's own seeding limits.
    pub async fn set_seed_limits(
        &self,
        info_hash: &InfoHash,
        limits: Option<seeding::SeedLimits>,
    ) -> Result<()> {
        let torrent = self.get(info_hash)?;
        *torrent.limits.lock().unwrap() = limits;
        // A torrent stopped by the old limits may seed again under the new ones.
        if self.finished_reason(&torrent).is_some() {
            self.state
                .update(&info_hash.to_hex(), |s| s.finished_reason = None);
            self.session
                .unpause(&torrent.handle)
                .await
                .map_err(Error::Engine)?;
        }
        Ok(())
    }

    /// Stops seeding `t` for `reason`, remembered across restarts.
    pub(crate) async fn finish_seeding(&self, t: &Torrent, reason: String) {
        info!(info_hash = %t.info_hash, %reason, "stopped seeding");
        self.state.update(&t.info_hash.to_hex(), |s| {
            s.finished_reason = Some(reason.clone())
        });
        if let Err(e) = self.session.pause(&t.handle).await {
            warn!(info_hash = %t.info_hash, "cannot pause after seeding: {e:#}");
        }
    }

    /// Where the viewer left the torrent's selected file, if anywhere worth resuming.
    pub fn playback_position(&self, info_hash: &InfoHash) -> Option<f64> {
        self.state
            .get(&info_hash.to_hex())
            .and_then(|s| s.position_secs)
    }

    /// Remembers the playhead (`None`: watched to the end, or another file chosen). Saved when it
    /// moved by a few seconds, so a TV's status every second does not rewrite the file each time.
    pub fn save_position(&self, info_hash: &InfoHash, position: Option<f64>) {
        if self.torrent(info_hash).is_none() {
            return;
        }
        self.state.update(&info_hash.to_hex(), |s| {
            let moved = match (s.position_secs, position) {
                (Some(a), Some(b)) => (a - b).abs() >= POSITION_STEP_SECS,
                (a, b) => a.is_some() != b.is_some(),
            };
            if moved {
                s.position_secs = position;
            }
        });
    }

    pub(crate) fn finished_reason(&self, t: &Torrent) -> Option<String> {
        self.state
            .get(&t.info_hash.to_hex())
            .and_then(|s| s.finished_reason)
    }

    /// The settings in force.
    pub fn config(&self) -> Arc<Config> {
        self.config.lock().unwrap().clone()
    }

    /// Puts new settings in force at once: seeding limits, the queue, rate caps, the cache limit,
    /// staying awake, the stream host, devices, timeouts. What librqbit reads only when its
    /// session starts (listener, DHT, UPnP, trackers, `bind_interface`) and the two folders take
    /// effect at the next start.
    pub fn set_config(&self, config: Config) {
        let mut current = self.config.lock().unwrap();
        if (config.download_limit, config.upload_limit)
            != (current.download_limit, current.upload_limit)
        {
            info!(download = ?config.download_limit, upload = ?config.upload_limit, "rate limits");
            let limits = &self.session.ratelimits;
            limits.set_download_bps(rate(config.download_limit));
            limits.set_upload_bps(rate(config.upload_limit));
        }
        *current = Arc::new(config);
        drop(current);
        // A new queue limit or seeding limit is looked at now, not at the next tick.
        self.wake();
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
        let magnet = match &source {
            TorrentSource::Magnet(m) => Some(m.info_hash),
            _ => None,
        };
        let result = self.add_inner(source, opts).await;
        if let Err(e) = &result {
            self.publish(TorrentEvent::Error {
                torrent: None,
                message: e.to_string(),
            });
            // Views listed the magnet while it fetched its metadata: take it off again.
            if let Some(h) = magnet.filter(|h| self.torrent(h).is_none()) {
                self.publish(TorrentEvent::Removed {
                    torrent: h.to_hex(),
                    files_deleted: false,
                    reason: None,
                });
            }
        }
        result
    }

    async fn add_inner(
        self: &Arc<Self>,
        source: TorrentSource,
        opts: AddOptions,
    ) -> Result<Arc<Torrent>> {
        if let Some(why) = self.held_by(hold::Cause::Link) {
            return Err(Error::LinkDown(why));
        }
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
                let _pending = self.fetching_metadata(&magnet);
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
        let hints = peers.clone();
        peers.extend(listing.seen_peers.iter().copied());
        peers.sort();
        peers.dedup();
        let multi_file = listing.info.info().files.is_some();
        let folder = self.folder_for(opts.keep, multi_file, &name, &info_hash.to_hex());
        self.check_space(&folder, opts.keep, &name, &files[selected])
            .await?;
        let queued = self.queue_full();
        let response = self
            .session
            .add_torrent(
                AddTorrent::TorrentFileBytes(listing.torrent_bytes.clone()),
                Some(AddTorrentOptions {
                    only_files: Some(files::wanted(&files, selected)),
                    overwrite: true,
                    initial_peers: Some(peers),
                    paused: queued,
                    output_folder: Some(folder.to_string_lossy().into_owned()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| Error::InvalidTorrent(format!("{e:#}")))?;
        let handle = match response {
            AddTorrentResponse::Added(_, h) | AddTorrentResponse::AlreadyManaged(_, h) => h,
            AddTorrentResponse::ListOnly(_) => unreachable!("list_only was not asked for"),
        };
        info!(%info_hash, %name, file = %files[selected].path, queued, "added");
        if !hints.is_empty() {
            self.state.update(&info_hash.to_hex(), |s| s.peers = hints);
        }
        let torrent = Torrent::new(info_hash, name, files, selected, handle);
        torrent.queued.store(queued, Ordering::Relaxed);
        let torrent = self.track(torrent);
        self.wake();
        Ok(torrent)
    }

    /// Refuses, before anything is written, a file that does not fit: in the streaming cache
    /// (after evicting what may be evicted) and on the disk (what is already there from an
    /// earlier run counts as there).
    async fn check_space(
        &self,
        folder: &std::path::Path,
        keep: bool,
        name: &str,
        file: &FileEntry,
    ) -> Result<()> {
        let needed = file
            .length
            .saturating_sub(bytes_on_disk(&folder.join(&file.path)));
        if !keep {
            self.make_room(needed, name).await?;
        }
        let base = if keep {
            &self.download_dir
        } else {
            &self.cache_dir
        };
        let available = fs4::available_space(base)?;
        if needed > available {
            return Err(Error::NoSpace {
                name: name.to_string(),
                dir: base.clone(),
                needed_mb: needed as f64 / 1e6,
                available_mb: available as f64 / 1e6,
            });
        }
        Ok(())
    }

    /// Where the torrent's selected file is written.
    pub fn file_path(&self, t: &Torrent) -> std::path::PathBuf {
        t.handle.output_folder().join(&t.selected_file().path)
    }

    /// Lists the magnet as `fetching_metadata` until the guard is dropped.
    fn fetching_metadata(&self, magnet: &MagnetLink) -> Pending<'_> {
        self.pending
            .lock()
            .unwrap()
            .insert(magnet.info_hash, magnet.name.clone());
        self.publish(TorrentEvent::Progress(progress::fetching_metadata(
            &magnet.info_hash,
        )));
        Pending(self, magnet.info_hash)
    }

    /// Magnets still waiting for their metadata, as progress with state `fetching_metadata`.
    pub fn pending(&self) -> Vec<(Progress, Option<String>)> {
        self.pending
            .lock()
            .unwrap()
            .iter()
            .map(|(h, name)| (progress::fetching_metadata(h), name.clone()))
            .collect()
    }

    async fn resolve_magnet(
        &self,
        magnet: &MagnetLink,
        peers: &[SocketAddr],
    ) -> Result<librqbit::ListOnlyResponse> {
        let secs = self.config().metadata_timeout_secs;
        // librqbit closes its metadata connections and dials the same peers again for the
        // download; twins of those connections, kept by our copy of librqbit-dualstack-sockets,
        // save that second dial's RTT before the first piece.
        let _spares = librqbit_dualstack_sockets::spare_connections();
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
                reason: metadata_failure(&format!("{e:#}")),
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
        if torrent.is_queued() {
            // Someone is watching: it takes a download slot before the first read waits.
            self.schedule().await;
        }
        if start > 0 {
            stream.seek(std::io::SeekFrom::Start(start)).await?;
        }
        Ok(stream)
    }

    /// A player (a cast, Play here) is about to read `file_index`: its MP4 index is fetched
    /// side by side with the head, once. Not on every open at 0: a reader that is not a player
    /// we prepare gets its bytes in order, and a player reading the URL by itself asks for the
    /// index as soon as it has read the head.
    pub fn prefetch_index(&self, info_hash: &InfoHash, file_index: usize) {
        let Some(torrent) = self.torrent(info_hash) else {
            return;
        };
        let Some(file) = torrent.files.get(file_index) else {
            return;
        };
        if index::is_iso_media(&file.path) && torrent.indexed.lock().unwrap().insert(file_index) {
            tokio::spawn(index::prefetch(torrent.clone(), file_index));
        }
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
            .update_only_files(
                &torrent.handle,
                &files::wanted(&torrent.files, file_index)
                    .into_iter()
                    .collect(),
            )
            .await
            .map_err(Error::Engine)?;
        torrent.selected.store(file_index, Ordering::Relaxed);
        self.state.update(&info_hash.to_hex(), |s| {
            if s.selected != file_index {
                s.position_secs = None;
            }
            s.selected = file_index;
        });
        Ok(())
    }

    pub fn progress(&self, info_hash: &InfoHash) -> Result<Progress> {
        let torrent = self.get(info_hash)?;
        Ok(progress::snapshot(self, &torrent, &torrent.handle.stats()))
    }

    /// The peers dropped so far for being too slow for a waiting stream, oldest first.
    pub fn dropped_slow_peers(&self, info_hash: &InfoHash) -> Result<Vec<SocketAddr>> {
        Ok(self.get(info_hash)?.dropped_slow.lock().unwrap().clone())
    }

    pub async fn pause(&self, info_hash: &InfoHash) -> Result<()> {
        let torrent = self.get(info_hash)?;
        // A pause that lands while librqbit still checks the files can be lost when the check
        // ends; pause a torrent that is past it.
        torrent
            .handle
            .wait_until_initialized()
            .await
            .map_err(Error::Engine)?;
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
        self.remove_for(info_hash, delete_files, None).await
    }

    /// Removes a torrent; `reason` says why when it was not the user's doing.
    async fn remove_for(
        &self,
        info_hash: &InfoHash,
        delete_files: bool,
        reason: Option<String>,
    ) -> Result<()> {
        let torrent = self.get(info_hash)?;
        torrent.cancel.cancel();
        self.session
            .delete(TorrentIdOrHash::Hash(info_hash.id20()), delete_files)
            .await
            .map_err(Error::Engine)?;
        self.torrents.lock().unwrap().remove(info_hash);
        self.state.remove(&info_hash.to_hex());
        self.wake();
        self.publish(TorrentEvent::Removed {
            torrent: info_hash.to_hex(),
            files_deleted: delete_files,
            reason,
        });
        Ok(())
    }

    /// Returns once `shutdown` has begun.
    pub async fn stopped(&self) {
        self.cancel.cancelled().await
    }

    /// A stream of any torrent was read within `window`.
    pub fn reading_within(&self, window: Duration) -> bool {
        self.torrents()
            .iter()
            .any(|t| t.streams.read_within(window))
    }

    /// Stops every poller and the session, saving the totals. Streams still open fail their next
    /// read.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        for t in self.torrents() {
            t.cancel.cancel();
            self.save_totals(&t);
        }
        if tokio::time::timeout(Duration::from_secs(5), self.session.stop())
            .await
            .is_err()
        {
            warn!("session did not stop within 5 s");
            return;
        }
        if let Err(e) = std::fs::write(self.session_dir.join(CLEAN_MARKER), b"") {
            warn!("cannot mark a clean shutdown: {e}");
        }
    }
}

/// A magnet listed as fetching its metadata, until dropped (success, error or timeout alike).
struct Pending<'a>(&'a TorrentEngine, InfoHash);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.pending.lock().unwrap().remove(&self.1);
    }
}

const CLEAN_MARKER: &str = "clean-shutdown";
const POSITION_STEP_SECS: f64 = 5.0;

/// Fails closed: with a VPN interface configured but absent, nothing may download on the
/// default route. (librqbit would fail too, with a less helpful socket error.)
fn check_interface(name: &str) -> std::result::Result<(), String> {
    if cfg!(windows) {
        return Err(format!(
            "key `bind_interface`: binding torrent traffic to {name:?} is not supported on Windows by the torrent engine; remove the key or route the whole machine through the VPN"
        ));
    }
    let names = interface_names();
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    Err(format!(
        "key `bind_interface`: no network interface named {name:?} (have: {}); nothing will be downloaded until it exists",
        names.join(", ")
    ))
}

/// Interface names, sorted, without duplicates.
pub fn interface_names() -> Vec<String> {
    let mut names: Vec<String> = if_addrs::get_if_addrs()
        .map(|l| l.into_iter().map(|i| i.name).collect())
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// librqbit writes each torrent's piece bitfield to disk only every 16 MiB of download, and trusts
/// it on start. After a crash or kill -9 it would fetch again what is already on disk; so unless the
/// last run ended cleanly, drop the bitfields and let librqbit re-check the files (hashing is far
/// cheaper than downloading, and every verified piece is kept).
fn prepare_session_dir(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let marker = dir.join(CLEAN_MARKER);
    if std::fs::remove_file(&marker).is_err() {
        for entry in std::fs::read_dir(dir)?.flatten() {
            if entry.path().extension().is_some_and(|e| e == "bitv") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(dir.to_path_buf())
}

/// Bytes a file really occupies (its blocks: librqbit's files may be sparse).
fn bytes_on_disk(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.blocks() * 512).min(meta.len())
    }
    #[cfg(not(unix))]
    {
        meta.len()
    }
}

/// librqbit's limiter takes a non-zero u32: 0 means no cap, and 4 GB/s is as good as none.
fn rate(bps: Option<u64>) -> Option<std::num::NonZeroU32> {
    bps.and_then(|b| std::num::NonZeroU32::new(b.min(u64::from(u32::MAX)) as u32))
}

/// librqbit's words for "no peer left to ask", said for the person who clicked the link.
fn metadata_failure(reason: &str) -> String {
    if reason.contains("input address stream exhausted") {
        "every peer we knew of failed or refused, and no tracker or DHT gave more (is anyone seeding it?)".into()
    } else {
        reason.to_string()
    }
}

fn into_listing(response: AddTorrentResponse) -> Result<librqbit::ListOnlyResponse> {
    match response {
        AddTorrentResponse::ListOnly(l) => Ok(l),
        _ => Err(Error::Engine(anyhow::anyhow!("librqbit ignored list_only"))),
    }
}

#[cfg(test)]
mod tests {
    use super::UploadCounter;

    #[test]
    fn upload_totals_survive_librqbit_counter_restarts() {
        let mut c = UploadCounter::starting_at(1000);
        assert_eq!(c.observe(0), 1000);
        assert_eq!(c.observe(500), 1500);
        assert_eq!(c.observe(0), 1500, "paused: librqbit reports 0");
        assert_eq!(c.observe(200), 1700, "live again, counting from 0");
        assert_eq!(c.observe(200), 1700);
    }

    #[tokio::test]
    async fn a_zero_request_window_is_refused_naming_the_key() {
        let home = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            request_window: 0,
            ..Default::default()
        };
        let paths = crate::paths::Paths::under(home.path());
        match super::TorrentEngine::new(config, &paths).await {
            Err(e) => assert!(
                e.to_string()
                    .contains("`request_window`: must be at least 1"),
                "{e}"
            ),
            Ok(_) => panic!("a request window of 0 was accepted"),
        }
    }
}
