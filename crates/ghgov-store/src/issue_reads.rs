//! Reads of mirrored issues for the API: the filtered, sorted, paged list, one issue with its
//! relations, and an issue's comments. Rows come back typed; the API only renders them.
//!
//! The list is built to stay fast at any size and under concurrent readers:
//! - filtered by state (and repository, kind) alone, a page is read straight from the index
//!   that serves its sort (migration 0005), and totals are kept per filter;
//! - narrowed further (labels, assignee, milestone, text…), the matching ids are found once, in
//!   order, and kept per filter and sort: every page and both directions are slices of it;
//! - both are kept until the mirror changes, within a fixed memory budget;
//! - a page costs three statements: the mirror version, the rows, their labels and assignees.

use crate::sql::id_list;
use crate::Store;
use parking_lot::Mutex;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::{Any, FromRow};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;

/// Which issues by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StateFilter {
    #[default]
    Open,
    Closed,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum MilestoneFilter {
    #[default]
    Any,
    None,
    Number(i64),
    Title(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum AssigneeFilter {
    #[default]
    Any,
    None,
    /// A login, compared without regard to case.
    Login(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ParentFilter {
    #[default]
    Any,
    /// Top-level issues: no parent.
    None,
    /// Sub-issues of this issue id.
    Id(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KindFilter {
    #[default]
    All,
    Issue,
    PullRequest,
}

/// What the issue list is filtered by. Equal filters have equal totals, which is what the
/// totals cache is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IssueFilter {
    /// A repository's lower-cased full name.
    pub repo_key: Option<String>,
    pub state: StateFilter,
    /// Lower-cased label names; an issue must carry every one.
    pub labels: Vec<String>,
    pub milestone: MilestoneFilter,
    pub assignee: AssigneeFilter,
    /// Lower-cased issue type.
    pub issue_type: Option<String>,
    pub parent: ParentFilter,
    /// Text searched in title and body, without regard to case.
    pub text: Option<String>,
    /// Issues updated at or after this timestamp (the stored text format).
    pub updated_since: Option<String>,
    pub kind: KindFilter,
    /// Issues in this status (`planning`, `in_progress`…; see `tracking::Status`).
    pub status: Option<crate::tracking::Status>,
}

impl IssueFilter {
    /// True when no index orders the matching issues: conditions beyond state, repository and
    /// kind, which a page read from a sort index would have to skip through.
    fn narrows(&self) -> bool {
        !self.labels.is_empty()
            || self.milestone != MilestoneFilter::Any
            || self.assignee != AssigneeFilter::Any
            || self.issue_type.is_some()
            || self.parent != ParentFilter::Any
            || self.text.as_deref().is_some_and(|t| !t.trim().is_empty())
            || self.updated_since.is_some()
            || self.status.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IssueSort {
    #[default]
    Updated,
    Created,
    Number,
    Comments,
}

impl IssueSort {
    fn column(self) -> &'static str {
        match self {
            IssueSort::Updated => "i.updated_at",
            IssueSort::Created => "i.created_at",
            IssueSort::Number => "i.number",
            IssueSort::Comments => "i.comments_count",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

impl SortDirection {
    fn sql(self) -> &'static str {
        match self {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        }
    }
}

/// One mirrored issue as the API shows it.
#[derive(Debug, Clone, FromRow)]
pub struct IssueRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub is_pull_request: i64,
    pub user_login: Option<String>,
    pub milestone_id: Option<i64>,
    pub issue_type: Option<String>,
    pub comments_count: i64,
    pub html_url: Option<String>,
    pub sub_issues_total: i64,
    pub sub_issues_completed: i64,
    pub blocked_by_total: i64,
    pub blocking_total: i64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// The repository's full name.
    pub repository: String,
    pub body: Option<String>,
    pub milestone_number: Option<i64>,
    pub milestone_title: Option<String>,
    pub milestone_state: Option<String>,
    pub milestone_due_on: Option<String>,
    /// Where the work stands (see `tracking`); None for pull requests.
    pub status: Option<String>,
}

impl IssueRow {
    /// The issue's milestone, when it has one the mirror knows.
    pub fn milestone(&self) -> Option<MilestoneBrief> {
        Some(MilestoneBrief {
            id: self.milestone_id?,
            number: self.milestone_number?,
            title: self.milestone_title.clone()?,
            state: self.milestone_state.clone()?,
            due_on: self.milestone_due_on.clone(),
        })
    }

    fn sort_key(&self, sort: IssueSort) -> (SortValue<'_>, i64) {
        sort_key(
            sort,
            self.id,
            &self.updated_at,
            &self.created_at,
            self.number,
            self.comments_count,
        )
    }
}

/// Orders issues as `ORDER BY <sort> ASC, id ASC` does (timestamps are text in one format,
/// so their byte order is their time order).
fn sort_key<'a>(
    sort: IssueSort,
    id: i64,
    updated_at: &'a str,
    created_at: &'a str,
    number: i64,
    comments: i64,
) -> (SortValue<'a>, i64) {
    let value = match sort {
        IssueSort::Updated => SortValue::Text(updated_at),
        IssueSort::Created => SortValue::Text(created_at),
        IssueSort::Number => SortValue::Int(number),
        IssueSort::Comments => SortValue::Int(comments),
    };
    (value, id)
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortValue<'a> {
    Int(i64),
    Text(&'a str),
}

const ISSUE_COLUMNS: &str = "i.id, i.number, i.title, i.state, i.state_reason, i.is_pull_request, \
     i.user_login, i.milestone_id, i.issue_type, i.comments_count, i.html_url, i.sub_issues_total, \
     i.sub_issues_completed, i.blocked_by_total, i.blocking_total, i.created_at, i.updated_at, \
     i.closed_at, r.full_name AS repository, i.body, m.number AS milestone_number, \
     m.title AS milestone_title, m.state AS milestone_state, m.due_on AS milestone_due_on, i.status";

/// The tables `ISSUE_COLUMNS` reads.
const ISSUE_TABLES: &str = "issues i JOIN repositories r ON r.id = i.repository_id \
     LEFT JOIN milestones m ON m.id = i.milestone_id";

/// A milestone as an issue shows it.
#[derive(Debug, Clone, FromRow)]
pub struct MilestoneBrief {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub state: String,
    pub due_on: Option<String>,
}

/// Another issue named by a relation; number, title and state are missing when the related
/// issue is not (yet) in the mirror.
#[derive(Debug, Clone, FromRow)]
pub struct IssueBrief {
    pub id: i64,
    pub number: Option<i64>,
    pub title: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommentRow {
    pub id: i64,
    pub user_login: Option<String>,
    pub body: Option<String>,
    pub html_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Labels and assignees of a set of issues.
#[derive(Debug, Default)]
pub struct IssueDetails {
    pub labels: HashMap<i64, Vec<String>>,
    pub assignees: HashMap<i64, Vec<String>>,
}

/// A page of the list and the number of issues matching in all.
pub struct IssuePage {
    pub total: i64,
    pub issues: Vec<IssueRow>,
    pub details: IssueDetails,
}

/// What the list remembers while the mirror's version is unchanged: totals of filters
/// served straight from an index, and the ordered ids of narrower filters.
#[derive(Default)]
pub(crate) struct ListCache {
    inner: Mutex<ListCacheInner>,
    /// One computation of a filter's matches at a time: concurrent misses of the same filter
    /// wait for the first instead of each asking the database for the same rows.
    fills: crate::single_flight::FillLocks<IssueFilter>,
}

#[derive(Default)]
struct ListCacheInner {
    version: i64,
    totals: HashMap<IssueFilter, i64>,
    /// The issues matching a narrow filter (its state left out), in every order.
    matches: HashMap<IssueFilter, Arc<Matches>>,
    /// Oldest first, for eviction when the budget is spent.
    match_age: VecDeque<IssueFilter>,
    match_bytes: usize,
}

/// Memory the kept matches may take, all filters together: what bounds the cache.
const MATCH_BYTES: usize = 24 << 20;

/// The issues matching a narrow filter whatever their state, in the order of each sort
/// (`ORDER BY <sort> ASC, id ASC`; descending is the reverse). Pages of any state, sort and
/// direction are read from it without asking the database again.
pub(crate) struct Matches {
    /// Per sort (`IssueSort as usize`): ids with whether the issue is open.
    orders: [Vec<(i64, bool)>; 4],
    open: i64,
}

impl Matches {
    fn bytes(&self) -> usize {
        self.orders.iter().map(|o| o.len() * 16).sum()
    }

    fn total(&self, state: StateFilter) -> i64 {
        let all = self.orders[0].len() as i64;
        match state {
            StateFilter::All => all,
            StateFilter::Open => self.open,
            StateFilter::Closed => all - self.open,
        }
    }

    fn page(
        &self,
        state: StateFilter,
        sort: IssueSort,
        direction: SortDirection,
        limit: i64,
        offset: i64,
    ) -> Vec<i64> {
        let order = &self.orders[sort as usize];
        let wanted = move |(_, open): &&(i64, bool)| match state {
            StateFilter::All => true,
            StateFilter::Open => *open,
            StateFilter::Closed => !*open,
        };
        let (skip, take) = (offset.max(0) as usize, limit.max(0) as usize);
        match direction {
            SortDirection::Asc => order
                .iter()
                .filter(wanted)
                .skip(skip)
                .take(take)
                .map(|(id, _)| *id)
                .collect(),
            SortDirection::Desc => order
                .iter()
                .rev()
                .filter(wanted)
                .skip(skip)
                .take(take)
                .map(|(id, _)| *id)
                .collect(),
        }
    }
}
/// Totals remembered before that map starts over.
const TOTALS_KEPT: usize = 4096;

impl ListCacheInner {
    /// The cache as of `version`: emptied when the mirror has changed since it was filled;
    /// None for a reader that started before the newest change (it neither reads nor fills).
    fn at(&mut self, version: i64) -> Option<&mut Self> {
        if version > self.version {
            *self = ListCacheInner {
                version,
                ..ListCacheInner::default()
            };
        }
        (version == self.version).then_some(self)
    }
}

impl ListCache {
    fn total(&self, filter: &IssueFilter, version: i64) -> Option<i64> {
        self.inner.lock().at(version)?.totals.get(filter).copied()
    }

    fn put_total(&self, filter: IssueFilter, version: i64, total: i64) {
        let mut inner = self.inner.lock();
        let Some(inner) = inner.at(version) else {
            return;
        };
        if inner.totals.len() >= TOTALS_KEPT {
            inner.totals.clear();
        }
        inner.totals.insert(filter, total);
    }

    fn matches(&self, filter: &IssueFilter, version: i64) -> Option<Arc<Matches>> {
        self.inner.lock().at(version)?.matches.get(filter).cloned()
    }

    fn put_matches(&self, filter: IssueFilter, version: i64, matches: Arc<Matches>) {
        let size = matches.bytes();
        if size > MATCH_BYTES / 4 {
            return; // one huge set would push out everything else
        }
        let mut inner = self.inner.lock();
        let Some(inner) = inner.at(version) else {
            return;
        };
        if inner.matches.contains_key(&filter) {
            return;
        }
        while inner.match_bytes + size > MATCH_BYTES {
            let Some(oldest) = inner.match_age.pop_front() else {
                break;
            };
            if let Some(gone) = inner.matches.remove(&oldest) {
                inner.match_bytes -= gone.bytes();
            }
        }
        inner.match_bytes += size;
        inner.match_age.push_back(filter.clone());
        inner.matches.insert(filter, matches);
    }
}

/// Bind values of a statement built piece by piece.
enum Arg {
    Int(i64),
    Text(String),
}

/// The WHERE clause of a filter, with its bind values in placeholder order.
struct Conditions {
    sql: Vec<String>,
    args: Vec<Arg>,
}

impl Conditions {
    fn push(&mut self, condition: impl Fn(usize) -> String, arg: Arg) {
        self.args.push(arg);
        self.sql.push(condition(self.args.len()));
    }

    fn fixed(&mut self, condition: &str) {
        self.sql.push(condition.to_string());
    }

    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.sql.join(" AND "))
        }
    }

    fn bind<'q, O>(
        &'q self,
        mut q: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}

/// Conditions over `issues i` alone, so a page can be chosen from its indexes.
fn conditions(f: &IssueFilter) -> Conditions {
    let mut c = Conditions {
        sql: Vec::new(),
        args: Vec::new(),
    };
    if let Some(repo) = &f.repo_key {
        c.push(
            |n| format!("i.repository_id IN (SELECT r.id FROM repositories r WHERE r.full_name_lc = ${n})"),
            Arg::Text(repo.clone()),
        );
    }
    match f.state {
        StateFilter::All => {}
        StateFilter::Open => c.push(|n| format!("i.state = ${n}"), Arg::Text("open".into())),
        StateFilter::Closed => c.push(|n| format!("i.state = ${n}"), Arg::Text("closed".into())),
    }
    for label in &f.labels {
        c.push(
            // Driven by the label's own index: the issues carrying it, not every issue.
            |n| format!("i.id IN (SELECT il.issue_id FROM issue_labels il WHERE il.label_id IN (SELECT l.id FROM labels l WHERE l.name_lc = ${n}))"),
            Arg::Text(label.clone()),
        );
    }
    match &f.milestone {
        MilestoneFilter::Any => {}
        MilestoneFilter::None => c.fixed("i.milestone_id IS NULL"),
        MilestoneFilter::Number(number) => c.push(
            |n| format!("EXISTS (SELECT 1 FROM milestones m WHERE m.id = i.milestone_id AND m.number = ${n})"),
            Arg::Int(*number),
        ),
        MilestoneFilter::Title(title) => c.push(
            |n| format!("EXISTS (SELECT 1 FROM milestones m WHERE m.id = i.milestone_id AND m.title = ${n})"),
            Arg::Text(title.clone()),
        ),
    }
    match &f.assignee {
        AssigneeFilter::Any => {}
        AssigneeFilter::None => {
            c.fixed("NOT EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id)")
        }
        AssigneeFilter::Login(login) => c.push(
            |n| format!("EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND LOWER(a.login) = ${n})"),
            Arg::Text(login.to_lowercase()),
        ),
    }
    if let Some(t) = &f.issue_type {
        c.push(
            |n| format!("LOWER(i.issue_type) = ${n}"),
            Arg::Text(t.to_lowercase()),
        );
    }
    match f.parent {
        ParentFilter::Any => {}
        ParentFilter::None => {
            c.fixed("NOT EXISTS (SELECT 1 FROM sub_issue_links s WHERE s.child_id = i.id)")
        }
        ParentFilter::Id(parent) => c.push(
            |n| format!("EXISTS (SELECT 1 FROM sub_issue_links s WHERE s.child_id = i.id AND s.parent_id = ${n})"),
            Arg::Int(parent),
        ),
    }
    if let Some(text) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        c.push(|n| format!("(LOWER(i.title) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(i.body, '')) LIKE ${n} ESCAPE '\\')"), Arg::Text(pattern));
    }
    if let Some(since) = &f.updated_since {
        c.push(
            |n| format!("i.updated_at >= ${n}"),
            Arg::Text(since.clone()),
        );
    }
    match f.kind {
        KindFilter::All => {}
        KindFilter::Issue => c.fixed("i.is_pull_request = 0"),
        KindFilter::PullRequest => c.fixed("i.is_pull_request = 1"),
    }
    if let Some(status) = f.status {
        // Driven by issues_status (migration 0006): the issues in that status, not every one.
        c.push(
            |n| format!("i.status = ${n}"),
            Arg::Text(status.as_str().into()),
        );
    }
    c
}

/// The ids of one page, in order. The page is chosen from the sort index alone; full rows are
/// read for its ids only, so a deep page costs index entries, not rows.
fn page_sql(c: &Conditions, sort: IssueSort, direction: SortDirection) -> String {
    let n = c.args.len();
    format!(
        "SELECT i.id FROM issues i {} ORDER BY {col} {dir}, i.id {dir} LIMIT ${} OFFSET ${}",
        c.where_clause(),
        n + 1,
        n + 2,
        col = sort.column(),
        dir = direction.sql(),
    )
}

/// What the four sorts order an issue by, and its state.
struct SortKeys {
    id: i64,
    open: bool,
    number: i64,
    comments_count: i64,
    updated_at: String,
    created_at: String,
}

#[derive(FromRow)]
struct Packed {
    packed: Option<String>,
}

impl SortKeys {
    /// `id,open,number,comments,updated_at,created_at` as the matches query packs it.
    fn unpack(text: &str) -> anyhow::Result<SortKeys> {
        let bad = || anyhow::anyhow!("unreadable issue sort keys '{text}'");
        let mut f = text.split(',');
        let mut int =
            || -> anyhow::Result<i64> { f.next().and_then(|v| v.parse().ok()).ok_or_else(bad) };
        let (id, open, number, comments_count) = (int()?, int()? == 1, int()?, int()?);
        let updated_at = f.next().ok_or_else(bad)?.to_string();
        let created_at = f.next().ok_or_else(bad)?.to_string();
        Ok(SortKeys {
            id,
            open,
            number,
            comments_count,
            updated_at,
            created_at,
        })
    }

    fn key(&self, sort: IssueSort) -> (SortValue<'_>, i64) {
        sort_key(
            sort,
            self.id,
            &self.updated_at,
            &self.created_at,
            self.number,
            self.comments_count,
        )
    }
}

#[derive(FromRow)]
struct Total {
    total: i64,
}

/// A label (kind 0) or an assignee (kind 1) of an issue.
#[derive(FromRow)]
struct IssueDetail {
    issue_id: i64,
    kind: i64,
    value: String,
}

#[derive(FromRow)]
struct IssueKey {
    repository_id: i64,
    number: i64,
}

/// The mirror's issues, read for the API.
pub struct IssueReads<'a> {
    store: &'a Store,
}

impl Store {
    pub fn issue_reads(&self) -> IssueReads<'_> {
        IssueReads { store: self }
    }
}

impl IssueReads<'_> {
    /// A page of issues matching `filter`, in the order asked, with the total, as of the
    /// mirror's `version` (read by the caller from `Store::mirror_version` before asking).
    pub async fn list(
        &self,
        version: i64,
        filter: &IssueFilter,
        sort: IssueSort,
        direction: SortDirection,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<IssuePage> {
        // Everything this page takes from the cache belongs to `version`: a write that lands
        // meanwhile makes later readers, who see a newer version, compute afresh.
        let (total, mut issues) = if filter.narrows() {
            let matches = self.matches(filter, version).await?;
            let ids = matches.page(filter.state, sort, direction, limit, offset);
            (matches.total(filter.state), self.by_ids(&ids).await?)
        } else {
            let c = conditions(filter);
            let total = self.total(filter, &c, version).await?;
            let sql = format!(
                "SELECT {ISSUE_COLUMNS} FROM {ISSUE_TABLES} WHERE i.id IN ({})",
                page_sql(&c, sort, direction)
            );
            let rows = c
                .bind(sqlx::query_as::<_, IssueRow>(&sql))
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.store.pool)
                .await?;
            (total, rows)
        };
        issues.sort_by(|a, b| {
            let order = a.sort_key(sort).cmp(&b.sort_key(sort));
            match direction {
                SortDirection::Asc => order,
                SortDirection::Desc => order.reverse(),
            }
        });
        let details = self.details(&issues).await?;
        Ok(IssuePage {
            total,
            issues,
            details,
        })
    }

    /// How many issues match a filter an index serves, counted once per mirror version.
    async fn total(
        &self,
        filter: &IssueFilter,
        c: &Conditions,
        version: i64,
    ) -> anyhow::Result<i64> {
        if let Some(total) = self.store.list_cache.total(filter, version) {
            return Ok(total);
        }
        let sql = format!(
            "SELECT COUNT(*) AS total FROM issues i {}",
            c.where_clause()
        );
        let total = c
            .bind(sqlx::query_as::<_, Total>(&sql))
            .fetch_one(&self.store.pool)
            .await?
            .total;
        self.store
            .list_cache
            .put_total(filter.clone(), version, total);
        Ok(total)
    }

    /// The issues matching a narrow filter, whatever their state, in every order: found with
    /// one statement per mirror version and filter, sorted here.
    async fn matches(&self, filter: &IssueFilter, version: i64) -> anyhow::Result<Arc<Matches>> {
        let any_state = IssueFilter {
            state: StateFilter::All,
            ..filter.clone()
        };
        if let Some(m) = self.store.list_cache.matches(&any_state, version) {
            return Ok(m);
        }
        let fill = self.store.list_cache.fills.lock_for(&any_state);
        let _filling = fill.lock().await;
        if let Some(m) = self.store.list_cache.matches(&any_state, version) {
            return Ok(m);
        }
        let c = conditions(&any_state);
        // One row with every match in it: a row per issue would cost more in transport
        // (thousands of them) than the query itself.
        // SQLite, left to itself, looks each match up through the id index and then its row;
        // the sort-keys index answers from a few dense pages (8 ms instead of 15 for 7,500
        // matches). PostgreSQL picks it by itself.
        // A status filter is served by its own index instead: a status holds a share of the
        // issues, whose rows are read, rather than every entry of the sort keys.
        let source = match self.store.backend {
            crate::Backend::Sqlite if filter.status.is_none() => {
                "issues i INDEXED BY issues_sort_keys"
            }
            _ => "issues i",
        };
        let sql = format!(
            "SELECT string_agg(i.id || ',' || CASE WHEN i.state = 'open' THEN 1 ELSE 0 END || ',' || i.number || ',' || i.comments_count || ',' || i.updated_at || ',' || i.created_at, ';') AS packed FROM {source} {}",
            c.where_clause()
        );
        let packed = c
            .bind(sqlx::query_as::<_, Packed>(&sql))
            .fetch_one(&self.store.pool)
            .await?
            .packed
            .unwrap_or_default();
        let rows = packed
            .split(';')
            .filter(|r| !r.is_empty())
            .map(SortKeys::unpack)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let open = rows.iter().filter(|r| r.open).count() as i64;
        let order = |sort: IssueSort| {
            let mut keyed: Vec<&SortKeys> = rows.iter().collect();
            keyed.sort_by(|a, b| a.key(sort).cmp(&b.key(sort)));
            keyed
                .into_iter()
                .map(|r| (r.id, r.open))
                .collect::<Vec<_>>()
        };
        let matches = Arc::new(Matches {
            orders: [
                order(IssueSort::Updated),
                order(IssueSort::Created),
                order(IssueSort::Number),
                order(IssueSort::Comments),
            ],
            open,
        });
        self.store
            .list_cache
            .put_matches(any_state, version, matches.clone());
        Ok(matches)
    }

    async fn by_ids(&self, ids: &[i64]) -> anyhow::Result<Vec<IssueRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Not kept as a prepared statement: its text changes with every page.
        Ok(sqlx::query_as::<_, IssueRow>(&format!(
            "SELECT {ISSUE_COLUMNS} FROM {ISSUE_TABLES} WHERE i.id IN ({})",
            id_list(ids)
        ))
        .persistent(false)
        .fetch_all(&self.store.pool)
        .await?)
    }

    /// One issue, with its body.
    pub async fn get(&self, id: i64) -> anyhow::Result<Option<IssueRow>> {
        Ok(sqlx::query_as::<_, IssueRow>(&format!(
            "SELECT {ISSUE_COLUMNS} FROM {ISSUE_TABLES} WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?)
    }

    /// Labels and assignees of `issues`, in one statement.
    pub async fn details(&self, issues: &[IssueRow]) -> anyhow::Result<IssueDetails> {
        let mut d = IssueDetails::default();
        if issues.is_empty() {
            return Ok(d);
        }
        let list = id_list(issues.iter().map(|r| r.id));
        // Not kept as a prepared statement: its text changes with every page.
        for r in sqlx::query_as::<_, IssueDetail>(&format!(
            "SELECT il.issue_id, CAST(0 AS BIGINT) AS kind, l.name AS value FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id IN ({list}) \
             UNION ALL SELECT a.issue_id, CAST(1 AS BIGINT) AS kind, a.login AS value FROM issue_assignees a WHERE a.issue_id IN ({list}) \
             ORDER BY kind, value"
        ))
        .persistent(false)
        .fetch_all(&self.store.pool)
        .await?
        {
            let into = if r.kind == 0 { &mut d.labels } else { &mut d.assignees };
            into.entry(r.issue_id).or_default().push(r.value);
        }
        Ok(d)
    }

    async fn briefs(&self, sql: &str, id: i64) -> anyhow::Result<Vec<IssueBrief>> {
        Ok(sqlx::query_as::<_, IssueBrief>(sql)
            .bind(id)
            .fetch_all(&self.store.pool)
            .await?)
    }

    /// The issue's parent, if it is a sub-issue.
    pub async fn parent(&self, id: i64) -> anyhow::Result<Option<IssueBrief>> {
        Ok(self.briefs("SELECT s.parent_id AS id, i.number, i.title, i.state FROM sub_issue_links s LEFT JOIN issues i ON i.id = s.parent_id WHERE s.child_id = $1", id).await?.into_iter().next())
    }

    /// The issue's sub-issues, in their order on GitHub.
    pub async fn children(&self, id: i64) -> anyhow::Result<Vec<IssueBrief>> {
        self.briefs("SELECT s.child_id AS id, i.number, i.title, i.state FROM sub_issue_links s LEFT JOIN issues i ON i.id = s.child_id WHERE s.parent_id = $1 ORDER BY s.position", id).await
    }

    /// Issues that block this one.
    pub async fn blocked_by(&self, id: i64) -> anyhow::Result<Vec<IssueBrief>> {
        self.briefs("SELECT d.blocking_id AS id, i.number, i.title, i.state FROM dependencies d LEFT JOIN issues i ON i.id = d.blocking_id WHERE d.blocked_id = $1 ORDER BY d.blocking_id", id).await
    }

    /// Issues this one blocks.
    pub async fn blocking(&self, id: i64) -> anyhow::Result<Vec<IssueBrief>> {
        self.briefs("SELECT d.blocked_id AS id, i.number, i.title, i.state FROM dependencies d LEFT JOIN issues i ON i.id = d.blocked_id WHERE d.blocking_id = $1 ORDER BY d.blocked_id", id).await
    }

    /// A page of an issue's comments, oldest first, with their total; None when the issue is
    /// not in the mirror.
    /// One comment by id.
    pub async fn comment(&self, id: i64) -> anyhow::Result<Option<CommentRow>> {
        Ok(sqlx::query_as::<_, CommentRow>(
            "SELECT id, user_login, body, html_url, created_at, updated_at FROM comments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?)
    }

    pub async fn comments(
        &self,
        issue_id: i64,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<Option<(i64, Vec<CommentRow>)>> {
        let Some(issue) =
            sqlx::query_as::<_, IssueKey>("SELECT repository_id, number FROM issues WHERE id = $1")
                .bind(issue_id)
                .fetch_optional(&self.store.pool)
                .await?
        else {
            return Ok(None);
        };
        let total = sqlx::query_as::<_, Total>(
            "SELECT COUNT(*) AS total FROM comments WHERE repository_id = $1 AND issue_number = $2",
        )
        .bind(issue.repository_id)
        .bind(issue.number)
        .fetch_one(&self.store.pool)
        .await?
        .total;
        let rows = sqlx::query_as::<_, CommentRow>("SELECT id, user_login, body, html_url, created_at, updated_at FROM comments WHERE repository_id = $1 AND issue_number = $2 ORDER BY created_at, id LIMIT $3 OFFSET $4")
            .bind(issue.repository_id)
            .bind(issue.number)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(Some((total, rows)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches() -> Matches {
        // ids 1..=6, odd ones open; every sort in id order except by number (reversed).
        let by_id: Vec<(i64, bool)> = (1..=6).map(|id| (id, id % 2 == 1)).collect();
        let by_number: Vec<(i64, bool)> = by_id.iter().rev().copied().collect();
        Matches {
            orders: [by_id.clone(), by_id.clone(), by_number, by_id],
            open: 3,
        }
    }

    #[test]
    fn pages_of_kept_matches_follow_state_sort_and_direction() {
        let m = matches();
        use SortDirection::*;
        use StateFilter::*;
        assert_eq!(m.page(All, IssueSort::Updated, Asc, 4, 0), [1, 2, 3, 4]);
        assert_eq!(m.page(All, IssueSort::Updated, Desc, 4, 0), [6, 5, 4, 3]);
        assert_eq!(m.page(Open, IssueSort::Updated, Asc, 2, 1), [3, 5]);
        assert_eq!(m.page(Closed, IssueSort::Updated, Desc, 10, 0), [6, 4, 2]);
        assert_eq!(m.page(All, IssueSort::Number, Asc, 2, 0), [6, 5]);
        assert!(m.page(Open, IssueSort::Updated, Asc, 5, 3).is_empty());
        assert_eq!((m.total(All), m.total(Open), m.total(Closed)), (6, 3, 3));
    }

    #[test]
    fn the_list_cache_serves_only_the_version_it_was_filled_at() {
        let cache = ListCache::default();
        let f = IssueFilter::default();
        cache.put_total(f.clone(), 5, 42);
        assert_eq!(cache.total(&f, 5), Some(42));
        // A reader that started before a change neither reads nor fills the newer cache.
        assert_eq!(cache.total(&f, 4), None);
        cache.put_total(f.clone(), 4, 7);
        assert_eq!(cache.total(&f, 5), Some(42));
        // The mirror moved on: everything kept is dropped.
        assert_eq!(cache.total(&f, 6), None);
        assert_eq!(cache.total(&f, 5), None);
        // Matches are bounded by bytes, the oldest going first.
        let big = Arc::new(Matches {
            orders: std::array::from_fn(|_| vec![(0, true); MATCH_BYTES / 4 / 64]),
            open: 0,
        });
        for label in 0..8 {
            let f = IssueFilter {
                labels: vec![format!("l{label}")],
                ..IssueFilter::default()
            };
            cache.put_matches(f, 6, big.clone());
            assert!(cache.inner.lock().match_bytes <= MATCH_BYTES);
        }
        let first = IssueFilter {
            labels: vec!["l0".into()],
            ..IssueFilter::default()
        };
        let last = IssueFilter {
            labels: vec!["l7".into()],
            ..IssueFilter::default()
        };
        assert!(cache.matches(&first, 6).is_none());
        assert!(cache.matches(&last, 6).is_some());
    }

    #[derive(FromRow)]
    struct PlanStep {
        detail: String,
    }

    /// Every sort the API offers, over every state, is served in order by an index: SQLite's
    /// plan for the page query never sorts.
    #[tokio::test]
    async fn every_sort_and_state_reads_a_page_from_an_index() {
        let path = std::env::temp_dir().join(format!("ghgov-plan-{}.db", uuid::Uuid::new_v4()));
        let store = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let sorts = [
            IssueSort::Updated,
            IssueSort::Created,
            IssueSort::Number,
            IssueSort::Comments,
        ];
        for state in [StateFilter::Open, StateFilter::Closed, StateFilter::All] {
            for sort in sorts {
                for direction in [SortDirection::Asc, SortDirection::Desc] {
                    let filter = IssueFilter {
                        state,
                        ..IssueFilter::default()
                    };
                    let c = conditions(&filter);
                    let sql = format!("EXPLAIN QUERY PLAN {}", page_sql(&c, sort, direction));
                    let plan: Vec<String> = c
                        .bind(sqlx::query_as::<_, PlanStep>(&sql))
                        .bind(25_i64)
                        .bind(0_i64)
                        .fetch_all(&store.pool)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|s| s.detail)
                        .collect();
                    let plan = plan.join(" | ");
                    assert!(
                        plan.contains("USING") && !plan.contains("TEMP B-TREE"),
                        "{state:?} {sort:?} {direction:?} sorts instead of reading an index: {plan}"
                    );
                }
            }
        }
        store.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// The status filter finds its matches through the status index, not by reading every
    /// issue.
    #[tokio::test]
    async fn the_status_filter_reads_its_index() {
        let path = std::env::temp_dir().join(format!("ghgov-plan-{}.db", uuid::Uuid::new_v4()));
        let store = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let filter = IssueFilter {
            status: Some(crate::tracking::Status::Review),
            state: StateFilter::All,
            ..IssueFilter::default()
        };
        let c = conditions(&filter);
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT i.id FROM issues i {}",
            c.where_clause()
        );
        let plan: Vec<String> = c
            .bind(sqlx::query_as::<_, PlanStep>(&sql))
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect();
        let plan = plan.join(" | ");
        assert!(plan.contains("issues_status"), "{plan}");
        store.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
