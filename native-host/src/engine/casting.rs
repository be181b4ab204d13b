//! Which torrent each Cast device is playing. The cache never evicts a torrent on a TV (even when
//! the TV is paused and reads nothing), and `resume.rs` saves its playback position.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::source::InfoHash;

#[derive(Default)]
pub struct Casting {
    by_device: Mutex<HashMap<String, InfoHash>>,
}

impl Casting {
    pub fn started(&self, device: &str, torrent: InfoHash) {
        self.by_device
            .lock()
            .unwrap()
            .insert(device.to_string(), torrent);
    }

    pub fn stopped(&self, device: &str) {
        self.by_device.lock().unwrap().remove(device);
    }

    pub fn torrent_on(&self, device: &str) -> Option<InfoHash> {
        self.by_device.lock().unwrap().get(device).copied()
    }

    /// The devices playing `torrent`.
    pub fn devices_of(&self, torrent: &InfoHash) -> Vec<String> {
        let by_device = self.by_device.lock().unwrap();
        by_device
            .iter()
            .filter(|(_, t)| *t == torrent)
            .map(|(d, _)| d.clone())
            .collect()
    }

    pub fn is_cast(&self, torrent: &InfoHash) -> bool {
        self.by_device
            .lock()
            .unwrap()
            .values()
            .any(|t| t == torrent)
    }
}
