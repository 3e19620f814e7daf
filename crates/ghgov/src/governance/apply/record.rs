//! Recording a finished step: GitHub's answer projected into the mirror, the key table,
//! the journal and the audit trail, in one transaction.

use super::Run;
use crate::github::types::{Issue, Label, Milestone};
use crate::github::Written;
use crate::governance::plan::{Action, Change, Target};
use crate::mirror::projector::Seen;
use crate::store::governance::{audit, journal_done, save_applied, save_key, NewAudit};
use crate::tracking::{Provenance, Source};
use serde_json::{json, Value};
use std::collections::HashMap;

/// What a step produced: the GitHub object id to remember (issue id, label id…).
pub(super) struct StepResult {
    pub result_id: Option<i64>,
    pub after: Value,
}

impl Run<'_> {
    pub(super) fn step_result(
        &self,
        c: &Change,
        response: Written,
    ) -> anyhow::Result<(StepResult, Option<Projection>)> {
        let id = response.id();
        let number = match &response {
            Written::Issue(i) => json!(i.number),
            _ => Value::Null,
        };
        let projection = match (&c.target, response) {
            (Target::Label { .. }, Written::Label(l)) if c.action != Action::Delete => {
                Some(Projection::Label(l))
            }
            (Target::Milestone { .. }, Written::Milestone(m)) if c.action != Action::Delete => {
                Some(Projection::Milestone(m))
            }
            (Target::Issue { .. }, Written::Issue(i)) => Some(Projection::Issue(i)),
            _ => None,
        };
        let projection = match (&c.target, c.action, projection) {
            (Target::Label { .. }, Action::Delete, _) => c.number.map(Projection::LabelGone),
            (Target::Milestone { .. }, Action::Delete, _) => {
                c.number.map(Projection::MilestoneGone)
            }
            (Target::SubIssue { parent, child }, _, _) => Some(Projection::SubIssue(
                self.issue(parent)?.0,
                self.issue(child)?.0,
            )),
            (Target::Dependency { blocked, blocking }, _, _) => Some(Projection::Dependency(
                self.issue(blocked)?.0,
                self.issue(blocking)?.0,
            )),
            (_, _, p) => p,
        };
        let after = match &c.target {
            Target::Issue { .. } => {
                json!({"number": number, "fields": c.fields.iter().map(|f| (&f.field, &f.after)).collect::<HashMap<_, _>>()})
            }
            _ => json!(c
                .fields
                .iter()
                .map(|f| (&f.field, &f.after))
                .collect::<HashMap<_, _>>()),
        };
        Ok((
            StepResult {
                result_id: id,
                after,
            },
            projection,
        ))
    }

    /// Records a finished step: journal, key table, mirror and audit in one transaction.
    pub(super) async fn finish(
        &mut self,
        step: i64,
        c: &Change,
        result: StepResult,
        projection: Option<Projection>,
    ) -> anyhow::Result<()> {
        let store = self.a.store;
        let repo = self.a.repo.full();
        // `tx.mirror()` marks the transaction, so its commit moves the mirror's version.
        let mut tx = store.begin_write().await?;
        // A status an applied issue gets is the plan's doing.
        tx.set_provenance(
            Provenance::new(Source::Apply)
                .actor(Some(self.a.actor))
                .correlation(self.correlation.clone()),
        );
        let mut seen = Seen::default();
        match &projection {
            Some(Projection::Issue(issue)) => {
                tx.mirror()
                    .issue(&mut seen, self.repo_id, issue, None)
                    .await?;
                // The governed issue's estimate, as a number of hours, for the rollup.
                let planned = issue
                    .body
                    .as_deref()
                    .and_then(crate::governance::generate::estimate_in_body)
                    .and_then(crate::store::rollup::parse_estimate);
                tx.mirror().set_planned_estimate(issue.id, planned).await?;
                if let Target::Issue { key, .. } = &c.target {
                    save_key(
                        &mut tx,
                        &repo,
                        key,
                        issue.id,
                        issue.number,
                        Some(self.plan_id),
                    )
                    .await?;
                    self.keys.insert(key.clone(), (issue.id, issue.number));
                }
            }
            Some(Projection::Label(l)) => tx.mirror().label(&mut seen, self.repo_id, l).await?,
            Some(Projection::LabelGone(id)) => tx.mirror().remove_label(*id).await?,
            Some(Projection::Milestone(m)) => {
                tx.mirror().milestone(&mut seen, self.repo_id, m).await?;
                self.milestones.insert(m.title.to_lowercase(), m.number);
            }
            Some(Projection::MilestoneGone(number)) => {
                tx.mirror()
                    .remove_milestone_numbered(self.repo_id, *number)
                    .await?;
            }
            Some(Projection::SubIssue(parent, child)) => {
                tx.mirror().link_sub_issue(*parent, *child).await?
            }
            Some(Projection::Dependency(blocked, blocking)) => {
                tx.mirror().add_dependency(*blocked, *blocking).await?
            }
            None => {}
        }
        // An issue found in the key table was recorded when it was created.
        if let (Target::Issue { key, .. }, None) = (&c.target, &projection) {
            if let Some(&(id, number)) = self.keys.get(key) {
                save_key(&mut tx, &repo, key, id, number, Some(self.plan_id)).await?;
            }
        }
        // What this step wrote is the base the next plan tells people's edits by.
        if let (Target::Issue { key, .. }, Some(applied)) = (&c.target, &c.applied) {
            save_applied(&mut tx, &repo, key, &serde_json::to_value(applied)?).await?;
        }
        journal_done(&mut tx, self.plan_id, step, result.result_id).await?;
        let before: Value = json!(c
            .fields
            .iter()
            .map(|f| (&f.field, &f.before))
            .collect::<HashMap<_, _>>());
        audit(
            &mut tx,
            NewAudit {
                repository: Some(&repo),
                actor: self.a.actor,
                action: c.action.as_str(),
                object_kind: super::issue_kind_name(&c.target),
                object_key: &c.target.key(),
                before: (c.action != Action::Create).then_some(&before),
                after: Some(&result.after),
                correlation_id: &self.correlation,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) enum Projection {
    Issue(Box<Issue>),
    Label(Label),
    LabelGone(i64),
    Milestone(Milestone),
    MilestoneGone(i64),
    SubIssue(i64, i64),
    Dependency(i64, i64),
}
