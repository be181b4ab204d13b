//! The daemon: one per user, owning the engine so that a cast outlives the browser and the CLI
//! and both browsers share one engine. Guarded by a lock file; advertises `{port, token}` in a
//! 0600 file in the runtime dir; serves the control API on 127.0.0.1 only.

mod api;
pub mod client;

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::service::Service;

/// What a client needs to reach the daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuntimeInfo {
    pub port: u16,
    pub token: String,
    pub pid: u32,
}

pub fn runtime_file(paths: &Paths) -> PathBuf {
    paths.runtime_dir.join("daemon.json")
}

pub fn read_runtime(paths: &Paths) -> Option<RuntimeInfo> {
    serde_json::from_slice(&std::fs::read(runtime_file(paths)).ok()?).ok()
}

pub struct Daemon {
    pub service: Arc<Service>,
    pub port: u16,
    clients: Arc<AtomicUsize>,
    _lock: File,
    task: tokio::task::JoinHandle<()>,
    paths: Paths,
}

/// Whether the daemon in the runtime file still answers on its port. (A killed process exists
/// for a moment while the kernel closes its files, so its pid alone says nothing.)
fn holder_alive(paths: &Paths) -> bool {
    read_runtime(paths).is_none_or(|info| {
        std::net::TcpStream::connect_timeout(
            &(std::net::Ipv4Addr::LOCALHOST, info.port).into(),
            Duration::from_millis(200),
        )
        .is_ok()
    })
}

impl Daemon {
    /// Takes the per-user lock, starts the service and the control API, and writes the runtime
    /// file. Fails if another daemon holds the lock.
    pub async fn start(config: Config, paths: Paths) -> Result<Self> {
        std::fs::create_dir_all(&paths.runtime_dir)?;
        let lock_path = paths.runtime_dir.join("daemon.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        // A daemon that was just killed may still hold the lock for a moment while the kernel
        // closes its files (its sockets can close first, and a relay notices that): wait a
        // little for a holder that no longer answers, never for one that does.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock)
                    if Instant::now() < deadline && !holder_alive(&paths) =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Daemon(format!(
                        "another magnetcast daemon is running (lock {})",
                        lock_path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
        let service = Service::start(config, paths.clone()).await?;
        let token = format!("{:032x}", rand::random::<u128>());
        let clients = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let app = api::router(service.clone(), token.clone(), port, clients.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("control API stopped: {e}");
            }
        });
        write_private(
            &runtime_file(&paths),
            &serde_json::to_vec(&RuntimeInfo {
                port,
                token,
                pid: std::process::id(),
            })?,
        )?;
        tracing::info!(port, "daemon ready");
        Ok(Self {
            service,
            port,
            clients,
            _lock: lock,
            task,
            paths,
        })
    }

    /// Runs until `stop` resolves or nothing has needed the daemon for `idle` (no client, no
    /// torrent, no cast).
    pub async fn run_until(&self, idle: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut idle_since = Instant::now();
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            if self.clients.load(Ordering::Relaxed) > 0 || self.service.busy() {
                idle_since = Instant::now();
            } else if idle_since.elapsed() >= idle {
                tracing::info!("idle for {idle:?}, leaving");
                return;
            }
        }
    }

    pub async fn shutdown(self) {
        let _ = std::fs::remove_file(runtime_file(&self.paths));
        self.task.abort();
        self.service.shutdown().await;
    }
}

/// Writes a file only this user can read (the token in it is the key to the control API).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = File::options();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}
