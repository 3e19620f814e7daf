//! The time the GitHub client paces and waits by. Every build runs on the system's clock;
//! ghgov's own tests (feature `test-hooks`) drive a virtual one, so pacing over an hour of
//! GitHub's write limits is checked in milliseconds instead of waited out.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A wait handed out by a [`Clock`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Monotonic time, for pacing, holds and the circuit breaker.
    fn now(&self) -> Instant;
    /// Wall-clock time in seconds since the epoch (GitHub's rate-limit reset is one).
    fn epoch(&self) -> i64;
    fn sleep(&self, d: Duration) -> Sleep;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn epoch(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }
}
