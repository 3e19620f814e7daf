//! Locking an issue's conversation (`PUT/DELETE …/issues/{n}/lock`), with the `issues.locked`
//! and `issues.unlocked` events.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult, FieldError};
use serde_json::json;

/// The reasons GitHub accepts.
pub const LOCK_REASONS: [&str; 4] = ["off-topic", "too heated", "resolved", "spam"];

impl World {
    /// Locks the issue (again, with a new reason, if it already is).
    pub fn lock_issue(
        &mut self,
        repo: usize,
        number: u64,
        reason: Option<String>,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        if let Some(r) = &reason {
            if !LOCK_REASONS.contains(&r.as_str()) {
                return Err(ApiError::validation(vec![FieldError::new(
                    "Issue",
                    "lock_reason",
                    "invalid",
                )
                .with_value(r.as_str())]));
            }
        }
        self.user(sender);
        let i = self.issue_mut(repo, number);
        if i.locked && i.active_lock_reason == reason {
            return Ok(());
        }
        i.locked = true;
        i.active_lock_reason = reason;
        i.updated_at = now;
        self.emit_issue_event(repo, number, "locked", sender, json!({}));
        Ok(())
    }

    pub fn unlock_issue(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        self.user(sender);
        let i = self.issue_mut(repo, number);
        if !i.locked {
            return Ok(());
        }
        i.locked = false;
        i.active_lock_reason = None;
        i.updated_at = now;
        self.emit_issue_event(repo, number, "unlocked", sender, json!({}));
        Ok(())
    }
}
