//! Request counters for benchmarks and tests (`GET /_fakehub/stats`).

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Counters {
    pub requests_total: u64,
    /// Requests that cost primary rate limit.
    pub charged_requests: u64,
    /// Conditional requests answered 304.
    pub not_modified: u64,
    /// Requests refused for a primary or secondary limit.
    pub rate_limited: u64,
    /// Content-creating requests that succeeded.
    pub writes: u64,
    /// Answers with a 5xx status (injected or not).
    pub server_errors: u64,
}

/// What one request adds to the counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestTally {
    pub charged: bool,
    pub not_modified: bool,
    pub rate_limited: bool,
    pub write: bool,
    pub server_error: bool,
}

#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<(Counters, BTreeMap<String, Counters>)>,
}

impl Counters {
    fn add(&mut self, tally: RequestTally) {
        self.requests_total += 1;
        self.charged_requests += tally.charged as u64;
        self.not_modified += tally.not_modified as u64;
        self.rate_limited += tally.rate_limited as u64;
        self.writes += tally.write as u64;
        self.server_errors += tally.server_error as u64;
    }
}

impl Stats {
    pub fn record(&self, route: &str, tally: RequestTally) {
        let mut g = self.inner.lock();
        g.0.add(tally);
        g.1.entry(route.to_string()).or_default().add(tally);
    }

    pub fn totals(&self) -> Counters {
        self.inner.lock().0.clone()
    }

    pub fn snapshot(&self) -> serde_json::Value {
        let g = self.inner.lock();
        let mut v = serde_json::to_value(&g.0).unwrap_or_default();
        v["routes"] = serde_json::to_value(&g.1).unwrap_or_default();
        v
    }

    pub fn reset(&self) {
        *self.inner.lock() = Default::default();
    }
}
