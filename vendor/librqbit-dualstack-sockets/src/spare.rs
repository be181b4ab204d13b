//! magnetcast patch (this whole file): spare connections.
//!
//! librqbit fetches a magnet's metadata on connections of its own, closes them, then dials the
//! same peers again for the download: a TCP handshake (one RTT) paid twice before the first
//! piece. While the application holds a [`SpareGuard`] (magnetcast does while a magnet's
//! metadata is fetched), every connection `tcp_connect` makes gets a twin to the same address,
//! opened in the background and kept for [`KEEP`]; the next `tcp_connect` to that address takes
//! the twin instead of dialling. The twin carries no bytes until then, so to librqbit (and to the
//! peer) it is an ordinary new connection.

use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::bind_device::BindDevice;
use crate::connect::{ConnectOpts, open};

/// How long a twin is kept. BitTorrent clients drop a connection that sends no handshake after
/// about 10 s (libtorrent's `handshake_timeout`); librqbit redials within milliseconds of the
/// metadata.
pub const KEEP: Duration = Duration::from_secs(5);

/// At most this many twins at once: a magnet with a large swarm dials hundreds of peers, and
/// each twin is a descriptor and a slot at the peer.
const MAX_SPARES: usize = 16;

static WANTED: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static SPARES: Mutex<Vec<Spare>> = Mutex::new(Vec::new());

struct Spare {
    id: u64,
    peer: SocketAddr,
    /// None while it is still connecting.
    stream: Option<tokio::net::TcpStream>,
}

/// Twins are made while at least one guard is alive.
#[must_use = "spares are made only while the guard is alive"]
pub struct SpareGuard(());

impl Drop for SpareGuard {
    fn drop(&mut self) {
        WANTED.fetch_sub(1, Ordering::Relaxed);
    }
}

/// From now until the guard is dropped, each connection made gets a twin. Twins already made
/// stay usable for [`KEEP`] after that.
pub fn spare_connections() -> SpareGuard {
    WANTED.fetch_add(1, Ordering::Relaxed);
    SpareGuard(())
}

/// Twins held now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpareCounts {
    /// Still connecting: a twin is listed here before the `tcp_connect` that made it returns.
    pub connecting: usize,
    /// Connected, fresh and waiting to be taken.
    pub ready: usize,
}

/// The twins held now (stale ones are closed on the way).
pub fn spare_counts() -> SpareCounts {
    let mut spares = SPARES.lock().unwrap();
    spares.retain(|s| s.stream.as_ref().is_none_or(fresh));
    let ready = spares.iter().filter(|s| s.stream.is_some()).count();
    SpareCounts {
        connecting: spares.len() - ready,
        ready,
    }
}

/// The twin of `peer`, if one is connected and still fresh.
pub(crate) fn take(peer: SocketAddr) -> Option<tokio::net::TcpStream> {
    let stream = {
        let mut spares = SPARES.lock().unwrap();
        let i = spares
            .iter()
            .position(|s| s.peer == peer && s.stream.is_some())?;
        spares.swap_remove(i).stream?
    };
    fresh(&stream).then_some(stream)
}

/// No bytes waiting and no error: a peer that gave up on the connection has sent a FIN or a
/// reset, and one that spoke first is not what librqbit expects of a new connection.
fn fresh(stream: &tokio::net::TcpStream) -> bool {
    let mut buf = [MaybeUninit::<u8>::uninit(); 1];
    // The socket is non-blocking: WouldBlock means open with nothing to read.
    matches!(socket2::SockRef::from(stream).peek(&mut buf),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Opens a twin of the connection just made to `peer`, when spares are wanted, none exists for
/// `peer` and there is room.
pub(crate) fn after_connect(peer: SocketAddr, opts: &ConnectOpts<'_>) {
    // A fixed source port would give the twin the same four-tuple.
    if WANTED.load(Ordering::Relaxed) == 0 || opts.source_port.is_some() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let id;
    {
        let mut spares = SPARES.lock().unwrap();
        if spares.len() >= MAX_SPARES || spares.iter().any(|s| s.peer == peer) {
            return;
        }
        id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        spares.push(Spare {
            id,
            peer,
            stream: None,
        });
    }
    let bind_device: Option<BindDevice> = opts.bind_device.cloned();
    runtime.spawn(async move {
        let opts = ConnectOpts {
            source_port: None,
            bind_device: bind_device.as_ref(),
        };
        // The peer has just answered the first connection; one that does not answer the twin
        // within its keep time is not held on to (the OS would try for minutes).
        match tokio::time::timeout(KEEP, open(peer, opts)).await {
            Ok(Ok(stream)) => {
                if let Some(s) = SPARES.lock().unwrap().iter_mut().find(|s| s.id == id) {
                    s.stream = Some(stream);
                }
            }
            Ok(Err(_)) | Err(_) => {
                forget(id);
                return;
            }
        }
        tokio::time::sleep(KEEP).await;
        forget(id);
    });
}

fn forget(id: u64) {
    SPARES.lock().unwrap().retain(|s| s.id != id);
}
