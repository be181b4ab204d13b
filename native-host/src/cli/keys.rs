//! Keys while `play` casts on a terminal: space pause/resume, ←/→ seek ∓/±30 s, ↑/↓ volume,
//! m mute, q quit.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use magnetcast::cast::{CastCommand, DeviceSession};
use tokio::sync::Notify;

const SEEK_STEP: f64 = 30.0;
const VOLUME_STEP: f64 = 0.05;

/// Restores the terminal when dropped.
pub struct Keys {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Keys {
    pub fn available() -> bool {
        std::io::stdin().is_terminal()
    }

    /// Starts reading keys when stdin is a terminal; `quit` is notified on `q` or Ctrl-C (raw
    /// mode turns Ctrl-C into a key).
    pub fn start(session: Arc<DeviceSession>, quit: Arc<Notify>) -> Option<Self> {
        if !Self::available() || crossterm::terminal::enable_raw_mode().is_err() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    if !event::poll(Duration::from_millis(200)).unwrap_or(false) {
                        continue;
                    }
                    let Ok(Event::Key(key)) = event::read() else {
                        continue;
                    };
                    if key.kind == KeyEventKind::Release {
                        continue;
                    }
                    match command(&key, &session) {
                        Some(c) => session.send(c),
                        None if is_quit(&key) => {
                            quit.notify_one();
                            return;
                        }
                        None => {}
                    }
                }
            }
        });
        Some(Self {
            stop,
            thread: Some(thread),
        })
    }
}

fn is_quit(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('q') | KeyCode::Esc)
        || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL))
}

fn command(key: &KeyEvent, session: &DeviceSession) -> Option<CastCommand> {
    let status = session.status();
    let volume = status.volume.unwrap_or(0.5);
    Some(match key.code {
        KeyCode::Char(' ') if status.player_state.as_deref() == Some("PLAYING") => {
            CastCommand::Pause
        }
        KeyCode::Char(' ') => CastCommand::Play,
        KeyCode::Left => CastCommand::SeekBy(-SEEK_STEP),
        KeyCode::Right => CastCommand::SeekBy(SEEK_STEP),
        KeyCode::Up => CastCommand::Volume((volume + VOLUME_STEP).min(1.0)),
        KeyCode::Down => CastCommand::Volume((volume - VOLUME_STEP).max(0.0)),
        KeyCode::Char('m') => CastCommand::Mute(!status.muted.unwrap_or(false)),
        _ => return None,
    })
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
