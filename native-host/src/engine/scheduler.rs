//! One supervisor task per engine, woken by adds, removals, new streams and setting changes, and
//! once a second in any case: it runs the watches that hold torrents (the bound interface,
//! `link.rs`; disk space, `space.rs`), keeps the streaming cache under its limit (`cache.rs`),
//! moves kept torrents out of it once nothing reads them (`keep.rs`), says when the download cap
//! starves playback (`need.rs`) and applies the download queue (`queue.rs`).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::queue::{self, Candidate};
use super::{Torrent, TorrentEngine};

const TICK: Duration = Duration::from_secs(1);

pub(super) async fn supervise(engine: Weak<TorrentEngine>, cancel: CancellationToken) {
    loop {
        let Some(e) = engine.upgrade() else { return };
        if let Some(name) = e.bound_interface.clone() {
            e.watch_link(&name).await;
        }
        e.watch_space().await;
        e.watch_cache().await;
        e.move_kept().await;
        e.watch_rates();
        e.schedule().await;
        let wake = e.wake.clone();
        drop(e);
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

impl TorrentEngine {
    /// Starts the queued torrents that may download now and queues the ones beyond `max_active`.
    pub(crate) async fn schedule(&self) {
        let max_active = self.config().max_active;
        if queue::slots(max_active).is_none() && !self.any_queued() {
            return;
        }
        let _one_at_a_time = self.scheduling.lock().await;
        if self.any_hold() {
            return;
        }
        let candidates: Vec<_> = self
            .torrents()
            .into_iter()
            .filter(|t| self.wants_download(t))
            .collect();
        let admitted: HashSet<_> =
            queue::admitted(candidates.iter().map(candidate).collect(), max_active)
                .into_iter()
                .collect();
        for t in candidates {
            let run = admitted.contains(&t.info_hash);
            if run != t.queued.load(Ordering::Relaxed) {
                continue;
            }
            if run {
                info!(info_hash = %t.info_hash, "leaves the queue");
                self.set_queued(&t, false);
                if let Err(e) = self.session.unpause(&t.handle).await {
                    warn!(info_hash = %t.info_hash, "cannot start: {e:#}");
                }
            } else if t.handle.is_paused() || self.pause_live(&t).await {
                info!(info_hash = %t.info_hash, "queued");
                self.set_queued(&t, true);
            }
        }
    }

    /// True when a new torrent has to wait for a slot.
    pub(crate) fn queue_full(&self) -> bool {
        let Some(max) = queue::slots(self.config().max_active) else {
            return false;
        };
        let active = self
            .torrents()
            .iter()
            .filter(|t| self.wants_download(t) && !t.queued.load(Ordering::Relaxed))
            .count();
        active >= max
    }

    /// Not complete, not paused by the user, no seeding verdict, no error.
    fn wants_download(&self, t: &Torrent) -> bool {
        let stats = t.handle.stats();
        let complete = super::progress::is_complete(&stats);
        let paused_by_user =
            t.handle.is_paused() && !t.queued.load(Ordering::Relaxed) && !t.held.any();
        !complete
            && !paused_by_user
            && !matches!(stats.state, librqbit::TorrentStatsState::Error)
            && self.finished_reason(t).is_none()
    }

    fn any_queued(&self) -> bool {
        self.torrents()
            .iter()
            .any(|t| t.queued.load(Ordering::Relaxed))
    }

    pub(crate) fn set_queued(&self, t: &Torrent, queued: bool) {
        t.queued.store(queued, Ordering::Relaxed);
        self.state
            .update(&t.info_hash.to_hex(), |s| s.queued = queued);
    }

    /// Pauses a torrent that is past its initial file check (a pause during the check can be
    /// lost); false when it is still checking, to be tried again on the next tick.
    pub(crate) async fn pause_live(&self, t: &Torrent) -> bool {
        if matches!(
            t.handle.stats().state,
            librqbit::TorrentStatsState::Initializing { .. }
        ) {
            return false;
        }
        match self.session.pause(&t.handle).await {
            Ok(()) => true,
            Err(e) => {
                warn!(info_hash = %t.info_hash, "cannot pause: {e:#}");
                false
            }
        }
    }

    /// Makes the supervisor look again now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

fn candidate(t: &Arc<Torrent>) -> Candidate {
    Candidate {
        info_hash: t.info_hash,
        streaming: t.streams.watched(queue::STREAM_GRACE),
        order: t.order,
    }
}
