//! The simulator's notion of "now". Tests move it instead of sleeping, so rate-limit windows,
//! `since` filters and timestamps can be exercised deterministically.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
pub struct Clock {
    /// Nanoseconds added to the wall clock (i64 nanoseconds span ±292 years).
    offset_ns: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + Duration::nanoseconds(self.offset_ns.load(Ordering::Relaxed));
        // GitHub's timestamps carry whole seconds.
        now.trunc_subsecs(0)
    }

    /// `now` with sub-second precision, for sliding rate-limit windows.
    pub fn now_precise(&self) -> DateTime<Utc> {
        Utc::now() + Duration::nanoseconds(self.offset_ns.load(Ordering::Relaxed))
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ns
            .fetch_add(by.num_nanoseconds().unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Moves the clock so that `now()` reads `at`. Time keeps flowing from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at - Utc::now();
        self.offset_ns.store(
            offset.num_nanoseconds().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn offset(&self) -> Duration {
        Duration::nanoseconds(self.offset_ns.load(Ordering::Relaxed))
    }
}

/// GitHub's timestamp format: `2011-04-22T13:33:48Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
