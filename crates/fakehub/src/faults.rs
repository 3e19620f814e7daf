//! Faults on demand, reproducible from a seed: every random choice comes from one seeded
//! generator, so the same seed and the same request sequence give the same faults.

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    pub seed: u64,
    /// Added to every API response.
    pub latency_ms: u64,
    /// Random extra latency, 0..=jitter.
    pub latency_jitter_ms: u64,
    /// Share (0..1) of API requests answered with a 5xx.
    pub error_rate: f64,
    /// The next N API requests are answered with a 5xx (a burst).
    pub fail_next: u64,
    /// Status for injected errors (default 502).
    pub error_status: Option<u16>,
    /// Share of API requests answered as if a secondary limit had been hit.
    pub secondary_rate: f64,
    /// Webhook deliveries: share dropped (logged, never sent).
    pub webhook_drop: f64,
    /// Share sent twice.
    pub webhook_duplicate: f64,
    /// Share held back and sent after the next delivery of the same hook.
    pub webhook_reorder: f64,
    /// Added before each delivery is sent.
    pub webhook_delay_ms: u64,
}

impl FaultSettings {
    fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("error_rate", self.error_rate),
            ("secondary_rate", self.secondary_rate),
            ("webhook_drop", self.webhook_drop),
            ("webhook_duplicate", self.webhook_duplicate),
            ("webhook_reorder", self.webhook_reorder),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        if let Some(s) = self.error_status {
            if !(500..=599).contains(&s) {
                return Err(format!("error_status must be a 5xx status, got {s}"));
            }
        }
        Ok(())
    }
}

/// What the fault injector decided for one API request.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RequestFault {
    pub delay_ms: u64,
    pub error: Option<u16>,
    pub secondary: bool,
}

/// What it decided for one webhook delivery.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct DeliveryFault {
    pub drop: bool,
    pub duplicate: bool,
    pub reorder: bool,
    pub delay_ms: u64,
}

pub struct Faults {
    inner: Mutex<(FaultSettings, ChaCha8Rng)>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            inner: Mutex::new((FaultSettings::default(), ChaCha8Rng::seed_from_u64(0))),
        }
    }
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    p > 0.0 && rng.gen_bool(p.min(1.0))
}

impl Faults {
    pub fn set(&self, settings: FaultSettings) -> Result<(), String> {
        settings.validate()?;
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        *self.inner.lock() = (settings, rng);
        Ok(())
    }

    pub fn get(&self) -> FaultSettings {
        self.inner.lock().0.clone()
    }

    pub fn for_request(&self) -> RequestFault {
        let mut g = self.inner.lock();
        let (s, rng) = &mut *g;
        let mut f = RequestFault {
            delay_ms: s.latency_ms,
            ..Default::default()
        };
        if s.latency_jitter_ms > 0 {
            f.delay_ms += rng.gen_range(0..=s.latency_jitter_ms);
        }
        let status = s.error_status.unwrap_or(502);
        if s.fail_next > 0 {
            s.fail_next -= 1;
            f.error = Some(status);
        } else if chance(rng, s.error_rate) {
            f.error = Some(status);
        } else if chance(rng, s.secondary_rate) {
            f.secondary = true;
        }
        f
    }

    pub fn for_delivery(&self) -> DeliveryFault {
        let mut g = self.inner.lock();
        let (s, rng) = &mut *g;
        DeliveryFault {
            drop: chance(rng, s.webhook_drop),
            duplicate: chance(rng, s.webhook_duplicate),
            reorder: chance(rng, s.webhook_reorder),
            delay_ms: s.webhook_delay_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let settings = FaultSettings {
            seed: 42,
            error_rate: 0.3,
            webhook_drop: 0.2,
            ..Default::default()
        };
        let run = || {
            let f = Faults::default();
            f.set(settings.clone()).unwrap();
            let r: Vec<_> = (0..200).map(|_| f.for_request().error.is_some()).collect();
            let d: Vec<_> = (0..200).map(|_| f.for_delivery().drop).collect();
            (r, d)
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b);
        let errors = a.0.iter().filter(|e| **e).count();
        assert!((30..90).contains(&errors), "about 30% errors, got {errors}");
    }

    #[test]
    fn bursts_and_validation() {
        let f = Faults::default();
        f.set(FaultSettings {
            fail_next: 2,
            error_status: Some(503),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.for_request().error, Some(503));
        assert_eq!(f.for_request().error, Some(503));
        assert_eq!(f.for_request().error, None);
        assert!(f
            .set(FaultSettings {
                error_rate: 1.5,
                ..Default::default()
            })
            .is_err());
        assert!(f
            .set(FaultSettings {
                error_status: Some(404),
                ..Default::default()
            })
            .is_err());
    }
}
