//! The TCP connections librqbit has with peers, seen through the observer our copy of
//! librqbit-dualstack-sockets calls for each one it makes or accepts
//! (`vendor/librqbit-dualstack-sockets/src/observe.rs`). librqbit has no API to drop a peer;
//! shutting its socket down is how `slow_peers.rs` takes a piece back from a peer too slow for
//! the stream waiting on it. librqbit then sees the connection end and queues the peer's pieces
//! again for the others. It redials a peer it dialled after its backoff (10 s, then 60 s, then
//! 6 min, unless the peer completed a piece in between); a peer that dialled us is not redialled.
//!
//! The list is process-wide, like the observer: every librqbit session in the process (tests run
//! seeders beside the engine) adds to it, and `close` reaches all connections to that address,
//! whichever torrent they serve.

#[cfg(unix)]
use std::net::Shutdown;
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Mutex;

/// One connection, known by its descriptor and checked by its two addresses: librqbit closes
/// descriptors without telling us, and the number may be reused.
#[cfg(unix)]
struct Connection {
    fd: RawFd,
    local: SocketAddr,
    remote: SocketAddr,
    /// The address librqbit knows the peer by (an IPv4 peer is not IPv4-mapped here).
    peer: SocketAddr,
}

#[cfg(unix)]
static OPEN: Mutex<Vec<Connection>> = Mutex::new(Vec::new());

/// Starts recording connections; call before the librqbit session starts.
pub(crate) fn watch() {
    #[cfg(unix)]
    librqbit_dualstack_sockets::set_tcp_observer(observed);
}

/// Elsewhere slow peers are not dropped.
#[cfg(not(unix))]
pub(crate) fn close(_peer: SocketAddr) -> usize {
    0
}

#[cfg(unix)]
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
#[cfg(unix)]
pub(crate) fn close(peer: SocketAddr) -> usize {
    let mut open = OPEN.lock().unwrap();
    open.retain(Connection::is_open);
    open.iter()
        .filter(|c| c.peer == peer)
        .filter(|c| c.socket(|s| s.shutdown(Shutdown::Both).is_ok()) == Some(true))
        .count()
}

#[cfg(unix)]
impl Connection {
    fn is_open(&self) -> bool {
        self.socket(|_| ()).is_some()
    }

    /// Runs `f` on the socket if the descriptor still holds this connection.
    fn socket<R>(&self, f: impl FnOnce(&socket2::Socket) -> R) -> Option<R> {
        // SAFETY: the number is borrowed only to duplicate it (F_DUPFD_CLOEXEC), which takes any
        // number: a closed one fails (EBADF) and nothing is done. The duplicate pins whatever
        // the number held at that moment, so the addresses checked below are those of the very
        // socket `f` gets; a number reused for another socket shows other addresses.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let socket = socket2::Socket::from(fd.try_clone_to_owned().ok()?);
        let local = socket.local_addr().ok()?.as_socket()?;
        let remote = socket.peer_addr().ok()?.as_socket()?;
        (local == self.local && remote == self.remote).then(|| f(&socket))
    }
}

#[cfg(all(test, unix))]
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
