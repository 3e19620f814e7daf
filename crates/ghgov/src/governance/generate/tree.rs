//! The specification flattened into the issues it asks for, each with what it needs from
//! its ancestors. Epics come first, then features, then tasks (each in specification
//! order), so that a parent is always created before its children.

use crate::governance::desired::{epic_key, feature_key, task_key, IssueKind};
use crate::governance::problems::{field, index, Document, Problem, Report};
use crate::governance::spec::{title_from_key, EpicDef, FeatureDef, ProjectSpec, TaskDef};
use std::collections::BTreeSet;

pub(super) struct Item<'s> {
    pub kind: IssueKind,
    pub key: String,
    /// `project_scope.epic_definitions[0].feature_breakdown[1]`, for messages.
    pub spec_path: String,
    pub parent: Option<String>,
    /// The item's epic (an epic's is itself).
    pub epic: &'s EpicDef,
    /// The item's feature (a feature's is itself); `None` for an epic.
    pub feature: Option<&'s FeatureDef>,
    pub task: Option<TaskDef>,
    /// Position in the specification read top to bottom (an epic, its features and their
    /// tasks): breaks ties between equally urgent work when agents are assigned.
    pub position: usize,
}

impl Item<'_> {
    /// The title the specification gives the item itself.
    pub fn spec_title(&self) -> String {
        match (&self.task, self.feature) {
            (Some(task), _) => task
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| title_from_key(&task.task_key)),
            (None, Some(feature)) => feature.feature_title.clone(),
            (None, None) => self.epic.epic_title.clone(),
        }
    }

    /// The item's own priority, else its epic's; lower case.
    pub fn priority(&self) -> Option<String> {
        let own = match self.kind {
            IssueKind::Epic => None,
            IssueKind::Feature => self.feature.and_then(|f| f.priority.as_deref()),
            IssueKind::Task => self.task.as_ref().and_then(|t| t.priority.as_deref()),
        };
        normalized(own).or_else(|| normalized(self.epic.priority.as_deref()))
    }

    /// The capability a feature or task needs beyond its epic's category: its own, else
    /// (for a task) its feature's.
    pub fn required_capability(&self) -> Option<&str> {
        let task = self
            .task
            .as_ref()
            .and_then(|t| t.required_capability.as_deref());
        let feature = self.feature.and_then(|f| f.required_capability.as_deref());
        non_blank(task).or_else(|| non_blank(feature))
    }

    /// `assigned_agent` as written for a feature or task.
    pub fn explicit_agent(&self) -> Option<&str> {
        let written = match self.kind {
            IssueKind::Epic => None,
            IssueKind::Feature => self.feature.and_then(|f| f.assigned_agent.as_deref()),
            IssueKind::Task => self.task.as_ref().and_then(|t| t.assigned_agent.as_deref()),
        };
        non_blank(written).map(str::trim)
    }
}

fn normalized(priority: Option<&str>) -> Option<String> {
    non_blank(priority).map(|p| p.trim().to_lowercase())
}

pub(super) fn non_blank(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

pub(super) fn walk<'s>(spec: &'s ProjectSpec, report: &mut Report) -> Vec<Item<'s>> {
    let mut epics = Vec::new();
    let mut features = Vec::new();
    let mut tasks = Vec::new();
    let mut seen = BTreeSet::new();
    let mut position = 0;
    let epics_path = field(&field("", "project_scope"), "epic_definitions");
    for (e, epic) in spec.project_scope.epic_definitions.iter().enumerate() {
        let epic_path = index(&epics_path, e);
        let epic_issue = epic_key(&epic.epic_key);
        if !first_use(&mut seen, &epic_issue, &epic_path, report) {
            continue;
        }
        epics.push(Item {
            kind: IssueKind::Epic,
            key: epic_issue.clone(),
            spec_path: epic_path.clone(),
            parent: None,
            epic,
            feature: None,
            task: None,
            position,
        });
        position += 1;
        for (f, feature) in epic.feature_breakdown.iter().enumerate() {
            let feature_path = index(&field(&epic_path, "feature_breakdown"), f);
            let feature_issue = feature_key(&feature.feature_key);
            if !first_use(&mut seen, &feature_issue, &feature_path, report) {
                continue;
            }
            features.push(Item {
                kind: IssueKind::Feature,
                key: feature_issue.clone(),
                spec_path: feature_path.clone(),
                parent: Some(epic_issue.clone()),
                epic,
                feature: Some(feature),
                task: None,
                position,
            });
            position += 1;
            for (t, entry) in feature.task_breakdown.iter().enumerate() {
                let task = entry.to_def();
                let task_path = index(&field(&feature_path, "task_breakdown"), t);
                let task_issue = task_key(&feature.feature_key, &task.task_key);
                if !first_use(&mut seen, &task_issue, &task_path, report) {
                    continue;
                }
                tasks.push(Item {
                    kind: IssueKind::Task,
                    key: task_issue,
                    spec_path: task_path,
                    parent: Some(feature_issue.clone()),
                    epic,
                    feature: Some(feature),
                    task: Some(task),
                    position,
                });
                position += 1;
            }
        }
    }
    epics.into_iter().chain(features).chain(tasks).collect()
}

/// Keys identify issues, so a repeated key would make two items fight over one issue: the
/// first wins, and the repeat (with everything under it) is left out.
fn first_use(seen: &mut BTreeSet<String>, key: &str, path: &str, report: &mut Report) -> bool {
    if seen.insert(key.to_string()) {
        return true;
    }
    report.push(Problem::warning(
        Document::Spec,
        path,
        "duplicate_key",
        format!("{key} is used more than once; only its first use is generated"),
        "give every epic and feature a unique key, and every task a key unique within its feature",
    ));
    false
}
