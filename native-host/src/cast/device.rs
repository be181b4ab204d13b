//! One thread per device owns its connection. rust_cast is blocking std I/O and answers no PINGs
//! by itself, so this thread interleaves short timed reads with the user's commands, answers the
//! device's PINGs, pings it every few seconds, notices a silent device within 15 s and reconnects
//! with backoff. Every change of state goes out on the engine's event bus.

use std::io::ErrorKind;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rust_cast::message_manager::{CastMessage, CastMessagePayload, MessageManager};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use super::messages::{self as m, Application, LoadRequest, MediaStatus, ReceiverStatus};
use super::tls::{self, CastStream};
use super::{CastCommand, CastStatus, Device, Link};
use crate::engine::TorrentEvent;

/// How long a read waits before the thread looks at its commands again.
const POLL: Duration = Duration::from_millis(50);
const PING_EVERY: Duration = Duration::from_secs(5);
/// Three missed PONGs: the device is gone (switched off, Wi-Fi dropped) even if TCP says nothing.
const SILENCE_LIMIT: Duration = Duration::from_secs(15);
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A LAUNCH not answered with the player by then is sent again.
const LAUNCH_PATIENCE: Duration = Duration::from_secs(10);

enum Msg {
    Command(CastCommand),
    Shutdown,
}

pub struct DeviceSession {
    pub device: Device,
    tx: Mutex<Sender<Msg>>,
    status: Arc<Mutex<CastStatus>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl DeviceSession {
    /// Connects (so that a wrong address or a refused port is an error right here, not a
    /// reconnect loop) and starts the device's thread.
    pub async fn connect(
        device: Device,
        events: broadcast::Sender<TorrentEvent>,
    ) -> crate::Result<Arc<Self>> {
        let addr = device.addr;
        let stream = tokio::task::spawn_blocking(move || tls::connect(addr, POLL))
            .await
            .map_err(|e| crate::Error::Cast(e.to_string()))?
            .map_err(|e| {
                crate::Error::Cast(format!("cannot connect to {} at {addr}: {e}", device.name))
            })?;
        Ok(Self::start(device, events, Some(stream)))
    }

    fn start(
        device: Device,
        events: broadcast::Sender<TorrentEvent>,
        first: Option<CastStream>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(CastStatus::new(&device.name)));
        let worker = Worker {
            device: device.clone(),
            events,
            status: status.clone(),
            rx,
            wanted: None,
            loaded: false,
            app: None,
            media: None,
            seen_at: Instant::now(),
            request_id: 0,
            launched_at: None,
        };
        let thread = std::thread::Builder::new()
            .name(format!("cast {}", device.name))
            .spawn(move || worker.run(first))
            .expect("spawn device thread");
        Arc::new(Self {
            device,
            tx: Mutex::new(tx),
            status,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn send(&self, command: CastCommand) {
        let _ = self.tx.lock().unwrap().send(Msg::Command(command));
    }

    pub fn status(&self) -> CastStatus {
        self.status.lock().unwrap().clone()
    }

    /// Ends the thread (after it sent what was queued) and waits for it; blocking.
    pub fn close(&self) {
        let _ = self.tx.lock().unwrap().send(Msg::Shutdown);
        if let Some(t) = self.thread.lock().unwrap().take() {
            let _ = t.join();
        }
    }
}

impl Drop for DeviceSession {
    fn drop(&mut self) {
        let _ = self.tx.lock().unwrap().send(Msg::Shutdown);
    }
}

enum Ended {
    Shutdown,
    Lost(String),
}

struct Worker {
    device: Device,
    events: broadcast::Sender<TorrentEvent>,
    status: Arc<Mutex<CastStatus>>,
    rx: Receiver<Msg>,
    /// The media the user wants on the TV; re-sent after a reconnect if the app went away.
    wanted: Option<LoadRequest>,
    loaded: bool,
    app: Option<Application>,
    /// The last MEDIA_STATUS and when it came, to estimate the position for relative seeks.
    media: Option<(MediaStatus, Instant)>,
    seen_at: Instant,
    request_id: u32,
    /// When LAUNCH was sent, until the player shows up.
    launched_at: Option<Instant>,
}

type Manager = MessageManager<CastStream>;

impl Worker {
    fn run(mut self, mut first: Option<CastStream>) {
        let mut backoff = BACKOFF_START;
        loop {
            self.update(|s| {
                s.link = Link::Connecting;
            });
            let stream = match first.take() {
                Some(s) => Ok(s),
                None => tls::connect(self.device.addr, POLL),
            };
            let ended = match stream {
                Ok(stream) => {
                    backoff = BACKOFF_START;
                    self.serve(&MessageManager::new(stream))
                }
                Err(e) => Ended::Lost(format!("cannot connect to {}: {e}", self.device.addr)),
            };
            let reason = match ended {
                Ended::Shutdown => break,
                Ended::Lost(reason) => reason,
            };
            warn!(device = %self.device.name, %reason, "cast link lost; retrying in {backoff:?}");
            self.app = None;
            self.media = None;
            self.update(|s| {
                s.link = Link::Reconnecting;
                s.reason = Some(reason.clone());
                s.app = None;
                s.player_state = None;
            });
            // Wait out the backoff, still taking commands (a Load waits for the next link).
            let until = Instant::now() + backoff;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                match self.rx.recv_timeout(left) {
                    Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                        self.update(|s| s.link = Link::Closed);
                        return;
                    }
                    Ok(Msg::Command(CastCommand::Load(req))) => self.wanted = Some(req),
                    Ok(Msg::Command(CastCommand::Stop)) => self.wanted = None,
                    Ok(Msg::Command(CastCommand::Subtitles(track))) => {
                        if let Some(w) = &mut self.wanted {
                            w.active_tracks = track.into_iter().collect();
                        }
                    }
                    // The LOAD after the reconnect starts the player.
                    Ok(Msg::Command(CastCommand::Launch)) => {}
                    Ok(Msg::Command(other)) => self.error(format!(
                        "{}: not connected, {other:?} dropped",
                        self.device.name
                    )),
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
        self.update(|s| s.link = Link::Closed);
    }

    fn serve(&mut self, mm: &Manager) -> Ended {
        match self.serve_inner(mm) {
            Ok(()) => Ended::Shutdown,
            Err(reason) => Ended::Lost(reason),
        }
    }

    fn serve_inner(&mut self, mm: &Manager) -> Result<(), String> {
        self.loaded = false;
        self.launched_at = None;
        send(mm, m::NS_CONNECTION, m::RECEIVER_ID, m::connect())?;
        let id = self.next_id();
        send(mm, m::NS_RECEIVER, m::RECEIVER_ID, m::get_status(id))?;
        info!(device = %self.device.name, addr = %self.device.addr, "cast link up");
        self.update(|s| {
            s.link = Link::Connected;
            s.reason = None;
        });
        self.seen_at = Instant::now();
        let mut pinged_at = Instant::now();
        loop {
            loop {
                match self.rx.try_recv() {
                    Ok(Msg::Command(c)) => self.command(mm, c)?,
                    Ok(Msg::Shutdown) | Err(TryRecvError::Disconnected) => return Ok(()),
                    Err(TryRecvError::Empty) => break,
                }
            }
            if pinged_at.elapsed() >= PING_EVERY {
                send(mm, m::NS_HEARTBEAT, m::RECEIVER_ID, m::ping())?;
                pinged_at = Instant::now();
            }
            if self.seen_at.elapsed() >= SILENCE_LIMIT {
                return Err(format!(
                    "{} stopped answering for {} s",
                    self.device.name,
                    SILENCE_LIMIT.as_secs()
                ));
            }
            match mm.receive() {
                Ok(message) => {
                    self.seen_at = Instant::now();
                    self.handle(mm, message)?;
                }
                Err(rust_cast::errors::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(format!("connection to {} failed: {e}", self.device.name)),
            }
        }
    }

    fn next_id(&mut self) -> u32 {
        self.request_id += 1;
        self.request_id
    }

    fn command(&mut self, mm: &Manager, command: CastCommand) -> Result<(), String> {
        debug!(device = %self.device.name, ?command, "cast command");
        let id = self.next_id();
        match command {
            CastCommand::Load(req) => {
                self.update(|s| {
                    s.verdict = req.verdict.clone();
                    s.tracks = req.tracks.clone();
                    s.active_tracks = req.active_tracks.clone();
                });
                self.wanted = Some(req);
                self.loaded = false;
                match self.app.clone() {
                    Some(app) if app.app_id == m::DEFAULT_MEDIA_RECEIVER => {
                        self.send_load(mm, &app)?
                    }
                    // LOAD follows the RECEIVER_STATUS that shows the player.
                    _ => self.launch(mm, id)?,
                }
            }
            CastCommand::Launch => {
                if self
                    .app
                    .as_ref()
                    .is_none_or(|a| a.app_id != m::DEFAULT_MEDIA_RECEIVER)
                {
                    self.launch(mm, id)?
                }
            }
            CastCommand::Volume(level) => send(
                mm,
                m::NS_RECEIVER,
                m::RECEIVER_ID,
                m::set_volume(id, Some(level), None),
            )?,
            CastCommand::Mute(muted) => send(
                mm,
                m::NS_RECEIVER,
                m::RECEIVER_ID,
                m::set_volume(id, None, Some(muted)),
            )?,
            CastCommand::Stop => {
                self.wanted = None;
                if let Some(app) = self.app.clone() {
                    send(
                        mm,
                        m::NS_RECEIVER,
                        m::RECEIVER_ID,
                        m::stop_app(id, &app.session_id),
                    )?;
                }
            }
            CastCommand::Subtitles(track) => {
                let active: Vec<u32> = track.into_iter().collect();
                if let Some(w) = &mut self.wanted {
                    w.active_tracks = active.clone();
                }
                self.update(|s| s.active_tracks = active.clone());
                if let (Some(app), Some((media, _))) = (self.app.clone(), self.media.clone()) {
                    let payload = m::edit_tracks(id, media.media_session_id, &active);
                    send(mm, m::NS_MEDIA, &app.transport_id, payload)?;
                }
            }
            CastCommand::Seek(_) | CastCommand::SeekBy(_)
                if self.wanted.as_ref().is_some_and(|w| w.live) =>
            {
                // A live conversion restarts at the target instead of seeking in bytes.
                let now = self.position().unwrap_or(0.0);
                let target = match command {
                    CastCommand::Seek(t) => t,
                    CastCommand::SeekBy(d) => now + d,
                    _ => unreachable!(),
                };
                let wanted = self.wanted.as_mut().expect("checked above");
                let mut target = target.max(0.0);
                if let Some(len) = wanted.duration {
                    target = target.min((len - 1.0).max(0.0));
                }
                wanted.offset = target;
                if let Some(app) = self.app.clone() {
                    self.send_load(mm, &app)?;
                }
            }
            CastCommand::Play
            | CastCommand::Pause
            | CastCommand::Seek(_)
            | CastCommand::SeekBy(_) => {
                let (Some(app), Some((media, _))) = (self.app.clone(), self.media.clone()) else {
                    self.error(format!(
                        "{}: nothing is playing, {command:?} ignored",
                        self.device.name
                    ));
                    return Ok(());
                };
                let payload = match command {
                    CastCommand::Play => m::media_command("PLAY", id, media.media_session_id),
                    CastCommand::Pause => m::media_command("PAUSE", id, media.media_session_id),
                    CastCommand::Seek(t) => m::seek(id, media.media_session_id, t),
                    CastCommand::SeekBy(d) => {
                        let now = self.position().unwrap_or(0.0);
                        let mut target = (now + d).max(0.0);
                        if let Some(len) = media.media.as_ref().and_then(|i| i.duration) {
                            target = target.min((len - 1.0).max(0.0));
                        }
                        m::seek(id, media.media_session_id, target)
                    }
                    _ => unreachable!(),
                };
                send(mm, m::NS_MEDIA, &app.transport_id, payload)?;
            }
        }
        Ok(())
    }

    /// Where the video is now, counted from its start (a live conversion's device counts from
    /// where the conversion started), moved on by the time since the device said it.
    fn position(&self) -> Option<f64> {
        let (media, at) = self.media.as_ref()?;
        let moving = if media.player_state == "PLAYING" {
            at.elapsed().as_secs_f64()
        } else {
            0.0
        };
        let offset = self.wanted.as_ref().map_or(0.0, |w| w.offset);
        Some(media.current_time? + moving + offset)
    }

    /// The device cannot play what it was given: load the converted stream, once.
    fn fall_back(&mut self, mm: &Manager) -> Result<bool, String> {
        let Some(fallback) = self.wanted.as_mut().and_then(|w| w.fallback.take()) else {
            return Ok(false);
        };
        let Some(app) = self.app.clone() else {
            return Ok(false);
        };
        info!(device = %self.device.name, url = %fallback.url, "device cannot play the file; loading the converted stream");
        let mut next = *fallback;
        next.start_at = self.position().unwrap_or(next.start_at);
        if next.live {
            next.offset = next.start_at;
        }
        self.update(|s| s.verdict = next.verdict.clone());
        self.wanted = Some(next);
        self.send_load(mm, &app)?;
        Ok(true)
    }

    /// Starts the Default Media Receiver, unless that is already under way.
    fn launch(&mut self, mm: &Manager, id: u32) -> Result<(), String> {
        if self
            .launched_at
            .is_some_and(|t| t.elapsed() < LAUNCH_PATIENCE)
        {
            return Ok(());
        }
        self.launched_at = Some(Instant::now());
        send(
            mm,
            m::NS_RECEIVER,
            m::RECEIVER_ID,
            m::launch(id, m::DEFAULT_MEDIA_RECEIVER),
        )
    }

    fn send_load(&mut self, mm: &Manager, app: &Application) -> Result<(), String> {
        let Some(req) = self.wanted.clone() else {
            return Ok(());
        };
        let id = self.next_id();
        send(
            mm,
            m::NS_MEDIA,
            &app.transport_id,
            m::load(id, &app.session_id, &req),
        )?;
        self.loaded = true;
        info!(device = %self.device.name, url = %req.url, "LOAD sent");
        Ok(())
    }

    fn handle(&mut self, mm: &Manager, message: CastMessage) -> Result<(), String> {
        let CastMessagePayload::String(payload) = &message.payload else {
            return Ok(());
        };
        let Some(incoming) = m::parse(payload) else {
            debug!(device = %self.device.name, %payload, "unparsable cast payload");
            return Ok(());
        };
        match (message.namespace.as_str(), incoming.kind.as_str()) {
            (m::NS_HEARTBEAT, "PING") => send(mm, m::NS_HEARTBEAT, &message.source, m::pong())?,
            (m::NS_RECEIVER, "RECEIVER_STATUS") => {
                let status: ReceiverStatus =
                    serde_json::from_value(incoming.status).unwrap_or_default();
                let app = status.applications.into_iter().next();
                let app_changed =
                    app.as_ref().map(|a| &a.session_id) != self.app.as_ref().map(|a| &a.session_id);
                if app_changed {
                    self.loaded = false;
                    self.media = None;
                    if let Some(a) = &app {
                        send(mm, m::NS_CONNECTION, &a.transport_id, m::connect())?;
                    }
                }
                self.app = app.clone();
                if app
                    .as_ref()
                    .is_some_and(|a| a.app_id == m::DEFAULT_MEDIA_RECEIVER)
                {
                    self.launched_at = None;
                }
                if let Some(a) = &app
                    && a.app_id == m::DEFAULT_MEDIA_RECEIVER
                    && !self.loaded
                    && self.wanted.is_some()
                {
                    self.send_load(mm, a)?;
                }
                self.update(|s| {
                    s.app = app
                        .as_ref()
                        .map(|a| a.display_name.clone())
                        .filter(|n| !n.is_empty())
                        .or(app.as_ref().map(|a| a.app_id.clone()));
                    if app.is_none() {
                        s.player_state = None;
                        s.position = None;
                    }
                    if let Some(v) = status.volume {
                        s.volume = v.level.or(s.volume);
                        s.muted = v.muted.or(s.muted);
                    }
                });
            }
            (m::NS_RECEIVER, "LAUNCH_ERROR") => self.error(format!(
                "{} could not start the media player: {}",
                self.device.name,
                incoming.reason.as_deref().unwrap_or("no reason given")
            )),
            (m::NS_MEDIA, "MEDIA_STATUS") => {
                let list: Vec<MediaStatus> =
                    serde_json::from_value(incoming.status).unwrap_or_default();
                let Some(media) = list.into_iter().next() else {
                    return Ok(());
                };
                if media.player_state == "IDLE"
                    && media.idle_reason.as_deref() == Some("ERROR")
                    && !self.fall_back(mm)?
                {
                    self.load_error("playback error", None, None);
                }
                let offset = self.wanted.as_ref().map_or(0.0, |w| w.offset);
                let (state, time, idle) = (
                    media.player_state.clone(),
                    media.current_time,
                    media.idle_reason.clone(),
                );
                let info = media.media.clone();
                let volume = media.volume;
                self.media = Some((media, Instant::now()));
                self.update(|s| {
                    s.player_state = Some(state);
                    s.position = time.map(|t| t + offset).or(s.position);
                    s.idle_reason = idle;
                    if let Some(i) = info {
                        s.duration = i.duration.map(|d| d + offset).or(s.duration);
                        s.media_url = i.content_id.or(s.media_url.take());
                    }
                    if let Some(v) = volume {
                        s.volume = v.level.or(s.volume);
                        s.muted = v.muted.or(s.muted);
                    }
                });
            }
            (
                m::NS_MEDIA,
                kind @ ("LOAD_FAILED"
                | "LOAD_CANCELLED"
                | "INVALID_REQUEST"
                | "INVALID_PLAYER_STATE"),
            ) => {
                let kind = kind.to_string();
                self.loaded = false;
                if kind == "LOAD_FAILED" && self.fall_back(mm)? {
                    return Ok(());
                }
                self.load_error(
                    &kind,
                    incoming.reason.as_deref(),
                    incoming.detailed_error_code,
                );
            }
            (m::NS_CONNECTION, "CLOSE")
                if self
                    .app
                    .as_ref()
                    .is_some_and(|a| a.transport_id == message.source) =>
            {
                self.app = None;
                self.media = None;
                self.update(|s| {
                    s.app = None;
                    s.player_state = None;
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn load_error(&self, what: &str, reason: Option<&str>, code: Option<i64>) {
        let (url, content_type) = self
            .wanted
            .as_ref()
            .map(|w| (w.url.as_str(), w.content_type.as_str()))
            .unwrap_or(("(no media)", "-"));
        let mut said = reason
            .map(str::to_string)
            .unwrap_or_else(|| "no reason given".into());
        if let Some(c) = code {
            said.push_str(&format!(", detailed error code {c}"));
        }
        self.error(format!(
            "{} could not play {url} ({content_type}): {what}; the device said: {said}",
            self.device.name
        ));
    }

    fn error(&self, message: String) {
        warn!("{message}");
        let _ = self.events.send(TorrentEvent::Error {
            torrent: None,
            message,
        });
    }

    fn update(&self, f: impl FnOnce(&mut CastStatus)) {
        let snapshot = {
            let mut s = self.status.lock().unwrap();
            let before = s.clone();
            f(&mut s);
            (*s != before).then(|| s.clone())
        };
        if let Some(s) = snapshot {
            let _ = self.events.send(TorrentEvent::Cast(s));
        }
    }
}

fn send(mm: &Manager, namespace: &str, destination: &str, payload: String) -> Result<(), String> {
    mm.send(CastMessage {
        namespace: namespace.to_string(),
        source: m::SENDER_ID.to_string(),
        destination: destination.to_string(),
        payload: CastMessagePayload::String(payload),
    })
    .map_err(|e| format!("send failed: {e}"))
}
