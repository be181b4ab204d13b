//! A peer too slow for the piece a stream waits on loses its connection, so a faster peer
//! fetches that piece.
//!
//! librqbit gives each piece to one peer. It takes a piece back only when another peer, looking
//! for work, finds it held for ten times its own average piece time. With a 2 and a 20 Mbit/s
//! seeder that is about as long as the slow one needs for the whole piece (4 s for 1 MiB), so a
//! slow peer that draws the piece at the playhead stalls playback for seconds (the bench's mixed
//! profile). librqbit has no per-peer control; `connections::close` ends the peer's connection,
//! librqbit queues its pieces again and the fast peers take them, playhead first. A slow peer we
//! dialled comes back after librqbit's retry delay (10 s, growing if it is dropped again), by
//! when the download is far ahead of the playhead and whatever it takes is not urgent.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{debug, info};

use super::{Torrent, connections};

/// Rates are sampled this often while a stream is open, from the moment one opens.
const TICK: Duration = Duration::from_millis(100);
const IDLE_TICK: Duration = Duration::from_secs(1);
/// A stream waits at least this long before a peer is dropped, and at least `FAST_PIECES` times
/// what the fastest peer needs for a whole piece: the first piece of a start or a seek takes a
/// few round trips and a piece's transfer even from the fastest peer, and dropping a peer that
/// did not hold it would only cost its bandwidth. As long again must pass after a drop, for a
/// fast peer to fetch the piece it gave back, before another peer is dropped.
const PATIENCE: Duration = Duration::from_millis(500);
const FAST_PIECES: f64 = 1.5;
/// Rates are measured over this much history, and judged once there is at least `MIN_SPAN`.
const SPAN: Duration = Duration::from_secs(2);
const MIN_SPAN: Duration = Duration::from_millis(400);
/// A peer is too slow when the fastest is this many times faster…
const SLOWER: f64 = 4.0;
/// …and it needs at least this long for a whole piece: a peer that would finish it about as soon
/// as another could fetch it again (or a fast one still starting up) is left alone.
const SLOW_PIECE: Duration = Duration::from_secs(2);

pub(super) async fn run(torrent: Arc<Torrent>) {
    let mut rates = Rates::default();
    let mut last_drop: Option<Instant> = None;
    let mut opened = torrent.streams.watch_opened();
    loop {
        let streaming = !torrent.streams.live().is_empty();
        tokio::select! {
            _ = torrent.cancel.cancelled() => return,
            _ = opened.changed(), if !streaming => {}
            _ = tokio::time::sleep(if streaming { TICK } else { IDLE_TICK }) => {}
        }
        let streaming = !torrent.streams.live().is_empty();
        let live = torrent.handle.live();
        let (true, Some(live)) = (streaming, live) else {
            rates = Rates::default();
            continue;
        };
        let now = Instant::now();
        let snapshot = live.per_peer_stats_snapshot(Default::default());
        rates.sample(
            now,
            snapshot.peers.iter().filter_map(|(addr, stats)| {
                Some((addr.parse().ok()?, stats.counters.fetched_bytes))
            }),
        );
        let Some(waited) = torrent.streams.longest_wait().filter(|w| *w >= PATIENCE) else {
            continue;
        };
        let Ok(piece_len) = torrent
            .handle
            .with_metadata(|m| m.info.lengths().default_piece_length())
        else {
            continue;
        };
        let since_drop = last_drop.map(|t| now.duration_since(t));
        if let Some((peer, rate, fastest)) = rates.to_drop(piece_len as f64, waited, since_drop) {
            let closed = connections::close(peer);
            if closed == 0 {
                // Not a connection we know (e.g. no observer on this platform): nothing changed.
                debug!(%peer, "a slow peer's connection was not found");
                continue;
            }
            info!(
                torrent = %torrent.info_hash.to_hex(),
                %peer,
                rate_kib_s = (rate / 1024.0) as u64,
                fastest_kib_s = (fastest / 1024.0) as u64,
                waited_ms = waited.as_millis() as u64,
                closed,
                "dropping a peer too slow for the piece a stream waits on"
            );
            torrent.dropped_slow.lock().unwrap().push(peer);
            rates.forget(peer);
            last_drop = Some(now);
        } else {
            debug!(
                waited_ms = waited.as_millis() as u64,
                rates = ?rates.summary(),
                "a stream waits, and no peer is to be dropped (yet)"
            );
        }
    }
}

/// Bytes each live peer has sent us, sampled over the last `SPAN`.
#[derive(Default)]
struct Rates {
    peers: HashMap<SocketAddr, VecDeque<(Instant, u64)>>,
}

impl Rates {
    fn sample(&mut self, now: Instant, fetched: impl Iterator<Item = (SocketAddr, u64)>) {
        let mut seen = HashMap::new();
        for (peer, bytes) in fetched {
            let samples = seen
                .entry(peer)
                .or_insert_with(|| self.peers.remove(&peer).unwrap_or_default());
            samples.push_back((now, bytes));
            while samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > SPAN)
            {
                samples.pop_front();
            }
        }
        // Peers no longer live are forgotten: a peer that comes back starts afresh.
        self.peers = seen;
    }

    /// Each peer's rate in KiB/s, for the log.
    fn summary(&self) -> Vec<(SocketAddr, Option<u64>)> {
        self.peers
            .iter()
            .map(|(p, s)| (*p, Self::rate(s).map(|r| (r / 1024.0) as u64)))
            .collect()
    }

    fn forget(&mut self, peer: SocketAddr) {
        self.peers.remove(&peer);
    }

    /// Bytes per second over the samples held, once they span at least `MIN_SPAN`.
    fn rate(samples: &VecDeque<(Instant, u64)>) -> Option<f64> {
        let (t0, b0) = samples.front()?;
        let (t1, b1) = samples.back()?;
        let span = t1.duration_since(*t0);
        (span >= MIN_SPAN).then(|| b1.saturating_sub(*b0) as f64 / span.as_secs_f64())
    }

    /// The peer to drop when a stream has `waited` and the last drop was `since_drop` ago.
    fn to_drop(
        &self,
        piece_len: f64,
        waited: Duration,
        since_drop: Option<Duration>,
    ) -> Option<(SocketAddr, f64, f64)> {
        let (peer, rate, fastest) = self.too_slow(piece_len)?;
        let patience = PATIENCE
            .as_secs_f64()
            .max(FAST_PIECES * piece_len / fastest);
        let waited_enough = waited.as_secs_f64() >= patience
            && since_drop.is_none_or(|d| d.as_secs_f64() >= patience);
        waited_enough.then_some((peer, rate, fastest))
    }

    /// The slowest peer that is sending (so holds a piece) but is `SLOWER` times slower than the
    /// fastest and needs `SLOW_PIECE` or more for a piece: (peer, its rate, the fastest rate).
    fn too_slow(&self, piece_len: f64) -> Option<(SocketAddr, f64, f64)> {
        let rates: Vec<_> = self
            .peers
            .iter()
            .filter_map(|(peer, samples)| Some((*peer, Self::rate(samples)?)))
            .collect();
        let fastest = rates.iter().map(|(_, r)| *r).fold(0.0, f64::max);
        rates
            .into_iter()
            .filter(|(_, r)| *r > 0.0 && r * SLOWER <= fastest)
            .filter(|(_, r)| piece_len / r >= SLOW_PIECE.as_secs_f64())
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(peer, r)| (peer, r, fastest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 6881))
    }

    /// One second of samples every 250 ms at the given bytes per second.
    fn rates(peers: &[(u8, u64)]) -> Rates {
        let mut r = Rates::default();
        let start = Instant::now();
        for tick in 0..=4u64 {
            let now = start + Duration::from_millis(250 * tick);
            r.sample(now, peers.iter().map(|(n, bps)| (addr(*n), bps * tick / 4)));
        }
        r
    }

    const MIB: f64 = 1024.0 * 1024.0;

    #[test]
    fn the_slowest_sending_peer_far_behind_the_fastest_is_too_slow() {
        // The bench's mixed profile: two 20 Mbit/s seeders and one at 2 Mbit/s; one idle peer.
        let r = rates(&[(1, 2_500_000), (2, 2_400_000), (3, 250_000), (4, 0)]);
        let (peer, rate, fastest) = r.too_slow(MIB).expect("a slow peer");
        assert_eq!(peer, addr(3));
        assert_eq!((rate as u64, fastest as u64), (250_000, 2_500_000));
    }

    #[test]
    fn no_peer_is_too_slow_alone_or_when_close_to_the_fastest_or_quick_per_piece() {
        let alone = rates(&[(1, 100_000)]);
        assert!(alone.too_slow(MIB).is_none(), "a single peer");
        let close = rates(&[(1, 2_000_000), (2, 600_000)]);
        assert!(close.too_slow(MIB).is_none(), "within 4x of the fastest");
        let quick = rates(&[(1, 10_000_000), (2, 800_000)]);
        assert!(quick.too_slow(MIB).is_none(), "a piece in 1.3 s");
        // 16 KiB pieces: the slow peer still delivers one in well under a second.
        let small = rates(&[(1, 2_000_000), (2, 50_000)]);
        assert!(small.too_slow(16.0 * 1024.0).is_none(), "quick per piece");
        let idle = rates(&[(1, 2_000_000), (2, 0)]);
        assert!(
            idle.too_slow(MIB).is_none(),
            "a peer sending nothing holds no piece"
        );
    }

    #[test]
    fn a_peer_is_dropped_once_the_stream_waited_longer_than_a_fast_piece_and_not_in_a_row() {
        let r = rates(&[(1, 2_000_000), (2, 200_000)]);
        let ms = Duration::from_millis;
        // The fastest needs 0.52 s for a 1 MiB piece: patience is 1.5 times that.
        assert!(r.to_drop(MIB, ms(500), None).is_none());
        assert_eq!(r.to_drop(MIB, ms(800), None).map(|d| d.0), Some(addr(2)));
        assert!(
            r.to_drop(MIB, ms(800), Some(ms(300))).is_none(),
            "just dropped one"
        );
        assert!(r.to_drop(MIB, ms(800), Some(ms(900))).is_some());
        // 64 KiB pieces: half a second in any case.
        let small = rates(&[(1, 2_000_000), (2, 20_000)]);
        assert!(small.to_drop(64.0 * 1024.0, ms(400), None).is_none());
        assert!(small.to_drop(64.0 * 1024.0, ms(500), None).is_some());
    }

    #[test]
    fn a_rate_needs_enough_samples() {
        let mut r = Rates::default();
        let now = Instant::now();
        r.sample(now, [(addr(1), 0), (addr(2), 0)].into_iter());
        r.sample(
            now + TICK,
            [(addr(1), 1_000_000), (addr(2), 10)].into_iter(),
        );
        assert!(r.too_slow(MIB).is_none());
    }
}
