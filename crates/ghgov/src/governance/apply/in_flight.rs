//! Steps whose outcome is unknown (a crash between journaling and recording, a timeout, a
//! refusal that may mean "already done"): GitHub is read to see whether the change is
//! already there, so it is recorded instead of sent twice.

use super::Run;
use crate::github::types::{Issue, Label, Milestone};
use crate::github::{GitHubError, ListOf, Lookup, Written};
use crate::governance::desired::{body_parts, key_in_body};
use crate::governance::plan::{Action, Change, FieldChange, Target};
use serde_json::Value;

/// How far back a search for an issue by its key goes when it does not know when the
/// create was sent (100 issues a page).
const MAX_SEARCH_PAGES: usize = 50;

/// A failure after which the write may or may not have happened.
pub(super) fn ambiguous(e: &GitHubError) -> bool {
    matches!(e, GitHubError::Transport { .. }) || e.status().is_some_and(|s| s >= 500)
}

fn lower(s: Option<&str>) -> Option<String> {
    s.map(str::to_lowercase)
}

fn label_matches(l: &Label, f: &FieldChange) -> bool {
    match f.field.as_str() {
        "color" => lower(l.color.as_deref()) == lower(f.after.as_str()),
        "description" => l.description.as_deref() == f.after.as_str(),
        "name" => Some(l.name.as_str()) == f.after.as_str(),
        _ => false,
    }
}

fn milestone_matches(m: &Milestone, f: &FieldChange) -> bool {
    match f.field.as_str() {
        "due_on" => m.due_on.as_deref().map(|d| &d[..d.len().min(10)]) == f.after.as_str(),
        "description" => m.description.as_deref() == f.after.as_str(),
        "title" => Some(m.title.as_str()) == f.after.as_str(),
        "state" => Some(m.state.as_str()) == f.after.as_str(),
        _ => false,
    }
}

/// Every name in the change's list is among `have` (labels and assignees are additive).
fn includes(have: &[String], after: &Value) -> bool {
    let have: Vec<String> = have.iter().map(|s| s.to_lowercase()).collect();
    after
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .all(|n| have.contains(&n.to_lowercase()))
}

fn issue_matches(i: &Issue, f: &FieldChange) -> bool {
    match f.field.as_str() {
        "labels" => includes(
            &i.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
            &f.after,
        ),
        "assignees" => includes(
            &i.assignees
                .iter()
                .map(|u| u.login.clone())
                .collect::<Vec<_>>(),
            &f.after,
        ),
        "milestone" => {
            lower(i.milestone.as_ref().map(|m| m.title.as_str())) == lower(f.after.as_str())
        }
        "type" => lower(i.issue_type.as_ref().map(|t| t.name.as_str())) == lower(f.after.as_str()),
        // Only the generated part is ghgov's; the text around it may have moved since.
        "body" => {
            let generated = |b: &str| {
                body_parts(b)
                    .generated()
                    .map(|g| g.replace("\r\n", "\n").trim_end().to_string())
            };
            let have = i.body.as_deref().and_then(generated);
            have.is_some() && have == f.after.as_str().and_then(generated)
        }
        "title" => Some(i.title.as_str()) == f.after.as_str(),
        "state" => Some(i.state.as_str()) == f.after.as_str(),
        "state_reason" => i.state_reason.as_deref() == f.after.as_str(),
        _ => false,
    }
}

impl Run<'_> {
    /// A refused write whose effect is already there (a label or milestone that exists, a
    /// link already made, something already deleted) counts as done.
    pub(super) async fn converged_anyway(
        &self,
        c: &Change,
        e: &GitHubError,
    ) -> anyhow::Result<Option<Written>> {
        match (e.status(), c.action) {
            (Some(422), _) | (Some(404), Action::Delete) => self.effect_present(c).await,
            _ => Ok(None),
        }
    }

    /// Whether `c` has already taken effect on GitHub, found by reading; returns what to
    /// record (the object, or `Nothing` for links and deletions). Resolves steps left in
    /// flight by a crash without sending them again.
    pub(super) async fn effect_present(&self, c: &Change) -> anyhow::Result<Option<Written>> {
        let gh = self.a.gh;
        let repo = self.a.repo;
        match (&c.target, c.action) {
            (Target::Label { name }, Action::Delete) => {
                let gone = gh.label(repo, name).await?.is_none();
                Ok(gone.then_some(Written::Nothing))
            }
            (Target::Label { name }, _) => Ok(gh
                .label(repo, name)
                .await?
                .filter(|l| {
                    c.action == Action::Create || c.fields.iter().all(|f| label_matches(l, f))
                })
                .map(Written::Label)),
            (Target::Milestone { title }, _) => {
                let found = gh
                    .all(&ListOf::milestones(repo))
                    .await?
                    .into_iter()
                    .find(|m| m.title.eq_ignore_ascii_case(title));
                Ok(match c.action {
                    Action::Delete => found.is_none().then_some(Written::Nothing),
                    Action::Create => found.map(Written::Milestone),
                    _ => found
                        .filter(|m| c.fields.iter().all(|f| milestone_matches(m, f)))
                        .map(Written::Milestone),
                })
            }
            (Target::Issue { key, .. }, Action::Create) => Ok(self
                .find_issue_by_key(key)
                .await?
                .map(|i| Written::Issue(Box::new(i)))),
            (Target::Issue { .. }, _) => {
                let Lookup::Found(issue) = gh.issue(repo, c.number.unwrap_or_default()).await?
                else {
                    return Ok(None);
                };
                let done = c.fields.iter().all(|f| issue_matches(&issue, f));
                Ok(done.then(|| Written::Issue(Box::new(issue))))
            }
            (Target::SubIssue { parent, child }, _) => {
                let (parent_id, _) = self.issue(parent)?;
                let (_, child_number) = self.issue(child)?;
                let current = gh.parent_of(repo, child_number).await?;
                Ok(current
                    .filter(|p| p.id == parent_id)
                    .map(|_| Written::Nothing))
            }
            (Target::Dependency { blocked, blocking }, _) => {
                let (_, blocked_number) = self.issue(blocked)?;
                let (blocking_id, _) = self.issue(blocking)?;
                let blockers = gh.all(&ListOf::blocked_by(repo, blocked_number)).await?;
                let there = blockers.iter().any(|i| i.id == blocking_id);
                Ok(there.then_some(Written::Nothing))
            }
        }
    }

    /// Looks through the repository's newest issues for one carrying `key`, back to when
    /// the step in flight was journaled.
    async fn find_issue_by_key(&self, key: &str) -> anyhow::Result<Option<Issue>> {
        let gh = self.a.gh;
        let mut list = Some(ListOf::issues_newest_first(self.a.repo));
        // Creates of one apply are recent: a few pages reach back far enough.
        let mut pages = 0;
        while let Some(at) = list.take() {
            pages += 1;
            let page = gh.page(&at).await?;
            // Newest first: once the page reaches issues created before the write was
            // journaled, the create did not land.
            let older = page.items.last().is_some_and(|i| {
                self.flight_since
                    .as_deref()
                    .is_some_and(|since| i.created_at.as_str() < since)
            });
            if let Some(found) = page.items.into_iter().find(|i| {
                i.pull_request.is_none() && i.body.as_deref().and_then(key_in_body) == Some(key)
            }) {
                return Ok(Some(found));
            }
            if !older && pages < MAX_SEARCH_PAGES {
                list = page.next.as_ref().map(ListOf::resume);
            }
        }
        Ok(None)
    }
}
