//! One rate budget per token, shared by every task that uses the token: it learns the
//! primary limit from GitHub's `x-ratelimit-*` headers, holds everyone back after a
//! `retry-after`, and spaces content-creating requests.

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
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
}

#[derive(Debug)]
pub struct Budget {
    state: Mutex<State>,
    /// Minimum gap between content-creating requests (GitHub asks for about one a second).
    write_interval: Duration,
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Budget {
    pub fn new(write_interval: Duration) -> Self {
        Budget {
            state: Mutex::new(State::default()),
            write_interval,
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
        if let Some(r) = header_u64(headers, "x-ratelimit-reset") {
            s.seen.reset = Some(r as i64);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().seen.clone()
    }

    /// Holds every user of this token back for `d` (after a `retry-after`).
    pub fn block_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = self.state.lock();
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// How long to wait before the next request may go out (zero when it may go now), and
    /// reserves a write slot when `write`.
    pub fn delay(&self, write: bool, now_epoch: i64) -> Duration {
        let now = Instant::now();
        let mut s = self.state.lock();
        let mut wait = s
            .blocked_until
            .map_or(Duration::ZERO, |b| b.saturating_duration_since(now));
        if s.seen.remaining == Some(0) {
            if let Some(reset) = s.seen.reset {
                // The window resets at `reset`; one second of margin for clock skew.
                let secs = (reset - now_epoch + 1).max(0) as u64;
                wait = wait.max(Duration::from_secs(secs));
            }
        }
        if write {
            let slot = s.next_write.map_or(now + wait, |n| n.max(now + wait));
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
