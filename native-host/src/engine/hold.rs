//! Holds: torrents the engine pauses itself because something outside them stopped them — the
//! bound interface went away (`link.rs`), the disk filled up (`space.rs`). Each cause carries
//! one reason while it lasts; a torrent held for any cause stays paused until every cause it was
//! held for is gone, and a queued one stays queued. Being held is saved, so a restarted daemon
//! resumes such torrents (the watchers hold them again at once if the cause is still there).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use tracing::{info, warn};

use super::{Torrent, TorrentEngine, TorrentEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    Link,
    Space,
}

impl Cause {
    fn bit(self) -> u8 {
        match self {
            Cause::Link => 1,
            Cause::Space => 2,
        }
    }
}

/// The causes in force, with their reasons.
#[derive(Default)]
pub(super) struct Causes(Mutex<HashMap<Cause, String>>);

/// The causes one torrent is held for.
#[derive(Default)]
pub(super) struct HeldFor(AtomicU8);

impl HeldFor {
    pub(super) fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    pub(super) fn has(&self, cause: Cause) -> bool {
        self.0.load(Ordering::Relaxed) & cause.bit() != 0
    }

    pub(super) fn copy_from(&self, other: &HeldFor) {
        self.0
            .store(other.0.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn add(&self, cause: Cause) {
        self.0.fetch_or(cause.bit(), Ordering::Relaxed);
    }

    /// Drops `cause`; true when the torrent was held for it and for nothing else.
    fn remove(&self, cause: Cause) -> bool {
        let before = self.0.fetch_and(!cause.bit(), Ordering::Relaxed);
        before == cause.bit()
    }
}

impl TorrentEngine {
    /// The reason `cause` holds torrents, while it does.
    pub fn held_by(&self, cause: Cause) -> Option<String> {
        self.holds.0.lock().unwrap().get(&cause).cloned()
    }

    pub(super) fn any_hold(&self) -> bool {
        !self.holds.0.lock().unwrap().is_empty()
    }

    /// Why `t` is held, if it is.
    pub(super) fn hold_reason(&self, t: &Torrent) -> Option<String> {
        let causes = self.holds.0.lock().unwrap();
        [Cause::Link, Cause::Space]
            .into_iter()
            .filter(|c| t.held.has(*c))
            .find_map(|c| causes.get(&c).cloned())
    }

    /// Puts `cause` in force: says `message` (before anything looks paused, so views know why),
    /// then pauses `torrents` that run, and adds `cause` to those already held for another.
    pub(super) async fn hold(
        &self,
        cause: Cause,
        reason: String,
        message: String,
        torrents: &[std::sync::Arc<Torrent>],
    ) {
        warn!("{message}");
        self.holds.0.lock().unwrap().insert(cause, reason);
        self.publish(TorrentEvent::Error {
            torrent: None,
            message,
        });
        for t in torrents {
            let paused = t.handle.is_paused();
            if paused && !t.held.any() {
                continue; // paused by the user, or waiting in the queue
            }
            t.held.add(cause);
            self.state.update(&t.info_hash.to_hex(), |s| s.held = true);
            // One still checking its files is paused by `keep_held` once the check ends.
            if !paused {
                self.pause_live(t).await;
            }
        }
    }

    /// Pauses the torrents held for `cause` that were still checking their files when it came.
    pub(super) async fn keep_held(&self, cause: Cause) {
        for t in self.torrents() {
            if t.held.has(cause) && !t.handle.is_paused() {
                self.pause_live(&t).await;
            }
        }
    }

    /// Ends `cause`: the torrents held for it alone resume, unless queued.
    pub(super) async fn release(&self, cause: Cause) {
        info!(?cause, "hold released");
        self.holds.0.lock().unwrap().remove(&cause);
        for t in self.torrents() {
            if t.held.remove(cause) {
                self.resume_held(&t).await;
            }
        }
    }

    /// A torrent saved as held in the last run: nothing holds it in this one yet.
    pub(super) async fn resume_held(&self, t: &Torrent) {
        self.state.update(&t.info_hash.to_hex(), |s| s.held = false);
        if !t.is_queued()
            && let Err(e) = self.session.unpause(&t.handle).await
        {
            warn!(info_hash = %t.info_hash, "cannot resume: {e:#}");
        }
    }
}
