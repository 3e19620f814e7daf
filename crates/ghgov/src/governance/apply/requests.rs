//! The write that carries out a plan's change: the change's fields read into the typed
//! request GitHub's operation takes.

use super::Run;
use crate::github::{IssueFields, LabelFields, Lookup, MilestoneFields, Write};
use crate::governance::desired::{body_parts, replace_generated, wrap_generated, BodyParts};
use crate::governance::plan::{Action, Change, Target};
use anyhow::{anyhow, bail};
use serde_json::{json, Value};

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

fn lower_names(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_lowercase)
        .collect()
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
        // A new issue's body is its generated part between the markers; an update's was
        // put together from GitHub's current body by `refreshed`.
        let body = match c.action {
            Action::Create => text(c, "body").map(|b| wrap_generated(&b)),
            _ => text(c, "body"),
        };
        Ok(IssueFields {
            title: text(c, "title"),
            body,
            labels: names(c, "labels")?,
            assignees: names(c, "assignees")?,
            milestone,
            clear_milestone: false,
            issue_type: text(c, "type"),
            state: text(c, "state"),
            state_reason: text(c, "state_reason"),
        })
    }

    /// `c` as it applies to the issue GitHub holds now: the planned generated part put
    /// into the current body (text people wrote around it since the plan stays), and the
    /// labels and assignees the plan adds joined to the current ones (nobody's addition
    /// is dropped by the write). Other changes are returned as planned.
    pub(super) async fn refreshed(&self, c: &Change) -> anyhow::Result<Change> {
        let sets_people_fields = c
            .fields
            .iter()
            .any(|f| matches!(f.field.as_str(), "body" | "labels" | "assignees"));
        let is_update = matches!(c.target, Target::Issue { .. }) && c.action == Action::Update;
        if !(is_update && sets_people_fields) {
            return Ok(c.clone());
        }
        let Lookup::Found(issue) = self
            .a
            .gh
            .issue(self.a.repo, c.number.unwrap_or_default())
            .await?
        else {
            // Gone since the plan: the write answers for itself.
            return Ok(c.clone());
        };
        let mut c = c.clone();
        for f in &mut c.fields {
            match f.field.as_str() {
                "body" => {
                    let planned = f.after.as_str().unwrap_or_default().to_string();
                    let generated = body_parts(&planned).generated().unwrap_or(&planned);
                    let current = issue.body.clone().unwrap_or_default();
                    // A body without markers is all generated: one edited since the plan
                    // cannot be told apart from people's text, so it is not overwritten.
                    let norm = |s: &str| s.replace("\r\n", "\n").trim_end().to_string();
                    if matches!(body_parts(&current), BodyParts::Unmarked(_))
                        && f.before.as_str().map(norm) != Some(norm(&current))
                    {
                        bail!(
                            "the body of {} (#{}) changed on GitHub since the plan; run `ghgov plan` again",
                            c.target.key(),
                            issue.number
                        );
                    }
                    let body = replace_generated(&current, generated).ok_or_else(|| {
                        anyhow!(
                            "the body of {} (#{}) lost one of its ghgov:generated markers since the plan; run `ghgov plan` again",
                            c.target.key(),
                            issue.number
                        )
                    })?;
                    f.before = json!(current);
                    f.after = json!(body);
                }
                "labels" | "assignees" => {
                    let have: Vec<String> = if f.field == "labels" {
                        issue.labels.iter().map(|l| l.name.clone()).collect()
                    } else {
                        issue.assignees.iter().map(|u| u.login.clone()).collect()
                    };
                    let before = lower_names(&f.before);
                    let mut after = have.clone();
                    for name in f
                        .after
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        let lower = name.to_lowercase();
                        if !before.contains(&lower)
                            && !after.iter().any(|h| h.to_lowercase() == lower)
                        {
                            after.push(name.to_string());
                        }
                    }
                    f.before = json!(have);
                    f.after = json!(after);
                }
                _ => {}
            }
        }
        Ok(c)
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
