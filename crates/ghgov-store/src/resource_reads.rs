//! Reads of mirrored repositories, labels and milestones for the API, with typed rows.

use crate::Store;
use sqlx::FromRow;

/// A mirrored repository with its issue counts (pull requests not included).
#[derive(Debug, Clone, FromRow)]
pub struct RepoSummary {
    pub id: i64,
    pub full_name: String,
    pub html_url: Option<String>,
    pub default_branch: Option<String>,
    pub private: i64,
    pub issues: i64,
    pub open_issues: i64,
}

/// A label with the number of mirrored issues carrying it.
#[derive(Debug, Clone, FromRow)]
pub struct LabelSummary {
    pub id: i64,
    pub repository: String,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub issues: i64,
}

/// A milestone with its progress as the mirror knows it.
#[derive(Debug, Clone, FromRow)]
pub struct MilestoneSummary {
    pub id: i64,
    pub repository: String,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub state: String,
    pub due_on: Option<String>,
    pub open_issues: i64,
    pub closed_issues: i64,
    /// Done weight over all weight (estimates, else 1; cancelled issues left out), from
    /// the rollup (`crate::rollup`); 0 without issues.
    pub weighted_progress: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MilestoneState {
    Open,
    Closed,
    #[default]
    All,
}

#[derive(FromRow)]
struct Total {
    total: i64,
}

/// `AND …` restricting `r` (the repositories table) to one repository, by its lower-cased
/// full name bound as `$n`; with no repository the condition always holds, so the binds
/// stay the same either way.
fn repo_condition(n: usize, repo_key: &Option<String>) -> (String, String) {
    match repo_key {
        Some(key) => (format!("AND r.full_name_lc = ${n}"), key.clone()),
        None => (format!("AND ${n} = ${n}"), String::new()),
    }
}

/// The mirror's repositories, labels and milestones, read for the API.
pub struct ResourceReads<'a> {
    store: &'a Store,
}

impl Store {
    pub fn resource_reads(&self) -> ResourceReads<'_> {
        ResourceReads { store: self }
    }
}

/// A milestone with its progress as the API shows it: counted from the mirrored issues, and
/// weighted by estimates from the rollup.
const MILESTONE_SUMMARY: &str = "SELECT m.id, r.full_name AS repository, m.number, m.title, m.description, m.state, m.due_on, \
     (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.state = 'open') AS open_issues, \
     (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.state = 'closed') AS closed_issues, \
     COALESCE(mr.progress, 0.0) AS weighted_progress \
     FROM milestones m JOIN repositories r ON r.id = m.repository_id LEFT JOIN milestone_rollups mr ON mr.milestone_id = m.id";

impl ResourceReads<'_> {
    /// How many issues (pull requests included) and comments the mirror holds for the
    /// repository with this lower-cased full name.
    pub async fn counts(&self, repo_key: &str) -> anyhow::Result<(i64, i64)> {
        let count = |sql: &'static str| async move {
            sqlx::query_as::<_, Total>(sql)
                .bind(repo_key)
                .fetch_one(&self.store.pool)
                .await
                .map(|t| t.total)
        };
        Ok((
            count("SELECT COUNT(*) AS total FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE r.full_name_lc = $1").await?,
            count("SELECT COUNT(*) AS total FROM comments c JOIN repositories r ON r.id = c.repository_id WHERE r.full_name_lc = $1").await?,
        ))
    }

    /// A page of repositories by name, with the total.
    pub async fn repositories(
        &self,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(i64, Vec<RepoSummary>)> {
        let total = sqlx::query_as::<_, Total>("SELECT COUNT(*) AS total FROM repositories")
            .fetch_one(&self.store.pool)
            .await?
            .total;
        let rows = sqlx::query_as::<_, RepoSummary>(
            "SELECT r.id, r.full_name, r.html_url, r.default_branch, r.private, \
             (SELECT COUNT(*) FROM issues i WHERE i.repository_id = r.id AND i.is_pull_request = 0) AS issues, \
             (SELECT COUNT(*) FROM issues i WHERE i.repository_id = r.id AND i.is_pull_request = 0 AND i.state = 'open') AS open_issues \
             FROM repositories r ORDER BY r.full_name LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.store.pool)
        .await?;
        Ok((total, rows))
    }

    /// A page of labels by repository and name, with the total.
    pub async fn labels(
        &self,
        repo_key: &Option<String>,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(i64, Vec<LabelSummary>)> {
        let (count_repo, key) = repo_condition(1, repo_key);
        let total = sqlx::query_as::<_, Total>(&format!("SELECT COUNT(*) AS total FROM labels l JOIN repositories r ON r.id = l.repository_id WHERE 1 = 1 {count_repo}"))
            .bind(&key)
            .fetch_one(&self.store.pool)
            .await?
            .total;
        let (repo, _) = repo_condition(3, repo_key);
        let rows = sqlx::query_as::<_, LabelSummary>(&format!(
            "SELECT l.id, r.full_name AS repository, l.name, l.color, l.description, (SELECT COUNT(*) FROM issue_labels il WHERE il.label_id = l.id) AS issues \
             FROM labels l JOIN repositories r ON r.id = l.repository_id WHERE 1 = 1 {repo} ORDER BY r.full_name, l.name_lc LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .bind(&key)
        .fetch_all(&self.store.pool)
        .await?;
        Ok((total, rows))
    }

    /// One milestone with its progress, by id (the same row as the list's).
    pub async fn milestone(&self, id: i64) -> anyhow::Result<Option<MilestoneSummary>> {
        Ok(
            sqlx::query_as::<_, MilestoneSummary>(&format!("{MILESTONE_SUMMARY} WHERE m.id = $1"))
                .bind(id)
                .fetch_optional(&self.store.pool)
                .await?,
        )
    }

    /// A page of milestones by repository and number, with the total.
    pub async fn milestones(
        &self,
        repo_key: &Option<String>,
        state: MilestoneState,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(i64, Vec<MilestoneSummary>)> {
        let state_condition = match state {
            MilestoneState::All => "",
            MilestoneState::Open => "AND m.state = 'open'",
            MilestoneState::Closed => "AND m.state = 'closed'",
        };
        let (count_repo, key) = repo_condition(1, repo_key);
        let total = sqlx::query_as::<_, Total>(&format!(
            "SELECT COUNT(*) AS total FROM milestones m JOIN repositories r ON r.id = m.repository_id WHERE 1 = 1 {count_repo} {state_condition}"
        ))
        .bind(&key)
        .fetch_one(&self.store.pool)
        .await?
        .total;
        let (repo, _) = repo_condition(3, repo_key);
        // Progress is counted from the mirrored issues, so it is what the mirror knows.
        let rows = sqlx::query_as::<_, MilestoneSummary>(&format!(
            "{MILESTONE_SUMMARY} WHERE 1 = 1 {repo} {state_condition} ORDER BY r.full_name, m.number LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .bind(&key)
        .fetch_all(&self.store.pool)
        .await?;
        Ok((total, rows))
    }
}
