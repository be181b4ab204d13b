//! When to stop seeding: an upload ratio or a seeding time, global in config or per torrent.
//! Either unset means no limit on that axis; 0 means do not seed at all.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeedLimits {
    pub ratio: Option<f64>,
    pub time_secs: Option<u64>,
}

impl SeedLimits {
    /// The reason to stop now, if any.
    pub fn reached(&self, uploaded: u64, size: u64, seeding_secs: u64) -> Option<String> {
        if let Some(r) = self.ratio {
            let ratio = if size == 0 {
                0.0
            } else {
                uploaded as f64 / size as f64
            };
            if ratio >= r {
                return Some(if r == 0.0 {
                    "seeding is off (seed_ratio = 0)".into()
                } else {
                    format!("ratio {ratio:.2} reached the limit {r}")
                });
            }
        }
        if let Some(t) = self.time_secs
            && seeding_secs >= t
        {
            return Some(if t == 0 {
                "seeding is off (seed_time = 0)".into()
            } else {
                format!("seeded for {seeding_secs} s, the limit is {t} s")
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let none = SeedLimits::default();
        assert_eq!(
            none.reached(10_000, 100, 1_000_000),
            None,
            "unset seeds forever"
        );
        let ratio = SeedLimits {
            ratio: Some(1.5),
            time_secs: None,
        };
        assert_eq!(ratio.reached(149, 100, 0), None);
        assert!(ratio.reached(150, 100, 0).unwrap().contains("ratio 1.50"));
        let time = SeedLimits {
            ratio: None,
            time_secs: Some(60),
        };
        assert_eq!(time.reached(0, 100, 59), None);
        assert!(time.reached(0, 100, 60).unwrap().contains("60 s"));
        let off = SeedLimits {
            ratio: Some(0.0),
            time_secs: None,
        };
        assert!(off.reached(0, 100, 0).unwrap().contains("seeding is off"));
        let off = SeedLimits {
            ratio: None,
            time_secs: Some(0),
        };
        assert!(off.reached(0, 100, 0).unwrap().contains("seeding is off"));
    }
}
