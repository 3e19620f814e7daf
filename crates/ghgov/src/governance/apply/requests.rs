//! The write that carries out a plan's change: the change's fields read into the typed
//! request GitHub's operation takes.

use super::Run;
use crate::github::{IssueFields, LabelFields, MilestoneFields, Write};
use crate::governance::plan::{Action, Change, Target};
use anyhow::{anyhow, bail};
use serde_json::Value;

/// The text of field `name`'s new value, if the change sets it to text.
fn text(c: &Change, name: &str) -> Option<String> {
    c.fields
        .iter()
        .find(|f| f.field == name)
        .and_then(|f| f.after.as_str())
        .map(str::to_string)
}

/// The names of field `name`'s new value, if the change sets it to a list of text.
fn names(c: &Change, name: &str) -> anyhow::Result<Option<Vec<String>>> {
    let Some(f) = c.fields.iter().find(|f| f.field == name) else {
        return Ok(None);
    };
    match &f.after {
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    anyhow!(
                        "the plan's {name} of {} hold {v}, not a name",
                        c.target.key()
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Some),
        Value::Null => Ok(None),
        other => bail!(
            "the plan's {name} of {} is {other}, not a list of names",
            c.target.key()
        ),
    }
}

/// GitHub rounds due dates: a day sent at noon UTC stays that day in every time zone.
pub(super) fn noon(day: &str) -> String {
    if day.len() == 10 {
        format!("{day}T12:00:00Z")
    } else {
        day.to_string()
    }
}

fn label_fields(c: &Change) -> LabelFields {
    LabelFields {
        name: None,
        color: text(c, "color"),
        description: text(c, "description"),
    }
}

fn milestone_fields(c: &Change) -> MilestoneFields {
    MilestoneFields {
        title: None,
        description: text(c, "description"),
        due_on: text(c, "due_on").map(|d| noon(&d)),
        state: text(c, "state"),
    }
}

/// The fields an issue change may set; anything else in a plan is refused, not dropped.
const ISSUE_FIELDS: [&str; 8] = [
    "title",
    "body",
    "labels",
    "assignees",
    "milestone",
    "type",
    "state",
    "state_reason",
];

impl Run<'_> {
    fn issue_fields(&self, c: &Change) -> anyhow::Result<IssueFields> {
        if let Some(f) = c
            .fields
            .iter()
            .find(|f| !ISSUE_FIELDS.contains(&f.field.as_str()))
        {
            bail!(
                "the plan changes {}'s field {:?}, which ghgov does not write; run `ghgov plan` again",
                c.target.key(),
                f.field
            );
        }
        let milestone = match text(c, "milestone") {
            Some(title) => Some(*self.milestones.get(&title.to_lowercase()).ok_or_else(|| {
                anyhow!("milestone {title:?} does not exist on GitHub; run `ghgov plan` again so the plan creates it")
            })?),
            None => None,
        };
        Ok(IssueFields {
            title: text(c, "title"),
            body: text(c, "body"),
            labels: names(c, "labels")?,
            assignees: names(c, "assignees")?,
            milestone,
            clear_milestone: false,
            issue_type: text(c, "type"),
            state: text(c, "state"),
            state_reason: text(c, "state_reason"),
        })
    }

    /// The write that carries out `c`.
    pub(super) fn request(&self, c: &Change) -> anyhow::Result<Write> {
        let repo = self.a.repo.clone();
        let number = c.number.unwrap_or_default();
        Ok(match (&c.target, c.action) {
            (Target::Label { name }, Action::Create) => Write::CreateLabel {
                repo,
                fields: LabelFields {
                    name: Some(name.clone()),
                    ..label_fields(c)
                },
            },
            (Target::Label { name }, Action::Update) => Write::UpdateLabel {
                repo,
                name: name.clone(),
                fields: label_fields(c),
            },
            (Target::Label { name }, _) => Write::DeleteLabel {
                repo,
                name: name.clone(),
            },
            (Target::Milestone { title }, Action::Create) => Write::CreateMilestone {
                repo,
                fields: MilestoneFields {
                    title: Some(title.clone()),
                    ..milestone_fields(c)
                },
            },
            (Target::Milestone { .. }, Action::Update) => Write::UpdateMilestone {
                repo,
                number,
                fields: milestone_fields(c),
            },
            (Target::Milestone { .. }, _) => Write::DeleteMilestone { repo, number },
            (Target::Issue { .. }, Action::Create) => Write::CreateIssue {
                repo,
                fields: self.issue_fields(c)?,
            },
            (Target::Issue { .. }, Action::Update) => Write::UpdateIssue {
                repo,
                number,
                fields: self.issue_fields(c)?,
            },
            (Target::Issue { .. }, _) => Write::UpdateIssue {
                repo,
                number,
                fields: IssueFields {
                    state: Some("closed".into()),
                    state_reason: Some("not_planned".into()),
                    ..Default::default()
                },
            },
            (Target::SubIssue { parent, child }, _) => Write::AddSubIssue {
                repo,
                parent: self.issue(parent)?.1,
                child_id: self.issue(child)?.0,
                replace_parent: c.action == Action::Update,
            },
            (Target::Dependency { blocked, blocking }, _) => Write::AddBlockedBy {
                repo,
                blocked: self.issue(blocked)?.1,
                blocking_id: self.issue(blocking)?.0,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_days_are_sent_at_noon() {
        assert_eq!(noon("2026-04-05"), "2026-04-05T12:00:00Z");
        assert_eq!(noon("2026-04-05T07:00:00Z"), "2026-04-05T07:00:00Z");
    }
}
