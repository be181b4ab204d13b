//! Keeping a torrent: it leaves the streaming cache for `download_dir` and is never evicted.
//! Its files are hard-linked into place (copied when the two folders are on different disks),
//! librqbit is given the torrent again at the new folder (it cannot move one), and the cache's
//! copies go. A torrent being read or cast moves once nothing reads it, so no player sees its file
//! vanish mid-read; until then it is already safe from eviction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use super::{Torrent, TorrentEngine};
use crate::error::{Error, Result};
use crate::source::InfoHash;

/// The answer to `keep`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Kept {
    pub torrent: String,
    /// Where the selected file is now (still in the cache while `moving`).
    pub path: PathBuf,
    /// It is being read or cast: it moves when that ends.
    pub moving: bool,
}

impl TorrentEngine {
    pub async fn keep(self: &Arc<Self>, info_hash: &InfoHash) -> Result<Kept> {
        let t = self.get(info_hash)?;
        if self.in_cache(&t) {
            self.state.update(&info_hash.to_hex(), |s| s.keep = true);
            if !self.in_use(&t) {
                return match self.move_to_downloads(&t).await {
                    Ok(t) => Ok(self.kept(&t, false)),
                    Err(e) => {
                        // The user hears why; nothing changed.
                        self.state.update(&info_hash.to_hex(), |s| s.keep = false);
                        Err(e)
                    }
                };
            }
            info!(%info_hash, "kept; moves when nothing reads it");
            return Ok(self.kept(&t, true));
        }
        Ok(self.kept(&t, false))
    }

    fn kept(&self, t: &Torrent, moving: bool) -> Kept {
        Kept {
            torrent: t.info_hash.to_hex(),
            path: self.file_path(t),
            moving,
        }
    }

    /// Moves what was kept while being read, once nothing reads it.
    pub(super) async fn move_kept(self: &Arc<Self>) {
        for t in self.torrents() {
            let kept = self
                .state
                .get(&t.info_hash.to_hex())
                .is_some_and(|s| s.keep);
            let failed = || self.keep_failed.lock().unwrap().contains(&t.info_hash);
            if kept
                && self.in_cache(&t)
                && !self.in_use(&t)
                && !failed()
                && let Err(e) = self.move_to_downloads(&t).await
            {
                // Still kept (never evicted), where it is; tried again at the next start.
                warn!(info_hash = %t.info_hash, "cannot move a kept torrent: {e}");
                self.keep_failed.lock().unwrap().insert(t.info_hash);
                self.publish(super::TorrentEvent::Error {
                    torrent: Some(t.info_hash.to_hex()),
                    message: format!("{e}; it stays kept in the streaming cache"),
                });
            }
        }
    }

    /// In `download_dir`, or on its way there.
    pub fn is_kept(&self, t: &Torrent) -> bool {
        !self.in_cache(t)
            || self
                .state
                .get(&t.info_hash.to_hex())
                .is_some_and(|s| s.keep)
    }

    /// A stream is open on it or a TV plays it.
    pub(super) fn in_use(&self, t: &Torrent) -> bool {
        !t.streams.live().is_empty() || self.casting.is_cast(&t.info_hash)
    }

    async fn move_to_downloads(self: &Arc<Self>, t: &Arc<Torrent>) -> Result<Arc<Torrent>> {
        let multi_file = t
            .handle
            .with_metadata(|m| m.info.info().files.is_some())
            .map_err(Error::Engine)?;
        let from = t.handle.output_folder().to_path_buf();
        let to = self.folder_for(true, multi_file, &t.name, &t.info_hash.to_hex());
        let placed = place(&from, &to, t.files.iter().map(|f| f.path.as_str()))?;
        self.save_totals(t);
        let peers = self
            .state
            .get(&t.info_hash.to_hex())
            .map(|s| s.peers)
            .unwrap_or_default();
        let handle = match self.readd(t.handle.clone(), to.clone(), peers).await {
            Ok(h) => h,
            Err(e) => {
                for p in placed {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
        };
        t.cancel.cancel();
        let moved = t.moved(handle);
        self.state.update(&t.info_hash.to_hex(), |s| s.keep = false);
        let moved = self.track(moved);
        if let Err(e) = std::fs::remove_dir_all(&from) {
            warn!("cannot remove {}: {e}", from.display());
        }
        info!(info_hash = %t.info_hash, to = %to.display(), "kept: moved out of the cache");
        Ok(moved)
    }
}

impl Torrent {
    /// The same torrent on a new librqbit handle, with what it was doing.
    fn moved(&self, handle: Arc<librqbit::ManagedTorrent>) -> Torrent {
        let moved = Torrent::new(
            self.info_hash,
            self.name.clone(),
            self.files.clone(),
            self.selected(),
            handle,
        );
        *moved.limits.lock().unwrap() = *self.limits.lock().unwrap();
        moved.held.copy_from(&self.held);
        moved
    }
}

/// Links (or copies) each file of the torrent that exists under `from` to the same place under
/// `to`; returns what it created. Refuses to overwrite a different file already there.
fn place<'a>(
    from: &Path,
    to: &Path,
    mut files: impl Iterator<Item = &'a str>,
) -> Result<Vec<PathBuf>> {
    let mut placed = Vec::new();
    let result = files.try_for_each(|rel| {
        let (src, dst) = (from.join(rel), to.join(rel));
        if !src.exists() {
            return Ok(());
        }
        if dst.exists() {
            return Err(Error::KeepConflict(dst.clone()));
        }
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst)?;
        }
        placed.push(dst);
        Ok(())
    });
    match result {
        Ok(()) => Ok(placed),
        Err(e) => {
            for p in placed {
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}
