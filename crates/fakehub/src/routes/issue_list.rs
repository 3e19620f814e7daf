//! `GET /repos/{owner}/{repo}/issues`: GitHub's filters and sorts, page numbers or the opaque
//! `after` / `before` cursors.

use super::{param, parse_time, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, PageParams, RawPage};
use crate::hub::{MatchKey, Matches};
use crate::model::{Issue, Repo, World};
use axum::extract::{Path, Query};
use axum::http::Uri;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    Created,
    Updated,
    Comments,
}

struct Filter {
    state: Option<bool>,
    labels: Vec<u64>,
    /// A label that does not exist matches nothing.
    impossible: bool,
    milestone: Option<Option<u64>>,
    any_milestone: bool,
    assignee: Option<Option<String>>,
    any_assignee: bool,
    creator: Option<String>,
    since: Option<crate::model::Time>,
    type_id: Option<Option<u64>>,
    /// `mentioned`: the login, and the issues whose comments mention it.
    mentioned: Option<(String, std::collections::HashSet<u64>)>,
}

/// Whether `text` mentions `@login` (case-insensitively, as a whole login: not inside an
/// e-mail address, not the start of a longer login).
pub(crate) fn mentions(text: &str, login: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices('@').any(|(at, _)| {
        let before_ok = !text[..at].chars().next_back().is_some_and(word);
        let rest = &text[at + 1..];
        before_ok
            && rest.len() >= login.len()
            && rest.is_char_boundary(login.len())
            && rest[..login.len()].eq_ignore_ascii_case(login)
            && !rest[login.len()..].chars().next().is_some_and(word)
    })
}

impl Filter {
    fn parse(w: &World, repo: &Repo, q: &[(String, String)]) -> ApiResult<Self> {
        let state = match param(q, "state").unwrap_or("open") {
            "open" => Some(true),
            "closed" => Some(false),
            "all" => None,
            other => {
                return Err(ApiError::unprocessable(format!(
                    "state must be open, closed or all, got '{other}'"
                )))
            }
        };
        let mut labels = Vec::new();
        let mut impossible = false;
        for name in param(q, "labels")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match repo.label_by_name(name) {
                Some(l) => labels.push(l.id),
                None => impossible = true,
            }
        }
        let (milestone, any_milestone) = match param(q, "milestone") {
            None => (None, false),
            Some("*") => (None, true),
            Some("none") => (Some(None), false),
            Some(n) => match n.parse::<u64>() {
                Ok(n) => (Some(Some(n)), false),
                Err(_) => {
                    // GitHub also accepts a milestone title here.
                    let m = repo.milestones.iter().find(|m| !m.deleted && m.title == n);
                    match m {
                        Some(m) => (Some(Some(m.number)), false),
                        None => {
                            return Err(ApiError::unprocessable(format!(
                                "milestone '{n}' does not exist"
                            )))
                        }
                    }
                }
            },
        };
        let (assignee, any_assignee) = match param(q, "assignee") {
            None => (None, false),
            Some("*") => (None, true),
            Some("none") => (Some(None), false),
            Some(a) => (Some(Some(a.to_ascii_lowercase())), false),
        };
        let type_id = match param(q, "type") {
            None | Some("*") => None,
            Some("none") => Some(None),
            Some(t) => match w.issue_type_by_name(&repo.owner, t) {
                Some(t) => Some(Some(t.id)),
                None => {
                    impossible = true;
                    None
                }
            },
        };
        Ok(Filter {
            state,
            labels,
            impossible,
            milestone,
            any_milestone,
            assignee,
            any_assignee,
            creator: param(q, "creator").map(str::to_ascii_lowercase),
            since: param(q, "since")
                .map(|s| parse_time("since", s))
                .transpose()?,
            type_id,
            mentioned: param(q, "mentioned").map(|login| {
                let in_comments = repo
                    .comments
                    .iter()
                    .filter(|c| mentions(&c.body, login))
                    .map(|c| c.issue_number)
                    .collect();
                (login.to_string(), in_comments)
            }),
        })
    }

    fn matches(&self, i: &Issue) -> bool {
        if i.gone.is_some() || self.impossible {
            return false;
        }
        if self.state.is_some_and(|open| open != i.is_open()) {
            return false;
        }
        if !self.labels.iter().all(|l| i.labels.contains(l)) {
            return false;
        }
        if self.any_milestone && i.milestone.is_none() {
            return false;
        }
        if self.milestone.is_some_and(|m| m != i.milestone) {
            return false;
        }
        if self.any_assignee && i.assignees.is_empty() {
            return false;
        }
        match &self.assignee {
            Some(None) if !i.assignees.is_empty() => return false,
            Some(Some(a)) if !i.assignees.iter().any(|x| x.eq_ignore_ascii_case(a)) => {
                return false
            }
            _ => {}
        }
        if self
            .creator
            .as_ref()
            .is_some_and(|c| !i.user.eq_ignore_ascii_case(c))
        {
            return false;
        }
        if self.since.is_some_and(|s| i.updated_at < s) {
            return false;
        }
        if self.type_id.is_some_and(|t| t != i.type_id) {
            return false;
        }
        if let Some((login, in_comments)) = &self.mentioned {
            let in_body = i.body.as_deref().is_some_and(|b| mentions(b, login));
            if !in_body && !in_comments.contains(&i.number) {
                return false;
            }
        }
        true
    }
}

fn sort_key(sort: Sort, i: &Issue) -> (i64, u64) {
    let k = match sort {
        Sort::Created => i.created_at.timestamp(),
        Sort::Updated => i.updated_at.timestamp(),
        Sort::Comments => i.comments as i64,
    };
    (k, i.number)
}

fn encode_cursor(key: (i64, u64)) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:v1:{}:{}", key.0, key.1))
}

fn decode_cursor(c: &str) -> ApiResult<(i64, u64)> {
    let bad = || ApiError::unprocessable(format!("'{c}' is not a valid cursor"));
    let raw =
        String::from_utf8(URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?).map_err(|_| bad())?;
    let rest = raw.strip_prefix("cursor:v1:").ok_or_else(bad)?;
    let (a, b) = rest.split_once(':').ok_or_else(bad)?;
    Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
}

/// The JSON array of the issues with these sort keys, written straight to bytes.
fn render_issues<'a>(
    w: &World,
    repo_idx: usize,
    keys: impl ExactSizeIterator<Item = &'a (i64, u64)>,
) -> Vec<u8> {
    let repo = &w.repos[repo_idx];
    let mut body = Vec::with_capacity(keys.len() * 4608 + 2);
    crate::render::write_array(&mut body, keys, |out, &(_, number)| {
        w.write_issue(
            out,
            repo_idx,
            repo.issue(number).expect("a listed issue exists"),
        )
    });
    body
}

pub async fn list(
    hub: Hs,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<RawPage> {
    let w = hub.world.read();
    let repo_idx = w.repo_idx(&owner, &name)?;
    let repo = &w.repos[repo_idx];
    let filter = Filter::parse(&w, repo, &q)?;
    let sort = match param(&q, "sort").unwrap_or("created") {
        "created" => Sort::Created,
        "updated" => Sort::Updated,
        "comments" => Sort::Comments,
        other => {
            return Err(ApiError::unprocessable(format!(
                "sort must be created, updated or comments, got '{other}'"
            )))
        }
    };
    let desc = match param(&q, "direction").unwrap_or("desc") {
        "desc" => true,
        "asc" => false,
        other => {
            return Err(ApiError::unprocessable(format!(
                "direction must be asc or desc, got '{other}'"
            )))
        }
    };
    let key: MatchKey = (
        repo_idx,
        q.iter()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "per_page" | "after" | "before"))
            .cloned()
            .collect(),
    );
    let generation = hub.world.generation();
    let cached = hub.issue_matches.lock().get(generation, &key);
    let matches = match cached {
        Some(list) => list,
        None => {
            let mut matches: Vec<&Issue> =
                repo.issues.iter().filter(|i| filter.matches(i)).collect();
            // Issue numbers follow creation order, so the created sort is the natural order.
            if sort != Sort::Created {
                matches.sort_by_key(|i| sort_key(sort, i));
            }
            if desc {
                matches.reverse();
            }
            let list: Matches = matches.iter().map(|i| sort_key(sort, i)).collect();
            hub.issue_matches.lock().put(generation, key, list.clone());
            list
        }
    };
    let p = PageParams::from_query(&q)?;
    let path = uri.path();
    let base = &w.base;
    let (after, before) = (param(&q, "after"), param(&q, "before"));
    // Cursor mode starts with `after` present, even empty (the first page).
    if after.is_none() && before.is_none() {
        let page = matches.iter().skip(p.offset()).take(p.per_page);
        let body = render_issues(&w, repo_idx, page);
        let link = link_header(base, path, &q, p, matches.len());
        return Ok(RawPage { body, link });
    }
    // Cursor mode: positions are found by comparing sort keys, so the cursor stays valid
    // while issues are added or change.
    let in_order = |a: (i64, u64), b: (i64, u64)| if desc { a > b } else { a < b };
    let (start, end) = match (after, before) {
        (Some(""), _) => (0, p.per_page.min(matches.len())),
        (Some(c), _) => {
            let key = decode_cursor(c)?;
            let start = matches
                .iter()
                .position(|&k| in_order(key, k))
                .unwrap_or(matches.len());
            (start, (start + p.per_page).min(matches.len()))
        }
        (None, Some(c)) => {
            let key = decode_cursor(c)?;
            let end = matches
                .iter()
                .position(|&k| !in_order(k, key))
                .unwrap_or(matches.len());
            (end.saturating_sub(p.per_page), end)
        }
        _ => unreachable!("one cursor is present"),
    };
    let window = &matches[start..end];
    let body = render_issues(&w, repo_idx, window.iter());
    let mut rels = Vec::new();
    let link = |set: (&str, String), rel: &str| {
        format!(
            "<{}>; rel=\"{rel}\"",
            crate::http::with_param(base, path, &q, &[set], &["after", "before", "page"])
        )
    };
    if start > 0 {
        if let Some(first) = window.first() {
            rels.push(link(("before", encode_cursor(*first)), "prev"));
        }
    }
    if end < matches.len() {
        if let Some(last) = window.last() {
            rels.push(link(("after", encode_cursor(*last)), "next"));
        }
    }
    Ok(RawPage {
        body,
        link: (!rels.is_empty()).then(|| rels.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hub;
    use axum::extract::State;
    use std::sync::Arc;

    #[test]
    fn mentions_are_whole_logins() {
        assert!(mentions("ping @Alice please", "alice"));
        assert!(mentions("@alice", "alice"));
        assert!(mentions("(@alice)", "alice"));
        assert!(!mentions("mail alice@example.com", "example"));
        assert!(!mentions("@alice-bob", "alice"));
        assert!(!mentions("@alic", "alice"));
        assert!(!mentions("no one", "alice"));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor((1_700_000_000, 42));
        assert_eq!(decode_cursor(&c).unwrap(), (1_700_000_000, 42));
        assert!(decode_cursor("not-a-cursor").is_err());
    }

    async fn numbers(hub: &Arc<Hub>, query: &str) -> Vec<u64> {
        let q: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let uri: Uri = format!("/repos/acme/widgets/issues?{query}")
            .parse()
            .unwrap();
        let page = list(
            State(hub.clone()),
            Path(("acme".into(), "widgets".into())),
            Query(q),
            uri,
        )
        .await
        .unwrap_or_else(|e| panic!("{query}: {e:?}"));
        let body: Vec<serde_json::Value> = serde_json::from_slice(&page.body).unwrap();
        body.iter().map(|i| i["number"].as_u64().unwrap()).collect()
    }

    #[tokio::test]
    async fn cached_lists_follow_every_change() {
        use crate::model::{IssuePatch, IssueState};
        let hub = Arc::new(Hub::new("http://h", crate::Settings::default()));
        let doc = crate::SeedDoc {
            repos: vec![crate::SeedRepo {
                full_name: "acme/widgets".into(),
                generate: Some(crate::Generate {
                    issues: 40,
                    labels: 4,
                    milestones: 2,
                    seed: 5,
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        crate::seed::apply(&mut hub.world.write(), &doc, chrono::Utc::now()).unwrap();
        let open = numbers(&hub, "per_page=100").await;
        assert!(!open.is_empty());
        // Pages of one list share one cached list.
        let first = numbers(&hub, "per_page=5&page=1").await;
        let second = numbers(&hub, "per_page=5&page=2").await;
        assert_eq!([first, second].concat(), open[..10.min(open.len())]);
        assert_eq!(hub.issue_matches.lock().lists(), 1);

        let closing = open[0];
        let patch = IssuePatch {
            state: Some(IssueState::Closed),
            ..Default::default()
        };
        hub.world
            .write()
            .update_issue(0, closing, "alice", patch, chrono::Utc::now())
            .unwrap();
        let now_open = numbers(&hub, "per_page=100").await;
        assert_eq!(now_open, open[1..]);
        assert!(numbers(&hub, "state=closed&per_page=100")
            .await
            .contains(&closing));
        let by_comments = numbers(&hub, "state=all&sort=comments&direction=asc&per_page=100").await;
        assert_eq!(by_comments.len(), 40);
    }
}
