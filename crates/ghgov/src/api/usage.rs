//! When each API token was last used. Requests only note it in memory; a background task
//! writes the notes down every few seconds (and at shutdown), so a read request never waits
//! for the database's write lock.

use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
pub struct TokenUsage {
    /// Token id → when it was last used, not yet written.
    pending: parking_lot::Mutex<HashMap<i64, String>>,
}

impl TokenUsage {
    pub fn record(&self, token_id: i64, at: String) {
        self.pending.lock().insert(token_id, at);
    }

    /// Writes what was noted; on failure the notes are kept for the next round.
    pub async fn flush(&self, store: &Store) {
        let used: Vec<(i64, String)> = std::mem::take(&mut *self.pending.lock())
            .into_iter()
            .collect();
        if used.is_empty() {
            return;
        }
        if let Err(e) = store.touch_tokens(&used).await {
            tracing::warn!("could not record token use: {e:#}");
            let mut pending = self.pending.lock();
            for (id, at) in used {
                pending.entry(id).or_insert(at);
            }
        }
    }

    pub async fn run(self: Arc<Self>, store: Store, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            self.flush(&store).await;
        }
    }
}
