//! The download queue: at most `max_active` torrents download at once; the rest wait, `queued`.
//! A torrent someone is watching is never made to wait: it takes a slot first, ahead of older
//! downloads, and keeps downloading even when it alone exceeds the limit (a stalled TV is worse
//! than one download too many).

use std::time::Duration;

use crate::source::InfoHash;

/// How long a torrent keeps its streaming priority after its last stream closed: a TV that seeks
/// closes one request and opens the next, and must not lose its slot in between.
pub const STREAM_GRACE: Duration = Duration::from_secs(30);

/// A torrent that wants to download (not complete, not paused by the user, no seeding verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub info_hash: InfoHash,
    pub streaming: bool,
    /// Added earlier = smaller; the queue is first come, first served.
    pub order: u64,
}

/// The number of download slots `max_active` gives: unset or 0 is no limit.
pub fn slots(max_active: Option<usize>) -> Option<usize> {
    max_active.filter(|m| *m > 0)
}

/// Which candidates may download now; every other candidate waits.
pub fn admitted(mut candidates: Vec<Candidate>, max_active: Option<usize>) -> Vec<InfoHash> {
    let Some(max) = slots(max_active) else {
        return candidates.into_iter().map(|c| c.info_hash).collect();
    };
    candidates.sort_by_key(|c| (!c.streaming, c.order));
    candidates
        .into_iter()
        .enumerate()
        .filter(|(i, c)| c.streaming || *i < max)
        .map(|(_, c)| c.info_hash)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u8, streaming: bool, order: u64) -> Candidate {
        Candidate {
            info_hash: InfoHash([n; 20]),
            streaming,
            order,
        }
    }

    fn ids(v: Vec<InfoHash>) -> Vec<u8> {
        let mut ids: Vec<u8> = v.into_iter().map(|h| h.0[0]).collect();
        ids.sort();
        ids
    }

    #[test]
    fn first_come_first_served_up_to_the_limit() {
        let all = vec![c(3, false, 30), c(1, false, 10), c(2, false, 20)];
        assert_eq!(ids(admitted(all.clone(), Some(2))), [1, 2]);
        assert_eq!(ids(admitted(all.clone(), None)), [1, 2, 3]);
        assert_eq!(ids(admitted(all, Some(0))), [1, 2, 3], "0 means no limit");
    }

    #[test]
    fn a_streamed_torrent_jumps_the_queue_and_is_never_held() {
        let all = vec![c(1, false, 10), c(2, false, 20), c(3, true, 30)];
        assert_eq!(ids(admitted(all, Some(2))), [1, 3]);
        let all = vec![c(1, true, 10), c(2, true, 20), c(3, false, 5)];
        assert_eq!(
            ids(admitted(all, Some(1))),
            [1, 2],
            "both streams play; the older plain download waits"
        );
    }
}
