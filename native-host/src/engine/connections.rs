//! The TCP connections librqbit has with peers, seen through the observer our copy of
//! librqbit-dualstack-sockets calls for each one it makes or accepts
//! (`vendor/librqbit-dualstack-sockets/src/observe.rs`). librqbit has no API to drop a peer;
//! shutting its socket down is how `slow_peers.rs` takes a piece back from a peer too slow for
//! the stream waiting on it. librqbit then sees the connection end, queues the peer's pieces
//! again for the others and retries the peer later (10 s at the soonest).
//!
//! The list is process-wide, like the observer: every librqbit session in the process (tests run
//! seeders beside the engine) adds to it, and `close` reaches all connections to that address.

use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Mutex;

use socket2::SockRef;

/// One connection, known by its descriptor and checked by its two addresses: librqbit closes
/// descriptors without telling us, and the number may be reused.
struct Connection {
    fd: RawFd,
    local: SocketAddr,
    remote: SocketAddr,
    /// The address librqbit knows the peer by (an IPv4 peer is not IPv4-mapped here).
    peer: SocketAddr,
}

static OPEN: Mutex<Vec<Connection>> = Mutex::new(Vec::new());

/// Starts recording connections; call before the librqbit session starts.
pub(crate) fn watch() {
    librqbit_dualstack_sockets::set_tcp_observer(observed);
}

fn observed(stream: &tokio::net::TcpStream, peer: SocketAddr) {
    let (Ok(local), Ok(remote)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    let mut open = OPEN.lock().unwrap();
    open.retain(Connection::is_open);
    open.push(Connection {
        fd: stream.as_raw_fd(),
        local,
        remote,
        peer,
    });
}

/// Shuts down every open connection to `peer`; returns how many there were.
pub(crate) fn close(peer: SocketAddr) -> usize {
    let mut open = OPEN.lock().unwrap();
    open.retain(Connection::is_open);
    open.iter()
        .filter(|c| c.peer == peer)
        .filter(|c| c.socket(|s| s.shutdown(Shutdown::Both).is_ok()) == Some(true))
        .count()
}

impl Connection {
    fn is_open(&self) -> bool {
        self.socket(|_| ()).is_some()
    }

    /// Runs `f` on the socket if the descriptor still holds this connection.
    fn socket<R>(&self, f: impl FnOnce(SockRef<'_>) -> R) -> Option<R> {
        // SAFETY: the descriptor is only borrowed for the calls below, which take any number:
        // a closed one fails (EBADF, ENOTSOCK) and a reused one shows other addresses, and either
        // way nothing is done. A number closed and reused between the address check and the
        // shutdown (microseconds) would cost that other connection; it is retried like any
        // dropped peer.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let socket = SockRef::from(&fd);
        let local = socket.local_addr().ok()?.as_socket()?;
        let remote = socket.peer_addr().ok()?.as_socket()?;
        (local == self.local && remote == self.remote).then(|| f(socket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closes_the_connections_to_a_peer_and_forgets_closed_ones() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ours = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut theirs, _) = listener.accept().await.unwrap();
        observed(&ours, addr);
        let gone = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _gone_theirs = listener.accept().await.unwrap();
        observed(&gone, addr);
        drop(gone);

        assert_eq!(close(addr), 1, "the dropped connection is not counted");
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 1];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), theirs.read(&mut buf))
            .await
            .expect("the peer sees the connection end")
            .unwrap();
        assert_eq!(n, 0, "the peer reads end of stream");
        assert_eq!(close("127.0.0.1:1".parse().unwrap()), 0);
    }
}
