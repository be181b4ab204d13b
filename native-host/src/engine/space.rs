//! Free space while downloading: when the download folder can no longer hold what the running
//! downloads still have to write, they are paused with an error event instead of failing their
//! writes; when space is back they resume. (The check before a download starts is `check_space`.)

use super::hold::Cause;
use super::{Torrent, TorrentEngine, bytes_on_disk, progress};

impl TorrentEngine {
    pub(super) async fn watch_space(&self) {
        let Ok(available) = fs4::available_space(&self.download_dir) else {
            return;
        };
        let downloading: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| {
                !progress::is_complete(&t.handle.stats())
                    && (!t.handle.is_paused() || t.held.has(Cause::Space))
            })
            .collect();
        let needed: u64 = downloading.iter().map(|t| self.still_to_write(t)).sum();
        match (needed > available, self.held_by(Cause::Space).is_some()) {
            (true, false) => {
                let reason = format!(
                    "disk full: {:.1} MB free in {}, {:.1} MB still to download",
                    available as f64 / 1e6,
                    self.download_dir.display(),
                    needed as f64 / 1e6
                );
                let message = format!(
                    "{reason}: downloads are paused until there is room (nothing downloaded is lost)"
                );
                self.hold(Cause::Space, reason, message, &downloading).await;
            }
            (false, true) => self.release(Cause::Space).await,
            (true, true) => self.keep_held(Cause::Space).await,
            (false, false) => {}
        }
    }

    /// Bytes the selected file still has to take on disk (its file may be sparse).
    fn still_to_write(&self, t: &Torrent) -> u64 {
        let file = t.selected_file();
        let multi = t
            .handle
            .with_metadata(|m| m.info.info().files.is_some())
            .unwrap_or(false);
        file.length
            .saturating_sub(bytes_on_disk(&self.file_target(multi, &t.name, &file.path)))
    }
}
