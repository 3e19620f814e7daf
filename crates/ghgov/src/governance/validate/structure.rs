//! Rules on the specification alone: keys and titles, dependencies between epics, durations
//! and dates. They need no configuration, so they run even when it is broken.

use super::limits;
use super::rules::{duration_problem, epic_path, feature_path, features, spec_error, task_path};
use super::text::{clip, is_key_char, list, suggest_key};
use crate::governance::problems::{field, index, Document, Problem, Report};
use crate::governance::spec::{ProjectSpec, TaskEntry};
use std::collections::HashMap;

pub(super) fn spec_rules(s: &ProjectSpec, r: &mut Report) {
    keys(s, r);
    limits::sub_issue_counts(s, r);
    dependencies(s, r);
    spec_durations(s, r);
    start_date(s, r);
    limits::spec_labels(s, r);
    limits::milestone_mappings(s, r);
}

fn key_problems(
    r: &mut Report,
    path: String,
    what: &str,
    key: &str,
    first: &mut HashMap<String, String>,
    scope: &str,
) {
    if key.trim().is_empty() {
        r.push(spec_error(
            path,
            "empty_key",
            format!("the {what} key is empty"),
            "give it a short unique key such as `api-gateway`; keys tie issues to the specification".into(),
        ));
        return;
    }
    if let Some(bad) = key.chars().find(|c| !is_key_char(*c)) {
        r.push(spec_error(
            path.clone(),
            "invalid_key",
            format!("the {what} key `{}` contains {bad:?}", clip(key, 60)),
            format!(
                "keys go into issue markers and URLs: use only letters, digits, '.', '_' and '-', e.g. `{}`",
                suggest_key(key)
            ),
        ));
    }
    match first.get(key) {
        Some(f) => r.push(spec_error(
            path,
            "duplicate_key",
            format!("the {what} key `{}` is used twice{scope}", clip(key, 60)),
            format!("first used at {f}; each {what} needs its own key"),
        )),
        None => {
            first.insert(key.to_string(), path);
        }
    }
}

fn title_problem(r: &mut Report, path: String, what: &str, title: &str) {
    if title.trim().is_empty() {
        r.push(spec_error(
            path,
            "empty_title",
            format!("the {what} title is empty"),
            format!("give the {what} a title; it becomes the issue title"),
        ));
    }
}

fn keys(s: &ProjectSpec, r: &mut Report) {
    let mut epics = HashMap::new();
    let mut features = HashMap::new();
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        let at = epic_path(i);
        key_problems(
            r,
            field(&at, "epic_key"),
            "epic",
            &e.epic_key,
            &mut epics,
            "",
        );
        title_problem(r, field(&at, "epic_title"), "epic", &e.epic_title);
        for (j, f) in e.feature_breakdown.iter().enumerate() {
            let at = feature_path(i, j);
            key_problems(
                r,
                field(&at, "feature_key"),
                "feature",
                &f.feature_key,
                &mut features,
                "",
            );
            title_problem(r, field(&at, "feature_title"), "feature", &f.feature_title);
            let mut tasks = HashMap::new();
            for (k, t) in f.task_breakdown.iter().enumerate() {
                let at = task_path(i, j, k);
                let (path, def) = match t {
                    TaskEntry::Key(_) => (at.clone(), t.to_def()),
                    TaskEntry::Full(d) => (field(&at, "task_key"), d.clone()),
                };
                key_problems(
                    r,
                    path,
                    "task",
                    &def.task_key,
                    &mut tasks,
                    " in this feature",
                );
                if let Some(title) = &def.title {
                    title_problem(r, field(&at, "title"), "task", title);
                }
            }
        }
    }
}

fn dependencies(s: &ProjectSpec, r: &mut Report) {
    let scope = &s.project_scope;
    let mut position: HashMap<&str, usize> = HashMap::new();
    for e in &scope.epic_definitions {
        let next = position.len();
        position.entry(e.epic_key.as_str()).or_insert(next);
    }
    let keys: Vec<&str> = {
        let mut k: Vec<(&str, usize)> = position.iter().map(|(k, v)| (*k, *v)).collect();
        k.sort_by_key(|(_, v)| *v);
        k.into_iter().map(|(k, _)| k).collect()
    };
    // Valid edges: dependent waits for dependency, each with the entry that declared it.
    let mut waits_for: Vec<Vec<(usize, usize)>> = vec![Vec::new(); keys.len()];
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    for (n, d) in scope.cross_epic_dependencies.iter().enumerate() {
        let at = index("project_scope.cross_epic_dependencies", n);
        let mut known = |name: &str, which: &str| -> Option<usize> {
            let found = position.get(name).copied();
            if found.is_none() {
                r.push(spec_error(
                    field(&at, which),
                    "unknown_epic",
                    format!("no epic has the key `{}`", clip(name, 60)),
                    format!("epic keys: {}", list(&keys)),
                ));
            }
            found
        };
        let (from, to) = (
            known(&d.dependent_epic, "dependent_epic"),
            known(&d.dependency_epic, "dependency_epic"),
        );
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            r.push(spec_error(
                at,
                "self_dependency",
                format!("epic `{}` depends on itself", keys[from]),
                "remove this entry; an epic cannot wait for itself".into(),
            ));
            continue;
        }
        if let Some(first) = seen.get(&(from, to)) {
            r.push(Problem::warning(
                Document::Spec,
                at,
                "duplicate_dependency",
                format!("`{}` already waits for `{}`", keys[from], keys[to]),
                format!(
                    "remove this entry; the first is {}",
                    index("project_scope.cross_epic_dependencies", *first)
                ),
            ));
            continue;
        }
        seen.insert((from, to), n);
        waits_for[from].push((to, n));
    }
    cycles(&keys, &waits_for, r);
    limits::dependency_counts(&keys, &waits_for, r);
}

/// Each cycle closed by a dependency entry, reported at that entry. Iterative, so a long
/// chain of epics cannot exhaust the stack.
fn cycles(keys: &[&str], waits_for: &[Vec<(usize, usize)>], r: &mut Report) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; keys.len()];
    for root in 0..keys.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // (epic, next edge to follow); the stack is the current path.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&(to, entry)) = waits_for[node].get(*next) else {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            match mark[to] {
                Mark::New => {
                    mark[to] = Mark::Open;
                    stack.push((to, 0));
                }
                Mark::Open => {
                    let start = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                    let mut names: Vec<&str> =
                        stack[start..].iter().map(|(n, _)| keys[*n]).collect();
                    names.push(keys[to]);
                    let names = shorten_cycle(names);
                    r.push(spec_error(
                        index("project_scope.cross_epic_dependencies", entry),
                        "dependency_cycle",
                        format!("epics wait for each other in a cycle: {}", names.join(" → ")),
                        "remove one of these dependencies (→ reads \"waits for\"); as it stands none of these epics can ever start".into(),
                    ));
                }
                Mark::Done => {}
            }
        }
    }
}

/// A cycle through hundreds of epics is still one message: its two ends, and a count.
fn shorten_cycle(names: Vec<&str>) -> Vec<String> {
    const END: usize = 5;
    if names.len() <= 2 * END + 2 {
        return names.into_iter().map(String::from).collect();
    }
    let hidden = names.len() - 2 * END;
    let mut out: Vec<String> = names[..END].iter().map(|s| s.to_string()).collect();
    out.push(format!("… ({hidden} more) …"));
    out.extend(names[names.len() - END..].iter().map(|s| s.to_string()));
    out
}

fn spec_durations(s: &ProjectSpec, r: &mut Report) {
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        if let Some(p) = e.estimated_duration.as_deref().and_then(|v| {
            duration_problem(
                Document::Spec,
                field(&epic_path(i), "estimated_duration"),
                v,
            )
        }) {
            r.push(p);
        }
    }
    for (i, j, _, f) in features(s) {
        if let Some(p) = f.estimated_effort.as_deref().and_then(|v| {
            duration_problem(
                Document::Spec,
                field(&feature_path(i, j), "estimated_effort"),
                v,
            )
        }) {
            r.push(p);
        }
    }
}

fn start_date(s: &ProjectSpec, r: &mut Report) {
    if let Some(d) = &s.project_scope.start_date {
        if chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").is_err() {
            r.push(spec_error(
                "project_scope.start_date".into(),
                "invalid_date",
                format!("`{}` is not a date", clip(d, 40)),
                "write the day as YYYY-MM-DD, e.g. \"2025-01-06\"".into(),
            ));
        }
    }
}
