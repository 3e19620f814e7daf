//! Which rule of `model::access` each route kind is held to, asked once per request by the
//! gate. Open mode (nothing declared) skips all of it.

use crate::error::ApiError;
use crate::model::access::Refusal;
use crate::model::{Credential, Need, OrgNeed, Role, World};
use axum::http::{Method, StatusCode};
use serde_json::Value;

/// What a request is checked against.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Repo { at: RepoRef, kind: RepoAction },
    Org { org: String, need: OrgNeed },
}

/// How a route names its repository.
#[derive(Debug, Clone, PartialEq)]
pub enum RepoRef {
    /// `/repos/{owner}/{repo}/…`
    Name { owner: String, name: String },
    /// `/repositories/{id}/…`, as GitHub's `Link` headers write it.
    Id(u64),
}

impl RepoRef {
    fn index(&self, w: &World) -> Option<usize> {
        match self {
            RepoRef::Name { owner, name } => w.repo_idx(owner, name).ok(),
            RepoRef::Id(id) => w.repos.iter().position(|r| r.id == *id),
        }
    }
}

/// A repository request, before the actor is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RepoAction {
    Need(Need),
    /// Comment: read access, and a token that may write.
    Contribute,
    /// Open an issue: as `Contribute`; labels, assignees, milestone and type need push
    /// access, and GitHub silently drops them otherwise.
    OpenIssue,
    /// `PATCH` an issue: depends on the fields and on who wrote the issue.
    EditIssue(u64),
    /// Edit or delete a comment: its author may, otherwise write access.
    EditComment(u64),
}

/// The `X-Accepted-OAuth-Scopes` GitHub sends for a route kind.
pub fn accepted_scopes(check: &Check) -> &'static str {
    match check {
        Check::Repo {
            kind: RepoAction::Need(Need::Hooks { .. }),
            ..
        } => "admin:repo_hook, read:repo_hook, repo, write:repo_hook",
        Check::Repo { .. } => "repo",
        Check::Org {
            need: OrgNeed::Hooks,
            ..
        } => "admin:org_hook",
        Check::Org { .. } => "admin:org, read:org, repo, user, write:org",
    }
}

/// The check for a request on route `pattern` (axum's matched path) at `path`.
pub fn classify(pattern: &str, path: &str, method: &Method) -> Option<Check> {
    let segs: Vec<&str> = path.split('/').collect();
    let read = *method == Method::GET || *method == Method::HEAD;
    let by_id = pattern
        .strip_prefix("/repositories/{")
        .and_then(|p| p.split_once('}'))
        .map(|(_, rest)| rest);
    let repo_route = match (pattern.strip_prefix("/repos/{owner}/{repo}"), by_id) {
        (Some(rest), _) => Some((
            rest,
            RepoRef::Name {
                owner: segs.get(2)?.to_string(),
                name: segs.get(3)?.to_string(),
            },
            4,
        )),
        (None, Some(rest)) => Some((rest, RepoRef::Id(segs.get(2)?.parse().ok()?), 3)),
        _ => None,
    };
    if let Some((rest, at, first)) = repo_route {
        // The path segment after `issues` or `comments` (its number or id).
        let number = || segs.get(first + 1).and_then(|n| n.parse::<u64>().ok());
        let kind = if rest.starts_with("/hooks") {
            RepoAction::Need(Need::Hooks { write: !read })
        } else if read {
            RepoAction::Need(Need::Role(Role::Read))
        } else if rest == "/issues" {
            RepoAction::OpenIssue
        } else if rest == "/issues/{number}/comments" {
            RepoAction::Contribute
        } else if rest == "/issues/{number}" && *method == Method::PATCH {
            RepoAction::EditIssue(number()?)
        } else if rest == "/issues/comments/{comment_id}" {
            RepoAction::EditComment(segs.get(first + 2)?.parse().ok()?)
        } else if rest.ends_with("/lock") {
            // "Users with push access can lock an issue or pull request's conversation."
            RepoAction::Need(Need::Role(Role::Write))
        } else if rest.starts_with("/issues/{number}/") {
            // Labels, assignees, sub-issues, dependencies: triage work.
            RepoAction::Need(Need::Role(Role::Triage))
        } else {
            // Labels and milestones themselves, and anything else that writes.
            RepoAction::Need(Need::Role(Role::Write))
        };
        return Some(Check::Repo { at, kind });
    }
    if pattern.starts_with("/orgs/{org}/hooks") {
        let org = segs.get(2)?.to_string();
        return Some(Check::Org {
            org,
            need: OrgNeed::Hooks,
        });
    }
    if pattern.starts_with("/orgs/{org}/issue-types") {
        let org = segs.get(2)?.to_string();
        let need = if read {
            OrgNeed::Member
        } else {
            OrgNeed::Admin
        };
        return Some(Check::Org { org, need });
    }
    None
}

/// Whether an issue edit (its JSON body) only touches what the issue's author may change.
fn author_may(body: &Value) -> bool {
    body.as_object().is_some_and(|m| {
        m.keys()
            .all(|k| matches!(k.as_str(), "title" | "body" | "state" | "state_reason"))
    })
}

/// Whether an issue edit changes only triage fields (state, labels, assignees, milestone).
fn triage_only(body: &Value) -> bool {
    body.as_object().is_some_and(|m| {
        m.keys().all(|k| {
            matches!(
                k.as_str(),
                "state"
                    | "state_reason"
                    | "labels"
                    | "assignees"
                    | "assignee"
                    | "milestone"
                    | "type"
            )
        })
    })
}

/// Whether the gate must hand `authorize` the request body.
pub fn needs_body(check: &Check) -> bool {
    matches!(
        check,
        Check::Repo {
            kind: RepoAction::EditIssue(_) | RepoAction::OpenIssue,
            ..
        }
    )
}

/// Fields of a new issue that only push access may set.
const PUSH_ONLY: &[&str] = &["labels", "assignees", "assignee", "milestone", "type"];

/// Applies the rule book. `body` is the request body, given when `needs_body`. Answers
/// the body the handler should see instead, when the rules rewrite it.
pub fn authorize(
    w: &World,
    check: &Check,
    actor: Option<&Credential>,
    body: Option<&[u8]>,
) -> Result<Option<Vec<u8>>, ApiError> {
    let mut rewritten = None;
    let verdict = match check {
        Check::Org { org, need } => w.can_org(actor, org, *need),
        Check::Repo { at, kind } => {
            let Some(repo) = at.index(w) else {
                // The handler answers 404.
                return Ok(None);
            };
            if let Some(Credential::Installation(_)) = actor {
                // An app writes anything about issues with its `issues` permission; what
                // it sends is never trimmed as a reader's would be.
                let need = match *kind {
                    RepoAction::Need(n) => n,
                    _ => Need::Role(Role::Write),
                };
                return w.can(actor, repo, need).map(|()| None).map_err(refused);
            }
            let login = actor.map(Credential::login);
            let is = |who: &str| login.is_some_and(|l| l.eq_ignore_ascii_case(who));
            let need = match *kind {
                RepoAction::Need(n) => n,
                RepoAction::Contribute => Need::Role(Role::Read),
                RepoAction::OpenIssue => {
                    let role = w.role_of(login, repo);
                    let parsed = body.and_then(|b| serde_json::from_slice::<Value>(b).ok());
                    if let Some(Value::Object(mut m)) = parsed {
                        if role < Some(Role::Write) && PUSH_ONLY.iter().any(|k| m.contains_key(*k))
                        {
                            m.retain(|k, _| !PUSH_ONLY.contains(&k.as_str()));
                            rewritten = serde_json::to_vec(&m).ok();
                        }
                    }
                    Need::Role(Role::Read)
                }
                RepoAction::EditIssue(number) => {
                    let body: Value = body
                        .filter(|b| !b.iter().all(u8::is_ascii_whitespace))
                        .and_then(|b| serde_json::from_slice(b).ok())
                        .unwrap_or_else(|| Value::Object(Default::default()));
                    let author = w.repos[repo].issue(number).is_some_and(|i| is(&i.user));
                    if author && author_may(&body) {
                        Need::Role(Role::Read)
                    } else if triage_only(&body) {
                        Need::Role(Role::Triage)
                    } else {
                        Need::Role(Role::Write)
                    }
                }
                RepoAction::EditComment(id) => {
                    let r = &w.repos[repo];
                    let author = r
                        .comments
                        .binary_search_by_key(&id, |c| c.id)
                        .ok()
                        .is_some_and(|i| is(&r.comments[i].user));
                    Need::Role(if author { Role::Read } else { Role::Write })
                }
            };
            // Contributions write: the token needs a writing scope even for a read role.
            let write = !matches!(kind, RepoAction::Need(Need::Role(Role::Read)));
            w.can(actor, repo, need).and_then(|()| {
                match (write, need, actor) {
                    (true, Need::Role(Role::Read), Some(c)) if w.access.enforced() => {
                        let scope = if w.repos[repo].private {
                            "repo"
                        } else {
                            "public_repo"
                        };
                        if !c.has_scope(scope) {
                            return Err(Refusal::Forbidden(crate::model::NOT_ACCESSIBLE));
                        }
                    }
                    (true, Need::Role(Role::Read), None) if w.access.enforced() => {
                        return Err(Refusal::NotFound)
                    }
                    _ => {}
                }
                Ok(())
            })
        }
    };
    verdict.map(|()| rewritten).map_err(refused)
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::NotFound => ApiError::not_found(),
        Refusal::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_kinds() {
        let repo = |kind| {
            Some(Check::Repo {
                at: RepoRef::Name {
                    owner: "o".into(),
                    name: "r".into(),
                },
                kind,
            })
        };
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/hooks/{hook_id}",
                "/repos/o/r/hooks/1",
                &Method::GET
            ),
            repo(RepoAction::Need(Need::Hooks { write: false }))
        );
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/issues/{number}",
                "/repos/o/r/issues/7",
                &Method::PATCH
            ),
            repo(RepoAction::EditIssue(7))
        );
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/issues/{number}/labels",
                "/repos/o/r/issues/7/labels",
                &Method::POST
            ),
            repo(RepoAction::Need(Need::Role(Role::Triage)))
        );
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/labels",
                "/repos/o/r/labels",
                &Method::POST
            ),
            repo(RepoAction::Need(Need::Role(Role::Write)))
        );
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/issues/{number}/lock",
                "/repos/o/r/issues/7/lock",
                &Method::PUT
            ),
            repo(RepoAction::Need(Need::Role(Role::Write)))
        );
        assert_eq!(
            classify(
                "/repositories/{repository_id}/issues/{number}",
                "/repositories/1042/issues/7",
                &Method::PATCH
            ),
            Some(Check::Repo {
                at: RepoRef::Id(1042),
                kind: RepoAction::EditIssue(7)
            })
        );
        assert_eq!(
            classify(
                "/repos/{owner}/{repo}/issues/comments/{comment_id}",
                "/repos/o/r/issues/comments/99",
                &Method::DELETE
            ),
            repo(RepoAction::EditComment(99))
        );
        assert_eq!(classify("/user", "/user", &Method::GET), None);
        assert!(author_may(
            &serde_json::json!({"title": "t", "state": "closed"})
        ));
        assert!(!triage_only(&serde_json::json!({"title": "t"})));
    }
}
