//! What the engine tells its subscribers (the CLI, the WebSocket, tests). Events carry the info
//! hash as the torrent's id so every transport can route them without more state.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cast::CastStatus;
use crate::media::MediaKind;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct FileEntry {
    pub index: usize,
    pub path: String,
    pub length: u64,
    pub kind: MediaKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TorrentEvent {
    Added {
        torrent: String,
        name: Option<String>,
    },
    Metadata {
        torrent: String,
        name: String,
        /// At most [`MAX_FILES_IN_EVENT`] entries, media first; `file_count` is the true count.
        files: Vec<FileEntry>,
        file_count: usize,
        selected: usize,
    },
    Progress(Progress),
    Completed {
        torrent: String,
    },
    Error {
        torrent: Option<String>,
        message: String,
    },
    Removed {
        torrent: String,
        files_deleted: bool,
        /// Why, when the user did not ask for it (evicted from the streaming cache).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A Cast device's link, player state, position or volume changed.
    Cast(CastStatus),
}

/// Keeps one Metadata event well under the 1 MiB native-messaging limit.
pub const MAX_FILES_IN_EVENT: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct Progress {
    pub torrent: String,
    /// `fetching_metadata` (a magnet asking peers for the torrent's info), `queued` (waiting for
    /// a download slot, `max_active`), `initializing` (checking files), `downloading`,
    /// `streaming`, `seeding`, `finished` (a seeding limit was reached; see `reason`), `paused`
    /// (by the user, or with a `reason` when the bound interface went away) or `error`.
    pub state: String,
    pub reason: Option<String>,
    /// uploaded / size of the selected files.
    pub ratio: f64,
    /// Verified bytes of the selected file(s).
    pub downloaded: u64,
    pub total: u64,
    pub uploaded: u64,
    pub down_bps: u64,
    pub up_bps: u64,
    pub peers: u32,
    /// Verified bytes available contiguously from the playhead of the most recently read
    /// stream (from the start of the file when nothing is streaming).
    pub buffered_ahead: u64,
    pub streams: usize,
    pub finished: bool,
    /// Seconds live (downloading or seeding), all runs included.
    pub active_secs: u64,
    /// Seconds seeding, all runs included.
    pub seeding_secs: u64,
    /// In `download_dir` (or on its way there) and never evicted, rather than in the cache.
    #[serde(default)]
    pub kept: bool,
    /// Something the viewer should know that stops nothing by itself (the download cap is
    /// below what playback needs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}
