//! The sub-issue and dependency summaries an issue carries: counts of its sub-issues and
//! of the issues it blocks and is blocked by.

use super::writer::{parse, JsonWriter};
use crate::model::{Id, Issue, World};
use serde_json::Value;

impl World {
    pub(super) fn write_sub_issues_summary(&self, out: &mut Vec<u8>, issue: &Issue) {
        let total = issue.sub_issues.len() as u64;
        let completed = issue
            .sub_issues
            .iter()
            .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| !i.is_open()))
            .count() as u64;
        let percent = (completed * 100).checked_div(total).unwrap_or(0);
        let mut o = JsonWriter::object(out);
        o.u64("completed", completed);
        o.u64("percent_completed", percent);
        o.u64("total", total);
        o.end();
    }

    pub fn sub_issues_summary(&self, issue: &Issue) -> Value {
        let mut out = Vec::new();
        self.write_sub_issues_summary(&mut out, issue);
        parse(&out)
    }

    pub(super) fn write_dependencies_summary(&self, out: &mut Vec<u8>, issue: &Issue) {
        let open = |ids: &Vec<Id>| {
            ids.iter()
                .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| i.is_open()))
                .count() as u64
        };
        let mut o = JsonWriter::object(out);
        o.u64("blocked_by", open(&issue.blocked_by));
        o.u64("blocking", open(&issue.blocking));
        o.u64("total_blocked_by", issue.blocked_by.len() as u64);
        o.u64("total_blocking", issue.blocking.len() as u64);
        o.end();
    }

    pub fn dependencies_summary(&self, issue: &Issue) -> Value {
        let mut out = Vec::new();
        self.write_dependencies_summary(&mut out, issue);
        parse(&out)
    }
}
