//! Time a torrent spent live (downloading or seeding) and seeding, over its whole life. The
//! poller advances it each tick; restarts continue from the saved totals.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Clock {
    active: Duration,
    seeding: Duration,
    last: Instant,
}

impl Clock {
    pub fn starting_at(active_secs: u64, seeding_secs: u64) -> Self {
        Self {
            active: Duration::from_secs(active_secs),
            seeding: Duration::from_secs(seeding_secs),
            last: Instant::now(),
        }
    }

    /// Counts the time since the last call as active when `live`, and as seeding too when
    /// `complete`. Summed as Durations: at 4 ticks a second, whole seconds would round to 0.
    pub fn advance(&mut self, live: bool, complete: bool) {
        let elapsed = self.last.elapsed();
        self.last = Instant::now();
        if live {
            self.active += elapsed;
            if complete {
                self.seeding += elapsed;
            }
        }
    }

    /// (seconds active, seconds seeding)
    pub fn totals(&self) -> (u64, u64) {
        (self.active.as_secs(), self.seeding.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_live_time_counts_and_seeding_only_when_complete() {
        let mut c = Clock::starting_at(10, 4);
        c.last -= Duration::from_secs(3);
        c.advance(true, false);
        c.last -= Duration::from_secs(2);
        c.advance(true, true);
        c.last -= Duration::from_secs(50);
        c.advance(false, true);
        assert_eq!(c.totals(), (15, 6));
    }
}
