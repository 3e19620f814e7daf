//! `GET /search/issues`: GitHub's issue search over every repository, with the qualifiers
//! `repo:`, `is:issue|pr`, `is:open|closed` (and `type:`/`state:`), `label:`, `milestone:`,
//! `assignee:`, `author:`, `no:assignee|label|milestone`, `in:title|body`, and
//! `created:`/`updated:` comparisons (`>=2024-01-01`, `<2024-02-01`, `2024-01-01..2024-02-01`);
//! other words must appear (case-insensitively) in the title or body. Search has its own
//! limit: 30 requests a minute per user.

use super::{param, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, PageParams, RawPage};
use crate::model::{Issue, Repo, Time, World};
use axum::extract::{Extension, Query};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};

use crate::limits::SEARCHES_PER_MINUTE;
/// GitHub never returns more than the first 1,000 results of a search.
const MAX_RESULTS: usize = 1_000;

/// Words of a query; a double-quoted part (`label:"help wanted"`) stays one word.
fn words(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
}

/// A date comparison: `>=2024-01-01`, `<2024-01-01T12:00:00Z`, `2024-01-01..2024-02-01`.
#[derive(Debug, Clone)]
struct DateRange(Vec<(Cmp, Time)>);

fn day(s: &str) -> Option<Time> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

impl DateRange {
    fn parse(v: &str) -> Option<DateRange> {
        if let Some((a, b)) = v.split_once("..") {
            let mut parts = Vec::new();
            if a != "*" {
                parts.push((Cmp::Ge, day(a)?));
            }
            if b != "*" {
                // A day as the upper end includes that whole day.
                let end = day(b)?;
                let end = if b.len() == 10 {
                    end + Duration::days(1)
                } else {
                    end + Duration::seconds(1)
                };
                parts.push((Cmp::Lt, end));
            }
            return Some(DateRange(parts));
        }
        let (cmp, rest) = if let Some(r) = v.strip_prefix(">=") {
            (Cmp::Ge, r)
        } else if let Some(r) = v.strip_prefix("<=") {
            (Cmp::Le, r)
        } else if let Some(r) = v.strip_prefix('>') {
            (Cmp::Gt, r)
        } else if let Some(r) = v.strip_prefix('<') {
            (Cmp::Lt, r)
        } else {
            (Cmp::Eq, v)
        };
        let t = day(rest)?;
        if rest.len() == 10 {
            // Whole days: `>2024-01-01` starts the next day, `<=2024-01-01` ends with it.
            let next = t + Duration::days(1);
            return Some(DateRange(match cmp {
                Cmp::Ge => vec![(Cmp::Ge, t)],
                Cmp::Gt => vec![(Cmp::Ge, next)],
                Cmp::Le => vec![(Cmp::Lt, next)],
                Cmp::Lt => vec![(Cmp::Lt, t)],
                Cmp::Eq => vec![(Cmp::Ge, t), (Cmp::Lt, next)],
            }));
        }
        Some(DateRange(vec![(cmp, t)]))
    }

    fn holds(&self, t: Time) -> bool {
        self.0.iter().all(|(c, x)| match c {
            Cmp::Ge => t >= *x,
            Cmp::Gt => t > *x,
            Cmp::Le => t <= *x,
            Cmp::Lt => t < *x,
            Cmp::Eq => t == *x,
        })
    }
}

#[derive(Debug, Default)]
struct SearchQuery {
    repos: Vec<String>,
    pull_request: Option<bool>,
    open: Option<bool>,
    labels: Vec<String>,
    no_label: bool,
    milestone: Option<String>,
    no_milestone: bool,
    assignee: Option<String>,
    no_assignee: bool,
    author: Option<String>,
    in_title: bool,
    in_body: bool,
    created: Vec<DateRange>,
    updated: Vec<DateRange>,
    terms: Vec<String>,
}

fn invalid(q: &str, why: String) -> ApiError {
    ApiError::validation(vec![crate::error::FieldError::new(
        "Search", "q", "invalid",
    )
    .with_message(why)
    .with_value(q)])
}

impl SearchQuery {
    fn parse(q: &str) -> ApiResult<SearchQuery> {
        let mut out = SearchQuery::default();
        for w in words(q) {
            let Some((k, v)) = w.split_once(':').filter(|(k, _)| {
                matches!(
                    k.to_ascii_lowercase().as_str(),
                    "repo"
                        | "is"
                        | "type"
                        | "state"
                        | "label"
                        | "milestone"
                        | "assignee"
                        | "author"
                        | "no"
                        | "in"
                        | "created"
                        | "updated"
                )
            }) else {
                out.terms.push(w.to_lowercase());
                continue;
            };
            let v = v.to_string();
            match (
                k.to_ascii_lowercase().as_str(),
                v.to_ascii_lowercase().as_str(),
            ) {
                ("repo", _) => out.repos.push(v.to_ascii_lowercase()),
                ("is" | "type", "issue") => out.pull_request = Some(false),
                ("is" | "type", "pr" | "pull-request") => out.pull_request = Some(true),
                ("is" | "state", "open") => out.open = Some(true),
                ("is" | "state", "closed") => out.open = Some(false),
                ("label", _) => out.labels.push(v),
                ("milestone", _) => out.milestone = Some(v),
                ("assignee", _) => out.assignee = Some(v),
                ("author", _) => out.author = Some(v),
                ("no", "label") => out.no_label = true,
                ("no", "milestone") => out.no_milestone = true,
                ("no", "assignee") => out.no_assignee = true,
                ("in", places) => {
                    for p in places.split(',') {
                        match p {
                            "title" => out.in_title = true,
                            "body" => out.in_body = true,
                            "comments" => {}
                            _ => return Err(invalid(q, format!("unknown in:{p}"))),
                        }
                    }
                }
                ("created" | "updated", _) => {
                    let r = DateRange::parse(&v)
                        .ok_or_else(|| invalid(q, format!("cannot read the date in '{w}'")))?;
                    if k.eq_ignore_ascii_case("created") {
                        out.created.push(r)
                    } else {
                        out.updated.push(r)
                    }
                }
                _ => return Err(invalid(q, format!("cannot use the qualifier '{w}'"))),
            }
        }
        if !out.in_title && !out.in_body {
            out.in_title = true;
            out.in_body = true;
        }
        Ok(out)
    }

    fn matches(&self, w: &World, repo: &Repo, i: &Issue) -> bool {
        if i.gone.is_some() {
            return false;
        }
        if !self.repos.is_empty()
            && !self
                .repos
                .iter()
                .any(|r| *r == repo.full_name().to_ascii_lowercase())
        {
            return false;
        }
        if self.pull_request.is_some_and(|pr| pr != i.pull_request)
            || self.open.is_some_and(|o| o != i.is_open())
        {
            return false;
        }
        for l in &self.labels {
            match repo.label_by_name(l) {
                Some(label) if i.labels.contains(&label.id) => {}
                _ => return false,
            }
        }
        if (self.no_label && !i.labels.is_empty())
            || (self.no_milestone && i.milestone.is_some())
            || (self.no_assignee && !i.assignees.is_empty())
        {
            return false;
        }
        if let Some(m) = &self.milestone {
            let title = i
                .milestone
                .and_then(|n| repo.milestone(n))
                .map(|m| m.title.as_str());
            if !title.is_some_and(|t| t.eq_ignore_ascii_case(m)) {
                return false;
            }
        }
        if let Some(a) = &self.assignee {
            if !i.assignees.iter().any(|x| x.eq_ignore_ascii_case(a)) {
                return false;
            }
        }
        if let Some(a) = &self.author {
            if !i.user.eq_ignore_ascii_case(a) {
                return false;
            }
        }
        if !self.created.iter().all(|r| r.holds(i.created_at))
            || !self.updated.iter().all(|r| r.holds(i.updated_at))
        {
            return false;
        }
        let _ = w;
        self.terms.iter().all(|t| {
            (self.in_title && i.title.to_lowercase().contains(t))
                || (self.in_body
                    && i.body
                        .as_deref()
                        .is_some_and(|b| b.to_lowercase().contains(t)))
        })
    }
}

fn search_headers(r: &mut Response, remaining: usize, reset: Time) {
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(SEARCHES_PER_MINUTE));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset.timestamp()));
    h.insert("x-ratelimit-resource", HeaderValue::from_static("search"));
}

pub async fn issues(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Query(q): axum::extract::Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Response> {
    let now = hub.clock.now_precise();
    let admitted = hub.limits.lock().admit_search(&actor.login, now);
    let reset = now + Duration::minutes(1);
    let remaining = match admitted {
        Ok(remaining) => remaining,
        Err(retry_after) => {
            let id = hub
                .world
                .read()
                .find_user(&actor.login)
                .map(|u| u.id)
                .unwrap_or(0);
            let mut e = ApiError::new(
                StatusCode::FORBIDDEN,
                format!("API rate limit exceeded for user ID {id}."),
            );
            e.retry_after = Some(retry_after);
            let mut r = e.into_response();
            search_headers(&mut r, 0, now + Duration::seconds(retry_after as i64));
            return Ok(r);
        }
    };
    let text = param(&q, "q").unwrap_or("").trim().to_string();
    if text.is_empty() {
        return Err(ApiError::validation(vec![crate::error::FieldError::new(
            "Search", "q", "missing",
        )]));
    }
    let query = SearchQuery::parse(&text)?;
    let sort = param(&q, "sort");
    let asc = match param(&q, "order").unwrap_or("desc") {
        "asc" => true,
        "desc" => false,
        other => {
            return Err(ApiError::unprocessable(format!(
                "order must be asc or desc, got '{other}'"
            )))
        }
    };
    let w = hub.world.read();
    let mut found: Vec<(usize, &Issue)> = Vec::new();
    for (ri, repo) in w.repos.iter().enumerate() {
        if repo.private {
            continue;
        }
        found.extend(
            repo.issues
                .iter()
                .filter(|i| query.matches(&w, repo, i))
                .map(|i| (ri, i)),
        );
    }
    let key = |(_, i): &(usize, &Issue)| match sort {
        Some("updated") => (i.updated_at, i.id),
        Some("comments") => (
            chrono::DateTime::from_timestamp(i.comments as i64, 0).unwrap_or_default(),
            i.id,
        ),
        // "created", and best match (fakehub's is the newest first).
        _ => (i.created_at, i.id),
    };
    found.sort_by_key(key);
    if !asc {
        found.reverse();
    }
    let total = found.len();
    let p = PageParams::from_query(&q)?;
    let reachable = total.min(MAX_RESULTS);
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("{{\"total_count\":{total},\"incomplete_results\":false,\"items\":[").as_bytes(),
    );
    let page = found
        .iter()
        .take(reachable)
        .skip(p.offset())
        .take(p.per_page);
    for (k, (ri, i)) in page.enumerate() {
        if k > 0 {
            body.push(b',');
        }
        let mut item = w.issue_json(*ri, i);
        item["score"] = serde_json::json!(1.0);
        body.extend_from_slice(&serde_json::to_vec(&item).expect("json"));
    }
    body.extend_from_slice(b"]}");
    let link = link_header(&w.base, uri.path(), &q, p, reachable);
    let mut r = RawPage { body, link }.into_response();
    search_headers(&mut r, remaining, reset);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_as_github_reads_them() {
        assert_eq!(
            words(r#"repo:o/r label:"help wanted"  crash"#),
            ["repo:o/r", "label:help wanted", "crash"]
        );
        let q = SearchQuery::parse(
            "repo:O/R is:issue is:open label:bug in:title Crash updated:>=2024-01-01",
        )
        .unwrap();
        assert_eq!(q.repos, ["o/r"]);
        assert_eq!((q.pull_request, q.open), (Some(false), Some(true)));
        assert!(q.in_title && !q.in_body);
        assert_eq!(q.terms, ["crash"]);
        let r = &q.updated[0];
        assert!(r.holds(day("2024-01-01").unwrap()));
        assert!(!r.holds(day("2023-12-31").unwrap()));
        let r = DateRange::parse("2024-01-01..2024-01-31").unwrap();
        assert!(r.holds("2024-01-31T23:00:00Z".parse().unwrap()));
        assert!(!r.holds(day("2024-02-01").unwrap()));
        assert!(SearchQuery::parse("updated:>=yesterday").is_err());
        assert!(SearchQuery::parse("in:nowhere").is_err());
    }
}
