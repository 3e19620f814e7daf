//! What the mirror holds for a governed repository: its labels and milestones, the issues
//! that carry a specification key (by body marker, else by the key table), their links,
//! and how much open work each agent already carries.

use super::desired::{body_parts, key_in_body};
use super::plan::AppliedFields;
use crate::store::planning_reads::{GovernedIssueRow, LabelRow, MilestoneRow};
use crate::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};

pub type CurrentLabel = LabelRow;
pub type CurrentMilestone = MilestoneRow;

#[derive(Debug, Clone)]
pub struct CurrentIssue {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<String>,
    pub issue_type: Option<String>,
    pub parent_id: Option<i64>,
    pub blocked_by: Vec<i64>,
    pub html_url: Option<String>,
    /// What the last apply wrote to it (None for issues applied before ghgov kept that).
    pub applied: Option<AppliedFields>,
}

#[derive(Debug, Clone, Default)]
pub struct CurrentState {
    /// None when the repository was never synced.
    pub repository_id: Option<i64>,
    pub labels: Vec<CurrentLabel>,
    pub milestones: Vec<CurrentMilestone>,
    /// Governed issues by key.
    pub issues: HashMap<String, CurrentIssue>,
    /// Keys carried by more than one issue: the lowest number wins, the others are listed.
    pub duplicates: Vec<(String, i64)>,
    /// Open issues per agent label (lower case) and per assignee login (lower case).
    pub label_load: HashMap<String, HashSet<i64>>,
    pub assignee_load: HashMap<String, HashSet<i64>>,
}

impl CurrentState {
    pub fn label(&self, name: &str) -> Option<&CurrentLabel> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }
    pub fn milestone(&self, title: &str) -> Option<&CurrentMilestone> {
        self.milestones
            .iter()
            .find(|m| m.title.eq_ignore_ascii_case(title))
    }
    pub fn key_of(&self, id: i64) -> Option<&str> {
        self.issues
            .iter()
            .find(|(_, i)| i.id == id)
            .map(|(k, _)| k.as_str())
    }

    /// Open work each agent carries, not counting the issues of `own_keys` (the plan's
    /// own issues are assigned afresh, so counting them would make plans drift).
    pub fn agent_load(
        &self,
        agents: &[(String, Option<String>)],
        own_keys: &HashSet<&str>,
    ) -> BTreeMap<String, u32> {
        let own: HashSet<i64> = self
            .issues
            .iter()
            .filter(|(k, _)| own_keys.contains(k.as_str()))
            .map(|(_, i)| i.id)
            .collect();
        agents
            .iter()
            .map(|(name, login)| {
                let mut ids: HashSet<i64> = self
                    .label_load
                    .get(&name.to_lowercase())
                    .cloned()
                    .unwrap_or_default();
                if let Some(login) = login {
                    if let Some(a) = self.assignee_load.get(&login.to_lowercase()) {
                        ids.extend(a);
                    }
                }
                let n = ids.iter().filter(|id| !own.contains(id)).count();
                (name.clone(), n as u32)
            })
            .collect()
    }
}

/// What the journaled issue writes (oldest first) last set, field by field, per key: the
/// base of issues applied before `applied` records were kept. A body written then had no
/// markers, so all of it was generated; a milestone was sent as its number.
fn from_journal(
    requests: Vec<(String, serde_json::Value)>,
    milestones: &HashMap<i64, String>,
) -> HashMap<String, AppliedFields> {
    let mut out: HashMap<String, AppliedFields> = HashMap::new();
    let strings = |v: &serde_json::Value| -> Option<Vec<String>> {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
    };
    for (key, request) in requests {
        let entry = out.entry(key).or_default();
        if let Some(title) = request["title"].as_str() {
            entry.title = Some(title.to_string());
        }
        if let Some(body) = request["body"].as_str() {
            if let Some(generated) = body_parts(body).generated() {
                entry.body = Some(generated.to_string());
            }
        }
        if let Some(labels) = strings(&request["labels"]) {
            entry.labels = Some(labels);
        }
        if let Some(assignees) = strings(&request["assignees"]) {
            entry.assignees = Some(assignees);
        }
        if let Some(title) = request["milestone"]
            .as_i64()
            .and_then(|n| milestones.get(&n))
        {
            entry.milestone = Some(title.clone());
        }
    }
    out.retain(|_, a| a != &AppliedFields::default());
    out
}

/// Reads the governed part of `repository` from the mirror. `agent_labels` and
/// `agent_logins` name the labels and logins whose open work is counted.
pub async fn read(
    store: &Store,
    repository: &str,
    agent_labels: &[String],
    agent_logins: &[String],
) -> anyhow::Result<CurrentState> {
    let mut state = CurrentState::default();
    let repo_key = repository.to_ascii_lowercase();
    let Some(repo_id) = store.repository_id(&repo_key).await? else {
        return Ok(state);
    };
    state.repository_id = Some(repo_id);
    let reads = store.planning_reads();
    state.labels = reads.labels(repo_id).await?;
    state.milestones = reads.milestones(repo_id).await?;
    let milestone_titles: HashMap<i64, String> = state
        .milestones
        .iter()
        .map(|m| (m.id, m.title.clone()))
        .collect();

    // Governed issues: a marker in the body, or an entry in the key table.
    let keyed = reads.keys(&repo_key).await?;
    let rows = reads.marked_issues(repo_id).await?;
    let mut found: Vec<(String, CurrentIssue)> = Vec::new();
    let mut seen_ids = HashSet::new();
    let mut push = |r: GovernedIssueRow, key: Option<String>| {
        let body = r.body.unwrap_or_default();
        let Some(key) = key_in_body(&body).map(String::from).or(key) else {
            return;
        };
        if !seen_ids.insert(r.id) {
            return;
        }
        found.push((
            key,
            CurrentIssue {
                id: r.id,
                number: r.number,
                title: r.title,
                body,
                state: r.state,
                labels: Vec::new(),
                assignees: Vec::new(),
                milestone: r
                    .milestone_id
                    .and_then(|m| milestone_titles.get(&m).cloned()),
                issue_type: r.issue_type,
                parent_id: None,
                blocked_by: Vec::new(),
                html_url: r.html_url,
                applied: None,
            },
        ));
    };
    let marked: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    for r in rows {
        push(r, None);
    }
    let missing: Vec<i64> = keyed
        .keys()
        .copied()
        .filter(|id| !marked.contains(id))
        .collect();
    for r in reads.issues(&missing).await? {
        let key = keyed.get(&r.id).cloned();
        push(r, key);
    }

    let mut applied = store.applied_records(&repo_key).await?;
    for (key, issue) in &mut found {
        // A record that does not read is as good as none: the plan writes as it used to.
        issue.applied = applied
            .remove(key.as_str())
            .and_then(|v| serde_json::from_value(v).ok());
    }
    // Issues applied before records were kept: what the journal says their applies sent.
    if found.iter().any(|(_, i)| i.applied.is_none()) {
        let numbers: HashMap<i64, String> = state
            .milestones
            .iter()
            .map(|m| (m.number, m.title.clone()))
            .collect();
        let mut journaled = from_journal(store.applied_issue_requests(&repo_key).await?, &numbers);
        for (key, issue) in &mut found {
            if issue.applied.is_none() {
                issue.applied = journaled.remove(key.as_str());
            }
        }
    }

    let ids: Vec<i64> = found.iter().map(|(_, i)| i.id).collect();
    let mut rel = reads.relations(&ids).await?;
    for (key, mut issue) in found {
        issue.labels = rel.labels.remove(&issue.id).unwrap_or_default();
        issue.assignees = rel.assignees.remove(&issue.id).unwrap_or_default();
        issue.parent_id = rel.parents.get(&issue.id).copied();
        issue.blocked_by = rel.blockers.remove(&issue.id).unwrap_or_default();
        match state.issues.get(&key) {
            // Issues are read in number order: the first one with a key keeps it.
            Some(_) => state.duplicates.push((key, issue.number)),
            None => {
                state.issues.insert(key, issue);
            }
        }
    }

    // Open work per agent label and per assignee login.
    let names: Vec<String> = agent_labels.iter().map(|l| l.to_lowercase()).collect();
    for (label, id) in reads.open_with_labels(repo_id, &names).await? {
        state.label_load.entry(label).or_default().insert(id);
    }
    for login in agent_logins {
        let ids = reads.open_assigned_to(repo_id, login).await?;
        state
            .assignee_load
            .entry(login.to_lowercase())
            .or_default()
            .extend(ids);
    }
    Ok(state)
}
