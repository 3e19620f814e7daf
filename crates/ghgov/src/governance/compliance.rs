//! Compliance: how well the governed issues of a repository follow the configuration.
//! Each issue is checked for its required labels, its documentation sections, its place in
//! the hierarchy and an agent; each violation comes with a link and a suggested fix.

use super::config::GovernanceConfig;
use super::current::{self, CurrentIssue, CurrentState};
use super::desired::{section_title, IssueKind, PLACEHOLDER};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// An issue that breaks a rule, with a link and a suggested fix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Violation {
    pub issue: i64,
    pub key: String,
    pub url: Option<String>,
    /// `labels`, `sections`, `hierarchy`, `agent`.
    pub rule: String,
    pub message: String,
    pub fix: String,
}

/// How many governed issues pass a rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleShare {
    pub passing: usize,
    pub total: usize,
    pub share: f64,
}

/// Compliance of a repository's governed issues: shares per rule, and the violations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub repository: String,
    pub governed_issues: usize,
    pub compliant_issues: usize,
    /// Share of governed issues that pass every rule (1.0 when there are none).
    pub compliance: f64,
    pub rules: BTreeMap<String, RuleShare>,
    pub violations: Vec<Violation>,
    /// Status changes seen on GitHub that the repository's workflow does not allow
    /// (`tracking.transitions`), oldest first: recorded, never reverted. Any issue of the
    /// repository, governed or not.
    pub workflow_violations: Vec<WorkflowViolation>,
    /// Issues whose sub-issues GitHub counts (`sub_issues_summary`: total, completed)
    /// differently from the mirror's children (all, closed), at most 100: a lost webhook, a
    /// sub-issue in a repository not mirrored, or a summary GitHub has not refreshed yet.
    pub summary_mismatch: Vec<SummaryMismatch>,
}

/// An issue whose sub-issue counts disagree between GitHub and the mirror.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SummaryMismatch {
    pub issue: i64,
    pub number: i64,
    pub github_total: i64,
    pub github_completed: i64,
    pub mirror_total: i64,
    pub mirror_closed: i64,
}

/// A status change the workflow does not allow, as its history recorded it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkflowViolation {
    /// The history entry's id.
    pub id: i64,
    /// The issue's id.
    pub issue: i64,
    /// Null once the issue left the mirror.
    pub number: Option<i64>,
    pub url: Option<String>,
    /// Null for a first observation (never a violation, so never null here in practice).
    pub from: Option<String>,
    pub to: String,
    pub at: String,
    pub actor: Option<String>,
    /// `webhook`, `sync`, `api` or `apply`.
    pub source: String,
    pub correlation_id: Option<String>,
}

fn kind_of(key: &str) -> Option<IssueKind> {
    match key.split('/').next()? {
        "epic" => Some(IssueKind::Epic),
        "feature" => Some(IssueKind::Feature),
        "task" => Some(IssueKind::Task),
        _ => None,
    }
}

/// The text under a `## Title` heading, up to the next heading.
fn section<'a>(body: &'a str, title: &str) -> Option<&'a str> {
    let mut lines = body.lines();
    let mut start = None;
    let mut offset = 0;
    for line in lines.by_ref() {
        let t = line.trim_start_matches('#').trim();
        if line.starts_with('#') && t.eq_ignore_ascii_case(title) {
            start = Some(offset + line.len() + 1);
            break;
        }
        offset += line.len() + 1;
    }
    let start = start?.min(body.len());
    let rest = &body[start..];
    let end = rest
        .lines()
        .scan(0usize, |pos, l| {
            let at = *pos;
            *pos += l.len() + 1;
            Some((at, l))
        })
        .find(|(_, l)| l.starts_with('#'))
        .map_or(rest.len(), |(at, _)| at);
    Some(rest[..end].trim())
}

fn has_label(issue: &CurrentIssue, name: &str) -> bool {
    issue.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// Checks every governed issue of `state` against `config`.
pub fn assess(
    repository: &str,
    state: &CurrentState,
    config: &GovernanceConfig,
) -> ComplianceReport {
    let labels = &config.label_configuration;
    let kind_label = |k: IssueKind| -> String {
        let renamed = match k {
            IssueKind::Epic => labels.epic_label.as_ref(),
            IssueKind::Feature => labels.feature_label.as_ref(),
            IssueKind::Task => labels.task_label.as_ref(),
        }
        .and_then(|s| s.name.clone());
        renamed.unwrap_or_else(|| k.as_str().to_string())
    };
    let required = &config
        .governance_rules
        .compliance_requirements
        .required_documentation;
    let agents: Vec<&String> = config.agent_service_mappings.keys().collect();
    let mut rules: BTreeMap<String, RuleShare> = ["labels", "sections", "hierarchy", "agent"]
        .iter()
        .map(|r| {
            (
                r.to_string(),
                RuleShare {
                    passing: 0,
                    total: 0,
                    share: 1.0,
                },
            )
        })
        .collect();
    let mut violations = Vec::new();
    let mut compliant = 0;
    let mut keys: Vec<(&String, &CurrentIssue)> = state.issues.iter().collect();
    keys.sort_by_key(|(_, i)| i.number);
    let by_id: BTreeMap<i64, &String> = state.issues.iter().map(|(k, i)| (i.id, k)).collect();
    for (key, issue) in &keys {
        let Some(kind) = kind_of(key) else { continue };
        let mut ok = true;
        let mut check = |rule: &str, pass: bool, message: String, fix: String| {
            let r = rules.get_mut(rule).expect("known rule");
            r.total += 1;
            if pass {
                r.passing += 1;
            } else {
                ok = false;
                violations.push(Violation {
                    issue: issue.number,
                    key: (*key).clone(),
                    url: issue.html_url.clone(),
                    rule: rule.into(),
                    message,
                    fix,
                });
            }
        };

        // Labels: the kind (as an issue type or a label) and a priority.
        let typed = issue
            .issue_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(kind.type_name()));
        let kind_ok = typed || has_label(issue, &kind_label(kind));
        let priority_ok = issue
            .labels
            .iter()
            .any(|l| l.to_lowercase().starts_with("priority:"));
        let mut missing = Vec::new();
        if !kind_ok {
            missing.push(format!(
                "the {} issue type or the '{}' label",
                kind.type_name(),
                kind_label(kind)
            ));
        }
        if !priority_ok {
            missing.push("a priority:* label".to_string());
        }
        check(
            "labels",
            missing.is_empty(),
            format!("#{} lacks {}", issue.number, missing.join(" and ")),
            "add them on GitHub (`ghgov apply` adds labels the specification newly asks for, but never puts back one a person removed)".into(),
        );

        // Sections: each required one present and written.
        let empty: Vec<String> = required
            .iter()
            .filter(|name| {
                section(&issue.body, &section_title(name))
                    .is_none_or(|s| s.is_empty() || s.starts_with(PLACEHOLDER))
            })
            .map(|n| section_title(n))
            .collect();
        check(
            "sections",
            empty.is_empty(),
            format!("#{} has no written {}", issue.number, empty.join(", ")),
            format!(
                "fill {} for {key} in the specification and apply it",
                empty
                    .iter()
                    .map(|s| s.to_lowercase().replace(' ', "_"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );

        // Hierarchy: epics at the top, features under epics, tasks under features.
        let parent_key = issue
            .parent_id
            .and_then(|p| by_id.get(&p).map(|k| k.as_str()));
        let parent_kind = parent_key.and_then(kind_of);
        let (pass, expected) = match kind {
            IssueKind::Epic => (issue.parent_id.is_none(), "no parent"),
            IssueKind::Feature => (parent_kind == Some(IssueKind::Epic), "an epic as parent"),
            IssueKind::Task => (
                parent_kind == Some(IssueKind::Feature),
                "a feature as parent",
            ),
        };
        check(
            "hierarchy",
            pass,
            format!(
                "#{} is a {} and should have {expected}; its parent is {}",
                issue.number,
                kind.as_str(),
                parent_key.map_or_else(
                    || issue
                        .parent_id
                        .map_or("none".into(), |_| "an ungoverned issue".into()),
                    |k| k.to_string()
                )
            ),
            "run `ghgov apply` to restore the sub-issue links".into(),
        );

        // Agent: features and tasks carry one.
        if kind != IssueKind::Epic {
            let has_agent = agents.iter().any(|a| has_label(issue, a));
            check(
                "agent",
                has_agent,
                format!("#{} has no agent label", issue.number),
                "raise the agents' max_concurrent_tasks or add a capable agent, then apply; or label it agent:… by hand".into(),
            );
        }
        if ok {
            compliant += 1;
        }
    }
    for r in rules.values_mut() {
        r.share = if r.total == 0 {
            1.0
        } else {
            r.passing as f64 / r.total as f64
        };
    }
    let governed = keys.iter().filter(|(k, _)| kind_of(k).is_some()).count();
    ComplianceReport {
        repository: repository.to_string(),
        governed_issues: governed,
        compliant_issues: compliant,
        compliance: if governed == 0 {
            1.0
        } else {
            compliant as f64 / governed as f64
        },
        rules,
        violations,
        workflow_violations: Vec::new(),
        summary_mismatch: Vec::new(),
    }
}

/// Reads the mirror and assesses it, with the workflow violations its status history
/// recorded.
pub async fn report(
    store: &Store,
    repository: &str,
    config: &GovernanceConfig,
) -> anyhow::Result<ComplianceReport> {
    let state = current::read(store, repository, &[], &[]).await?;
    let mut report = assess(repository, &state, config);
    report.workflow_violations = store
        .status_violations(&repository.to_ascii_lowercase())
        .await?
        .into_iter()
        .map(|v| WorkflowViolation {
            id: v.id,
            issue: v.issue_id,
            number: v.number,
            url: v.html_url,
            from: v.from_status,
            to: v.to_status,
            at: v.at,
            actor: v.actor,
            source: v.source,
            correlation_id: v.correlation_id,
        })
        .collect();
    if let Ok(name) = crate::mirror::RepoName::parse(repository) {
        report.summary_mismatch = store
            .summary_mismatches(&name, 100)
            .await?
            .into_iter()
            .map(|m| SummaryMismatch {
                issue: m.id,
                number: m.number,
                github_total: m.sub_issues_total,
                github_completed: m.sub_issues_completed,
                mirror_total: m.children_total,
                mirror_closed: m.children_closed,
            })
            .collect();
    }
    Ok(report)
}

impl ComplianceReport {
    pub fn render(&self) -> String {
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        let mut out = format!(
            "Compliance of {}: {} of {} governed issues compliant ({})\n",
            self.repository,
            self.compliant_issues,
            self.governed_issues,
            pct(self.compliance)
        );
        for (rule, r) in &self.rules {
            out.push_str(&format!(
                "  {rule:<10} {:>6}  ({} of {})\n",
                pct(r.share),
                r.passing,
                r.total
            ));
        }
        if !self.violations.is_empty() {
            out.push_str(&format!("\nViolations ({}):\n", self.violations.len()));
            for v in &self.violations {
                out.push_str(&format!(
                    "  [{}] {} ({})\n    {}\n    fix: {}\n",
                    v.rule,
                    v.url.clone().unwrap_or_else(|| format!("#{}", v.issue)),
                    v.key,
                    v.message,
                    v.fix
                ));
            }
        }
        if !self.workflow_violations.is_empty() {
            out.push_str(&format!(
                "\nWorkflow violations ({}):\n",
                self.workflow_violations.len()
            ));
            for v in &self.workflow_violations {
                out.push_str(&format!(
                    "  {} {} → {} at {} by {} ({})\n",
                    v.url
                        .clone()
                        .unwrap_or_else(|| format!("issue {}", v.issue)),
                    v.from.as_deref().unwrap_or("(none)"),
                    v.to,
                    v.at,
                    v.actor.as_deref().unwrap_or("unknown"),
                    v.source
                ));
            }
        }
        if !self.summary_mismatch.is_empty() {
            out.push_str(&format!(
                "\nSub-issue counts GitHub reports differently ({}):\n",
                self.summary_mismatch.len()
            ));
            for m in &self.summary_mismatch {
                out.push_str(&format!(
                    "  #{}: GitHub {} of {} completed, mirror {} of {} closed\n",
                    m.number, m.github_completed, m.github_total, m.mirror_closed, m.mirror_total
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_found_up_to_the_next_heading() {
        let body = "<!-- x -->\nIntro\n\n## Acceptance criteria\n- works\n\n## Technical specs\n_To be written: add it_\n";
        assert_eq!(section(body, "Acceptance criteria"), Some("- works"));
        assert_eq!(
            section(body, "Technical specs"),
            Some("_To be written: add it_")
        );
        assert_eq!(section(body, "Success criteria"), None);
    }
}
