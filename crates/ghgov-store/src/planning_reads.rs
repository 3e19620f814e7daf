//! Reads of the mirror for governance planning: a repository's labels and milestones, the
//! issues that carry a specification key, their relations, and the open work per agent.

use crate::sql::id_list;
use crate::Store;
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(Debug, Clone, FromRow)]
pub struct LabelRow {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MilestoneRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub state: String,
    pub due_on: Option<String>,
}

/// An issue (never a pull request) as planning compares it.
#[derive(Debug, Clone, FromRow)]
pub struct GovernedIssueRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub body: Option<String>,
    pub state: String,
    pub milestone_id: Option<i64>,
    pub issue_type: Option<String>,
    pub html_url: Option<String>,
}

const GOVERNED_COLUMNS: &str = "id, number, title, body, state, milestone_id, issue_type, html_url";

/// Labels, assignees, parent and blockers of a set of issues.
#[derive(Debug, Default)]
pub struct Relations {
    pub labels: HashMap<i64, Vec<String>>,
    pub assignees: HashMap<i64, Vec<String>>,
    pub parents: HashMap<i64, i64>,
    pub blockers: HashMap<i64, Vec<i64>>,
}

/// Ids per statement: bounds the statement's size whatever the number of issues.
const CHUNK: usize = 500;

#[derive(FromRow)]
struct IdRow {
    id: i64,
}

#[derive(FromRow)]
struct KeyRow {
    issue_id: i64,
    issue_key: String,
}

#[derive(FromRow)]
struct IdText {
    id: i64,
    text: String,
}

#[derive(FromRow)]
struct IdPair {
    a: i64,
    b: i64,
}

/// The repository lookup, the one definition of it: by lower-cased full name, on the pool or
/// inside a transaction (the projector's).
pub(crate) async fn repository_id_in<'e, E>(exec: E, repo_key: &str) -> anyhow::Result<Option<i64>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_as::<_, IdRow>("SELECT id FROM repositories WHERE full_name_lc = $1")
            .bind(repo_key)
            .fetch_optional(exec)
            .await?
            .map(|r| r.id),
    )
}

/// The mirror as governance planning reads it.
pub struct PlanningReads<'a> {
    store: &'a Store,
}

impl Store {
    pub fn planning_reads(&self) -> PlanningReads<'_> {
        PlanningReads { store: self }
    }

    /// The mirrored repository with this lower-cased full name.
    pub async fn repository_id(&self, repo_key: &str) -> anyhow::Result<Option<i64>> {
        repository_id_in(&self.pool, repo_key).await
    }
}

impl PlanningReads<'_> {
    pub async fn labels(&self, repo_id: i64) -> anyhow::Result<Vec<LabelRow>> {
        Ok(sqlx::query_as::<_, LabelRow>(
            "SELECT id, name, color, description FROM labels WHERE repository_id = $1 ORDER BY id",
        )
        .bind(repo_id)
        .fetch_all(&self.store.pool)
        .await?)
    }

    pub async fn milestones(&self, repo_id: i64) -> anyhow::Result<Vec<MilestoneRow>> {
        Ok(sqlx::query_as::<_, MilestoneRow>(
            "SELECT id, number, title, description, state, due_on FROM milestones WHERE repository_id = $1 ORDER BY number",
        )
        .bind(repo_id)
        .fetch_all(&self.store.pool)
        .await?)
    }

    /// The key table: issue id → specification key, for the repository's lower-cased name.
    pub async fn keys(&self, repo_key: &str) -> anyhow::Result<HashMap<i64, String>> {
        Ok(sqlx::query_as::<_, KeyRow>(
            "SELECT issue_id, issue_key FROM governance_keys WHERE repository = $1",
        )
        .bind(repo_key)
        .fetch_all(&self.store.pool)
        .await?
        .into_iter()
        .map(|r| (r.issue_id, r.issue_key))
        .collect())
    }

    /// Issues whose body carries a key marker, by number.
    pub async fn marked_issues(&self, repo_id: i64) -> anyhow::Result<Vec<GovernedIssueRow>> {
        Ok(sqlx::query_as::<_, GovernedIssueRow>(&format!(
            "SELECT {GOVERNED_COLUMNS} FROM issues \
             WHERE repository_id = $1 AND is_pull_request = 0 AND body LIKE '%<!-- ghgov:key=%' ORDER BY number"
        ))
        .bind(repo_id)
        .fetch_all(&self.store.pool)
        .await?)
    }

    pub async fn issues(&self, ids: &[i64]) -> anyhow::Result<Vec<GovernedIssueRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            rows.extend(
                sqlx::query_as::<_, GovernedIssueRow>(&format!(
                    "SELECT {GOVERNED_COLUMNS} FROM issues WHERE id IN ({})",
                    id_list(chunk)
                ))
                .persistent(false)
                .fetch_all(&self.store.pool)
                .await?,
            );
        }
        Ok(rows)
    }

    pub async fn relations(&self, ids: &[i64]) -> anyhow::Result<Relations> {
        let mut r = Relations::default();
        let pool = &self.store.pool;
        for chunk in ids.chunks(CHUNK) {
            let list = id_list(chunk);
            let texts = |sql: String| async move {
                sqlx::query_as::<_, IdText>(&sql)
                    .persistent(false)
                    .fetch_all(pool)
                    .await
            };
            let pairs = |sql: String| async move {
                sqlx::query_as::<_, IdPair>(&sql)
                    .persistent(false)
                    .fetch_all(pool)
                    .await
            };
            for t in texts(format!("SELECT il.issue_id AS id, l.name AS text FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id IN ({list}) ORDER BY l.name")).await? {
                r.labels.entry(t.id).or_default().push(t.text);
            }
            for t in texts(format!("SELECT issue_id AS id, login AS text FROM issue_assignees WHERE issue_id IN ({list}) ORDER BY login")).await? {
                r.assignees.entry(t.id).or_default().push(t.text);
            }
            for p in pairs(format!("SELECT child_id AS a, parent_id AS b FROM sub_issue_links WHERE child_id IN ({list})")).await? {
                r.parents.insert(p.a, p.b);
            }
            for p in pairs(format!("SELECT blocked_id AS a, blocking_id AS b FROM dependencies WHERE blocked_id IN ({list}) ORDER BY blocking_id")).await? {
                r.blockers.entry(p.a).or_default().push(p.b);
            }
        }
        Ok(r)
    }

    /// Open issues carrying one of these labels (lower-cased names): (label, issue id).
    pub async fn open_with_labels(
        &self,
        repo_id: i64,
        names_lc: &[String],
    ) -> anyhow::Result<Vec<(String, i64)>> {
        if names_lc.is_empty() {
            return Ok(Vec::new());
        }
        // `($2, $3, …)`, after the repository's `$1`.
        let list = format!(
            "({})",
            (2..names_lc.len() + 2)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let sql = format!(
            "SELECT i.id AS id, l.name_lc AS text FROM issues i JOIN issue_labels il ON il.issue_id = i.id JOIN labels l ON l.id = il.label_id \
             WHERE i.repository_id = $1 AND i.state = 'open' AND i.is_pull_request = 0 AND l.name_lc IN {list}"
        );
        let mut q = sqlx::query_as::<_, IdText>(&sql).bind(repo_id);
        for n in names_lc {
            q = q.bind(n);
        }
        Ok(q.fetch_all(&self.store.pool)
            .await?
            .into_iter()
            .map(|r| (r.text, r.id))
            .collect())
    }

    /// Open issues assigned to this login (compared without case).
    pub async fn open_assigned_to(&self, repo_id: i64, login: &str) -> anyhow::Result<Vec<i64>> {
        Ok(sqlx::query_as::<_, IdRow>(
            "SELECT i.id FROM issues i JOIN issue_assignees a ON a.issue_id = i.id \
             WHERE i.repository_id = $1 AND i.state = 'open' AND LOWER(a.login) = $2",
        )
        .bind(repo_id)
        .bind(login.to_lowercase())
        .fetch_all(&self.store.pool)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
    }
}
