//! Milestones: one per epic (its `milestone_mapping`, else the naming pattern when
//! `auto_milestone_creation` is on), shared by its features and tasks. Epics naming the
//! same milestone share one, due when the last of them is.

use super::placeholders::{fill, values_for};
use super::tree::{non_blank, Item};
use super::Start;
use crate::governance::config::GovernanceConfig;
use crate::governance::desired::{DesiredMilestone, IssueKind};
use crate::governance::problems::{field, Document, Problem, Report};
use crate::governance::validate::parse_duration;
use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;

const POLICIES: &str = "governance_rules.epic_generation_rules.milestone_policies";
const DEFAULT_PATTERN: &str = "{epic_title}";

pub(super) struct MilestonePlan {
    pub milestones: Vec<DesiredMilestone>,
    /// Epic issue key → the title of its milestone.
    pub by_epic: BTreeMap<String, String>,
}

struct Shared {
    title: String,
    epic_titles: Vec<String>,
    due: Option<NaiveDate>,
}

pub(super) fn plan(
    items: &[Item],
    config: &GovernanceConfig,
    start: &Start,
    report: &mut Report,
) -> MilestonePlan {
    let mut shared: Vec<Shared> = Vec::new();
    let mut by_epic = BTreeMap::new();
    for epic in items.iter().filter(|i| i.kind == IssueKind::Epic) {
        let Some(title) = title_for(epic, config, start, report) else {
            continue;
        };
        let due = due_date(epic, config, start, report);
        // GitHub compares milestone titles ignoring case: the first spelling names it.
        let index = match shared
            .iter()
            .position(|s| s.title.to_lowercase() == title.to_lowercase())
        {
            Some(i) => i,
            None => {
                shared.push(Shared {
                    title,
                    epic_titles: Vec::new(),
                    due: None,
                });
                shared.len() - 1
            }
        };
        let milestone = &mut shared[index];
        milestone.epic_titles.push(epic.epic.epic_title.clone());
        milestone.due = milestone.due.max(due);
        by_epic.insert(epic.key.clone(), milestone.title.clone());
    }
    let milestones = shared
        .into_iter()
        .map(|s| DesiredMilestone {
            description: Some(format!(
                "Delivery of {}: {}",
                if s.epic_titles.len() == 1 {
                    "epic"
                } else {
                    "epics"
                },
                s.epic_titles.join(", ")
            )),
            due_on: s.due.map(|d| d.format("%Y-%m-%d").to_string()),
            // Without a due date there is nothing to insist on: a date someone set on
            // GitHub stays.
            due_on_authoritative: start.authoritative && s.due.is_some(),
            title: s.title,
        })
        .collect();
    MilestonePlan {
        milestones,
        by_epic,
    }
}

fn title_for(
    epic: &Item,
    config: &GovernanceConfig,
    start: &Start,
    report: &mut Report,
) -> Option<String> {
    if let Some(mapped) = non_blank(epic.epic.milestone_mapping.as_deref()) {
        return Some(mapped.trim().to_string());
    }
    let policies = &config
        .governance_rules
        .epic_generation_rules
        .milestone_policies;
    if !policies.auto_milestone_creation {
        return None;
    }
    let pattern =
        non_blank(policies.milestone_naming_pattern.as_deref()).unwrap_or(DEFAULT_PATTERN);
    let (title, unfilled) = fill(pattern, &values_for(epic, start));
    for name in unfilled {
        report.push(Problem::warning(
            Document::Config,
            field(POLICIES, "milestone_naming_pattern"),
            "unfilled_placeholder",
            format!("the milestone naming pattern uses {{{name}}}, which epics do not provide"),
            "use {quarter}, {year}, {epic_name}, {epic_title}, {epic_key}, {category}, or a name from the epic's variables",
        ));
    }
    let title = title.trim().to_string();
    Some(if title.is_empty() {
        epic.epic.epic_title.trim().to_string()
    } else {
        title
    })
    .filter(|t| !t.is_empty())
}

/// The start date plus the epic's duration (its own, else the default); none without a
/// readable duration.
fn due_date(
    epic: &Item,
    config: &GovernanceConfig,
    start: &Start,
    report: &mut Report,
) -> Option<NaiveDate> {
    let policies = &config
        .governance_rules
        .epic_generation_rules
        .milestone_policies;
    let (duration, document, path) = match non_blank(epic.epic.estimated_duration.as_deref()) {
        Some(own) => (
            own,
            Document::Spec,
            field(&epic.spec_path, "estimated_duration"),
        ),
        None => (
            non_blank(policies.default_duration.as_deref())?,
            Document::Config,
            field(POLICIES, "default_duration"),
        ),
    };
    // Whole days, rounded up: "36 hours" is due on the second day.
    let due = parse_duration(duration)
        .and_then(|d| u64::try_from((d.num_seconds() + 86_399) / 86_400).ok())
        .and_then(|days| start.date.checked_add_days(Days::new(days)));
    if due.is_none() {
        report.push(Problem::warning(
            document,
            path,
            "duration",
            format!("cannot read {duration:?} as a duration; the milestone gets no due date"),
            "write a duration such as \"3 months\", \"2-3 weeks\" or \"10 days\"",
        ));
    }
    due
}
