//! One rate budget per token, shared by every task that uses the token: it learns the
//! primary limit from GitHub's `x-ratelimit-*` headers, holds everyone back after a
//! `retry-after`, and spaces content-creating requests.

use super::clock::{Clock, SystemClock};
use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Epoch seconds when the primary window resets.
    pub reset: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    seen: Snapshot,
    blocked_until: Option<Instant>,
    next_write: Option<Instant>,
    /// Send times of the writes of the last hour (reserved slots), oldest first.
    writes: std::collections::VecDeque<Instant>,
}

/// GitHub's secondary limits on content-creating requests: this many per sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimits {
    pub per_minute: usize,
    pub per_hour: usize,
}

impl WriteLimits {
    pub const GITHUB: WriteLimits = WriteLimits {
        per_minute: 80,
        per_hour: 500,
    };
    /// No window (tests against a fakehub without secondary limits).
    pub const NONE: WriteLimits = WriteLimits {
        per_minute: 0,
        per_hour: 0,
    };
}

#[derive(Debug)]
pub struct Budget {
    state: Mutex<State>,
    /// Minimum gap between content-creating requests (GitHub asks for about one a second).
    write_interval: Duration,
    limits: WriteLimits,
    clock: Arc<dyn Clock>,
}

/// The longest wait a header is believed to ask for, in seconds: GitHub's windows are an
/// hour, and a wait far in the future would overflow the clock it is added to.
pub const MAX_BELIEVED: i64 = 24 * 3600;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// GitHub times a request when it arrives, not when it was sent: a little slack keeps the
/// 81st write of a minute from arriving a hair early.
const WINDOW_MARGIN: Duration = Duration::from_millis(250);

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Budget {
    pub fn new(write_interval: Duration) -> Self {
        Self::with_limits(write_interval, WriteLimits::NONE)
    }

    pub fn with_limits(write_interval: Duration, limits: WriteLimits) -> Self {
        Self::with_clock(write_interval, limits, Arc::new(SystemClock))
    }

    pub(crate) fn with_clock(
        write_interval: Duration,
        limits: WriteLimits,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Budget {
            state: Mutex::new(State::default()),
            write_interval,
            limits,
            clock,
        }
    }

    pub fn observe(&self, headers: &HeaderMap) {
        let mut s = self.state.lock();
        if let Some(l) = header_u64(headers, "x-ratelimit-limit") {
            s.seen.limit = Some(l);
        }
        if let Some(r) = header_u64(headers, "x-ratelimit-remaining") {
            s.seen.remaining = Some(r);
        }
        // Past i64 it is no time at all (and would wrap to a reset in the past).
        if let Some(r) =
            header_u64(headers, "x-ratelimit-reset").and_then(|r| i64::try_from(r).ok())
        {
            s.seen.reset = Some(r);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().seen.clone()
    }

    /// Holds every user of this token back for `d` (after a `retry-after`).
    pub fn block_for(&self, d: Duration) {
        let until = self.clock.now() + d;
        let mut s = self.state.lock();
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// How long to wait before the next request may go out (zero when it may go now), and
    /// reserves a write slot when `write`.
    pub fn delay(&self, write: bool, now_epoch: i64) -> Duration {
        let now = self.clock.now();
        let mut s = self.state.lock();
        let mut wait = s
            .blocked_until
            .map_or(Duration::ZERO, |b| b.saturating_duration_since(now));
        if s.seen.remaining == Some(0) {
            if let Some(reset) = s.seen.reset {
                // The window resets at `reset`; one second of margin for clock skew.
                let secs = reset
                    .saturating_sub(now_epoch)
                    .saturating_add(1)
                    .clamp(0, MAX_BELIEVED) as u64;
                wait = wait.max(Duration::from_secs(secs));
            }
        }
        if write {
            let mut slot = s.next_write.map_or(now + wait, |n| n.max(now + wait));
            // Sliding windows, as GitHub counts them: the write may go once the one
            // `per_minute` writes back has left the minute (likewise for the hour).
            while s
                .writes
                .front()
                .is_some_and(|t| slot.saturating_duration_since(*t) >= HOUR)
            {
                s.writes.pop_front();
            }
            for (limit, window) in [
                (self.limits.per_minute, MINUTE),
                (self.limits.per_hour, HOUR),
            ] {
                if limit > 0 && s.writes.len() >= limit {
                    let oldest_in_window = s.writes[s.writes.len() - limit];
                    slot = slot.max(oldest_in_window + window + WINDOW_MARGIN);
                }
            }
            s.writes.push_back(slot);
            if s.writes.len() > self.limits.per_hour.max(self.limits.per_minute) {
                s.writes.pop_front();
            }
            s.next_write = Some(slot + self.write_interval);
            wait = slot.saturating_duration_since(now);
        }
        wait
    }

    /// The primary window reset has passed: forget the zero.
    pub fn spent(&self) -> bool {
        self.state.lock().seen.remaining == Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(remaining: u64, reset: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from(5000u64));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        h
    }

    #[test]
    fn waits_for_the_reset_when_spent() {
        let b = Budget::new(Duration::ZERO);
        b.observe(&headers(10, 1_000));
        assert_eq!(b.delay(false, 900), Duration::ZERO);
        b.observe(&headers(0, 1_000));
        assert_eq!(b.delay(false, 900), Duration::from_secs(101));
        assert_eq!(b.snapshot().remaining, Some(0));
    }

    #[test]
    fn writes_stay_inside_the_sliding_windows() {
        let b = Budget::with_limits(
            Duration::ZERO,
            WriteLimits {
                per_minute: 3,
                per_hour: 5,
            },
        );
        let waits: Vec<Duration> = (0..6).map(|_| b.delay(true, 0)).collect();
        assert!(waits[..3].iter().all(|w| w.is_zero()), "{waits:?}");
        // The fourth waits for the first to leave the minute.
        assert!(
            waits[3] > Duration::from_secs(59) && waits[3] <= MINUTE + WINDOW_MARGIN,
            "{waits:?}"
        );
        // The sixth waits for the first to leave the hour.
        assert!(waits[5] > Duration::from_secs(3599), "{waits:?}");
        // Reads are never held by the write windows.
        assert_eq!(b.delay(false, 0), Duration::ZERO);
    }

    #[test]
    fn retry_after_holds_everyone_and_writes_are_spaced() {
        let b = Budget::new(Duration::from_millis(1000));
        b.block_for(Duration::from_secs(30));
        let d = b.delay(false, 0);
        assert!(
            d > Duration::from_secs(29) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let b = Budget::new(Duration::from_millis(1000));
        let first = b.delay(true, 0);
        let second = b.delay(true, 0);
        let third = b.delay(true, 0);
        assert_eq!(first, Duration::ZERO);
        assert!(
            second > Duration::from_millis(900) && third > Duration::from_millis(1900),
            "{second:?} {third:?}"
        );
    }
}
