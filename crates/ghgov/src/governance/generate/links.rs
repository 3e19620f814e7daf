//! Links between issues: sub-issues (epic → feature, feature → task) and the epics'
//! dependencies on one another.

use crate::governance::desired::{epic_key, DependencyLink, DesiredIssue, SubIssueLink};
use crate::governance::problems::{field, index, Document, Problem, Report};
use crate::governance::spec::ProjectSpec;

/// Every parent/child pair, in issue order: so epic → feature links come first and each
/// parent's children are in specification order.
pub(super) fn sub_issues(issues: &[DesiredIssue]) -> Vec<SubIssueLink> {
    issues
        .iter()
        .filter_map(|issue| {
            Some(SubIssueLink {
                parent: issue.parent.clone()?,
                child: issue.key.clone(),
            })
        })
        .collect()
}

/// `cross_epic_dependencies` between epics that exist; `blocks` and `depends_on` both mean
/// the dependent epic waits for the dependency epic.
pub(super) fn dependencies(
    spec: &ProjectSpec,
    issues: &[DesiredIssue],
    report: &mut Report,
) -> Vec<DependencyLink> {
    let base = field(&field("", "project_scope"), "cross_epic_dependencies");
    let mut links: Vec<DependencyLink> = Vec::new();
    for (i, dependency) in spec
        .project_scope
        .cross_epic_dependencies
        .iter()
        .enumerate()
    {
        let path = index(&base, i);
        let blocked = epic_key(dependency.dependent_epic.trim());
        let blocking = epic_key(dependency.dependency_epic.trim());
        let unknown: Vec<(&str, &String)> =
            [("dependent_epic", &blocked), ("dependency_epic", &blocking)]
                .into_iter()
                .filter(|(_, key)| !issues.iter().any(|issue| &issue.key == *key))
                .collect();
        for (name, key) in &unknown {
            report.push(Problem::warning(
                Document::Spec,
                field(&path, name),
                "unknown_epic",
                format!("{key} is not an epic of this specification; the dependency is left out"),
                "use the epic_key of an epic in project_scope.epic_definitions",
            ));
        }
        if !unknown.is_empty() {
            continue;
        }
        if blocked == blocking {
            report.push(Problem::warning(
                Document::Spec,
                path,
                "self_dependency",
                format!("{blocked} cannot wait for itself; the dependency is left out"),
                "name two different epics",
            ));
            continue;
        }
        if links
            .iter()
            .any(|l| l.blocked == blocked && l.blocking == blocking)
        {
            continue;
        }
        links.push(DependencyLink {
            blocked,
            blocking,
            reason: dependency
                .dependency_reason
                .as_ref()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
        });
    }
    links
}
