//! The stream server: serves a torrent file over HTTP while it downloads, with Range support,
//! to the Cast device (or any player). Tokens are random and handed out per published file:
//! `/s/<token>/<file-name>` is the file itself, `/r/<token>/<name>.mp4` the file converted by
//! ffmpeg as it plays, `/v/<token>/<track>.vtt` a subtitle track as WebVTT and
//! `/p/<token>/<name>` a page that plays it all in a browser.

mod convert;
mod handler;
mod player;
pub mod range;
mod subtitles;
pub mod tracks;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use tokio::task::JoinHandle;

use crate::engine::{Torrent, TorrentEngine};
use crate::error::{Error, Result};
use crate::source::InfoHash;

/// What a token serves.
#[derive(Debug, Clone)]
pub struct StreamTarget {
    pub info_hash: InfoHash,
    pub file_index: usize,
    pub file_name: String,
    pub len: u64,
    pub content_type: &'static str,
    /// Set on tokens of converted streams (`/r/`): what ffmpeg does.
    pub recipe: Option<crate::media::verdict::Recipe>,
}

pub(crate) struct Registry {
    engine: Arc<TorrentEngine>,
    targets: Mutex<HashMap<String, StreamTarget>>,
    /// Subtitle tracks beyond the torrent's own files: picked by the user or found inside the video.
    extra_tracks: Mutex<HashMap<InfoHash, Vec<tracks::Extra>>>,
    /// Where ffmpeg reads the raw file from: ourselves, on loopback.
    local_addr: SocketAddr,
}

impl Registry {
    /// The target of a token whose torrent is still ours. A token outlives its torrent only until
    /// it is next asked for: removal, eviction or a failed add alike end it here, in one place.
    fn lookup(&self, token: &str) -> Option<StreamTarget> {
        let mut targets = self.targets.lock().unwrap();
        let target = targets.get(token)?;
        if self.engine.torrent(&target.info_hash).is_none() {
            targets.remove(token);
            return None;
        }
        Some(target.clone())
    }
}

pub struct StreamServer {
    registry: Arc<Registry>,
    task: JoinHandle<()>,
}

/// Characters escaped in the file-name segment of a stream URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A client has this long to send its request headers: a slow-loris client (or a half-open
/// socket) is dropped instead of holding a socket and a task forever.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// axum's `serve` sets no header-read timeout, so connections are served with hyper-util's
/// builder, which has one.
async fn accept(listener: tokio::net::TcpListener, app: Router) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    loop {
        let socket = match listener.accept().await {
            Ok((socket, _)) => socket,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!("stream server cannot accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(socket), service)
                .await
            {
                tracing::debug!("stream connection ended: {e}");
            }
        });
    }
}

impl StreamServer {
    /// Binds the listener (`0.0.0.0:<stream_port>` unless `bind` says otherwise).
    pub async fn start(engine: Arc<TorrentEngine>, bind: Option<SocketAddr>) -> Result<Self> {
        let bind = bind.unwrap_or_else(|| {
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                engine.config().stream_port,
            )
        });
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| Error::StreamBind {
                addr: bind.to_string(),
                source,
            })?;
        let local_addr = listener.local_addr()?;
        let registry = Arc::new(Registry {
            engine,
            targets: Mutex::default(),
            extra_tracks: Mutex::default(),
            local_addr,
        });
        let app = Router::new()
            .route("/s/{token}/{*name}", get(handler::serve))
            .route("/r/{token}/{*name}", get(convert::serve))
            .route("/v/{token}/{track}", get(subtitles::serve))
            .route("/p/{token}/{*name}", get(player::serve))
            .with_state(registry.clone());
        let task = tokio::spawn(accept(listener, app));
        tracing::info!(%local_addr, "stream server listening");
        Ok(Self { registry, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.registry.local_addr
    }

    /// Makes a file of `torrent` reachable and returns its path (`/s/<token>/<name>`).
    pub fn publish(&self, torrent: &Torrent, file_index: usize) -> String {
        self.registry.publish(torrent, file_index, None).path()
    }

    /// Publishes a file with its token, for the converted stream, tracks and player page.
    pub fn publish_full(
        &self,
        torrent: &Torrent,
        file_index: usize,
        recipe: Option<crate::media::verdict::Recipe>,
    ) -> Published {
        self.registry.publish(torrent, file_index, recipe)
    }

    /// Offers a subtitle file from this computer with `torrent`; returns the track id.
    pub fn add_local_subtitles(&self, torrent: &Torrent, path: std::path::PathBuf) -> Result<u32> {
        self.registry.add_extra(torrent, tracks::Extra::Local(path))
    }

    /// Offers the text subtitle streams inside the video (found by the probe).
    pub fn add_embedded_subtitles(
        &self,
        torrent: &Torrent,
        streams: &[crate::media::probe::SubtitleStream],
    ) {
        self.registry.add_embedded(torrent, streams)
    }

    /// The subtitle tracks of `torrent`, with URLs as a device at `target` reaches them.
    pub fn tracks(
        &self,
        torrent: &Torrent,
        published: &Published,
        target: Option<IpAddr>,
    ) -> Vec<crate::cast::TextTrack> {
        self.registry
            .tracks(torrent)
            .into_iter()
            .map(|t| crate::cast::TextTrack {
                url: self.url(&published.track_path(t.id), target),
                id: t.id,
                name: t.name,
                language: t.language,
            })
            .collect()
    }

    /// The URL ffmpeg and ffprobe read `path` from: loopback, whatever the advertised host.
    pub fn local_url(&self, path: &str) -> String {
        self.registry.local_url(path)
    }

    /// The full URL for `path` as a device at `target` would reach it.
    pub fn url(&self, path: &str, target: Option<IpAddr>) -> String {
        let host = advertised_host(self.registry.engine.config().stream_host.as_deref(), target);
        let addr = match host.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, self.local_addr().port()).to_string(),
            Err(_) => format!("{host}:{}", self.local_addr().port()),
        };
        format!("http://{addr}{path}")
    }

    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for StreamServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Our own listener as seen from this machine.
fn loopback(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    }
}

/// A published file: its token and the names its routes use.
#[derive(Debug, Clone)]
pub struct Published {
    pub token: String,
    /// Percent-encoded file name.
    name: String,
    converted: bool,
}

impl Published {
    fn of(token: &str, target: &StreamTarget) -> Self {
        Self {
            token: token.to_string(),
            name: utf8_percent_encode(&target.file_name, SEGMENT).to_string(),
            converted: target.recipe.is_some(),
        }
    }

    /// `/s/…` for the file as it is, `/r/…` for a converted one.
    pub fn path(&self) -> String {
        if self.converted {
            format!("/r/{}/{}", self.token, converted_name(&self.name))
        } else {
            format!("/s/{}/{}", self.token, self.name)
        }
    }

    /// The file itself, whatever this token's conversion.
    pub fn raw_path(&self) -> String {
        format!("/s/{}/{}", self.token, self.name)
    }

    pub fn track_path(&self, id: u32) -> String {
        format!("/v/{}/{id}.vtt", self.token)
    }

    pub fn player_path(&self) -> String {
        format!("/p/{}/{}", self.token, self.name)
    }
}

/// `film.mkv` → `film.mp4`: the name a converted stream is served under.
fn converted_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    format!("{stem}.mp4")
}

impl Registry {
    fn publish(
        &self,
        torrent: &Torrent,
        file_index: usize,
        recipe: Option<crate::media::verdict::Recipe>,
    ) -> Published {
        // One token per file and conversion: listing torrents again must not mint new ones.
        let mut targets = self.targets.lock().unwrap();
        let existing = targets.iter().find(|(_, t)| {
            t.info_hash == torrent.info_hash && t.file_index == file_index && t.recipe == recipe
        });
        if let Some((token, target)) = existing {
            return Published::of(token, target);
        }
        let file = &torrent.files[file_index];
        let file_name = file
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&file.path)
            .to_string();
        let token = format!("{:032x}", rand::random::<u128>());
        let target = StreamTarget {
            info_hash: torrent.info_hash,
            file_index,
            content_type: crate::media::content_type(std::path::Path::new(&file_name)),
            file_name,
            len: file.length,
            recipe,
        };
        let published = Published::of(&token, &target);
        targets.insert(token, target);
        published
    }

    /// A token's target with its torrent.
    fn lookup_torrent(&self, token: &str) -> Option<(StreamTarget, Arc<Torrent>)> {
        let target = self.lookup(token)?;
        let torrent = self.engine.torrent(&target.info_hash)?;
        Some((target, torrent))
    }

    /// `path` as this machine reaches it: loopback, whatever the advertised host.
    fn local_url(&self, path: &str) -> String {
        format!("http://{}{path}", loopback(self.local_addr))
    }

    /// The file behind `token` as ffmpeg and ffprobe read it.
    fn raw_local_url(&self, token: &str, target: &StreamTarget) -> String {
        self.local_url(&Published::of(token, target).raw_path())
    }

    fn add_extra(&self, torrent: &Torrent, extra: tracks::Extra) -> Result<u32> {
        if let tracks::Extra::Local(p) = &extra
            && !p.is_file()
        {
            return Err(Error::Media(format!("no subtitle file at {}", p.display())));
        }
        let mut all = self.extra_tracks.lock().unwrap();
        let list = all.entry(torrent.info_hash).or_default();
        if !list.contains(&extra) {
            list.push(extra.clone());
        }
        let own = tracks::from_files(torrent).len();
        let at = list.iter().position(|e| *e == extra).expect("just added");
        Ok((own + at + 1) as u32)
    }

    fn add_embedded(&self, torrent: &Torrent, streams: &[crate::media::probe::SubtitleStream]) {
        for s in streams.iter().filter(|s| s.is_text()) {
            let _ = self.add_extra(torrent, tracks::Extra::Embedded(s.clone()));
        }
    }

    fn tracks(&self, torrent: &Torrent) -> Vec<tracks::Track> {
        let extra = self
            .extra_tracks
            .lock()
            .unwrap()
            .get(&torrent.info_hash)
            .cloned()
            .unwrap_or_default();
        tracks::all(torrent, &extra)
    }
}

/// The host a device should use to reach us: the configured override, else the local address
/// the OS would route to the device from (a connected UDP socket sends nothing), else loopback.
pub fn advertised_host(stream_host: Option<&str>, target: Option<IpAddr>) -> String {
    if let Some(h) = stream_host {
        return h.to_string();
    }
    target
        .and_then(|ip| {
            let bind: SocketAddr = if ip.is_ipv4() {
                (Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let sock = UdpSocket::bind(bind).ok()?;
            sock.connect((ip, 9)).ok()?;
            sock.local_addr().ok().map(|a| a.ip().to_string())
        })
        .unwrap_or_else(|| Ipv4Addr::LOCALHOST.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_host_prefers_override_then_route() {
        assert_eq!(advertised_host(Some("tv.lan"), None), "tv.lan");
        assert_eq!(
            advertised_host(None, Some(Ipv4Addr::LOCALHOST.into())),
            "127.0.0.1"
        );
        assert_eq!(advertised_host(None, None), "127.0.0.1");
    }
}
