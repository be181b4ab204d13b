//! `bind_interface` while running: when the interface goes away (VPN down), every running torrent
//! is paused with an error event, so nothing waits on a dead route or retries into it; when it
//! comes back they resume. The check at start-up (fail closed) is `check_interface`.

use std::sync::atomic::Ordering;

use tracing::{info, warn};

use super::{TorrentEngine, TorrentEvent, interface_names};

impl TorrentEngine {
    /// Why torrents are held, while the bound interface is gone.
    pub fn link_down(&self) -> Option<String> {
        self.link_down.lock().unwrap().clone()
    }

    pub(super) async fn watch_link(&self, name: &str) {
        let up = interface_up(name);
        let down = self.link_down().is_some();
        if !up && !down {
            self.link_lost(name).await;
        } else if up && down {
            self.link_back(name).await;
        } else if down {
            // Torrents that were still checking their files when the link went.
            for t in self.torrents() {
                if t.link_held.load(Ordering::Relaxed) && !t.handle.is_paused() {
                    self.pause_live(&t).await;
                }
            }
        }
    }

    async fn link_lost(&self, name: &str) {
        let message = format!(
            "network interface {name:?} (bind_interface) is gone: torrents are paused until it returns"
        );
        warn!("{message}");
        *self.link_down.lock().unwrap() = Some(format!("interface {name:?} is gone"));
        // Said first: by the time a view sees a paused torrent, it can know why.
        self.publish(TorrentEvent::Error {
            torrent: None,
            message,
        });
        for t in self.torrents() {
            if t.handle.is_paused() {
                continue;
            }
            t.link_held.store(true, Ordering::Relaxed);
            self.state
                .update(&t.info_hash.to_hex(), |s| s.link_held = true);
            // A torrent still checking its files cannot be paused yet; it is retried on return.
            if !self.pause_live(&t).await {
                warn!(info_hash = %t.info_hash, "could not pause while the interface is gone");
            }
        }
    }

    async fn link_back(&self, name: &str) {
        info!("network interface {name:?} is back: resuming torrents");
        *self.link_down.lock().unwrap() = None;
        for t in self.torrents() {
            if !t.link_held.swap(false, Ordering::Relaxed) {
                continue;
            }
            self.state
                .update(&t.info_hash.to_hex(), |s| s.link_held = false);
            if t.queued.load(Ordering::Relaxed) {
                continue;
            }
            if let Err(e) = self.session.unpause(&t.handle).await {
                warn!(info_hash = %t.info_hash, "cannot resume: {e:#}");
            }
        }
    }
}

/// The interface exists with an address and, where the OS says so, is administratively up.
fn interface_up(name: &str) -> bool {
    if !interface_names().iter().any(|n| n == name) {
        return false;
    }
    // Linux: IFF_UP is bit 0 of the flags; elsewhere, presence is all we can tell cheaply.
    match std::fs::read_to_string(format!("/sys/class/net/{name}/flags")) {
        Ok(flags) => u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16)
            .map_or(true, |f| f & 1 == 1),
        Err(_) => true,
    }
}
