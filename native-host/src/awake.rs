//! Staying awake: while a cast plays or a stream is read, the OS's idle-sleep inhibitor is held
//! (through `keepawake`: logind's `Inhibit("idle")` on Linux, an IOKit assertion on macOS,
//! `SetThreadExecutionState` on Windows), so the computer does not sleep under the TV. It is
//! released when playback ends, the cast stops, or the TV stays paused for a while; `stay_awake =
//! false` turns it off.
//!
//! One thread owns the inhibitor: keepawake's calls block (D-Bus, with no timeout of their own)
//! and Windows ties the state to the thread that set it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tracing::{info, warn};

use crate::cast::{CastStatus, Link};
use crate::engine::{TorrentEngine, TorrentEvent};

/// A paused TV keeps the computer awake this long: the viewer is likely to come back.
const PAUSED_GRACE: Duration = Duration::from_secs(5 * 60);
/// A stream read within this counts as being watched (players read ahead in bursts).
const READ_GRACE: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_secs(1);
const RELEASE_AFTER: Duration = Duration::from_secs(5);

/// Follows casts and streams until the engine's channel closes, holding the inhibitor while
/// something plays.
pub async fn run(engine: Arc<TorrentEngine>) {
    let mut events = engine.subscribe();
    let mut players = Players::default();
    let inhibitor = Inhibitor::spawn();
    let mut tick = tokio::time::interval(TICK);
    let mut wanted_at = Instant::now();
    loop {
        tokio::select! {
            _ = engine.stopped() => break,
            event = events.recv() => match event {
                Ok(TorrentEvent::Cast(status)) => players.update(&status),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {}
        }
        let playing = players.any_playing(&engine) || engine.reading_within(READ_GRACE);
        let wanted = engine.config().stay_awake && playing;
        if wanted {
            wanted_at = Instant::now();
        }
        // Let go only after a few quiet seconds: the codec check's read ends just before the TV
        // starts, and the inhibitor should not flap between the two.
        inhibitor.set(wanted || (wanted_at.elapsed() < RELEASE_AFTER && inhibitor.held()));
    }
    inhibitor.set(false);
}

/// Each device's player state, and since when.
#[derive(Default)]
struct Players(HashMap<String, (String, Instant)>);

impl Players {
    fn update(&mut self, status: &CastStatus) {
        let state = match (&status.link, &status.player_state) {
            (Link::Connected, Some(s)) => s.clone(),
            _ => String::new(),
        };
        match self.0.get(&status.device) {
            Some((old, _)) if *old == state => {}
            _ => {
                self.0
                    .insert(status.device.clone(), (state, Instant::now()));
            }
        }
    }

    /// A device we cast to plays, buffers, or was paused only a short while ago.
    fn any_playing(&self, engine: &TorrentEngine) -> bool {
        self.0.iter().any(|(device, (state, since))| {
            engine.casting.torrent_on(device).is_some()
                && match state.as_str() {
                    "PLAYING" | "BUFFERING" => true,
                    "PAUSED" => since.elapsed() < PAUSED_GRACE,
                    _ => false,
                }
        })
    }
}

/// The handle to the thread that owns the inhibitor.
struct Inhibitor {
    wanted: std::sync::mpsc::Sender<bool>,
    last: std::cell::Cell<bool>,
}

impl Inhibitor {
    fn spawn() -> Self {
        let (wanted, rx) = std::sync::mpsc::channel::<bool>();
        let spawned = std::thread::Builder::new()
            .name("stay-awake".into())
            .spawn(move || {
                let mut held = None;
                // Ends when the sender goes: the guard drops, releasing the inhibitor.
                for want in rx {
                    match (want, held.is_some()) {
                        (true, false) => held = take(),
                        (false, true) => {
                            held = None;
                            info!("sleep inhibitor released");
                        }
                        _ => {}
                    }
                }
            });
        if let Err(e) = spawned {
            warn!("cannot start the stay-awake thread: {e}");
        }
        Self {
            wanted,
            last: std::cell::Cell::new(false),
        }
    }

    fn held(&self) -> bool {
        self.last.get()
    }

    fn set(&self, want: bool) {
        if self.last.replace(want) != want {
            let _ = self.wanted.send(want);
        }
    }
}

fn take() -> Option<keepawake::KeepAwake> {
    let made = keepawake::Builder::default()
        .idle(true)
        .reason("Casting a video to the TV")
        .app_name("magnetcast")
        .app_reverse_domain("org.magnetcast")
        .create();
    match made {
        Ok(guard) => {
            info!("sleep inhibitor held");
            Some(guard)
        }
        Err(e) => {
            // No logind (a container, a minimal system): playing goes on, sleep is not blocked.
            warn!("cannot keep the computer awake while casting: {e:#}");
            None
        }
    }
}
