//! Primary and secondary rate limits, one bucket per token.

use crate::model::Time;
use chrono::Duration;
use std::collections::{HashMap, VecDeque};

/// GitHub's secondary limits on content-creating requests, and on concurrency.
pub const WRITES_PER_MINUTE: usize = 80;
pub const WRITES_PER_HOUR: usize = 500;
pub const MAX_CONCURRENT: usize = 100;
/// GitHub's points per minute for REST: a GET, HEAD or OPTIONS costs 1, anything else 5.
pub const POINTS_PER_MINUTE: u32 = 900;
pub const READ_POINTS: u32 = 1;
pub const WRITE_POINTS: u32 = 5;
/// The search API's own limit, per user.
pub const SEARCHES_PER_MINUTE: usize = 30;
/// Unauthenticated callers get GitHub's anonymous allowance.
pub const ANONYMOUS_LIMIT: u64 = 60;

#[derive(Debug, Clone)]
pub struct Bucket {
    pub limit: u64,
    pub used: u64,
    pub reset: Time,
    /// When each content-creating request of the last hour was accepted.
    writes: VecDeque<Time>,
    /// When each request of the last minute was accepted, and its points.
    points: VecDeque<(Time, u32)>,
    /// How many requests the points limit refused: GitHub answers such a refusal with 403 or
    /// 429; fakehub alternates, starting with 403, so a client sees both, predictably.
    points_refusals: u64,
    pub in_flight: usize,
}

impl Bucket {
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// Why a request was refused by a limit.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Primary,
    Secondary {
        retry_after: u64,
    },
    /// Over the points per minute: answered 429 when `too_many`, else 403.
    Points {
        retry_after: u64,
        too_many: bool,
    },
}

#[derive(Debug, Default)]
pub struct Limits {
    buckets: HashMap<String, Bucket>,
    /// Each user's searches of the last minute.
    searches: HashMap<String, VecDeque<Time>>,
}

impl Limits {
    /// The bucket for `key`, with its hourly window rolled over if it has ended.
    pub fn bucket(&mut self, key: &str, limit: u64, now: Time) -> &mut Bucket {
        let b = self
            .buckets
            .entry(key.to_string())
            .or_insert_with(|| Bucket {
                limit,
                used: 0,
                reset: now + Duration::hours(1),
                writes: VecDeque::new(),
                points: VecDeque::new(),
                points_refusals: 0,
                in_flight: 0,
            });
        b.limit = limit;
        if now >= b.reset {
            b.used = 0;
            b.reset = now + Duration::hours(1);
        }
        b
    }

    pub fn snapshot(&self, key: &str) -> Option<Bucket> {
        self.buckets.get(key).cloned()
    }

    pub fn reset_all(&mut self) {
        self.buckets.clear();
        self.searches.clear();
    }

    /// Checks a request against the limits without charging it. `write` marks a
    /// content-creating request (POST, PATCH, PUT, DELETE).
    pub fn admit(
        &mut self,
        key: &str,
        limit: u64,
        now: Time,
        write: bool,
        secondary: bool,
    ) -> Result<(), Refusal> {
        let b = self.bucket(key, limit, now);
        if b.remaining() == 0 {
            return Err(Refusal::Primary);
        }
        if !secondary {
            return Ok(());
        }
        if b.in_flight >= MAX_CONCURRENT {
            return Err(Refusal::Secondary { retry_after: 1 });
        }
        while b
            .points
            .front()
            .is_some_and(|(t, _)| now - *t >= Duration::minutes(1))
        {
            b.points.pop_front();
        }
        let cost = if write { WRITE_POINTS } else { READ_POINTS };
        let spent: u32 = b.points.iter().map(|(_, p)| p).sum();
        if spent + cost > POINTS_PER_MINUTE {
            // Wait until enough points leave the window.
            let mut freed = 0;
            let mut at = now;
            for (t, p) in &b.points {
                freed += p;
                at = *t + Duration::minutes(1);
                if spent - freed + cost <= POINTS_PER_MINUTE {
                    break;
                }
            }
            b.points_refusals += 1;
            return Err(Refusal::Points {
                retry_after: seconds_until(at, now),
                too_many: b.points_refusals.is_multiple_of(2),
            });
        }
        if write {
            while b
                .writes
                .front()
                .is_some_and(|t| now - *t >= Duration::hours(1))
            {
                b.writes.pop_front();
            }
            let minute_ago = now - Duration::minutes(1);
            let last_minute = b
                .writes
                .iter()
                .rev()
                .take_while(|t| **t > minute_ago)
                .count();
            if last_minute >= WRITES_PER_MINUTE {
                let oldest = b.writes[b.writes.len() - last_minute];
                return Err(Refusal::Secondary {
                    retry_after: seconds_until(oldest + Duration::minutes(1), now),
                });
            }
            if b.writes.len() >= WRITES_PER_HOUR {
                return Err(Refusal::Secondary {
                    retry_after: seconds_until(b.writes[0] + Duration::hours(1), now),
                });
            }
            b.writes.push_back(now);
        }
        b.points.push_back((now, cost));
        Ok(())
    }

    /// Admits a search by `who` now (returning how many remain this minute), or says how
    /// many seconds until one is admitted.
    pub fn admit_search(&mut self, who: &str, now: Time) -> Result<usize, u64> {
        let q = self.searches.entry(who.to_ascii_lowercase()).or_default();
        while q.front().is_some_and(|t| now - *t >= Duration::minutes(1)) {
            q.pop_front();
        }
        if q.len() >= SEARCHES_PER_MINUTE {
            return Err(seconds_until(q[0] + Duration::minutes(1), now));
        }
        q.push_back(now);
        Ok(SEARCHES_PER_MINUTE - q.len())
    }

    pub fn charge(&mut self, key: &str) {
        if let Some(b) = self.buckets.get_mut(key) {
            b.used += 1;
        }
    }

    pub fn enter(&mut self, key: &str) {
        if let Some(b) = self.buckets.get_mut(key) {
            b.in_flight += 1;
        }
    }

    pub fn leave(&mut self, key: &str) {
        if let Some(b) = self.buckets.get_mut(key) {
            b.in_flight = b.in_flight.saturating_sub(1);
        }
    }
}

fn seconds_until(t: Time, now: Time) -> u64 {
    let ms = (t - now).num_milliseconds().max(0) as u64;
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn eighty_writes_a_minute_then_retry_after() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        for i in 0..WRITES_PER_MINUTE {
            let now = t0 + Duration::milliseconds(i as i64 * 100);
            assert_eq!(l.admit("t", 5000, now, true, true), Ok(()));
        }
        let now = t0 + Duration::seconds(10);
        match l.admit("t", 5000, now, true, true) {
            Err(Refusal::Secondary { retry_after }) => assert_eq!(retry_after, 50),
            other => panic!("expected a secondary refusal, got {other:?}"),
        }
        // Reads are not content-creating.
        assert_eq!(l.admit("t", 5000, now, false, true), Ok(()));
        // A minute after the first write, writing works again.
        assert_eq!(
            l.admit("t", 5000, t0 + Duration::seconds(61), true, true),
            Ok(())
        );
    }

    #[test]
    fn nine_hundred_points_a_minute_then_403_and_429_in_turn() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        // 100 writes would pass the points (500) but not the 80 writes a minute: use reads.
        for i in 0..POINTS_PER_MINUTE {
            let now = t0 + Duration::milliseconds(i as i64 * 10);
            assert_eq!(l.admit("t", 100_000, now, false, true), Ok(()), "read {i}");
        }
        let now = t0 + Duration::seconds(20);
        assert_eq!(
            l.admit("t", 100_000, now, false, true),
            Err(Refusal::Points {
                retry_after: 40,
                too_many: false
            })
        );
        assert!(matches!(
            l.admit("t", 100_000, now, false, true),
            Err(Refusal::Points { too_many: true, .. })
        ));
        assert_eq!(
            l.admit("t", 100_000, now, false, false),
            Ok(()),
            "secondary limits off"
        );
        assert_eq!(
            l.admit("t", 100_000, t0 + Duration::seconds(61), false, true),
            Ok(())
        );
    }

    #[test]
    fn writes_cost_five_points() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        for i in 0..850 {
            let now = t0 + Duration::milliseconds(i);
            l.admit("t", 100_000, now, false, true).unwrap();
        }
        // 850 + 5 + 5 + 5 + 5 + 5 = 875, +5 = 880, … 900 after 10 writes.
        for i in 0..10 {
            let now = t0 + Duration::seconds(1) + Duration::milliseconds(i);
            assert_eq!(l.admit("t", 100_000, now, true, true), Ok(()), "write {i}");
        }
        let now = t0 + Duration::seconds(2);
        assert!(matches!(
            l.admit("t", 100_000, now, true, true),
            Err(Refusal::Points { .. })
        ));
    }

    #[test]
    fn five_hundred_writes_an_hour() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        for i in 0..WRITES_PER_HOUR {
            let now = t0 + Duration::seconds(i as i64 * 2);
            assert_eq!(l.admit("t", 5000, now, true, true), Ok(()), "write {i}");
        }
        let now = t0 + Duration::seconds(1100);
        assert!(matches!(
            l.admit("t", 5000, now, true, true),
            Err(Refusal::Secondary { .. })
        ));
        assert_eq!(
            l.admit("t", 5000, now, true, false),
            Ok(()),
            "secondary limits off"
        );
    }

    #[test]
    fn a_hundred_concurrent_requests_at_most() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        for _ in 0..MAX_CONCURRENT {
            l.admit("t", 5000, t0, false, true).unwrap();
            l.enter("t");
        }
        assert_eq!(
            l.admit("t", 5000, t0, false, true),
            Err(Refusal::Secondary { retry_after: 1 })
        );
        l.leave("t");
        assert_eq!(l.admit("t", 5000, t0, false, true), Ok(()));
    }

    #[test]
    fn primary_window_resets_after_an_hour() {
        let mut l = Limits::default();
        let t0 = Utc::now();
        for _ in 0..3 {
            l.admit("t", 3, t0, false, true).unwrap();
            l.charge("t");
        }
        assert_eq!(l.admit("t", 3, t0, false, true), Err(Refusal::Primary));
        assert_eq!(
            l.admit("other", 3, t0, false, true),
            Ok(()),
            "buckets are per token"
        );
        assert_eq!(
            l.admit("t", 3, t0 + Duration::hours(1), false, true),
            Ok(())
        );
    }
}
