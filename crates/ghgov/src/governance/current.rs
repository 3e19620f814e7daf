//! What the mirror holds for a governed repository: its labels and milestones, the issues
//! that carry a specification key (by body marker, else by the key table), their links,
//! and how much open work each agent already carries.

use super::desired::key_in_body;
use crate::store::sql::id_list;
use crate::store::Store;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct CurrentLabel {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CurrentMilestone {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub state: String,
    pub due_on: Option<String>,
}

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

/// Reads the governed part of `repository` from the mirror. `agent_labels` and
/// `agent_logins` name the labels and logins whose open work is counted.
pub async fn read(
    store: &Store,
    repository: &str,
    agent_labels: &[String],
    agent_logins: &[String],
) -> anyhow::Result<CurrentState> {
    let mut state = CurrentState::default();
    let Some(row) = sqlx::query("SELECT id FROM repositories WHERE full_name_lc = $1")
        .bind(repository.to_ascii_lowercase())
        .fetch_optional(&store.pool)
        .await?
    else {
        return Ok(state);
    };
    let repo_id: i64 = row.get(0);
    state.repository_id = Some(repo_id);

    state.labels = sqlx::query(
        "SELECT id, name, color, description FROM labels WHERE repository_id = $1 ORDER BY id",
    )
    .bind(repo_id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| CurrentLabel {
        id: r.get(0),
        name: r.get(1),
        color: r.get(2),
        description: r.get(3),
    })
    .collect();
    state.milestones = sqlx::query(
        "SELECT id, number, title, description, state, due_on FROM milestones WHERE repository_id = $1 ORDER BY number",
    )
    .bind(repo_id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| CurrentMilestone {
        id: r.get(0),
        number: r.get(1),
        title: r.get(2),
        description: r.get(3),
        state: r.get(4),
        due_on: r.get(5),
    })
    .collect();
    let milestone_titles: HashMap<i64, String> = state
        .milestones
        .iter()
        .map(|m| (m.id, m.title.clone()))
        .collect();

    // Governed issues: a marker in the body, or an entry in the key table.
    let keyed: HashMap<i64, String> =
        sqlx::query("SELECT issue_id, issue_key FROM governance_keys WHERE repository = $1")
            .bind(repository.to_ascii_lowercase())
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
            .collect();
    let rows = sqlx::query(
        "SELECT id, number, title, body, state, milestone_id, issue_type, html_url FROM issues \
         WHERE repository_id = $1 AND is_pull_request = 0 AND body LIKE '%<!-- ghgov:key=%' ORDER BY number",
    )
    .bind(repo_id)
    .fetch_all(&store.pool)
    .await?;
    let mut found: Vec<(String, CurrentIssue)> = Vec::new();
    let mut seen_ids = HashSet::new();
    let mut push = |r: &sqlx::any::AnyRow, key: Option<String>| {
        let body: Option<String> = r.get(3);
        let body = body.unwrap_or_default();
        let id: i64 = r.get(0);
        let Some(key) = key_in_body(&body).map(String::from).or(key) else {
            return;
        };
        if !seen_ids.insert(id) {
            return;
        }
        let milestone_id: Option<i64> = r.get(5);
        found.push((
            key,
            CurrentIssue {
                id,
                number: r.get(1),
                title: r.get(2),
                body,
                state: r.get(4),
                labels: Vec::new(),
                assignees: Vec::new(),
                milestone: milestone_id.and_then(|m| milestone_titles.get(&m).cloned()),
                issue_type: r.get(6),
                parent_id: None,
                blocked_by: Vec::new(),
                html_url: r.get(7),
            },
        ));
    };
    for r in &rows {
        push(r, None);
    }
    let marked: HashSet<i64> = rows.iter().map(|r| r.get::<i64, _>(0)).collect();
    let missing: Vec<i64> = keyed
        .keys()
        .copied()
        .filter(|id| !marked.contains(id))
        .collect();
    for chunk in missing.chunks(500) {
        let extra = sqlx::query(&format!(
            "SELECT id, number, title, body, state, milestone_id, issue_type, html_url FROM issues WHERE id IN ({})",
            id_list(chunk)
        ))
        .fetch_all(&store.pool)
        .await?;
        for r in &extra {
            let key = keyed.get(&r.get::<i64, _>(0)).cloned();
            push(r, key);
        }
    }

    let ids: Vec<i64> = found.iter().map(|(_, i)| i.id).collect();
    let mut labels: HashMap<i64, Vec<String>> = HashMap::new();
    let mut assignees: HashMap<i64, Vec<String>> = HashMap::new();
    let mut parents: HashMap<i64, i64> = HashMap::new();
    let mut blockers: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let list = id_list(chunk);
        for r in sqlx::query(&format!(
            "SELECT il.issue_id, l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id IN ({list}) ORDER BY l.name"
        ))
        .fetch_all(&store.pool)
        .await?
        {
            labels.entry(r.get(0)).or_default().push(r.get(1));
        }
        for r in sqlx::query(&format!(
            "SELECT issue_id, login FROM issue_assignees WHERE issue_id IN ({list}) ORDER BY login"
        ))
        .fetch_all(&store.pool)
        .await?
        {
            assignees.entry(r.get(0)).or_default().push(r.get(1));
        }
        for r in sqlx::query(&format!(
            "SELECT child_id, parent_id FROM sub_issue_links WHERE child_id IN ({list})"
        ))
        .fetch_all(&store.pool)
        .await?
        {
            parents.insert(r.get(0), r.get(1));
        }
        for r in sqlx::query(&format!(
            "SELECT blocked_id, blocking_id FROM dependencies WHERE blocked_id IN ({list}) ORDER BY blocking_id"
        ))
        .fetch_all(&store.pool)
        .await?
        {
            blockers.entry(r.get(0)).or_default().push(r.get(1));
        }
    }
    for (key, mut issue) in found {
        issue.labels = labels.remove(&issue.id).unwrap_or_default();
        issue.assignees = assignees.remove(&issue.id).unwrap_or_default();
        issue.parent_id = parents.get(&issue.id).copied();
        issue.blocked_by = blockers.remove(&issue.id).unwrap_or_default();
        match state.issues.get(&key) {
            // Issues are read in number order: the first one with a key keeps it.
            Some(_) => state.duplicates.push((key, issue.number)),
            None => {
                state.issues.insert(key, issue);
            }
        }
    }

    // Open work per agent label and per assignee login.
    if !agent_labels.is_empty() {
        let names: Vec<String> = agent_labels.iter().map(|l| l.to_lowercase()).collect();
        let placeholders: Vec<String> = (2..names.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT l.name_lc, i.id FROM issues i JOIN issue_labels il ON il.issue_id = i.id JOIN labels l ON l.id = il.label_id \
             WHERE i.repository_id = $1 AND i.state = 'open' AND i.is_pull_request = 0 AND l.name_lc IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(repo_id);
        for n in &names {
            q = q.bind(n);
        }
        for r in q.fetch_all(&store.pool).await? {
            state
                .label_load
                .entry(r.get(0))
                .or_default()
                .insert(r.get(1));
        }
    }
    for login in agent_logins {
        let rows = sqlx::query(
            "SELECT i.id FROM issues i JOIN issue_assignees a ON a.issue_id = i.id \
             WHERE i.repository_id = $1 AND i.state = 'open' AND LOWER(a.login) = $2",
        )
        .bind(repo_id)
        .bind(login.to_lowercase())
        .fetch_all(&store.pool)
        .await?;
        state
            .assignee_load
            .entry(login.to_lowercase())
            .or_default()
            .extend(rows.iter().map(|r| r.get::<i64, _>(0)));
    }
    Ok(state)
}
