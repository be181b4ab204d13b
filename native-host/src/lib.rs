//! magnetcast: stream a torrent's video to a Chromecast while it downloads.
//!
//! The engine ([`engine::TorrentEngine`]) owns a librqbit session and publishes events; the
//! stream server ([`stream::StreamServer`]) serves a torrent file over HTTP with Range support.
//! The binary (`magnetcast`) is a thin CLI over these.

pub mod awake;
pub mod cast;
pub mod config;
pub mod daemon;
pub mod engine;
pub mod error;
pub mod framing;
pub mod install;
pub mod logging;
pub mod media;
pub mod paths;
pub mod protocol;
pub mod relay;
pub mod resume;
pub mod seed;
pub mod service;
pub mod source;
pub mod stream;

pub use config::Config;
pub use engine::{TorrentEngine, TorrentEvent};
pub use error::{Error, Result};
pub use paths::Paths;
pub use source::{InfoHash, MagnetLink, TorrentSource};
pub use stream::StreamServer;
