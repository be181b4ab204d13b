//! The streaming cache. Torrents started for streaming are written under `cache_dir`, one folder
//! per torrent, apart from `download_dir`, which holds what the user chose to keep. The cache
//! stays under `cache_limit` by evicting whole torrents, least recently watched first; never one
//! being read, cast, seeded under a limit not yet reached, or kept.
//!
//! A cached torrent counts for what it has on disk plus what its selected file still has to
//! write: a torrent is admitted only when its whole file fits, so the cache never overflows while
//! downloads run.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use super::{Torrent, TorrentEngine, bytes_on_disk, progress};
use crate::error::{Error, Result};

/// The default limit is a quarter of the disk the cache can use, and never more than this.
const DEFAULT_LIMIT_CAP: u64 = 20 << 30;

/// What the cache holds against its limit (`magnetcast status`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CacheUsage {
    pub dir: PathBuf,
    pub used: u64,
    pub limit: u64,
    pub torrents: usize,
}

impl TorrentEngine {
    /// Written under the cache folder, not kept.
    pub fn in_cache(&self, t: &Torrent) -> bool {
        t.handle.output_folder().starts_with(&self.cache_dir)
    }

    /// The folder for a new torrent: its own folder in the cache, or where the user keeps
    /// downloads (multi-file torrents in a folder of their name, as librqbit would).
    pub(super) fn folder_for(
        &self,
        keep: bool,
        multi_file: bool,
        name: &str,
        hash: &str,
    ) -> PathBuf {
        match (keep, multi_file) {
            (false, _) => self.cache_dir.join(hash),
            (true, true) => self.download_dir.join(sanitize(name)),
            (true, false) => self.download_dir.clone(),
        }
    }

    pub fn cache_usage(&self) -> CacheUsage {
        let cached: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| self.in_cache(t))
            .collect();
        let used = cached.iter().map(|t| footprint(t)).sum();
        CacheUsage {
            dir: self.cache_dir.clone(),
            used,
            limit: self.cache_limit(used),
            torrents: cached.len(),
        }
    }

    fn cache_limit(&self, used: u64) -> u64 {
        self.config().cache_limit.unwrap_or_else(|| {
            let free = fs4::available_space(&self.cache_dir).unwrap_or(0);
            DEFAULT_LIMIT_CAP.min((free + used) / 4)
        })
    }

    /// Evicts what it must so that `needed` more bytes fit under the limit. When even evicting
    /// every candidate would not do, evicts nothing and says why.
    pub(super) async fn make_room(&self, needed: u64, name: &str) -> Result<()> {
        let usage = self.cache_usage();
        if usage.used + needed <= usage.limit {
            return Ok(());
        }
        let victims = self.eviction_order();
        let evictable: u64 = victims.iter().map(|(_, bytes)| bytes).sum();
        if usage.used - evictable + needed > usage.limit {
            return Err(Error::CacheFull {
                name: name.to_string(),
                needed_mb: needed as f64 / 1e6,
                used_mb: usage.used as f64 / 1e6,
                limit_mb: usage.limit as f64 / 1e6,
                evictable_mb: evictable as f64 / 1e6,
            });
        }
        let reason = format!(
            "evicted from the streaming cache to make room for {name} (limit {:.1} MB): watched least recently",
            usage.limit as f64 / 1e6
        );
        self.evict(victims, usage.used + needed - usage.limit, &reason)
            .await;
        Ok(())
    }

    /// Brings the cache back under its limit (a lowered `cache_limit`, another file chosen).
    pub(super) async fn watch_cache(&self) {
        let usage = self.cache_usage();
        if usage.used <= usage.limit {
            return;
        }
        let reason = format!(
            "evicted from the streaming cache: it holds {:.1} MB, over its limit of {:.1} MB; watched least recently",
            usage.used as f64 / 1e6,
            usage.limit as f64 / 1e6
        );
        self.evict(self.eviction_order(), usage.used - usage.limit, &reason)
            .await;
    }

    async fn evict(&self, victims: Vec<(Arc<Torrent>, u64)>, mut excess: u64, reason: &str) {
        for (t, bytes) in victims {
            if excess == 0 {
                break;
            }
            info!(info_hash = %t.info_hash, name = %t.name, bytes, "evicted");
            match self
                .remove_for(&t.info_hash, true, Some(reason.to_string()))
                .await
            {
                Ok(()) => excess = excess.saturating_sub(bytes),
                Err(e) => warn!(info_hash = %t.info_hash, "cannot evict: {e}"),
            }
        }
    }

    /// Torrents that may be evicted, least recently watched first, with the bytes each frees.
    fn eviction_order(&self) -> Vec<(Arc<Torrent>, u64)> {
        let mut victims: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| self.evictable(t))
            .map(|t| (self.last_watched_ms(&t), footprint(&t), t))
            .collect();
        victims.sort_by_key(|(watched, _, t)| (*watched, t.order));
        victims.into_iter().map(|(_, b, t)| (t, b)).collect()
    }

    fn evictable(&self, t: &Torrent) -> bool {
        !self.is_kept(t) && !self.in_use(t) && !self.seeding_under_limit(t)
    }

    /// Complete, seeding, with a ratio or time limit it has not reached: the user asked for that
    /// much seeding. (With no limit at all, seeding has no end to honour and the cache decides.)
    fn seeding_under_limit(&self, t: &Torrent) -> bool {
        let limits = self.seed_limits(t);
        let has_limit = limits.ratio.is_some() || limits.time_secs.is_some();
        has_limit
            && progress::is_complete(&t.handle.stats())
            && !t.handle.is_paused()
            && self.finished_reason(t).is_none()
    }

    /// When a stream of it was last read, or when it was added if never (ms since the epoch).
    pub(super) fn last_watched_ms(&self, t: &Torrent) -> u64 {
        let saved = self
            .state
            .get(&t.info_hash.to_hex())
            .map_or(0, |s| s.watched_ms);
        let now = now_ms();
        let this_run = if t.streams.live().is_empty() {
            t.streams
                .last_opened()
                .map_or(0, |i| now.saturating_sub(i.elapsed().as_millis() as u64))
        } else {
            now
        };
        saved.max(this_run).max(t.order)
    }
}

/// Bytes a torrent holds now plus what its selected file still has to write.
fn footprint(t: &Torrent) -> u64 {
    let folder = t.handle.output_folder();
    let on_disk: u64 = t
        .files
        .iter()
        .map(|f| bytes_on_disk(&folder.join(&f.path)))
        .sum();
    let selected = t.selected_file();
    on_disk
        + selected
            .length
            .saturating_sub(bytes_on_disk(&folder.join(&selected.path)))
}

pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A torrent's name as a folder name: no separators, no `..`, never empty.
fn sanitize(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    match clean.trim() {
        "" | "." | ".." => "torrent".into(),
        s => s.to_string(),
    }
}
