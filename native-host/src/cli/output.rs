//! What `play` shows: a progress bar on a terminal, or JSON lines for scripts (`--json`).
//! The stream URL always goes to stdout so it can be piped; the bar draws on stderr.

use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use magnetcast::TorrentEvent;
use serde_json::json;
use tokio::sync::broadcast;

pub struct Output {
    json: bool,
    bar: ProgressBar,
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
        Self { json, bar }
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
                    "↓ {}/s ↑ {}/s · {} peers · {} buffered",
                    HumanBytes(p.down_bps),
                    HumanBytes(p.up_bps),
                    p.peers,
                    HumanBytes(p.buffered_ahead)
                ));
            }
            TorrentEvent::Completed { .. } => self.bar.suspend(|| eprintln!("download complete")),
            TorrentEvent::Error { message, .. } => {
                self.bar.suspend(|| eprintln!("error: {message}"))
            }
            TorrentEvent::Removed { .. } => {}
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
