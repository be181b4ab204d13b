//! Free space while downloading: when a disk can no longer hold what the running downloads on it
//! still have to write, they are paused with an error event instead of failing their writes; when
//! space is back they resume. (The check before a download starts is `check_space`.) Torrents write
//! to the streaming cache or to the download folder, which may be two disks.

use std::path::{Path, PathBuf};

use super::hold::Cause;
use super::{Torrent, TorrentEngine, bytes_on_disk, progress};

impl TorrentEngine {
    pub(super) async fn watch_space(&self) {
        let downloading: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| {
                !progress::is_complete(&t.handle.stats())
                    && (!t.handle.is_paused() || t.held.has(Cause::Space))
            })
            .collect();
        let short = self.disks().into_iter().find_map(|(dir, bases)| {
            let available = fs4::available_space(&dir).ok()?;
            let needed: u64 = downloading
                .iter()
                .filter(|t| {
                    bases
                        .iter()
                        .any(|b| t.handle.output_folder().starts_with(b))
                })
                .map(|t| self.still_to_write(t))
                .sum();
            (needed > available).then_some((dir, available, needed))
        });
        match (short, self.held_by(Cause::Space).is_some()) {
            (Some((dir, available, needed)), false) => {
                let reason = format!(
                    "disk full: {:.1} MB free in {}, {:.1} MB still to download",
                    available as f64 / 1e6,
                    dir.display(),
                    needed as f64 / 1e6
                );
                let message = format!(
                    "{reason}: downloads are paused until there is room (nothing downloaded is lost)"
                );
                self.hold(Cause::Space, reason, message, &downloading).await;
            }
            (None, true) => self.release(Cause::Space).await,
            (Some(_), true) => self.keep_held(Cause::Space).await,
            (None, false) => {}
        }
    }

    /// The disks torrents write to, each named by a folder on it, with the folders it holds.
    fn disks(&self) -> Vec<(PathBuf, Vec<PathBuf>)> {
        let (cache, downloads) = (self.cache_dir.clone(), self.download_dir.clone());
        match same_disk(&cache, &downloads) {
            true => vec![(downloads.clone(), vec![cache, downloads])],
            false => vec![
                (cache.clone(), vec![cache]),
                (downloads.clone(), vec![downloads]),
            ],
        }
    }

    /// Bytes the selected file still has to take on disk (its file may be sparse).
    fn still_to_write(&self, t: &Torrent) -> u64 {
        t.selected_file()
            .length
            .saturating_sub(bytes_on_disk(&self.file_path(t)))
    }
}

#[cfg(unix)]
fn same_disk(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_disk(a: &Path, b: &Path) -> bool {
    a.components().next() == b.components().next()
}
