//! Free space while downloading: when the download folder can no longer hold what the running
//! downloads still have to write, they are paused with an error event instead of failing their
//! writes; when space is back they resume. (The check before a download starts is `check_space`.)

use std::sync::atomic::Ordering;

use tracing::{info, warn};

use super::{Torrent, TorrentEngine, TorrentEvent, bytes_on_disk, progress};

impl TorrentEngine {
    /// Why downloads are held, while the disk is too full.
    pub fn space_low(&self) -> Option<String> {
        self.space_low.lock().unwrap().clone()
    }

    pub(super) async fn watch_space(&self) {
        let Ok(available) = fs4::available_space(&self.download_dir) else {
            return;
        };
        let downloading: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| {
                let stats = t.handle.stats();
                !progress::is_complete(&stats)
                    && (!t.handle.is_paused() || t.space_held.load(Ordering::Relaxed))
            })
            .collect();
        let needed: u64 = downloading.iter().map(|t| self.still_to_write(t)).sum();
        let low = self.space_low().is_some();
        if needed > available && !low {
            let why = format!(
                "disk full: {:.1} MB free in {}, {:.1} MB still to download",
                available as f64 / 1e6,
                self.download_dir.display(),
                needed as f64 / 1e6
            );
            warn!("{why}; pausing downloads");
            *self.space_low.lock().unwrap() = Some(why.clone());
            // Said first: by the time a view sees a paused torrent, it can know why.
            self.publish(TorrentEvent::Error {
                torrent: None,
                message: format!(
                    "{why}: downloads are paused until there is room (nothing downloaded is lost)"
                ),
            });
            for t in &downloading {
                t.space_held.store(true, Ordering::Relaxed);
                self.pause_live(t).await;
            }
        } else if low && needed <= available {
            info!("disk space is back: resuming downloads");
            *self.space_low.lock().unwrap() = None;
            for t in self.torrents() {
                if t.space_held.swap(false, Ordering::Relaxed)
                    && !t.queued.load(Ordering::Relaxed)
                    && self.link_down().is_none()
                    && let Err(e) = self.session.unpause(&t.handle).await
                {
                    warn!(info_hash = %t.info_hash, "cannot resume: {e:#}");
                }
            }
        } else if low {
            // Torrents still checking their files when the disk filled up.
            for t in &downloading {
                if t.space_held.load(Ordering::Relaxed) && !t.handle.is_paused() {
                    self.pause_live(t).await;
                }
            }
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
