//! One computation per key at a time: concurrent misses of the same cache key wait for the
//! first instead of each repeating its work (the API's answers, the issue list's matches).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// Locks kept before the unused ones are dropped: a bound on memory, not on keys.
const KEPT: usize = 4096;

pub struct FillLocks<K> {
    locks: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for FillLocks<K> {
    fn default() -> Self {
        FillLocks {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone> FillLocks<K> {
    /// The lock to hold while filling `key`; check the cache again once it is held.
    pub fn lock_for(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock();
        if locks.len() >= KEPT {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(key.clone()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lock_per_key_and_unused_ones_are_dropped() {
        let f = FillLocks::<u32>::default();
        assert!(Arc::ptr_eq(&f.lock_for(&1), &f.lock_for(&1)));
        assert!(!Arc::ptr_eq(&f.lock_for(&1), &f.lock_for(&2)));
        let held = f.lock_for(&0);
        for k in 1..=KEPT as u32 {
            f.lock_for(&k);
        }
        // Past the bound, only locks someone still holds survive the sweep.
        assert!(f.locks.lock().len() <= 2);
        assert!(Arc::ptr_eq(&held, &f.lock_for(&0)));
    }
}
