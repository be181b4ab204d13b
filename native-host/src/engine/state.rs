//! What we remember per torrent beyond librqbit's own persistence (which keeps the torrent, its
//! file selection and, with fastresume, its verified pieces): the file being played and the
//! totals that must survive restarts. One JSON file, replaced atomically.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Saved {
    pub name: String,
    pub selected: usize,
    /// Bytes uploaded over all runs, as of the last save.
    pub uploaded_total: u64,
    /// Peers known only from hints (`x.pe`, `--peer`): librqbit does not persist them, and without
    /// DHT or trackers a restored torrent would find no one.
    #[serde(default)]
    pub peers: Vec<std::net::SocketAddr>,
    /// Seconds spent seeding over all runs, as of the last save.
    #[serde(default)]
    pub seeding_secs: u64,
    /// Seconds live (downloading or seeding) over all runs, as of the last save.
    #[serde(default)]
    pub active_secs: u64,
    /// Why seeding stopped, once a limit was reached.
    #[serde(default)]
    pub finished_reason: Option<String>,
    /// Waiting for a download slot (`max_active`); paused by us, not by the user.
    #[serde(default)]
    pub queued: bool,
    /// Paused by us for an outside cause (the bound interface gone, the disk full).
    #[serde(default, alias = "link_held")]
    pub held: bool,
    /// When it was first added (ms since the Unix epoch): its place in the queue.
    #[serde(default)]
    pub added_ms: u64,
    /// Where the viewer was in the selected file (seconds), to resume there.
    #[serde(default)]
    pub position_secs: Option<f64>,
    /// When a stream of it was last read (ms since the Unix epoch): the cache evicts the least
    /// recently watched first.
    #[serde(default)]
    pub watched_ms: u64,
    /// The user asked to keep it: it leaves the cache for `download_dir` as soon as nothing reads
    /// it, and is never evicted.
    #[serde(default)]
    pub keep: bool,
}

pub struct StateFile {
    path: PathBuf,
    entries: Mutex<BTreeMap<String, Saved>>,
}

impl StateFile {
    pub fn open(path: PathBuf) -> Self {
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            path,
            entries: Mutex::new(entries),
        }
    }

    pub fn get(&self, key: &str) -> Option<Saved> {
        self.entries.lock().unwrap().get(key).cloned()
    }

    pub fn update(&self, key: &str, f: impl FnOnce(&mut Saved)) {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.entry(key.to_string()).or_default();
        let before = entry.clone();
        f(entry);
        if *entry != before {
            self.write(&entries);
        }
    }

    pub fn remove(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap();
        if entries.remove(key).is_some() {
            self.write(&entries);
        }
    }

    fn write(&self, entries: &BTreeMap<String, Saved>) {
        let tmp = self.path.with_extension("tmp");
        let result = serde_json::to_vec_pretty(entries)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = result {
            tracing::warn!("cannot save {}: {e}", self.path.display());
        }
    }
}
