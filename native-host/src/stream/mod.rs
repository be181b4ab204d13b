//! The stream server: serves a torrent file over HTTP while it downloads, with Range support,
//! to the Cast device (or any player). Only `/s/<token>/<file-name>` exists on this listener;
//! tokens are random and handed out per published file.

mod handler;
pub mod range;

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
}

pub(crate) struct Registry {
    engine: Arc<TorrentEngine>,
    targets: Mutex<HashMap<String, StreamTarget>>,
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
    local_addr: SocketAddr,
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
        });
        let app = Router::new()
            .route("/s/{token}/{*name}", get(handler::serve))
            .with_state(registry.clone());
        let task = tokio::spawn(accept(listener, app));
        tracing::info!(%local_addr, "stream server listening");
        Ok(Self {
            registry,
            local_addr,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Makes a file of `torrent` reachable and returns its path (`/s/<token>/<name>`).
    pub fn publish(&self, torrent: &Torrent, file_index: usize) -> String {
        let file = &torrent.files[file_index];
        let file_name = file
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&file.path)
            .to_string();
        let token = format!("{:032x}", rand::random::<u128>());
        let path = format!("/s/{token}/{}", utf8_percent_encode(&file_name, SEGMENT));
        let target = StreamTarget {
            info_hash: torrent.info_hash,
            file_index,
            content_type: crate::media::content_type(std::path::Path::new(&file_name)),
            file_name,
            len: file.length,
        };
        self.registry.targets.lock().unwrap().insert(token, target);
        path
    }

    /// The full URL for `path` as a device at `target` would reach it.
    pub fn url(&self, path: &str, target: Option<IpAddr>) -> String {
        let host = advertised_host(self.registry.engine.config().stream_host.as_deref(), target);
        let addr = match host.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, self.local_addr.port()).to_string(),
            Err(_) => format!("{host}:{}", self.local_addr.port()),
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
