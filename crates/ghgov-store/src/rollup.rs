//! The hierarchy rollup: each issue's progress over its sub-issue tree, its counts, whether
//! it is at risk, the status its children suggest, and each milestone's completion.
//!
//! **Estimates** are numbers of hours (see [`parse_estimate`]), from a governance apply (the
//! governed issue's estimate) or an `estimate:N` label, which wins.
//!
//! **Progress.** A child's weight is its estimate when it has a positive one, else 1;
//! cancelled children count for nothing. A child's value is 1 when it is done, else its own
//! progress when it has children (so a grandchild counts through its parent), else 0. A
//! parent's progress is Σ weight × value / Σ weight over its children; an issue without
//! children shows 1 when done, else 0.
//!
//! **Counts** (`total`, `done`, `in_progress` (in progress or in review), `blocked`) are over
//! all descendants, cancelled subtrees left out; `at_risk` when one of them is blocked.
//!
//! **Derived status**: a `planning` parent with a started child (its derived status
//! `in_progress`, `review` or `done`) is derived `in_progress`; with the repository's
//! `tracking.rollup.parent_done_when_children_done`, an open parent whose children (not
//! cancelled) are all derived `done` is derived `done`. Otherwise its own status. Nothing is
//! written to GitHub.
//!
//! Rows depend only on the issue's own facts and its children's rows, so the projector
//! updates them incrementally ([`MirrorTx`]'s hooks below): from the changed issue up to the
//! root, stopping where a row comes out unchanged. [`compute_all`] is the full
//! recomputation the property test compares with (and an upgraded database's first fill).

use crate::projector::MirrorTx;
use crate::sql::id_list;
use crate::tracking::Status;
use sqlx::{AnyConnection, FromRow};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Hours in the units estimates are written in (a working day of 8 hours, a week of 5 days,
/// a month of 4 weeks).
const HOURS_PER_DAY: f64 = 8.0;
const HOURS_PER_WEEK: f64 = 40.0;
const HOURS_PER_MONTH: f64 = 160.0;

/// An estimate in hours, from text such as `8h`, `8 hours`, `3d`, `2-3 weeks` (a range is
/// its upper bound, as durations are read elsewhere), `1 month`, `5 points` (a point is
/// read as one hour: estimates only weigh children against each other) or a bare number
/// (hours). Also `90m`/`minutes`. None for anything else or a negative number.
pub fn parse_estimate(text: &str) -> Option<f64> {
    let t = text
        .trim()
        .to_lowercase()
        .replace(['–', '—'], "-")
        .replace(" to ", "-");
    // The number (or range) first, then the unit, with or without a space.
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c.is_whitespace()))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number = number.trim();
    let upper = match number.split_once('-') {
        Some((low, high)) => {
            let (low, high) = (num(low)?, num(high)?);
            if low > high {
                return None;
            }
            high
        }
        None => num(number)?,
    };
    let factor = match unit.trim() {
        "" | "h" | "hr" | "hrs" | "hour" | "hours" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 1.0 / 60.0,
        "d" | "day" | "days" => HOURS_PER_DAY,
        "w" | "wk" | "wks" | "week" | "weeks" => HOURS_PER_WEEK,
        "mo" | "month" | "months" => HOURS_PER_MONTH,
        "p" | "pt" | "pts" | "point" | "points" | "sp" | "story point" | "story points" => 1.0,
        _ => return None,
    };
    Some(upper * factor)
}

fn num(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The estimate an issue's labels give: `estimate:N` (any case, N read by
/// [`parse_estimate`], e.g. `estimate:5`, `estimate: 3d`); the largest when there are several.
pub fn estimate_from_labels<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<f64> {
    names
        .into_iter()
        .filter_map(|n| {
            let n = n.trim();
            let (prefix, rest) = n.split_at_checked("estimate:".len())?;
            prefix
                .eq_ignore_ascii_case("estimate:")
                .then(|| parse_estimate(rest))
                .flatten()
        })
        .reduce(f64::max)
}

/// What an issue's rollup is computed from and what it comes to: a row of `issue_rollups`.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RollupRow {
    pub issue_id: i64,
    pub repository_id: i64,
    pub parent_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub status: String,
    pub estimate: Option<f64>,
    pub weight_total: f64,
    pub weight_done: f64,
    pub progress: f64,
    pub total: i64,
    pub done: i64,
    pub in_progress: i64,
    pub blocked: i64,
    pub children_total: i64,
    pub children_closed: i64,
    pub at_risk: i64,
    pub derived_status: String,
}

/// A milestone's completion: a row of `milestone_rollups`.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MilestoneRollup {
    pub milestone_id: i64,
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub weight_total: f64,
    pub weight_done: f64,
    pub progress: f64,
}

fn status_of(s: &str) -> Status {
    Status::parse(s).unwrap_or(Status::Planning)
}

fn weight(estimate: Option<f64>) -> f64 {
    estimate.filter(|e| *e > 0.0).unwrap_or(1.0)
}

/// What a child counts for in its parent: 1 when done, its own progress when it has
/// children, else 0.
fn value(child: &RollupRow) -> f64 {
    if status_of(&child.status) == Status::Done {
        1.0
    } else if child.weight_total > 0.0 {
        child.progress
    } else {
        0.0
    }
}

/// The facts an issue's row is computed from, besides its children's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub issue_id: i64,
    pub repository_id: i64,
    pub parent_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub status: Status,
    pub estimate: Option<f64>,
}

/// An issue's row from its facts and its children's rows (in id order), the rule of the
/// module's documentation. Pure: the incremental update and the full recomputation share it.
pub fn roll(f: &Facts, children: &[RollupRow], done_when_children_done: bool) -> RollupRow {
    let (mut weight_total, mut weight_done) = (0.0, 0.0);
    let (mut total, mut done, mut in_progress, mut blocked) = (0, 0, 0, 0);
    let mut children_closed = 0;
    let (mut started, mut all_done, mut counted) = (false, true, 0);
    for c in children {
        let status = status_of(&c.status);
        if status.is_closed() {
            children_closed += 1;
        }
        if status == Status::Cancelled {
            continue;
        }
        counted += 1;
        let w = weight(c.estimate);
        weight_total += w;
        weight_done += w * value(c);
        total += 1 + c.total;
        done += i64::from(status == Status::Done) + c.done;
        in_progress +=
            i64::from(matches!(status, Status::InProgress | Status::Review)) + c.in_progress;
        blocked += i64::from(status == Status::Blocked) + c.blocked;
        let derived = status_of(&c.derived_status);
        started |= matches!(derived, Status::InProgress | Status::Review | Status::Done);
        all_done &= derived == Status::Done;
    }
    let progress = if weight_total > 0.0 {
        weight_done / weight_total
    } else if f.status == Status::Done {
        1.0
    } else {
        0.0
    };
    let derived = if f.status.is_closed() {
        f.status
    } else if done_when_children_done && counted > 0 && all_done {
        Status::Done
    } else if f.status == Status::Planning && started {
        Status::InProgress
    } else {
        f.status
    };
    RollupRow {
        issue_id: f.issue_id,
        repository_id: f.repository_id,
        parent_id: f.parent_id,
        milestone_id: f.milestone_id,
        status: f.status.as_str().to_string(),
        estimate: f.estimate,
        weight_total,
        weight_done,
        progress,
        total,
        done,
        in_progress,
        blocked,
        children_total: children.len() as i64,
        children_closed,
        at_risk: i64::from(blocked > 0),
        derived_status: derived.as_str().to_string(),
    }
}

/// A milestone's completion from its issues' rows (in id order): open and closed counts,
/// and done weight over all weight with cancelled issues left out (an issue's value here is
/// 1 when done, else 0: a milestone is a flat list of work).
pub fn milestone_roll(milestone_id: i64, issues: &[RollupRow]) -> MilestoneRollup {
    let (mut open, mut closed, mut weight_total, mut weight_done) = (0, 0, 0.0, 0.0);
    for i in issues {
        let status = status_of(&i.status);
        if status.is_closed() {
            closed += 1;
        } else {
            open += 1;
        }
        if status == Status::Cancelled {
            continue;
        }
        let w = weight(i.estimate);
        weight_total += w;
        if status == Status::Done {
            weight_done += w;
        }
    }
    MilestoneRollup {
        milestone_id,
        total: open + closed,
        open,
        closed,
        weight_total,
        weight_done,
        progress: if weight_total > 0.0 {
            weight_done / weight_total
        } else {
            0.0
        },
    }
}

/// An issue's facts as stored.
#[derive(FromRow)]
struct FactRow {
    id: i64,
    repository_id: i64,
    status: Option<String>,
    milestone_id: Option<i64>,
    parent_id: Option<i64>,
    planned: Option<f64>,
    labeled: Option<f64>,
}

impl FactRow {
    fn facts(self) -> Facts {
        Facts {
            issue_id: self.id,
            repository_id: self.repository_id,
            parent_id: self.parent_id,
            milestone_id: self.milestone_id,
            status: self.status.as_deref().map_or(Status::Planning, status_of),
            estimate: self.labeled.or(self.planned),
        }
    }
}

const FACTS: &str = "SELECT i.id, i.repository_id, i.status, i.milestone_id, l.parent_id, e.planned, e.labeled \
     FROM issues i LEFT JOIN sub_issue_links l ON l.child_id = i.id LEFT JOIN issue_estimates e ON e.issue_id = i.id \
     WHERE i.status IS NOT NULL";

const ROW: &str = "SELECT issue_id, repository_id, parent_id, milestone_id, status, estimate, weight_total, weight_done, progress, \
     total, done, in_progress, blocked, children_total, children_closed, at_risk, derived_status FROM issue_rollups";

/// Every row and milestone rollup computed from scratch from the mirror's issues, links
/// and estimates, with each repository's `parent_done_when_children_done` (`done_when`).
pub async fn compute_all(
    conn: &mut AnyConnection,
    done_when: &dyn Fn(i64) -> bool,
) -> anyhow::Result<(BTreeMap<i64, RollupRow>, BTreeMap<i64, MilestoneRollup>)> {
    let facts: BTreeMap<i64, Facts> = sqlx::query_as::<_, FactRow>(FACTS)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.facts()))
        .collect();
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for f in facts.values() {
        if let Some(p) = f.parent_id {
            children.entry(p).or_default().push(f.issue_id);
        }
    }
    for list in children.values_mut() {
        list.sort_unstable();
    }
    let mut rows: BTreeMap<i64, RollupRow> = BTreeMap::new();
    // Post-order without recursion; a cycle (never GitHub's) is cut where it closes.
    for &root in facts.keys() {
        let mut stack = vec![(root, false)];
        let mut on_path: HashSet<i64> = HashSet::new();
        while let Some((id, expanded)) = stack.pop() {
            if rows.contains_key(&id) {
                continue;
            }
            let kids = children.get(&id).map(Vec::as_slice).unwrap_or(&[]);
            if !expanded {
                on_path.insert(id);
                stack.push((id, true));
                for k in kids {
                    if !rows.contains_key(k) && !on_path.contains(k) {
                        stack.push((*k, false));
                    }
                }
                continue;
            }
            on_path.remove(&id);
            let kid_rows: Vec<RollupRow> =
                kids.iter().filter_map(|k| rows.get(k).cloned()).collect();
            let f = &facts[&id];
            rows.insert(id, roll(f, &kid_rows, done_when(f.repository_id)));
        }
    }
    let mut by_milestone: BTreeMap<i64, Vec<RollupRow>> = BTreeMap::new();
    for r in rows.values() {
        if let Some(m) = r.milestone_id {
            by_milestone.entry(m).or_default().push(r.clone());
        }
    }
    let milestones = by_milestone
        .into_iter()
        .map(|(m, issues)| (m, milestone_roll(m, &issues)))
        .collect();
    Ok((rows, milestones))
}

/// The stored rows (for comparison with [`compute_all`]).
pub async fn stored_all(
    conn: &mut AnyConnection,
) -> anyhow::Result<(BTreeMap<i64, RollupRow>, BTreeMap<i64, MilestoneRollup>)> {
    let rows = sqlx::query_as::<_, RollupRow>(ROW)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.issue_id, r))
        .collect();
    let milestones = sqlx::query_as::<_, MilestoneRollup>(
        "SELECT milestone_id, total, open, closed, weight_total, weight_done, progress FROM milestone_rollups",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|m| (m.milestone_id, m))
    .collect();
    Ok((rows, milestones))
}

/// A child's row with the parent it is linked under.
#[derive(FromRow)]
struct KidRow {
    link_parent: i64,
    #[sqlx(flatten)]
    row: RollupRow,
}

/// Writes rows, 100 a statement (18 values a row, within both databases' bind limits).
async fn write_rows(conn: &mut AnyConnection, rows: &[RollupRow]) -> anyhow::Result<()> {
    if rows.len() == 1 {
        return write_row(conn, &rows[0]).await;
    }
    for chunk in rows.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p = |c: usize| format!("${}", r * 18 + c);
                format!(
                    "({}, {}, {}, {}, {}, CASE WHEN {} = 1 THEN {} END, {})",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5),
                    p(18),
                    p(6),
                    (7..=17).map(p).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        let sql = format!("{INSERT_ROWS} {} {UPSERT_ROWS}", values.join(", "));
        let mut q = sqlx::query(&sql).persistent(false);
        for r in chunk {
            q = q
                .bind(r.issue_id)
                .bind(r.repository_id)
                .bind(r.parent_id)
                .bind(r.milestone_id)
                .bind(&r.status)
                .bind(r.estimate.unwrap_or(0.0))
                .bind(r.weight_total)
                .bind(r.weight_done)
                .bind(r.progress)
                .bind(r.total)
                .bind(r.done)
                .bind(r.in_progress)
                .bind(r.blocked)
                .bind(r.children_total)
                .bind(r.children_closed)
                .bind(r.at_risk)
                .bind(&r.derived_status)
                .bind(i64::from(r.estimate.is_some()));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const INSERT_ROWS: &str = "INSERT INTO issue_rollups (issue_id, repository_id, parent_id, milestone_id, status, estimate, weight_total, weight_done, progress, \
     total, done, in_progress, blocked, children_total, children_closed, at_risk, derived_status) VALUES";

const UPSERT_ROWS: &str = "ON CONFLICT (issue_id) DO UPDATE SET repository_id = excluded.repository_id, parent_id = excluded.parent_id, milestone_id = excluded.milestone_id, \
     status = excluded.status, estimate = excluded.estimate, weight_total = excluded.weight_total, weight_done = excluded.weight_done, \
     progress = excluded.progress, total = excluded.total, done = excluded.done, in_progress = excluded.in_progress, blocked = excluded.blocked, \
     children_total = excluded.children_total, children_closed = excluded.children_closed, at_risk = excluded.at_risk, derived_status = excluded.derived_status";

/// A nullable number is bound as a number and a flag (`CASE WHEN flag = 1 THEN n END`):
/// sqlx's `Any` driver declares a NULL double as a PostgreSQL `float4`, and the statement
/// cached with that type then refuses the next non-NULL `float8`.
async fn write_row(conn: &mut AnyConnection, r: &RollupRow) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO issue_rollups (issue_id, repository_id, parent_id, milestone_id, status, estimate, weight_total, weight_done, progress, \
         total, done, in_progress, blocked, children_total, children_closed, at_risk, derived_status) \
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $18 = 1 THEN $6 END, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (issue_id) DO UPDATE SET repository_id = excluded.repository_id, parent_id = excluded.parent_id, milestone_id = excluded.milestone_id, \
         status = excluded.status, estimate = excluded.estimate, weight_total = excluded.weight_total, weight_done = excluded.weight_done, \
         progress = excluded.progress, total = excluded.total, done = excluded.done, in_progress = excluded.in_progress, blocked = excluded.blocked, \
         children_total = excluded.children_total, children_closed = excluded.children_closed, at_risk = excluded.at_risk, derived_status = excluded.derived_status",
    )
    .bind(r.issue_id)
    .bind(r.repository_id)
    .bind(r.parent_id)
    .bind(r.milestone_id)
    .bind(&r.status)
    .bind(r.estimate.unwrap_or(0.0))
    .bind(r.weight_total)
    .bind(r.weight_done)
    .bind(r.progress)
    .bind(r.total)
    .bind(r.done)
    .bind(r.in_progress)
    .bind(r.blocked)
    .bind(r.children_total)
    .bind(r.children_closed)
    .bind(r.at_risk)
    .bind(&r.derived_status)
    .bind(i64::from(r.estimate.is_some()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn refresh_milestone(conn: &mut AnyConnection, milestone_id: i64) -> anyhow::Result<()> {
    let issues =
        sqlx::query_as::<_, RollupRow>(&format!("{ROW} WHERE milestone_id = $1 ORDER BY issue_id"))
            .bind(milestone_id)
            .fetch_all(&mut *conn)
            .await?;
    if issues.is_empty() {
        sqlx::query("DELETE FROM milestone_rollups WHERE milestone_id = $1")
            .bind(milestone_id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let m = milestone_roll(milestone_id, &issues);
    sqlx::query(
        "INSERT INTO milestone_rollups (milestone_id, total, open, closed, weight_total, weight_done, progress) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (milestone_id) DO UPDATE SET total = excluded.total, open = excluded.open, closed = excluded.closed, \
         weight_total = excluded.weight_total, weight_done = excluded.weight_done, progress = excluded.progress",
    )
    .bind(m.milestone_id)
    .bind(m.total)
    .bind(m.open)
    .bind(m.closed)
    .bind(m.weight_total)
    .bind(m.weight_done)
    .bind(m.progress)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces every stored rollup with [`compute_all`]'s (an upgraded database's first fill).
pub(crate) async fn rebuild(
    conn: &mut AnyConnection,
    done_when: &dyn Fn(i64) -> bool,
) -> anyhow::Result<()> {
    let (rows, milestones) = compute_all(&mut *conn, done_when).await?;
    sqlx::query("DELETE FROM issue_rollups")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM milestone_rollups")
        .execute(&mut *conn)
        .await?;
    for r in rows.values() {
        write_row(&mut *conn, r).await?;
    }
    for m in milestones.keys() {
        refresh_milestone(&mut *conn, *m).await?;
    }
    Ok(())
}

/// How deep a walk goes at most: GitHub allows 8 levels; a cycle (never GitHub's) ends here.
const MAX_WALK: usize = 64;

/// The projector's hooks: each is one call at the place that changes what a rollup reads.
impl MirrorTx<'_> {
    /// Whether the repository's parents become `done` with their children.
    async fn done_when(
        &mut self,
        kept: &mut HashMap<i64, bool>,
        repo_id: i64,
    ) -> anyhow::Result<bool> {
        if let Some(b) = kept.get(&repo_id) {
            return Ok(*b);
        }
        let b = self
            .workflow(repo_id)
            .await?
            .parent_done_when_children_done();
        kept.insert(repo_id, b);
        Ok(b)
    }

    /// Recomputes the rows of `start` and then of each ancestor whose row changed, up to
    /// the root; also the old parent of an issue that moved, and the milestones whose
    /// issues' status, estimate or milestone changed. A level at a time, each in a few
    /// statements (a sync page's 100 issues cost what one does): an issue whose child
    /// changed in the same level is computed again in the next, after that child.
    async fn walk_up(&mut self, start: &[i64]) -> anyhow::Result<()> {
        let mut kept = HashMap::new();
        let mut frontier: Vec<i64> = start.to_vec();
        let mut milestones: HashSet<i64> = HashSet::new();
        let mut depth = 0;
        loop {
            frontier.sort_unstable();
            frontier.dedup();
            if frontier.is_empty() || depth > MAX_WALK {
                break;
            }
            depth += 1;
            // One issue (the usual walk) reads with prepared statements kept by the
            // connection; a level of many lists its ids inline, one statement each.
            let single = (frontier.len() == 1).then(|| frontier[0]);
            let among = match single {
                Some(_) => "= $1".to_string(),
                None => format!("IN ({})", id_list(frontier.iter())),
            };
            let sql = format!("{FACTS} AND i.id {among}");
            let mut q = sqlx::query_as::<_, FactRow>(&sql).persistent(single.is_some());
            if let Some(id) = single {
                q = q.bind(id);
            }
            let facts: HashMap<i64, Facts> = q
                .fetch_all(&mut *self.conn)
                .await?
                .into_iter()
                .map(|r| (r.id, r.facts()))
                .collect();
            let sql = format!("{ROW} WHERE issue_id {among}");
            let mut q = sqlx::query_as::<_, RollupRow>(&sql).persistent(single.is_some());
            if let Some(id) = single {
                q = q.bind(id);
            }
            let mut old: HashMap<i64, RollupRow> = q
                .fetch_all(&mut *self.conn)
                .await?
                .into_iter()
                .map(|r| (r.issue_id, r))
                .collect();
            let mut kids: HashMap<i64, Vec<RollupRow>> = HashMap::new();
            let sql = format!(
                "SELECT l.parent_id AS link_parent, r.issue_id, r.repository_id, r.parent_id, r.milestone_id, r.status, r.estimate, r.weight_total, r.weight_done, r.progress, \
                 r.total, r.done, r.in_progress, r.blocked, r.children_total, r.children_closed, r.at_risk, r.derived_status \
                 FROM sub_issue_links l JOIN issue_rollups r ON r.issue_id = l.child_id WHERE l.parent_id {among} ORDER BY l.parent_id, r.issue_id"
            );
            let mut q = sqlx::query_as::<_, KidRow>(&sql).persistent(single.is_some());
            if let Some(id) = single {
                q = q.bind(id);
            }
            for k in q.fetch_all(&mut *self.conn).await? {
                kids.entry(k.link_parent).or_default().push(k.row);
            }
            let mut next: Vec<i64> = Vec::new();
            let mut writes: Vec<RollupRow> = Vec::new();
            let mut gone: Vec<i64> = Vec::new();
            for id in &frontier {
                let before = old.remove(id);
                let Some(f) = facts.get(id) else {
                    // Not a mirrored issue (any more): its row goes, its parent recounts,
                    // and its children's rows forget it.
                    if let Some(before) = before {
                        milestones.extend(before.milestone_id);
                        next.extend(before.parent_id);
                        gone.push(*id);
                    }
                    continue;
                };
                let done_when = self.done_when(&mut kept, f.repository_id).await?;
                let row = roll(f, kids.get(id).map_or(&[], Vec::as_slice), done_when);
                if before.as_ref() == Some(&row) {
                    continue;
                }
                match &before {
                    Some(b) => {
                        if b.status != row.status
                            || b.estimate != row.estimate
                            || b.milestone_id != row.milestone_id
                        {
                            milestones.extend(b.milestone_id);
                            milestones.extend(row.milestone_id);
                        }
                        if b.parent_id != row.parent_id {
                            next.extend(b.parent_id);
                        }
                    }
                    None => milestones.extend(row.milestone_id),
                }
                next.extend(row.parent_id);
                writes.push(row);
            }
            write_rows(&mut *self.conn, &writes).await?;
            if !gone.is_empty() {
                let gone = id_list(gone.iter());
                sqlx::query(&format!(
                    "DELETE FROM issue_rollups WHERE issue_id IN ({gone})"
                ))
                .persistent(false)
                .execute(&mut *self.conn)
                .await?;
                let orphans: Vec<i64> = sqlx::query_scalar(&format!(
                    "SELECT issue_id FROM issue_rollups WHERE parent_id IN ({gone})"
                ))
                .persistent(false)
                .fetch_all(&mut *self.conn)
                .await?;
                next.extend(orphans);
            }
            frontier = next;
        }
        for m in milestones {
            refresh_milestone(&mut *self.conn, m).await?;
        }
        Ok(())
    }

    /// After a page of issues is stored: their `estimate:N` labels recorded, and the rows of
    /// those whose status, estimate, milestone or parent changed walked up.
    pub(crate) async fn rollup_issues(
        &mut self,
        stored: &[&crate::records::Issue],
    ) -> anyhow::Result<()> {
        let issues: Vec<&crate::records::Issue> = stored
            .iter()
            .copied()
            .filter(|i| i.pull_request.is_none())
            .collect();
        if issues.is_empty() {
            return Ok(());
        }
        let ids = id_list(issues.iter().map(|i| i.id));
        let labeled: HashMap<i64, Option<f64>> = sqlx::query_as::<_, (i64, Option<f64>)>(&format!(
            "SELECT issue_id, labeled FROM issue_estimates WHERE issue_id IN ({ids})"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .collect();
        for i in &issues {
            let from_labels = estimate_from_labels(i.labels.iter().map(|l| l.name.as_str()));
            let stored = labeled.get(&i.id).copied();
            if stored.flatten() != from_labels {
                sqlx::query(
                    "INSERT INTO issue_estimates (issue_id, labeled) VALUES ($1, CASE WHEN $3 = 1 THEN $2 END) \
                     ON CONFLICT (issue_id) DO UPDATE SET labeled = excluded.labeled",
                )
                .bind(i.id)
                .bind(from_labels.unwrap_or(0.0))
                .bind(i64::from(from_labels.is_some()))
                .execute(&mut *self.conn)
                .await?;
            }
        }
        let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
        self.walk_up(&ids).await
    }

    /// After an issue's status was set directly (the API's change before GitHub echoes it).
    pub(crate) async fn rollup_issue(&mut self, issue_id: i64) -> anyhow::Result<()> {
        self.walk_up(&[issue_id]).await
    }

    /// After sub-issue links of `parents` changed (linked, unlinked or replaced): the
    /// children named and the ones the rows still file under these parents are walked up,
    /// so both a child's old and new parent recount.
    pub(crate) async fn rollup_links(
        &mut self,
        parents: &[i64],
        children: &[i64],
    ) -> anyhow::Result<()> {
        let mut start: Vec<i64> = children.to_vec();
        if !parents.is_empty() {
            let filed: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT issue_id FROM issue_rollups WHERE parent_id IN ({})",
                id_list(parents.iter().copied())
            ))
            .persistent(false)
            .fetch_all(&mut *self.conn)
            .await?;
            start.extend(filed);
        }
        start.extend(parents);
        start.sort_unstable();
        start.dedup();
        self.walk_up(&start).await
    }

    /// After an issue left the mirror (deleted, transferred, or its repository removed).
    pub(crate) async fn rollup_removed(&mut self, issue_ids: &[i64]) -> anyhow::Result<()> {
        sqlx::query(&format!(
            "DELETE FROM issue_estimates WHERE issue_id IN ({})",
            id_list(issue_ids.iter().copied())
        ))
        .persistent(false)
        .execute(&mut *self.conn)
        .await?;
        // Its children lose their parent even when the issue itself had no row.
        self.rollup_links(issue_ids, issue_ids).await
    }

    /// After a repository left the mirror: its issues' rows go, parents elsewhere recount.
    pub(crate) async fn rollup_repository_removed(&mut self, repo_id: i64) -> anyhow::Result<()> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT issue_id FROM issue_rollups WHERE repository_id = $1")
                .bind(repo_id)
                .fetch_all(&mut *self.conn)
                .await?;
        if ids.is_empty() {
            return Ok(());
        }
        self.rollup_removed(&ids).await
    }

    /// After a milestone was deleted: its completion goes, its issues' rows forget it.
    pub(crate) async fn rollup_milestone_removed(
        &mut self,
        milestone_id: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE issue_rollups SET milestone_id = NULL WHERE milestone_id = $1")
            .bind(milestone_id)
            .execute(&mut *self.conn)
            .await?;
        sqlx::query("DELETE FROM milestone_rollups WHERE milestone_id = $1")
            .bind(milestone_id)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    /// Records the estimate a governance apply planned for an issue (hours; None removes
    /// it) and walks its rollup up. An `estimate:N` label on the issue still wins.
    pub async fn set_planned_estimate(
        &mut self,
        issue_id: i64,
        hours: Option<f64>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO issue_estimates (issue_id, planned) VALUES ($1, CASE WHEN $3 = 1 THEN $2 END) \
             ON CONFLICT (issue_id) DO UPDATE SET planned = excluded.planned",
        )
        .bind(issue_id)
        .bind(hours.unwrap_or(0.0))
        .bind(i64::from(hours.is_some()))
        .execute(&mut *self.conn)
        .await?;
        self.walk_up(&[issue_id]).await
    }
}

/// One node of a hierarchy as the API shows it: the issue, its rollup (None for an issue
/// that has none, e.g. just linked and not mirrored) and GitHub's own summary.
#[derive(Debug, Clone, FromRow)]
pub struct HierarchyRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub status: Option<String>,
    pub parent_id: Option<i64>,
    pub position: Option<i64>,
    /// GitHub's `sub_issues_summary`, as mirrored.
    pub sub_issues_total: i64,
    pub sub_issues_completed: i64,
    pub estimate: Option<f64>,
    pub progress: Option<f64>,
    pub total: Option<i64>,
    pub done: Option<i64>,
    pub in_progress: Option<i64>,
    pub blocked: Option<i64>,
    pub children_total: Option<i64>,
    pub children_closed: Option<i64>,
    pub at_risk: Option<i64>,
    pub derived_status: Option<String>,
}

impl HierarchyRow {
    /// GitHub's `sub_issues_summary` (total, completed) and the mirror's children (all, and
    /// closed ones) disagree: a lost webhook, a child in a repository not mirrored, or a
    /// summary GitHub has not refreshed yet.
    pub fn summary_mismatch(&self) -> bool {
        (self.sub_issues_total, self.sub_issues_completed)
            != (
                self.children_total.unwrap_or(0),
                self.children_closed.unwrap_or(0),
            )
    }
}

/// The deepest a hierarchy answer goes (GitHub allows 8 levels).
const MAX_DEPTH: i64 = 16;

/// A mirrored issue whose sub-issue counts disagree with GitHub's summary.
#[derive(Debug, Clone, FromRow)]
pub struct SummaryMismatch {
    pub id: i64,
    pub number: i64,
    pub sub_issues_total: i64,
    pub sub_issues_completed: i64,
    pub children_total: i64,
    pub children_closed: i64,
}

impl crate::Store {
    /// An issue's rollup row, if it has one.
    pub async fn rollup_of(&self, issue_id: i64) -> anyhow::Result<Option<RollupRow>> {
        Ok(
            sqlx::query_as::<_, RollupRow>(&format!("{ROW} WHERE issue_id = $1"))
                .bind(issue_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A milestone's completion, if it has issues.
    pub async fn milestone_rollup(
        &self,
        milestone_id: i64,
    ) -> anyhow::Result<Option<MilestoneRollup>> {
        Ok(sqlx::query_as::<_, MilestoneRollup>(
            "SELECT milestone_id, total, open, closed, weight_total, weight_done, progress FROM milestone_rollups WHERE milestone_id = $1",
        )
        .bind(milestone_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The tree under (and including) an issue, in one read: None when the issue is not
    /// mirrored. Rows come parents before children, each parent's children by position.
    pub async fn hierarchy(&self, issue_id: i64) -> anyhow::Result<Option<Vec<HierarchyRow>>> {
        let rows = sqlx::query_as::<_, HierarchyRow>(
            "WITH RECURSIVE tree (id, depth) AS (                  SELECT i.id, 0 FROM issues i WHERE i.id = $1                  UNION ALL SELECT l.child_id, t.depth + 1 FROM sub_issue_links l JOIN tree t ON l.parent_id = t.id WHERE t.depth < $2)              SELECT i.id, i.number, i.title, i.status, l.parent_id, l.position, i.sub_issues_total, i.sub_issues_completed,                  r.estimate, r.progress, r.total, r.done, r.in_progress, r.blocked, r.children_total, r.children_closed, r.at_risk, r.derived_status              FROM tree t JOIN issues i ON i.id = t.id LEFT JOIN sub_issue_links l ON l.child_id = i.id LEFT JOIN issue_rollups r ON r.issue_id = i.id              ORDER BY t.depth, l.position, i.id",
        )
        .bind(issue_id)
        .bind(MAX_DEPTH)
        .fetch_all(&self.pool)
        .await?;
        Ok((!rows.is_empty()).then_some(rows))
    }

    /// The repository's issues whose sub-issue counts disagree with GitHub's summary (for
    /// compliance), at most `limit`.
    pub async fn summary_mismatches(
        &self,
        repository: &crate::RepoName,
        limit: i64,
    ) -> anyhow::Result<Vec<SummaryMismatch>> {
        Ok(sqlx::query_as::<_, SummaryMismatch>(
            "SELECT i.id, i.number, i.sub_issues_total, i.sub_issues_completed,                  COALESCE(r.children_total, 0) AS children_total, COALESCE(r.children_closed, 0) AS children_closed              FROM issues i LEFT JOIN issue_rollups r ON r.issue_id = i.id              WHERE i.repository_id = (SELECT id FROM repositories WHERE full_name_lc = $1) AND i.is_pull_request = 0                AND (i.sub_issues_total <> COALESCE(r.children_total, 0) OR i.sub_issues_completed <> COALESCE(r.children_closed, 0))              ORDER BY i.number LIMIT $2",
        )
        .bind(repository.key())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The repository's issues whose derived status differs from their status (the
    /// parents the rollup would move), by issue id, at most `limit`: what a writer routes
    /// to GitHub when that is wanted; ghgov itself writes nothing for them.
    pub async fn derived_status_differences(
        &self,
        repository: &crate::RepoName,
        limit: i64,
    ) -> anyhow::Result<Vec<RollupRow>> {
        Ok(sqlx::query_as::<_, RollupRow>(&format!(
            "{ROW} WHERE repository_id = (SELECT id FROM repositories WHERE full_name_lc = $1) AND derived_status <> status ORDER BY issue_id LIMIT $2"
        ))
        .bind(repository.key())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether every stored rollup equals a full recomputation (tests and checks).
    pub async fn rollups_consistent(&self) -> anyhow::Result<Result<(), String>> {
        let mut tx = self.begin_write().await?;
        let flags = done_when_flags(&mut tx).await?;
        let conn = &mut *tx.tx;
        let (rows, milestones) = compute_all(&mut *conn, &|r| flags.contains(&r)).await?;
        let (stored_rows, stored_milestones) = stored_all(&mut *conn).await?;
        drop(tx);
        Ok(compare(
            &rows,
            &milestones,
            &stored_rows,
            &stored_milestones,
        ))
    }

    /// An upgraded database with issues computes every rollup once (migration 0008 left a
    /// mark); from then on the projector keeps them up to date.
    pub(crate) async fn rebuild_rollups_if_pending(&self) -> anyhow::Result<()> {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rollup_rebuild")
            .fetch_one(&self.pool)
            .await?;
        if pending == 0 {
            return Ok(());
        }
        let mut tx = self.begin_mirror_write().await?;
        let flags = done_when_flags(&mut tx).await?;
        rebuild(&mut tx.tx, &|r| flags.contains(&r)).await?;
        sqlx::query("DELETE FROM rollup_rebuild")
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The repositories whose parents become `done` with their children.
async fn done_when_flags(tx: &mut crate::WriteTx) -> anyhow::Result<HashSet<i64>> {
    let repos: Vec<i64> = sqlx::query_scalar("SELECT id FROM repositories")
        .fetch_all(&mut *tx.tx)
        .await?;
    let mut flags = HashSet::new();
    // Reads only: nothing it does records an event.
    let mut no_events = Vec::new();
    let mut m = MirrorTx::reader(&mut tx.tx, &mut no_events, tx.workflows.clone());
    for r in repos {
        if m.workflow(r).await?.parent_done_when_children_done() {
            flags.insert(r);
        }
    }
    Ok(flags)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9
}

fn same_row(a: &RollupRow, b: &RollupRow) -> bool {
    let (mut a2, mut b2) = (a.clone(), b.clone());
    let floats = close(a.weight_total, b.weight_total)
        && close(a.weight_done, b.weight_done)
        && close(a.progress, b.progress);
    for r in [&mut a2, &mut b2] {
        (r.weight_total, r.weight_done, r.progress) = (0.0, 0.0, 0.0);
    }
    floats && a2 == b2
}

/// Where stored rollups differ from a full recomputation, said per issue or milestone.
pub fn compare(
    rows: &BTreeMap<i64, RollupRow>,
    milestones: &BTreeMap<i64, MilestoneRollup>,
    stored_rows: &BTreeMap<i64, RollupRow>,
    stored_milestones: &BTreeMap<i64, MilestoneRollup>,
) -> Result<(), String> {
    let mut out = Vec::new();
    for id in rows
        .keys()
        .chain(stored_rows.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (rows.get(id), stored_rows.get(id)) {
            (Some(a), Some(b)) if same_row(a, b) => {}
            (a, b) => out.push(format!("issue {id}: recomputed {a:?}, stored {b:?}")),
        }
    }
    for id in milestones
        .keys()
        .chain(stored_milestones.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (milestones.get(id), stored_milestones.get(id)) {
            (Some(a), Some(b))
                if (a.total, a.open, a.closed) == (b.total, b.open, b.closed)
                    && close(a.weight_total, b.weight_total)
                    && close(a.weight_done, b.weight_done)
                    && close(a.progress, b.progress) => {}
            (a, b) => out.push(format!("milestone {id}: recomputed {a:?}, stored {b:?}")),
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out.join("\n"))
    }
}

#[cfg(test)]
mod tests;
