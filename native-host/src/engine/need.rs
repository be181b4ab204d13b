//! What playback needs from the download: a watched torrent's bitrate (its file's size over the
//! duration its player reports), and a warning when the download cap is below it, so a cap never
//! starves playback without the viewer being told why it stalls.

use super::{Torrent, TorrentEngine, TorrentEvent, progress};
use crate::source::InfoHash;

/// Peers' protocol overhead and uneven arrival: a cap needs this much above the bitrate.
const HEADROOM: f64 = 1.1;

impl TorrentEngine {
    /// A player reported the duration of `torrent`'s selected file.
    pub fn learn_duration(&self, torrent: &InfoHash, secs: f64) {
        let Some(t) = self.torrent(torrent) else {
            return;
        };
        if secs.is_finite() && secs > 0.0 {
            let bps = (t.selected_file().length as f64 / secs) as u64;
            self.playback_rates.lock().unwrap().insert(t.info_hash, bps);
        }
    }

    /// Why playback of `t` will stall, when the download cap is below its bitrate while it is
    /// watched and not yet complete.
    pub(super) fn rate_warning(
        &self,
        t: &Torrent,
        stats: &librqbit::TorrentStats,
    ) -> Option<String> {
        let cap = self.config().download_limit?;
        let need = *self.playback_rates.lock().unwrap().get(&t.info_hash)?;
        if !self.in_use(t) || progress::is_complete(stats) || cap as f64 >= need as f64 * HEADROOM {
            return None;
        }
        Some(format!(
            "the download cap ({} kB/s) is below what {} needs to play ({} kB/s): playback will stall; raise it or lift it (magnetcast limit --down off)",
            cap / 1000,
            t.name,
            (need as f64 * HEADROOM / 1000.0).ceil() as u64
        ))
    }

    /// Says each new shortfall once, as an error event.
    pub(super) fn watch_rates(&self) {
        for t in self.torrents() {
            let warning = self.rate_warning(&t, &t.handle.stats());
            let mut warned = self.rate_warned.lock().unwrap();
            match warning {
                Some(message) if warned.insert(t.info_hash) => {
                    drop(warned);
                    tracing::warn!(info_hash = %t.info_hash, "{message}");
                    self.publish(TorrentEvent::Error {
                        torrent: Some(t.info_hash.to_hex()),
                        message,
                    });
                }
                Some(_) => {}
                None => {
                    warned.remove(&t.info_hash);
                }
            }
        }
    }
}
