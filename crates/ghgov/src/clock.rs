//! Time as the server sees it. Production reads the system clock; tests hold a
//! [`ManualClock`] and move it, so schedules (retries, retention) are checked without
//! waiting.

use chrono::{DateTime, Utc};
use std::sync::Arc;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that moves only when told to.
#[derive(Clone)]
pub struct ManualClock(Arc<parking_lot::Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(parking_lot::Mutex::new(start)))
    }

    pub fn advance(&self, by: std::time::Duration) {
        *self.0.lock() += chrono::Duration::from_std(by).expect("a representable duration");
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock() = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock()
    }
}
