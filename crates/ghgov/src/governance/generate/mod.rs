//! Generation: a specification under a configuration becomes the desired state — issues
//! with titles, bodies, labels, milestones and agents, the labels and milestones they need,
//! and the links between them.
//!
//! Pure and deterministic (the same inputs give the same state, so plans diff cleanly), and
//! it never fails: validation runs first, and whatever odd input still gets here falls back
//! to defaults with a warning in the state's report.

mod agents;
mod body;
pub(crate) use body::estimate_in_body;
mod issues;
mod labels;
mod links;
mod milestones;
mod placeholders;
mod templates;
mod tree;

#[cfg(test)]
mod tests;

use super::config::GovernanceConfig;
use super::desired::{DesiredIssue, DesiredState};
use super::problems::{Document, Problem, Report};
use super::spec::ProjectSpec;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// What generation needs from GitHub and the mirror.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The organization's issue type names.
    pub issue_types: Vec<String>,
    /// Agent label name → open issues carrying it, not counting this specification's own.
    pub agent_load: BTreeMap<String, u32>,
    /// Milestone due dates count from here when the specification has no start date.
    pub today: NaiveDate,
}

pub fn generate(spec: &ProjectSpec, config: &GovernanceConfig, ctx: &Context) -> DesiredState {
    let mut report = Report::default();
    let start = Start::resolve(spec, ctx.today, &mut report);
    let items = tree::walk(spec, &mut report);
    let milestone_plan = milestones::plan(&items, config, &start, &mut report);
    let assignees = agents::assign_agents(&items, config, &ctx.agent_load, &mut report);
    let label_rules = labels::LabelRules::new(config, spec);
    let inputs = issues::Inputs {
        config,
        ctx,
        start: &start,
        milestones: &milestone_plan.by_epic,
        assignees: &assignees,
        labels: &label_rules,
    };
    let mut issues: Vec<DesiredIssue> = items
        .iter()
        .map(|item| issues::build(item, &inputs, &mut report))
        .collect();
    let labels = label_rules.collect(&mut issues, &mut report);
    DesiredState {
        repository: format!("{}/{}", spec.organization.trim(), spec.repository.trim()),
        labels,
        milestones: milestone_plan.milestones,
        sub_issues: links::sub_issues(&issues),
        dependencies: links::dependencies(spec, &issues, &mut report),
        issues,
        report: without_repeats(report),
    }
}

/// The day milestone due dates count from.
struct Start {
    date: NaiveDate,
    /// Whether the date comes from the specification (rather than today), so that the
    /// due dates it gives are meant exactly.
    authoritative: bool,
}

impl Start {
    fn resolve(spec: &ProjectSpec, today: NaiveDate, report: &mut Report) -> Start {
        let Some(written) = spec.project_scope.start_date.as_deref() else {
            return Start {
                date: today,
                authoritative: false,
            };
        };
        match NaiveDate::parse_from_str(written.trim(), "%Y-%m-%d") {
            Ok(date) => Start {
                date,
                authoritative: true,
            },
            Err(_) => {
                report.push(Problem::warning(
                    Document::Spec,
                    "project_scope.start_date",
                    "start_date",
                    format!("cannot read {written:?} as a date; due dates count from today"),
                    "write the date as YYYY-MM-DD",
                ));
                Start {
                    date: today,
                    authoritative: false,
                }
            }
        }
    }
}

/// A template or rule shared by many items would otherwise repeat the same warning.
fn without_repeats(report: Report) -> Report {
    let mut seen = BTreeSet::new();
    let problems = report
        .problems
        .into_iter()
        .filter(|p| {
            seen.insert((
                p.severity,
                p.document,
                p.path.clone(),
                p.code.clone(),
                p.message.clone(),
                p.hint.clone(),
            ))
        })
        .collect();
    Report { problems }
}
