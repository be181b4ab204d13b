//! magnetcast patch (this whole file): a process-wide observer of the TCP peer connections this
//! crate makes and accepts. librqbit has no API to drop one peer; the application keeps what it
//! needs from here to close the connection of a peer too slow for the piece a stream waits on.

use std::net::SocketAddr;
use std::sync::OnceLock;

/// Called with each new connection and the peer address librqbit will know it by.
pub type TcpObserver = fn(&tokio::net::TcpStream, SocketAddr);

static OBSERVER: OnceLock<TcpObserver> = OnceLock::new();

/// Installs the observer; false if one was installed already (it is kept).
pub fn set_tcp_observer(observer: TcpObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

pub(crate) fn observe(stream: &tokio::net::TcpStream, peer: SocketAddr) {
    if let Some(observer) = OBSERVER.get() {
        observer(stream, peer);
    }
}
