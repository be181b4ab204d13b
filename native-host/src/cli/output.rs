//! What `play` shows: a progress bar on a terminal, or JSON lines for scripts (`--json`).
//! The stream URL always goes to stdout so it can be piped; the bar draws on stderr.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use magnetcast::TorrentEvent;
use magnetcast::cast::{CastStatus, Link};
use serde_json::json;
use tokio::sync::broadcast;

/// Lines end in `\r\n`: while `play` reads keys the terminal is in raw mode, where a bare `\n`
/// does not return the cursor.
pub struct Output {
    json: bool,
    bar: ProgressBar,
    /// The TV's state, shown beside the download progress.
    tv: Mutex<String>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        let bar = if json {
            ProgressBar::hidden()
        } else {
            // indicatif hides itself when stderr is not a terminal.
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {percent:>3}% {bytes}/{total_bytes} {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        };
        Self {
            json,
            bar,
            tv: Mutex::default(),
        }
    }

    pub fn stream_url(&self, url: &str, name: &str, file: &str) {
        if self.json {
            println!(
                "{}",
                json!({"event": "stream", "url": url, "name": name, "file": file})
            );
        } else {
            self.bar.suspend(|| println!("stream: {url}"));
        }
    }

    pub fn line(&self, text: &str) {
        if self.json {
            println!("{}", json!({"event": "info", "message": text}));
        } else {
            self.bar.suspend(|| println!("{text}"));
        }
    }

    pub fn event(&self, event: &TorrentEvent) {
        if self.json {
            if let Ok(line) = serde_json::to_string(event) {
                println!("{line}");
            }
            return;
        }
        match event {
            TorrentEvent::Added { torrent, name } => self.bar.set_message(format!(
                "fetching metadata for {}",
                name.as_deref().unwrap_or(torrent)
            )),
            TorrentEvent::Metadata {
                name,
                files,
                selected,
                ..
            } => {
                let file = files.iter().find(|f| f.index == *selected);
                self.bar.set_message(format!("metadata: {name}"));
                if let Some(f) = file {
                    self.bar.set_length(f.length);
                }
            }
            TorrentEvent::Progress(p) => {
                self.bar.set_length(p.total);
                self.bar.set_position(p.downloaded);
                self.bar.set_message(format!(
                    "↓ {}/s ↑ {}/s · {} peers · {} buffered{}",
                    HumanBytes(p.down_bps),
                    HumanBytes(p.up_bps),
                    p.peers,
                    HumanBytes(p.buffered_ahead),
                    self.tv.lock().unwrap()
                ));
            }
            TorrentEvent::Completed { .. } => self.bar.suspend(|| eprint!("download complete\r\n")),
            TorrentEvent::Error { message, .. } => {
                self.bar.suspend(|| eprint!("error: {message}\r\n"))
            }
            TorrentEvent::Removed { .. } => {}
            TorrentEvent::Cast(s) => {
                let was = std::mem::replace(&mut *self.tv.lock().unwrap(), tv_summary(s));
                if s.link != Link::Connected || was.is_empty() {
                    let reason = s
                        .reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    self.bar
                        .suspend(|| eprint!("{}: {:?}{reason}\r\n", s.device, s.link));
                }
            }
        }
    }

    /// Prints events until the channel closes. Lagging (a slow terminal) skips, never blocks.
    pub async fn follow(&self, mut events: broadcast::Receiver<TorrentEvent>) {
        loop {
            match events.recv().await {
                Ok(e) => self.event(&e),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// ` · TV PLAYING 0:42/2:00 vol 50%`
fn tv_summary(s: &CastStatus) -> String {
    let clock = |t: f64| format!("{}:{:02}", (t as u64) / 60, (t as u64) % 60);
    let mut out = format!(
        " · TV {}",
        s.player_state.as_deref().unwrap_or(match s.link {
            Link::Connected => "connected",
            Link::Connecting => "connecting",
            Link::Reconnecting => "reconnecting",
            Link::Closed => "closed",
        })
    );
    if let Some(p) = s.position {
        out.push_str(&format!(" {}", clock(p)));
        if let Some(d) = s.duration {
            out.push_str(&format!("/{}", clock(d)));
        }
    }
    if let Some(v) = s.volume {
        out.push_str(&format!(" vol {:.0}%", v * 100.0));
    }
    out
}
