//! `bind_interface` while running: when the interface goes away (VPN down), every running torrent
//! is held (paused, with an error event), so nothing waits on a dead route or retries into it;
//! when it comes back they resume. The check at start-up (fail closed) is `check_interface`.

use super::hold::Cause;
use super::{TorrentEngine, interface_names};

impl TorrentEngine {
    pub(super) async fn watch_link(&self, name: &str) {
        let up = interface_up(name);
        match (up, self.held_by(Cause::Link).is_some()) {
            (false, false) => {
                let message = format!(
                    "network interface {name:?} (bind_interface) is gone: torrents are paused until it returns"
                );
                let reason = format!("interface {name:?} is gone");
                self.hold(Cause::Link, reason, message, &self.torrents())
                    .await;
            }
            (true, true) => self.release(Cause::Link).await,
            (false, true) => self.keep_held(Cause::Link).await,
            (true, false) => {}
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
