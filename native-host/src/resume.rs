//! Where each torrent was being watched, so casting it again (after a stop, a restart of the
//! daemon or of the TV) starts where the viewer left off. The device's own MEDIA_STATUS is the
//! truth: its position is saved per torrent while it plays or is paused, and forgotten when the
//! video played to the end. The duration it reports tells the engine the video's bitrate.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use crate::engine::{TorrentEngine, TorrentEvent};
use crate::source::InfoHash;

/// Below this, starting from the beginning is what the viewer expects.
const MIN_RESUME_SECS: f64 = 10.0;

/// Where to start `torrent`: the saved position, unless it is too close to the start.
pub fn start_at(engine: &TorrentEngine, torrent: &InfoHash) -> f64 {
    engine
        .playback_position(torrent)
        .filter(|p| *p >= MIN_RESUME_SECS)
        .unwrap_or(0.0)
}

/// Follows cast events until the engine's channel closes.
pub async fn remember(engine: Arc<TorrentEngine>) {
    let mut events = engine.subscribe();
    loop {
        let status = match events.recv().await {
            Ok(TorrentEvent::Cast(s)) => s,
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let Some(torrent) = engine.casting.torrent_on(&status.device) else {
            continue;
        };
        if let Some(d) = status.duration {
            engine.learn_duration(&torrent, d);
        }
        match (status.player_state.as_deref(), status.position) {
            (Some("PLAYING" | "PAUSED"), Some(p)) => engine.save_position(&torrent, Some(p)),
            (Some("IDLE"), _) if status.idle_reason.as_deref() == Some("FINISHED") => {
                engine.save_position(&torrent, None)
            }
            _ => {}
        }
    }
}
