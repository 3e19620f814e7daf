//! Field-by-field merging of a change with what happened on GitHub since the version the
//! change was based on. A field changed on one side only takes that side's value; changed
//! on both, it follows its strategy; labels and assignees merge as sets (what the change
//! added is added, what it removed is removed, the rest is GitHub's).

use super::IssueEdit;
use crate::github::types::Issue;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The fields of an issue a change can be based on, as one version showed them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssueSnapshot {
    pub title: String,
    pub body: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<i64>,
    pub state: String,
    pub state_reason: Option<String>,
}

impl IssueSnapshot {
    pub fn of_issue(i: &Issue) -> IssueSnapshot {
        IssueSnapshot {
            title: i.title.clone(),
            body: i.body.clone(),
            labels: i.labels.iter().map(|l| l.name.clone()).collect(),
            assignees: i.assignees.iter().map(|u| u.login.clone()).collect(),
            milestone: i.milestone.as_ref().map(|m| m.number),
            state: i.state.clone(),
            state_reason: i.state_reason.clone(),
        }
    }
}

/// What to do with a field changed on both sides: the governance configuration's
/// `sync.conflict_strategies` (one type for governance drift and API changes).
pub use crate::governance::config::ConflictStrategy as Strategy;

/// The strategy of each scalar field (labels and assignees always merge as sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strategies {
    pub title: Strategy,
    pub body: Strategy,
    pub state: Strategy,
    pub milestone: Strategy,
}

impl Default for Strategies {
    /// The documented defaults: text is never overwritten unseen (`manual`); state and
    /// milestone go to the latest writer.
    fn default() -> Self {
        Strategies::of(&crate::governance::config::GovernanceConfig::default())
    }
}

impl Strategies {
    /// The strategies a repository's governance configuration sets (defaults for the rest).
    pub fn of(config: &crate::governance::config::GovernanceConfig) -> Strategies {
        Strategies {
            title: config.conflict_strategy("title"),
            body: config.conflict_strategy("body"),
            state: config.conflict_strategy("state"),
            milestone: config.conflict_strategy("milestone"),
        }
    }
}

/// A field changed on both sides that its strategy leaves to a person.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConflict {
    pub field: &'static str,
    pub base: Value,
    pub local: Value,
    pub remote: Value,
    pub strategy: Strategy,
}

/// What to write after merging, and what could not be merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    pub write: IssueEdit,
    pub conflicts: Vec<FieldConflict>,
}

impl Merged {
    /// Whether there is nothing left to write.
    pub fn is_empty(&self) -> bool {
        self.write == IssueEdit::default()
    }
}

/// The side a scalar field takes: `Some(value)` to write it, `None` to leave GitHub's.
fn scalar<T: PartialEq + Clone + Serialize>(
    field: &'static str,
    base: &T,
    local: Option<&T>,
    remote: &T,
    strategy: Strategy,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<T> {
    let local = local?;
    if local == base || local == remote {
        return None;
    }
    if remote == base {
        return Some(local.clone());
    }
    match strategy {
        Strategy::RemoteWins => None,
        Strategy::LocalWins | Strategy::LastWriterWins => Some(local.clone()),
        Strategy::Manual => {
            conflicts.push(FieldConflict {
                field,
                base: json!(base),
                local: json!(local),
                remote: json!(remote),
                strategy,
            });
            None
        }
    }
}

/// A set merged three ways: GitHub's, plus what the change added, minus what it removed.
/// `None` when that is GitHub's set already.
fn set(base: &[String], local: Option<&Vec<String>>, remote: &[String]) -> Option<Vec<String>> {
    let local = local?;
    let key = |s: &String| s.to_lowercase();
    let base: BTreeSet<String> = base.iter().map(key).collect();
    let wanted: BTreeSet<String> = local.iter().map(key).collect();
    let mut result: Vec<String> = remote
        .iter()
        .filter(|r| {
            let k = key(r);
            // Removed by the change (it was in the base, the change dropped it).
            !base.contains(&k) || wanted.contains(&k)
        })
        .cloned()
        .collect();
    for l in local {
        let k = key(l);
        if !base.contains(&k) && !result.iter().any(|r| key(r) == k) {
            result.push(l.clone());
        }
    }
    let same = {
        let a: BTreeSet<String> = result.iter().map(key).collect();
        let b: BTreeSet<String> = remote.iter().map(key).collect();
        a == b
    };
    (!same).then_some(result)
}

/// Merges `local` (a change based on `base`) with `remote` (GitHub's issue now).
pub fn merge(
    base: &IssueSnapshot,
    local: &IssueEdit,
    remote: &IssueSnapshot,
    s: &Strategies,
) -> Merged {
    let mut conflicts = Vec::new();
    let title = scalar(
        "title",
        &base.title,
        local.title.as_ref(),
        &remote.title,
        s.title,
        &mut conflicts,
    );
    let body = scalar(
        "body",
        &base.body,
        local.body.as_ref().map(|b| Some(b.clone())).as_ref(),
        &remote.body,
        s.body,
        &mut conflicts,
    )
    .flatten();
    let milestone = scalar(
        "milestone",
        &base.milestone,
        local.milestone.as_ref(),
        &remote.milestone,
        s.milestone,
        &mut conflicts,
    );
    // State and its reason travel together.
    let pair = |state: &str, reason: &Option<String>| (state.to_string(), reason.clone());
    let local_state = local.state.as_ref().map(|st| pair(st, &local.state_reason));
    let state = scalar(
        "state",
        &pair(&base.state, &base.state_reason),
        local_state.as_ref(),
        &pair(&remote.state, &remote.state_reason),
        s.state,
        &mut conflicts,
    );
    let write = IssueEdit {
        title,
        body,
        labels: set(&base.labels, local.labels.as_ref(), &remote.labels),
        assignees: set(&base.assignees, local.assignees.as_ref(), &remote.assignees),
        milestone,
        state: state.as_ref().map(|(st, _)| st.clone()),
        state_reason: state.and_then(|(_, r)| r),
    };
    Merged { write, conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(title: &str, labels: &[&str], state: &str) -> IssueSnapshot {
        IssueSnapshot {
            title: title.into(),
            body: Some("text".into()),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            state: state.into(),
            ..Default::default()
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_side_changes_merge() {
        let base = snap("A", &["x"], "open");
        // GitHub changed the title; the change sets the body: both kept.
        let remote = snap("B", &["x"], "open");
        let local = IssueEdit {
            body: Some("new".into()),
            title: Some("A".into()),
            ..Default::default()
        };
        let m = merge(&base, &local, &remote, &Strategies::default());
        assert_eq!(m.write.body.as_deref(), Some("new"));
        assert_eq!(
            m.write.title, None,
            "an unchanged field never overwrites GitHub's"
        );
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn both_sides_follow_the_strategy() {
        let base = snap("A", &[], "open");
        let remote = snap("B", &[], "closed");
        let local = IssueEdit {
            title: Some("C".into()),
            state: Some("open".into()),
            ..Default::default()
        };
        let m = merge(&base, &local, &remote, &Strategies::default());
        assert_eq!(m.write.title, None, "manual: not written");
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].field, "title");
        assert_eq!(
            (
                m.conflicts[0].base.clone(),
                m.conflicts[0].local.clone(),
                m.conflicts[0].remote.clone()
            ),
            (json!("A"), json!("C"), json!("B"))
        );
        // Only GitHub changed the state (the change sends the base's "open"): GitHub's stays.
        assert_eq!(m.write.state, None);
        for (strategy, title) in [
            (Strategy::RemoteWins, None),
            (Strategy::LocalWins, Some("C")),
            (Strategy::LastWriterWins, Some("C")),
        ] {
            let s = Strategies {
                title: strategy,
                ..Strategies::default()
            };
            let m = merge(&base, &local, &remote, &s);
            assert_eq!(m.write.title.as_deref(), title, "{strategy:?}");
            assert!(m.conflicts.is_empty());
        }
        // Both sides closed it differently: last writer wins by default.
        let remote = IssueSnapshot {
            state: "closed".into(),
            state_reason: Some("completed".into()),
            ..base.clone()
        };
        let local = IssueEdit {
            state: Some("closed".into()),
            state_reason: Some("not_planned".into()),
            ..Default::default()
        };
        let m = merge(&base, &local, &remote, &Strategies::default());
        assert_eq!(
            (m.write.state.as_deref(), m.write.state_reason.as_deref()),
            (Some("closed"), Some("not_planned"))
        );
    }

    #[test]
    fn labels_merge_as_sets() {
        let base = snap("A", &["a", "b"], "open");
        // GitHub added c and removed a; the change removed b and added d.
        let remote = snap("A", &["b", "c"], "open");
        let local = IssueEdit {
            labels: Some(strings(&["a", "d"])),
            ..Default::default()
        };
        let m = merge(&base, &local, &remote, &Strategies::default());
        let mut got = m.write.labels.unwrap();
        got.sort();
        assert_eq!(
            got,
            strings(&["c", "d"]),
            "a stays removed (GitHub), b removed (change), c kept, d added"
        );
        // Nothing new against GitHub: nothing to write.
        let local = IssueEdit {
            labels: Some(strings(&["a", "b"])),
            ..Default::default()
        };
        assert!(merge(&base, &local, &remote, &Strategies::default()).is_empty());
    }

    #[test]
    fn the_same_value_on_both_sides_is_no_conflict() {
        let base = snap("A", &[], "open");
        let remote = snap("B", &[], "open");
        let local = IssueEdit {
            title: Some("B".into()),
            ..Default::default()
        };
        let m = merge(&base, &local, &remote, &Strategies::default());
        assert!(m.is_empty() && m.conflicts.is_empty());
    }
}
