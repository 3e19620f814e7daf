//! The diff: the desired state against the current one, object by object, into the
//! plan's changes — creates, field-by-field updates, and removals of authoritative kinds,
//! refused past a share unless forced.

use super::drift::{settle, Settled};
use super::model::{Action, AppliedFields, Change, Drift, DriftOutcome, FieldChange, Plan, Target};
use crate::governance::config::{ConflictStrategy, GovernanceConfig};
use crate::governance::current::{CurrentIssue, CurrentState};
use crate::governance::desired::{body_parts, BodyParts, DesiredIssue, DesiredState, IssueKind};
use crate::governance::problems::{Document, Problem};
use crate::tracking::Workflow;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Removing more than this share of a kind's existing objects needs `--force`.
pub const MAX_REMOVAL_SHARE: f64 = 0.25;

#[derive(Debug, thiserror::Error)]
#[error("the plan would remove {removed} of {existing} existing {kind} (more than {pct}%); this looks like a mistake in the specification. Check it, or pass --force to go ahead")]
pub struct RemovalRefused {
    pub kind: String,
    pub removed: usize,
    pub existing: usize,
    pub pct: u32,
}

fn lower_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// Bodies compare without line-ending and trailing-space differences (GitHub's editor
/// may store CRLF).
fn same_body(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim_end().to_string();
    norm(a) == norm(b)
}

fn create_issue_fields(d: &DesiredIssue) -> Vec<FieldChange> {
    let mut f = vec![
        FieldChange {
            field: "title".into(),
            before: Value::Null,
            after: json!(d.title),
        },
        FieldChange {
            field: "body".into(),
            before: Value::Null,
            after: json!(d.body),
        },
        FieldChange {
            field: "labels".into(),
            before: Value::Null,
            after: json!(d.labels),
        },
    ];
    if let Some(m) = &d.milestone {
        f.push(FieldChange {
            field: "milestone".into(),
            before: Value::Null,
            after: json!(m),
        });
    }
    if let Some(t) = &d.issue_type {
        f.push(FieldChange {
            field: "type".into(),
            before: Value::Null,
            after: json!(t),
        });
    }
    if !d.assignees.is_empty() {
        f.push(FieldChange {
            field: "assignees".into(),
            before: Value::Null,
            after: json!(d.assignees),
        });
    }
    f
}

/// What a new issue's apply records as written.
fn created_record(d: &DesiredIssue) -> AppliedFields {
    AppliedFields {
        title: Some(d.title.clone()),
        body: Some(d.body.clone()),
        milestone: d.milestone.clone(),
        labels: Some(d.labels.clone()),
        assignees: Some(d.assignees.clone()),
    }
}

/// An existing issue's update: the fields to write, the drift found, and the record its
/// apply keeps.
struct IssueUpdate {
    fields: Vec<FieldChange>,
    drift: Vec<Drift>,
    applied: AppliedFields,
}

/// The names of `want` a set merge adds to `have`: not there already (case-insensitive),
/// not asked for by the last apply already (then a person removed it, and that stays),
/// and not refused by `skip`.
fn set_additions(
    want: &[String],
    have: &[String],
    asked_before: Option<&[String]>,
    skip: impl Fn(&str) -> bool,
) -> Vec<String> {
    let have = lower_set(have);
    let asked = asked_before.map(lower_set).unwrap_or_default();
    want.iter()
        .filter(|n| {
            let n_lower = n.to_lowercase();
            !have.contains(&n_lower) && !asked.contains(&n_lower) && !skip(n)
        })
        .cloned()
        .collect()
}

/// Field-level differences of an existing issue, three ways: the last apply's record, the
/// specification and GitHub. Labels and assignees merge as sets: what people added stays,
/// what they removed is not put back, status labels are the status workflow's and never
/// added. Title, the body's generated part and milestone changed on GitHub since the last
/// apply are drift, settled by the configuration's strategies. The state is never touched
/// here (only the authoritative removal closes issues).
fn update_issue(
    d: &DesiredIssue,
    c: &CurrentIssue,
    config: &GovernanceConfig,
    workflow: &Workflow,
) -> IssueUpdate {
    let base = c.applied.clone();
    let mut applied = base.clone().unwrap_or_default();
    let mut fields = Vec::new();
    let mut drift = Vec::new();
    let mut found = |field: &str, base: Value, local: Value, remote: Value, outcome| {
        // A body whose markers are broken cannot be merged whatever the strategy says.
        let strategy = match outcome {
            DriftOutcome::Manual => ConflictStrategy::Manual,
            _ => config.conflict_strategy(field),
        };
        drift.push(Drift {
            key: d.key.clone(),
            number: c.number,
            field: field.into(),
            base,
            local,
            remote,
            strategy,
            outcome,
        })
    };

    let base_title = base.as_ref().and_then(|b| b.title.as_deref());
    let settled = settle(
        base_title,
        d.title.as_str(),
        c.title.as_str(),
        config.conflict_strategy("title"),
        |a, b| a == b,
    );
    if let Settled::Drift(outcome) = settled {
        found(
            "title",
            json!(base_title),
            json!(d.title),
            json!(c.title),
            outcome,
        );
    }
    if matches!(
        settled,
        Settled::Write | Settled::Drift(DriftOutcome::Written)
    ) {
        fields.push(field("title", json!(c.title), json!(d.title)));
    }
    if matches!(
        settled,
        Settled::Same | Settled::Write | Settled::Drift(DriftOutcome::Written)
    ) {
        applied.title = Some(d.title.clone());
    }

    // The body: only its generated part is compared and written.
    let parts = body_parts(&c.body);
    let base_body = base.as_ref().and_then(|b| b.body.as_deref());
    match parts.generated() {
        None => found(
            "body",
            json!(base_body),
            json!(d.body),
            json!(c.body),
            DriftOutcome::Manual,
        ),
        Some(generated) => {
            let settled = settle(
                base_body,
                d.body.as_str(),
                generated,
                config.conflict_strategy("body"),
                same_body,
            );
            if let Settled::Drift(outcome) = settled {
                found(
                    "body",
                    json!(base_body),
                    json!(d.body),
                    json!(generated),
                    outcome,
                );
            }
            let migrate = matches!(parts, BodyParts::Unmarked(_));
            let write = matches!(
                settled,
                Settled::Write | Settled::Drift(DriftOutcome::Written)
            );
            // A body from before the markers gets them with its next apply, even when
            // its text is what the specification says.
            if write || (migrate && settled == Settled::Same) {
                fields.push(field("body", json!(generated), json!(d.body)));
            }
            if write || settled == Settled::Same {
                applied.body = Some(d.body.clone());
            }
        }
    }

    let additions = set_additions(
        &d.labels,
        &c.labels,
        base.as_ref().and_then(|b| b.labels.as_deref()),
        |l| workflow.is_status_label(l),
    );
    if !additions.is_empty() {
        let mut after = c.labels.clone();
        after.extend(additions);
        fields.push(field("labels", json!(c.labels), json!(after)));
    }
    applied.labels = Some(d.labels.clone());

    if let Some(m) = &d.milestone {
        let base_milestone = base.as_ref().and_then(|b| b.milestone.as_deref());
        let remote = c.milestone.as_deref().unwrap_or_default();
        let settled = settle(
            base_milestone,
            m.as_str(),
            remote,
            config.conflict_strategy("milestone"),
            |a, b| a.eq_ignore_ascii_case(b),
        );
        if let Settled::Drift(outcome) = settled {
            found(
                "milestone",
                json!(base_milestone),
                json!(m),
                json!(c.milestone),
                outcome,
            );
        }
        if matches!(
            settled,
            Settled::Write | Settled::Drift(DriftOutcome::Written)
        ) {
            fields.push(field("milestone", json!(c.milestone), json!(m)));
        }
        if matches!(
            settled,
            Settled::Same | Settled::Write | Settled::Drift(DriftOutcome::Written)
        ) {
            applied.milestone = Some(m.clone());
        }
    }

    if let Some(t) = &d.issue_type {
        if c.issue_type.as_deref().map(str::to_lowercase) != Some(t.to_lowercase()) {
            fields.push(field("type", json!(c.issue_type), json!(t)));
        }
    }

    let additions = set_additions(
        &d.assignees,
        &c.assignees,
        base.as_ref().and_then(|b| b.assignees.as_deref()),
        |_| false,
    );
    if !additions.is_empty() {
        let mut after = c.assignees.clone();
        after.extend(additions);
        fields.push(field("assignees", json!(c.assignees), json!(after)));
    }
    applied.assignees = Some(d.assignees.clone());

    IssueUpdate {
        fields,
        drift,
        applied,
    }
}

fn created(target: Target, fields: Vec<FieldChange>) -> Change {
    Change {
        target,
        action: Action::Create,
        fields,
        number: None,
        applied: None,
    }
}

fn field(name: &str, before: Value, after: Value) -> FieldChange {
    FieldChange {
        field: name.into(),
        before,
        after,
    }
}

/// Diffs `desired` against `current`. Refuses (unless `force`) a plan that would remove
/// more than a quarter of an authoritative kind.
pub fn diff(
    desired: &DesiredState,
    current: &CurrentState,
    config: &GovernanceConfig,
    force: bool,
) -> Result<Plan, RemovalRefused> {
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let authoritative = lower_set(&config.governance_rules.authoritative);
    let mut drift = Vec::new();
    // A tracking section with problems is refused where it is stored; here its labels
    // fall back to the defaults rather than stop a plan.
    let workflow = config
        .tracking
        .as_ref()
        .and_then(|t| Workflow::from_config(t).ok())
        .unwrap_or_default();

    for l in &desired.labels {
        match current.label(&l.name) {
            None => changes.push(created(
                Target::Label {
                    name: l.name.clone(),
                },
                vec![
                    field("color", Value::Null, json!(l.color)),
                    field("description", Value::Null, json!(l.description)),
                ],
            )),
            Some(c) => {
                let mut f = Vec::new();
                if !c.color.eq_ignore_ascii_case(&l.color) {
                    f.push(field("color", json!(c.color), json!(l.color)));
                }
                if l.description.is_some() && l.description != c.description {
                    f.push(field(
                        "description",
                        json!(c.description),
                        json!(l.description),
                    ));
                }
                push_update(
                    &mut changes,
                    &mut unchanged,
                    Target::Label {
                        name: l.name.clone(),
                    },
                    f,
                    Some(c.id),
                );
            }
        }
    }

    for m in &desired.milestones {
        match current.milestone(&m.title) {
            None => changes.push(created(
                Target::Milestone {
                    title: m.title.clone(),
                },
                vec![
                    field("description", Value::Null, json!(m.description)),
                    field("due_on", Value::Null, json!(m.due_on)),
                ],
            )),
            Some(c) => {
                let mut f = Vec::new();
                if m.description.is_some() && m.description != c.description {
                    f.push(field(
                        "description",
                        json!(c.description),
                        json!(m.description),
                    ));
                }
                let current_day = c.due_on.as_deref().map(|d| &d[..d.len().min(10)]);
                if m.due_on_authoritative
                    && m.due_on.is_some()
                    && current_day != m.due_on.as_deref()
                {
                    f.push(field("due_on", json!(c.due_on), json!(m.due_on)));
                }
                push_update(
                    &mut changes,
                    &mut unchanged,
                    Target::Milestone {
                        title: m.title.clone(),
                    },
                    f,
                    Some(c.number),
                );
            }
        }
    }

    for d in &desired.issues {
        let target = Target::Issue {
            key: d.key.clone(),
            kind: d.kind,
        };
        match current.issues.get(&d.key) {
            None => changes.push(Change {
                applied: Some(created_record(d)),
                ..created(target, create_issue_fields(d))
            }),
            Some(c) => {
                let update = update_issue(d, c, config, &workflow);
                drift.extend(update.drift);
                if update.fields.is_empty() {
                    unchanged += 1;
                } else {
                    changes.push(Change {
                        target,
                        action: Action::Update,
                        fields: update.fields,
                        number: Some(c.number),
                        applied: Some(update.applied),
                    });
                }
            }
        }
    }

    let id_of = |key: &str| current.issues.get(key).map(|i| i.id);
    for link in &desired.sub_issues {
        let target = Target::SubIssue {
            parent: link.parent.clone(),
            child: link.child.clone(),
        };
        let child = current.issues.get(&link.child);
        match (id_of(&link.parent), child) {
            (Some(p), Some(c)) if c.parent_id == Some(p) => unchanged += 1,
            (_, Some(c)) if c.parent_id.is_some() => {
                let before = c
                    .parent_id
                    .and_then(|id| current.key_of(id).map(String::from))
                    .map_or(json!(c.parent_id), |k| json!(k));
                changes.push(Change {
                    target,
                    action: Action::Update,
                    fields: vec![field("parent", before, json!(link.parent))],
                    number: Some(c.number),
                    applied: None,
                });
            }
            _ => changes.push(created(
                target,
                vec![field("parent", Value::Null, json!(link.parent))],
            )),
        }
    }

    for dep in &desired.dependencies {
        let target = Target::Dependency {
            blocked: dep.blocked.clone(),
            blocking: dep.blocking.clone(),
        };
        let exists = match (current.issues.get(&dep.blocked), id_of(&dep.blocking)) {
            (Some(b), Some(blocking)) => b.blocked_by.contains(&blocking),
            _ => false,
        };
        if exists {
            unchanged += 1;
        } else {
            changes.push(created(
                target,
                vec![field("blocked_by", Value::Null, json!(dep.blocking))],
            ));
        }
    }

    // Removals, only for kinds the configuration owns.
    if authoritative.contains("labels") {
        let wanted = lower_set(
            &desired
                .labels
                .iter()
                .map(|l| l.name.clone())
                .collect::<Vec<_>>(),
        );
        let gone: Vec<Change> = current
            .labels
            .iter()
            .filter(|l| !wanted.contains(&l.name.to_lowercase()))
            .map(|l| Change {
                target: Target::Label {
                    name: l.name.clone(),
                },
                action: Action::Delete,
                fields: vec![],
                number: Some(l.id),
                applied: None,
            })
            .collect();
        check_share("labels", gone.len(), current.labels.len(), force)?;
        changes.extend(gone);
    }
    if authoritative.contains("milestones") {
        let wanted = lower_set(
            &desired
                .milestones
                .iter()
                .map(|m| m.title.clone())
                .collect::<Vec<_>>(),
        );
        let gone: Vec<Change> = current
            .milestones
            .iter()
            .filter(|m| !wanted.contains(&m.title.to_lowercase()))
            .map(|m| Change {
                target: Target::Milestone {
                    title: m.title.clone(),
                },
                action: Action::Delete,
                fields: vec![],
                number: Some(m.number),
                applied: None,
            })
            .collect();
        check_share("milestones", gone.len(), current.milestones.len(), force)?;
        changes.extend(gone);
    }
    if authoritative.contains("issues") {
        let wanted: HashSet<&str> = desired.issues.iter().map(|i| i.key.as_str()).collect();
        let open: Vec<(&String, &CurrentIssue)> = current
            .issues
            .iter()
            .filter(|(_, i)| i.state == "open")
            .collect();
        let mut gone: Vec<Change> = open
            .iter()
            .filter(|(k, _)| !wanted.contains(k.as_str()))
            .map(|(k, i)| Change {
                target: Target::Issue {
                    key: (*k).clone(),
                    kind: kind_of_key(k),
                },
                action: Action::Close,
                fields: vec![field("state", json!("open"), json!("closed"))],
                number: Some(i.number),
                applied: None,
            })
            .collect();
        gone.sort_by_key(|c| c.number);
        check_share("issues", gone.len(), open.len(), force)?;
        changes.extend(gone);
    }

    // Stable order: by kind of object, then as generated.
    changes.sort_by_key(|c| c.target.rank());

    let count = |a: &[Action]| changes.iter().filter(|c| a.contains(&c.action)).count();
    let mut needs_approval = Vec::new();
    let approvals = lower_set(
        &config
            .governance_rules
            .compliance_requirements
            .approval_workflows,
    );
    if approvals.contains("epic_creation")
        && changes.iter().any(|c| {
            c.action == Action::Create
                && matches!(
                    c.target,
                    Target::Issue {
                        kind: IssueKind::Epic,
                        ..
                    }
                )
        })
    {
        needs_approval.push("epic_creation".to_string());
    }
    if approvals.contains("milestone_changes")
        && changes
            .iter()
            .any(|c| matches!(c.target, Target::Milestone { .. }))
    {
        needs_approval.push("milestone_changes".to_string());
    }
    let mut warnings = desired.report.problems.clone();
    for (key, number) in &current.duplicates {
        warnings.push(Problem::warning(
            Document::Spec,
            key.clone(),
            "duplicate_issue",
            format!(
                "issue #{number} carries the key {key} too; the oldest issue is the one governed"
            ),
            format!("close #{number} as a duplicate, or remove its ghgov:key marker"),
        ));
    }
    Ok(Plan {
        repository: desired.repository.clone(),
        to_add: count(&[Action::Create]),
        to_change: count(&[Action::Update]),
        to_destroy: count(&[Action::Delete, Action::Close]),
        unchanged,
        changes,
        warnings,
        needs_approval,
        drift,
        generation_metadata: None,
    })
}

fn push_update(
    changes: &mut Vec<Change>,
    unchanged: &mut usize,
    target: Target,
    fields: Vec<FieldChange>,
    number: Option<i64>,
) {
    if fields.is_empty() {
        *unchanged += 1;
    } else {
        changes.push(Change {
            target,
            action: Action::Update,
            fields,
            number,
            applied: None,
        });
    }
}

fn kind_of_key(key: &str) -> IssueKind {
    match key.split('/').next() {
        Some("epic") => IssueKind::Epic,
        Some("feature") => IssueKind::Feature,
        _ => IssueKind::Task,
    }
}

fn check_share(
    kind: &str,
    removed: usize,
    existing: usize,
    force: bool,
) -> Result<(), RemovalRefused> {
    if force || removed == 0 || (removed as f64) <= MAX_REMOVAL_SHARE * existing as f64 {
        return Ok(());
    }
    Err(RemovalRefused {
        kind: kind.into(),
        removed,
        existing,
        pct: (MAX_REMOVAL_SHARE * 100.0) as u32,
    })
}
