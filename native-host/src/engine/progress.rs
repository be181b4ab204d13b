//! librqbit has no push API for progress, so one poller per torrent turns its stats into
//! `Progress` events: 4×/s while a stream is open, once a second otherwise, and whenever
//! something changed in between.

use std::sync::Arc;
use std::time::{Duration, Instant};

use librqbit::api::TorrentIdOrHash;

use super::Torrent;
use super::events::{Progress, TorrentEvent};
use crate::engine::TorrentEngine;

const STREAMING_TICK: Duration = Duration::from_millis(250);
const IDLE_TICK: Duration = Duration::from_secs(1);
const MIB: f64 = 1024.0 * 1024.0;
const SAVE_EVERY: Duration = Duration::from_secs(5);

pub(super) async fn run(engine: Arc<TorrentEngine>, torrent: Arc<Torrent>) {
    let mut last: Option<Progress> = None;
    let mut last_sent = Instant::now();
    let mut completed_sent = false;
    let mut last_error: Option<String> = None;
    let mut saved_at = Instant::now();
    let mut opened = torrent.streams.watch_opened();
    loop {
        let tick = if torrent.streams.live().is_empty() {
            IDLE_TICK
        } else {
            STREAMING_TICK
        };
        // The first report goes out at once: a new torrent should not look idle for a second.
        let wait = if last.is_none() { Duration::ZERO } else { tick };
        tokio::select! {
            _ = torrent.cancel.cancelled() => return,
            _ = opened.changed() => {}
            _ = tokio::time::sleep(wait) => {}
        }
        let stats = torrent.handle.stats();
        if stats.error != last_error {
            if let Some(message) = &stats.error {
                engine.publish(TorrentEvent::Error {
                    torrent: Some(torrent.info_hash.to_hex()),
                    message: message.clone(),
                });
            }
            last_error = stats.error.clone();
        }
        let live = matches!(stats.state, librqbit::TorrentStatsState::Live);
        let seeding_secs = {
            let mut clock = torrent.clock.lock().unwrap();
            clock.advance(live, stats.finished);
            clock.totals().1
        };
        let mut stopped = false;
        if stats.finished && live && engine.finished_reason(&torrent).is_none() {
            let uploaded = torrent.uploaded_total(&stats);
            if let Some(reason) =
                engine
                    .seed_limits(&torrent)
                    .reached(uploaded, stats.total_bytes, seeding_secs)
            {
                engine.save_totals(&torrent);
                engine.finish_seeding(&torrent, reason).await;
                stopped = true;
            }
        }
        // Pausing changed what librqbit reports; otherwise this tick's stats are current.
        let stats = if stopped {
            torrent.handle.stats()
        } else {
            stats
        };
        let progress = snapshot(&engine, &torrent, &stats);
        let changed = last.as_ref() != Some(&progress);
        if changed || last_sent.elapsed() >= IDLE_TICK {
            engine.publish(TorrentEvent::Progress(progress.clone()));
            last_sent = Instant::now();
        }
        if progress.finished && !completed_sent {
            completed_sent = true;
            engine.publish(TorrentEvent::Completed {
                torrent: torrent.info_hash.to_hex(),
            });
        }
        if saved_at.elapsed() >= SAVE_EVERY {
            engine.save_totals(&torrent);
            saved_at = Instant::now();
        }
        last = Some(progress);
    }
}

pub(super) fn snapshot(
    engine: &TorrentEngine,
    torrent: &Torrent,
    stats: &librqbit::TorrentStats,
) -> Progress {
    let (down, up, peers) = stats.live.as_ref().map_or((0.0, 0.0, 0), |l| {
        (
            l.download_speed.mbps,
            l.upload_speed.mbps,
            l.snapshot.peer_stats.live,
        )
    });
    let (file_index, position) = torrent
        .streams
        .playhead()
        .unwrap_or((torrent.selected(), 0));
    let reason = engine
        .finished_reason(torrent)
        .or_else(|| engine.hold_reason(torrent));
    let complete = is_complete(stats);
    let streams = torrent.streams.live().len();
    let (active_secs, seeding_secs) = torrent.clock.lock().unwrap().totals();
    let uploaded = torrent.uploaded_total(stats);
    let state = match (state_name(stats.state), &reason) {
        _ if torrent.is_queued() => "queued",
        (_, Some(_)) if complete => "finished",
        ("live", _) if complete => "seeding",
        ("live", _) if streams > 0 => "streaming",
        ("live", _) => "downloading",
        (other, _) => other,
    };
    let ratio = match stats.total_bytes {
        0 => 0.0,
        total => uploaded as f64 / total as f64,
    };
    Progress {
        torrent: torrent.info_hash.to_hex(),
        state: state.to_string(),
        reason,
        ratio,
        downloaded: verified_bytes(stats),
        total: stats.total_bytes,
        uploaded,
        down_bps: (down * MIB) as u64,
        up_bps: (up * MIB) as u64,
        peers,
        buffered_ahead: buffered_ahead(engine, torrent, file_index, position),
        streams,
        finished: complete,
        active_secs,
        seeding_secs,
        kept: engine.is_kept(torrent),
        warning: engine.rate_warning(torrent, stats),
    }
}

/// A magnet whose metadata is still being fetched: no size, no file yet.
pub(super) fn fetching_metadata(info_hash: &crate::source::InfoHash) -> Progress {
    Progress {
        torrent: info_hash.to_hex(),
        state: "fetching_metadata".into(),
        ..Progress::default()
    }
}

/// Verified bytes. While librqbit checks the files it reports how many it has hashed so far,
/// not how many were good: count none until the check ends.
fn verified_bytes(stats: &librqbit::TorrentStats) -> u64 {
    match stats.state {
        librqbit::TorrentStatsState::Initializing { .. } => 0,
        _ => stats.progress_bytes,
    }
}

/// Every selected byte is verified. librqbit's `finished` is false while paused, even then.
pub(super) fn is_complete(stats: &librqbit::TorrentStats) -> bool {
    stats.finished || (stats.total_bytes > 0 && verified_bytes(stats) >= stats.total_bytes)
}

/// librqbit's state, with "paused while still checking files" reported as paused.
fn state_name(state: librqbit::TorrentStatsState) -> &'static str {
    use librqbit::TorrentStatsState as S;
    match state {
        S::Initializing { paused: true } | S::Paused => "paused",
        S::Initializing { paused: false } => "initializing",
        S::Live => "live",
        S::Error => "error",
    }
}

/// Verified bytes available contiguously from `position` in file `file_index`.
fn buffered_ahead(
    engine: &TorrentEngine,
    torrent: &Torrent,
    file_index: usize,
    position: u64,
) -> u64 {
    let Some((offset, len, piece_len)) = torrent
        .handle
        .with_metadata(|m| {
            m.file_infos.get(file_index).map(|f| {
                (
                    f.offset_in_torrent,
                    f.len,
                    m.info.lengths().default_piece_length() as u64,
                )
            })
        })
        .ok()
        .flatten()
    else {
        return 0;
    };
    let Ok((haves, _)) = engine
        .api
        .api_dump_haves(TorrentIdOrHash::Hash(torrent.info_hash.id20()))
    else {
        return 0;
    };
    contiguous_from(haves.as_raw_slice(), piece_len, offset, len, position)
}

/// `haves` is an MSB-first piece bitfield over the whole torrent; the file spans
/// `[offset, offset + len)` of the torrent's bytes.
pub(crate) fn contiguous_from(
    haves: &[u8],
    piece_len: u64,
    offset: u64,
    len: u64,
    position: u64,
) -> u64 {
    if position >= len || piece_len == 0 {
        return 0;
    }
    let have = |piece: u64| {
        haves
            .get((piece / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (piece % 8)) != 0)
    };
    let start = offset + position;
    let file_end = offset + len;
    let mut piece = start / piece_len;
    while piece * piece_len < file_end && have(piece) {
        piece += 1;
    }
    (piece * piece_len).min(file_end).saturating_sub(start)
}

#[cfg(test)]
mod tests {
    use super::contiguous_from;

    #[test]
    fn counts_verified_pieces_from_the_playhead_to_the_first_gap() {
        // pieces of 10 bytes; have 0,1,2 and 4; file is bytes 5..45 of the torrent
        let haves = [0b1110_1000];
        assert_eq!(contiguous_from(&haves, 10, 5, 40, 0), 25); // 5..30
        assert_eq!(contiguous_from(&haves, 10, 5, 40, 24), 1);
        assert_eq!(contiguous_from(&haves, 10, 5, 40, 25), 0); // piece 3 missing
        assert_eq!(contiguous_from(&haves, 10, 5, 40, 36), 4); // piece 4, clamped to file end
        assert_eq!(contiguous_from(&haves, 10, 5, 40, 40), 0);
    }
}
