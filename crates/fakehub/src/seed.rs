//! Seeding: explicit records from a seed document, and generated repositories that look
//! real (varied labels, milestones, assignees, open and closed issues, comments, pull
//! requests, timestamps spread over months). Seeding writes the model directly and sends no
//! webhooks, so 100,000 issues take well under a second.

use crate::model::*;
use chrono::Duration;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDoc {
    #[serde(default)]
    pub repos: Vec<SeedRepo>,
    /// Declared users: declaring any turns permission checks on (see `model::access`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<SeedUser>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<SeedOrg>,
    /// GitHub Apps and their installations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<SeedApp>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApp {
    pub id: u64,
    pub slug: String,
    pub client_id: String,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// PKCS#1 or PKCS#8 PEM; a key pair is generated when absent.
    #[serde(default)]
    pub private_key_pem: Option<String>,
    #[serde(default)]
    pub installations: Vec<SeedInstallation>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedInstallation {
    pub id: u64,
    /// The user or organization it is installed on.
    pub account: String,
    /// `"all"` or a list of `OWNER/NAME`.
    #[serde(default)]
    pub repositories: Option<serde_json::Value>,
    /// Permission → `read`, `write` or `admin` (e.g. `{"issues": "write"}`).
    #[serde(default)]
    pub permissions: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub login: String,
    /// The user's classic token.
    pub token: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `User` (default) or `Bot`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Classic token scopes; absent: all of them.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrg {
    pub login: String,
    #[serde(default)]
    pub members: Vec<SeedMember>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    pub login: String,
    /// `member` (default) or `admin`.
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRepo {
    /// `OWNER/NAME`.
    pub full_name: String,
    /// `Organization` (default: issue types available) or `User`.
    #[serde(default)]
    pub owner_type: Option<String>,
    #[serde(default)]
    pub generate: Option<Generate>,
    #[serde(default)]
    pub labels: Vec<SeedLabel>,
    #[serde(default)]
    pub milestones: Vec<SeedMilestone>,
    #[serde(default)]
    pub issues: Vec<SeedIssue>,
    #[serde(default)]
    pub private: bool,
    /// Login → `read`, `triage`, `write`, `maintain` or `admin`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub collaborators: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Generate {
    pub issues: usize,
    pub comments: usize,
    pub labels: usize,
    pub milestones: usize,
    pub pulls: usize,
    /// Random seed for the generator (same seed, same repository).
    pub seed: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedLabel {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMilestone {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub due_on: Option<Time>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIssue {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignees: Vec<String>,
    /// Milestone number.
    #[serde(default)]
    pub milestone: Option<u64>,
    #[serde(default)]
    pub pull_request: bool,
    #[serde(default)]
    pub created_at: Option<Time>,
    #[serde(default)]
    pub comments: Vec<String>,
}

/// What a seed created, for the caller to report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Seeded {
    pub full_name: String,
    pub issues: usize,
    pub pulls: usize,
    pub comments: usize,
    pub labels: usize,
    pub milestones: usize,
}

const LABELS: &[(&str, &str, &str)] = &[
    ("bug", "d73a4a", "Something isn't working"),
    ("enhancement", "a2eeef", "New feature or request"),
    (
        "documentation",
        "0075ca",
        "Improvements or additions to documentation",
    ),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("question", "d876e3", "Further information is requested"),
    ("priority: high", "b60205", "Needs attention this week"),
    ("priority: medium", "fbca04", "Planned for this cycle"),
    ("priority: low", "0e8a16", "Nice to have"),
    ("area: api", "1d76db", "REST and webhook surface"),
    ("area: ui", "c5def5", "Dashboard and pages"),
    ("area: storage", "5319e7", "Databases and migrations"),
    ("area: infra", "bfd4f2", "Build, CI and deployment"),
    (
        "duplicate",
        "cfd3d7",
        "This issue or pull request already exists",
    ),
    ("wontfix", "ffffff", "This will not be worked on"),
    ("needs triage", "ededed", "Not looked at yet"),
];

const PEOPLE: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "trent",
];

const VERBS: &[&str] = &[
    "Fix",
    "Add",
    "Improve",
    "Refactor",
    "Document",
    "Remove",
    "Speed up",
    "Investigate",
    "Support",
    "Test",
];
const THINGS: &[&str] = &[
    "login redirect",
    "webhook retries",
    "milestone progress",
    "label sync",
    "pagination links",
    "rate-limit backoff",
    "issue search",
    "CSV export",
    "dark mode",
    "audit log",
    "SQLite migrations",
    "token rotation",
    "sub-issue rollup",
    "dependency graph",
    "notification emails",
    "API docs",
    "startup time",
    "memory use",
    "error messages",
    "CI cache",
];

pub fn apply(world: &mut World, doc: &SeedDoc, now: Time) -> Result<Vec<Seeded>, String> {
    for u in &doc.users {
        let kind = match u.kind.as_deref() {
            None | Some("User") => UserKind::User,
            Some("Bot") => UserKind::Bot,
            Some(other) => {
                return Err(format!(
                    "user '{}': type must be User or Bot, got '{other}'",
                    u.login
                ))
            }
        };
        world.declare_user(
            &u.login,
            Some(&u.token),
            u.name.clone(),
            kind,
            u.scopes.as_deref(),
            now,
        )?;
    }
    for o in &doc.orgs {
        world.declare_org(&o.login, now)?;
        for m in &o.members {
            let role = match m.role.as_deref() {
                None => OrgRole::Member,
                Some(r) => OrgRole::parse(r).ok_or_else(|| {
                    format!(
                        "org '{}', member '{}': role must be member or admin, got '{r}'",
                        o.login, m.login
                    )
                })?,
            };
            world.set_org_member(&o.login, &m.login, Some(role), now)?;
        }
    }
    let mut out = Vec::new();
    for r in &doc.repos {
        out.push(seed_repo(world, r, now)?);
    }
    for a in &doc.apps {
        seed_app(world, a, now)?;
    }
    Ok(out)
}

fn seed_app(world: &mut World, spec: &SeedApp, now: Time) -> Result<(), String> {
    let app = build_app(world, spec, now)?;
    world.declare_app(app)
}

/// An app as its seed entry declares it: its key pair (given or generated), its webhook
/// and its installations.
pub(crate) fn build_app(
    world: &mut World,
    spec: &SeedApp,
    now: Time,
) -> Result<crate::model::apps::App, String> {
    use crate::model::apps::{app_hook, key_pair, App};
    let (private_key_pem, public_key_pem) =
        key_pair(spec.private_key_pem.as_deref()).map_err(|e| format!("app {}: {e}", spec.id))?;
    let installations = spec
        .installations
        .iter()
        .map(|i| build_installation(spec.id, i, now))
        .collect::<Result<Vec<_>, String>>()?;
    let hooks = match &spec.webhook_url {
        Some(url) => vec![app_hook(
            world.next_id(),
            url,
            spec.webhook_secret.as_deref(),
            now,
        )],
        None => Vec::new(),
    };
    Ok(App {
        hooks,
        id: spec.id,
        slug: spec.slug.clone(),
        client_id: spec.client_id.clone(),
        webhook_url: spec.webhook_url.clone(),
        webhook_secret: spec.webhook_secret.clone(),
        private_key_pem,
        public_key_pem,
        installations,
        created_at: now,
    })
}

/// An installation of app `app_id` as a seed entry declares it.
pub(crate) fn build_installation(
    app_id: u64,
    i: &SeedInstallation,
    now: Time,
) -> Result<crate::model::apps::Installation, String> {
    use crate::model::apps::{Installation, Selection};
    let bad = || {
        format!(
            "app {app_id}, installation {}: repositories must be \"all\" or a list of OWNER/NAME",
            i.id
        )
    };
    let repositories = match &i.repositories {
        None => Selection::All,
        Some(serde_json::Value::String(s)) if s == "all" => Selection::All,
        Some(serde_json::Value::Array(names)) => Selection::Selected(
            names
                .iter()
                .map(|n| {
                    n.as_str()
                        .filter(|n| {
                            n.split_once('/')
                                .is_some_and(|(o, r)| !o.is_empty() && !r.is_empty())
                        })
                        .map(str::to_string)
                        .ok_or_else(bad)
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(bad()),
    };
    Ok(Installation {
        id: i.id,
        account: i.account.clone(),
        repositories,
        permissions: i.permissions.clone(),
        created_at: now,
    })
}

fn seed_repo(world: &mut World, spec: &SeedRepo, now: Time) -> Result<Seeded, String> {
    let (owner, name) = spec
        .full_name
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| format!("repository '{}' must be written OWNER/NAME", spec.full_name))?;
    let declared_user = world
        .find_user(owner)
        .is_some_and(|u| u.kind != UserKind::Organization);
    let kind = match spec.owner_type.as_deref() {
        // A declared user owns a user repository unless the entry says otherwise.
        None if declared_user => UserKind::User,
        None | Some("Organization") => UserKind::Organization,
        Some("User") => UserKind::User,
        Some(other) => {
            return Err(format!(
                "owner_type must be Organization or User, got '{other}'"
            ))
        }
    };
    let gen = spec.generate.clone().unwrap_or_default();
    // Generated history starts up to a year back, so timestamps spread over months.
    let span_days = if gen.issues + gen.pulls > 0 { 365 } else { 30 };
    let start = now - Duration::days(span_days);
    let repo = world.create_repo(owner, name, kind, start);
    world.repos[repo].private = spec.private;
    for (login, role) in &spec.collaborators {
        let role = Role::parse(role).ok_or_else(|| {
            format!(
                "repository '{}', collaborator '{login}': role must be read, triage, write, maintain or admin, got '{role}'",
                spec.full_name
            )
        })?;
        world.set_collaborator(repo, login, Some(role));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(gen.seed ^ 0x0066_696b_6568_7562);
    let mut seeded = Seeded {
        full_name: world.repos[repo].full_name(),
        ..Default::default()
    };

    for l in &spec.labels {
        let color = l
            .color
            .clone()
            .unwrap_or_else(|| "ededed".into())
            .trim_start_matches('#')
            .to_ascii_lowercase();
        if !valid_color(&color) {
            return Err(format!(
                "label '{}': color '{color}' is not six hex digits",
                l.name
            ));
        }
        add_label(world, repo, &l.name, &color, l.description.clone());
        seeded.labels += 1;
    }
    for i in 0..gen.labels {
        let (name, color, description) = LABELS[i % LABELS.len()];
        let name = if i < LABELS.len() {
            name.to_string()
        } else {
            format!("{name} {}", i / LABELS.len() + 1)
        };
        add_label(world, repo, &name, color, Some(description.to_string()));
        seeded.labels += 1;
    }

    for m in &spec.milestones {
        let state = parse_state(m.state.as_deref())?;
        add_milestone(
            world,
            repo,
            &m.title,
            m.description.clone(),
            state,
            m.due_on,
            start,
        );
        seeded.milestones += 1;
    }
    for i in 0..gen.milestones {
        let due = start + Duration::days(30 * (i as i64 + 1));
        let state = if due < now - Duration::days(14) {
            IssueState::Closed
        } else {
            IssueState::Open
        };
        let title = format!("v{}.{}", 1 + i / 10, i % 10);
        add_milestone(
            world,
            repo,
            &title,
            Some(format!("Release {title}")),
            state,
            Some(noon(due)),
            start,
        );
        seeded.milestones += 1;
    }

    for (k, issue) in spec.issues.iter().enumerate() {
        let state = parse_state(issue.state.as_deref())?;
        let created = issue
            .created_at
            .unwrap_or(start + Duration::minutes(k as i64));
        let mut labels = Vec::new();
        for name in &issue.labels {
            let id = match world.repos[repo].label_by_name(name) {
                Some(l) => l.id,
                None => add_label(world, repo, name, "ededed", None),
            };
            labels.push(id);
        }
        if let Some(m) = issue.milestone {
            if world.repos[repo].milestone(m).is_none() {
                return Err(format!(
                    "issue '{}': milestone {m} is not in the seed",
                    issue.title
                ));
            }
        }
        let user = issue
            .user
            .clone()
            .unwrap_or_else(|| PEOPLE[k % PEOPLE.len()].to_string());
        for a in &issue.assignees {
            world.user(a);
        }
        let number = add_issue(
            world,
            repo,
            &issue.title,
            issue.body.clone(),
            &user,
            state,
            labels,
            issue.assignees.clone(),
            issue.milestone,
            created,
            issue.pull_request,
        );
        for body in &issue.comments {
            add_comment(world, repo, number, &user, body, created);
            seeded.comments += 1;
        }
        if issue.pull_request {
            seeded.pulls += 1
        } else {
            seeded.issues += 1
        }
    }

    let total = gen.issues + gen.pulls;
    if total > 0 {
        for p in PEOPLE {
            world.user(p);
        }
        let label_ids: Vec<Id> = world.repos[repo].labels.iter().map(|l| l.id).collect();
        let milestones: Vec<u64> = world.repos[repo]
            .milestones
            .iter()
            .filter(|m| !m.deleted)
            .map(|m| m.number)
            .collect();
        let step = Duration::seconds(span_days * 86_400 / total as i64).max(Duration::seconds(1));
        for k in 0..total {
            // Spread the pull requests evenly through the sequence.
            let pull = (k + 1) * gen.pulls / total > k * gen.pulls / total;
            let created = start + step * k as i32;
            let age = (now - created).num_seconds().max(1);
            let closed = rng.gen_bool(0.4);
            let mut labels: Vec<Id> = Vec::new();
            if !label_ids.is_empty() {
                for _ in 0..rng.gen_range(0..=3usize) {
                    let l = *label_ids.choose(&mut rng).expect("labels");
                    if !labels.contains(&l) {
                        labels.push(l);
                    }
                }
            }
            let assignees: Vec<String> = match rng.gen_range(0..10) {
                0..=3 => vec![],
                4..=8 => vec![PEOPLE.choose(&mut rng).expect("people").to_string()],
                _ => PEOPLE
                    .choose_multiple(&mut rng, 2)
                    .map(|p| p.to_string())
                    .collect(),
            };
            let milestone = (!milestones.is_empty() && rng.gen_bool(0.5))
                .then(|| *milestones.choose(&mut rng).expect("milestones"));
            let title = format!(
                "{} {}",
                VERBS.choose(&mut rng).expect("verbs"),
                THINGS.choose(&mut rng).expect("things")
            );
            let body = Some(format!(
                "### Problem\n\n{title} (seeded item {}).\n\n### Acceptance criteria\n\n- [ ] It works\n- [ ] It is tested\n",
                k + 1
            ));
            let author = PEOPLE.choose(&mut rng).expect("people").to_string();
            let state = if closed {
                IssueState::Closed
            } else {
                IssueState::Open
            };
            let number = add_issue(
                world, repo, &title, body, &author, state, labels, assignees, milestone, created,
                pull,
            );
            let updated = created + Duration::seconds(rng.gen_range(0..age.min(90 * 86_400)));
            world.edit_issue(repo, number, |i| {
                i.updated_at = updated.min(now);
                if closed {
                    i.closed_at = Some(i.updated_at);
                    i.closed_by = Some(author.clone());
                    i.state_reason = Some(
                        if rng.gen_bool(0.85) {
                            "completed"
                        } else {
                            "not_planned"
                        }
                        .into(),
                    );
                }
            });
            if pull {
                seeded.pulls += 1
            } else {
                seeded.issues += 1
            }
        }
        // Comments land on random items, in time order so ids follow creation order.
        let first_new = world.repos[repo].issues.len() - total;
        let mut times: Vec<(Time, u64)> = (0..gen.comments)
            .map(|_| {
                let issue = &world.repos[repo].issues[first_new + rng.gen_range(0..total)];
                let age = (now - issue.created_at).num_seconds().max(1);
                (
                    issue.created_at + Duration::seconds(rng.gen_range(0..age)),
                    issue.number,
                )
            })
            .collect();
        times.sort();
        for (t, number) in times {
            let who = PEOPLE.choose(&mut rng).expect("people").to_string();
            let text = [
                "Looks good to me.",
                "I can take this one.",
                "Is this still happening on main?",
                "Fixed in the latest build, please check.",
                "Adding a test case for this.",
            ]
            .choose(&mut rng)
            .expect("comments");
            add_comment(world, repo, number, &who, text, t);
            seeded.comments += 1;
        }
    }
    let r = &mut world.repos[repo];
    r.updated_at = r
        .issues
        .iter()
        .map(|i| i.updated_at)
        .max()
        .unwrap_or(r.updated_at);
    r.pushed_at = r.updated_at;
    if spec.generate.is_some() {
        // The generator's people are the repository's contributors: known, hence assignable,
        // even when no issue was generated. Last, so every other id stays as it was.
        for p in PEOPLE {
            world.user(p);
        }
    }
    Ok(seeded)
}

/// GitHub stores due dates at a fixed time of day; noon UTC survives every time zone.
fn noon(t: Time) -> Time {
    t.date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
}

fn parse_state(s: Option<&str>) -> Result<IssueState, String> {
    match s {
        None | Some("open") => Ok(IssueState::Open),
        Some("closed") => Ok(IssueState::Closed),
        Some(other) => Err(format!("state must be open or closed, got '{other}'")),
    }
}

fn add_label(
    world: &mut World,
    repo: usize,
    name: &str,
    color: &str,
    description: Option<String>,
) -> Id {
    if let Some(l) = world.repos[repo].label_by_name(name) {
        return l.id;
    }
    let id = world.next_id();
    world.repos[repo].labels.push(Label {
        id,
        name: name.to_string(),
        color: color.to_string(),
        description,
        default: LABELS.iter().take(6).any(|(n, _, _)| *n == name),
    });
    id
}

fn add_milestone(
    world: &mut World,
    repo: usize,
    title: &str,
    description: Option<String>,
    state: IssueState,
    due_on: Option<Time>,
    at: Time,
) {
    let id = world.next_id();
    let number = world.repos[repo].milestones.len() as u64 + 1;
    let creator = world.repos[repo].owner.clone();
    world.repos[repo].milestones.push(Milestone {
        id,
        number,
        title: title.to_string(),
        description,
        state,
        due_on: due_on.map(pacific_day),
        creator,
        created_at: at,
        updated_at: at,
        closed_at: (state == IssueState::Closed).then_some(due_on.unwrap_or(at)),
        open_issues: 0,
        closed_issues: 0,
        deleted: false,
    });
}

#[allow(clippy::too_many_arguments)]
fn add_issue(
    world: &mut World,
    repo: usize,
    title: &str,
    body: Option<String>,
    user: &str,
    state: IssueState,
    labels: Vec<Id>,
    assignees: Vec<String>,
    milestone: Option<u64>,
    created: Time,
    pull_request: bool,
) -> u64 {
    let user = world.user(user).login.clone();
    let id = world.next_id();
    let number = world.repos[repo].issues.len() as u64 + 1;
    let closed = state == IssueState::Closed;
    world.insert_issue(
        repo,
        Issue {
            id,
            number,
            title: title.to_string(),
            body,
            user: user.clone(),
            state,
            state_reason: closed.then(|| "completed".to_string()),
            labels,
            assignees,
            milestone,
            type_id: None,
            comments: 0,
            created_at: created,
            updated_at: created,
            closed_at: closed.then_some(created),
            closed_by: closed.then_some(user),
            locked: false,
            active_lock_reason: None,
            pull_request,
            parent: None,
            sub_issues: Vec::new(),
            blocked_by: Vec::new(),
            blocking: Vec::new(),
            gone: None,
        },
    )
}

fn add_comment(world: &mut World, repo: usize, number: u64, user: &str, body: &str, at: Time) {
    let user = world.user(user).login.clone();
    let id = world.next_id();
    world.repos[repo].comments.push(Comment {
        id,
        issue_number: number,
        user,
        body: body.to_string(),
        created_at: at,
        updated_at: at,
    });
    world.comment_loc.insert(id, repo);
    let issue = world.issue_mut(repo, number);
    issue.comments += 1;
    issue.updated_at = issue.updated_at.max(at);
}
