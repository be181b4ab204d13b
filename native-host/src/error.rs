//! The library's error type. Every message is written for the person who typed the command or
//! clicked the link: it names what was wrong and, where it helps, what to do instead.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid magnet link: {0}")]
    InvalidMagnet(String),

    #[error("invalid info hash: {0}")]
    InvalidInfoHash(String),

    #[error("invalid .torrent file: {0}")]
    InvalidTorrent(String),

    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot fetch {url}: {message}")]
    Fetch { url: String, message: String },

    #[error(
        "unsupported source {0:?}: expected a magnet link, an info hash, an http(s) URL of a \
         .torrent, or the path of a .torrent file"
    )]
    UnsupportedSource(String),

    #[error(
        "no metadata for {info_hash} after {secs} s: no peer answered (check the peer hints, trackers or DHT)"
    )]
    MetadataTimeout { info_hash: String, secs: u64 },

    #[error("cannot get the metadata of {info_hash}: {reason}")]
    Metadata { info_hash: String, reason: String },

    #[error("no file matches {wanted:?}; the torrent has: {available}")]
    NoSuchFile { wanted: String, available: String },

    #[error("the torrent has no video or audio file; it has: {0}")]
    NoMediaFile(String),

    #[error("no Cast device named {wanted:?}; {found}")]
    UnknownDevice { wanted: String, found: String },

    #[error("no Cast device found (name one with --device HOST[:PORT])")]
    NoDevice,

    #[error("several Cast devices found, choose one with --device: {0}")]
    AmbiguousDevice(String),

    #[error("cast: {0}")]
    Cast(String),

    #[error("{0}")]
    Media(String),

    #[error("device discovery failed: {0}")]
    Discovery(String),

    #[error("not adding torrents while the VPN is down: {0} (bind_interface)")]
    LinkDown(String),

    #[error(
        "not enough disk space for {name}: it needs {needed_mb:.1} MB in {dir}, which has {available_mb:.1} MB free (free some space or choose another download folder)"
    )]
    NoSpace {
        name: String,
        dir: PathBuf,
        needed_mb: f64,
        available_mb: f64,
    },

    #[error(
        "the streaming cache has no room for {name}: it needs {needed_mb:.1} MB, the cache holds {used_mb:.1} MB of its {limit_mb:.1} MB limit and only {evictable_mb:.1} MB of that may be evicted (raise cache_limit, or remove or stop watching a torrent)"
    )]
    CacheFull {
        name: String,
        needed_mb: f64,
        used_mb: f64,
        limit_mb: f64,
        evictable_mb: f64,
    },

    #[error("cannot keep: {0} already exists and is another file (move it away and try again)")]
    KeepConflict(PathBuf),

    #[error("unknown torrent {0}")]
    UnknownTorrent(String),

    #[error("config file {path}: {message}")]
    Config { path: PathBuf, message: String },

    #[error("cannot find a home directory for config and data; set MAGNETCAST_HOME or pass --home")]
    NoHomeDir,

    #[error("cannot bind the stream server to {addr}: {source}")]
    StreamBind {
        addr: String,
        #[source]
        source: std::io::Error,
    },

    #[error("torrent engine: {0:#}")]
    Engine(anyhow::Error),

    #[error("daemon: {0}")]
    Daemon(String),

    #[error("bad request: {0}")]
    BadRequest(String),

    #[error(transparent)]
    Io(#[from] std::io::Error),

    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
