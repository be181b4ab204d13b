//! Spare connections (our copy of librqbit-dualstack-sockets, `src/spare.rs`): while a guard is
//! held, each peer connection gets a twin, and the next dial to that peer takes the twin instead
//! of paying a TCP handshake again; a twin the peer has closed is never handed out; twins are
//! closed after their keep time. Real sockets on loopback; one test, as the spares are
//! process-wide.

use std::net::SocketAddr;
use std::time::Duration;

use librqbit_dualstack_sockets::{
    ConnectOpts, SPARE_KEEP, SpareCounts, spare_connections, spare_counts, tcp_connect,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);
const NONE: SpareCounts = SpareCounts {
    connecting: 0,
    ready: 0,
};

async fn accept(listener: &TcpListener) -> TcpStream {
    timeout(WAIT, listener.accept())
        .await
        .expect("no connection came in 5 s")
        .unwrap()
        .0
}

async fn dial(addr: SocketAddr) -> TcpStream {
    tcp_connect(addr, ConnectOpts::default()).await.unwrap()
}

/// Waits (bounded) until `n` twins are connected and waiting, and none is connecting.
async fn ready(n: usize) {
    let want = SpareCounts {
        connecting: 0,
        ready: n,
    };
    timeout(WAIT, async {
        while spare_counts() != want {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("twins {:?}, not {want:?}", spare_counts()));
}

/// The two ends are one connection: bytes written on one arrive on the other.
async fn same_connection(ours: &mut TcpStream, theirs: &mut TcpStream) {
    assert_eq!(ours.local_addr().unwrap(), theirs.peer_addr().unwrap());
    ours.write_all(b"hi").await.unwrap();
    let mut buf = [0u8; 2];
    timeout(WAIT, theirs.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"hi");
}

#[tokio::test]
async fn a_redial_takes_the_twin_and_never_a_dead_one() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    // No guard: a dial is one connection, and nothing is kept.
    let mut plain = dial(addr).await;
    let mut plain_in = accept(&listener).await;
    same_connection(&mut plain, &mut plain_in).await;
    // A twin would be listed (connecting) before the dial returned.
    assert_eq!(spare_counts(), NONE);

    // With the guard (as while a magnet's metadata is fetched): the dial brings a twin.
    let guard = spare_connections();
    let mut first = dial(addr).await;
    let mut first_in = accept(&listener).await;
    let mut twin_in = accept(&listener).await;
    ready(1).await;
    drop(guard);
    same_connection(&mut first, &mut first_in).await;

    // The guard is gone, the twin is not: the redial takes it, and no new connection comes in.
    let mut redial = dial(addr).await;
    same_connection(&mut redial, &mut twin_in).await;
    assert_eq!(spare_counts(), NONE);

    // A twin the peer closed is not handed out: the dial makes a fresh connection.
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    let guard = spare_connections();
    let _kept = dial(other_addr).await;
    let _kept_in = accept(&other).await;
    let dead_twin = accept(&other).await;
    ready(1).await;
    drop(guard);
    drop(dead_twin);
    // Its FIN reaches the twin, which is then found stale and closed.
    ready(0).await;
    let mut fresh = dial(other_addr).await;
    let mut fresh_in = accept(&other).await;
    same_connection(&mut fresh, &mut fresh_in).await;
    assert_eq!(spare_counts(), NONE);

    // An unused twin is closed after its keep time: the peer sees the end of it.
    let third = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let guard = spare_connections();
    let _conn = dial(third.local_addr().unwrap()).await;
    let _conn_in = accept(&third).await;
    let mut unused_in = accept(&third).await;
    drop(guard);
    let mut buf = [0u8; 1];
    let n = timeout(SPARE_KEEP + WAIT, unused_in.read(&mut buf))
        .await
        .expect("the unused twin was not closed after its keep time")
        .unwrap();
    assert_eq!(n, 0, "the twin sent bytes");
    assert_eq!(spare_counts(), NONE);
}
