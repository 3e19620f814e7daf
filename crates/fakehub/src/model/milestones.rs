//! Milestones. Their open/closed issue counts are kept by `World::edit_issue`.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult};
use serde_json::json;

#[cfg(test)]
mod tests {
    use super::pacific_day;
    use chrono::{DateTime, Utc};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn due_dates_keep_their_pacific_day() {
        for (given, kept) in [
            ("2020-09-24T06:59:00Z", "2020-09-23T07:00:00Z"),
            ("2020-09-24T07:00:00Z", "2020-09-24T07:00:00Z"),
            ("2020-09-24T12:00:00Z", "2020-09-24T07:00:00Z"),
            ("2031-01-01T12:00:00Z", "2031-01-01T08:00:00Z"),
            ("2031-01-01T07:59:59Z", "2030-12-31T08:00:00Z"),
            // The days the clocks change: midnight is still before the change.
            ("2024-03-10T20:00:00Z", "2024-03-10T08:00:00Z"),
            ("2024-11-03T20:00:00Z", "2024-11-03T07:00:00Z"),
        ] {
            assert_eq!(pacific_day(t(given)), t(kept), "{given}");
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct MilestoneFields {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub state: Option<IssueState>,
    pub due_on: Option<Option<Time>>,
}

/// GitHub keeps only a due date's day, taken in US Pacific time, and answers it as that day
/// at midnight Pacific: `2020-09-24T06:59:00Z` (23:59 on the 23rd in Los Angeles) becomes
/// `2020-09-23T07:00:00Z`, and a winter date comes back at 08:00 UTC.
pub fn pacific_day(t: Time) -> Time {
    use chrono::{NaiveTime, TimeZone};
    let la = chrono_tz::America::Los_Angeles;
    let day = t.with_timezone(&la).date_naive();
    // Midnight exists on every day in Los Angeles (its clock changes at 02:00).
    la.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|m| m.with_timezone(&chrono::Utc))
        .unwrap_or(t)
}

impl World {
    fn emit_milestone_event(
        &mut self,
        repo: usize,
        number: u64,
        action: &str,
        sender: &str,
        extra: serde_json::Value,
    ) {
        let r = &self.repos[repo];
        let m = &r.milestones[(number - 1) as usize];
        let json = self.milestone_json(r, m);
        let mut payload = self.envelope(repo, Some(action), sender);
        payload["milestone"] = json;
        crate::payload::merge(&mut payload, extra);
        self.emit(repo, "milestone", Some(action), payload);
    }

    fn title_taken(&self, repo: usize, title: &str, except: u64) -> bool {
        self.repos[repo]
            .milestones
            .iter()
            .any(|m| !m.deleted && m.number != except && m.title == title)
    }

    pub fn create_milestone(
        &mut self,
        repo: usize,
        sender: &str,
        f: MilestoneFields,
        now: Time,
    ) -> ApiResult<u64> {
        let title = f.title.unwrap_or_default();
        if title.trim().is_empty() {
            return Err(ApiError::invalid("Milestone", "title", "missing_field"));
        }
        if self.title_taken(repo, &title, 0) {
            return Err(ApiError::invalid("Milestone", "title", "already_exists"));
        }
        self.user(sender);
        let id = self.next_id();
        let number = self.repos[repo].milestones.len() as u64 + 1;
        let state = f.state.unwrap_or(IssueState::Open);
        self.repos[repo].milestones.push(Milestone {
            id,
            number,
            title,
            description: f.description.flatten(),
            state,
            due_on: f.due_on.flatten().map(pacific_day),
            creator: sender.to_string(),
            created_at: now,
            updated_at: now,
            closed_at: (state == IssueState::Closed).then_some(now),
            open_issues: 0,
            closed_issues: 0,
            deleted: false,
        });
        self.emit_milestone_event(repo, number, "created", sender, json!({}));
        Ok(number)
    }

    pub fn update_milestone(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        f: MilestoneFields,
        now: Time,
    ) -> ApiResult<()> {
        let before = self.repos[repo]
            .milestone(number)
            .ok_or_else(ApiError::not_found)?
            .clone();
        if let Some(title) = &f.title {
            if title.trim().is_empty() {
                return Err(ApiError::invalid("Milestone", "title", "missing_field"));
            }
            if self.title_taken(repo, title, number) {
                return Err(ApiError::invalid("Milestone", "title", "already_exists"));
            }
        }
        let m = &mut self.repos[repo].milestones[(number - 1) as usize];
        if let Some(t) = f.title {
            m.title = t;
        }
        if let Some(d) = f.description {
            m.description = d;
        }
        if let Some(d) = f.due_on {
            m.due_on = d.map(pacific_day);
        }
        if let Some(s) = f.state {
            m.state = s;
            m.closed_at = (s == IssueState::Closed).then_some(m.closed_at.unwrap_or(now));
        }
        let after = m.clone();
        let mut changes = serde_json::Map::new();
        if before.title != after.title {
            changes.insert("title".into(), json!({"from": before.title}));
        }
        if before.description != after.description {
            changes.insert("description".into(), json!({"from": before.description}));
        }
        if before.due_on != after.due_on {
            changes.insert(
                "due_on".into(),
                json!({"from": before.due_on.map(crate::clock::iso)}),
            );
        }
        if !changes.is_empty() || before.state != after.state {
            self.repos[repo].milestones[(number - 1) as usize].updated_at = now;
        }
        if !changes.is_empty() {
            self.emit_milestone_event(repo, number, "edited", sender, json!({"changes": changes}));
        }
        if before.state != after.state {
            let action = if after.state == IssueState::Closed {
                "closed"
            } else {
                "opened"
            };
            self.emit_milestone_event(repo, number, action, sender, json!({}));
        }
        Ok(())
    }

    pub fn delete_milestone(&mut self, repo: usize, number: u64, sender: &str) -> ApiResult<()> {
        self.repos[repo]
            .milestone(number)
            .ok_or_else(ApiError::not_found)?;
        self.emit_milestone_event(repo, number, "deleted", sender, json!({}));
        let numbers: Vec<u64> = self.repos[repo]
            .issues
            .iter()
            .filter(|i| i.milestone == Some(number))
            .map(|i| i.number)
            .collect();
        for n in numbers {
            self.edit_issue(repo, n, |i| i.milestone = None);
        }
        self.repos[repo].milestones[(number - 1) as usize].deleted = true;
        Ok(())
    }
}
