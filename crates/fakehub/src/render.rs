//! JSON views of the model, with GitHub's field names and every URL absolute under the
//! simulator's public base URL.
//!
//! Issues, and everything an issue embeds (users, labels, milestones, issue types), plus
//! comments, are written straight into a byte buffer by [`JsonWriter`]: a page of 100
//! issues is some 440 kB of JSON, and building a `serde_json::Value` tree for it first
//! costs ten times more than writing it. The writer emits keys in the order serde_json's
//! `Map` keeps them (sorted), so the bytes are exactly what `serde_json::to_vec` of the
//! equivalent `Value` gives; the `*_json` functions that return a `Value` parse those bytes,
//! so there is one definition of each object. Users never change once created, so their
//! JSON is rendered once, when the user is created, and copied from then on.

use crate::clock::iso;
use crate::model::*;
use base64::Engine;
use chrono::{Datelike, Timelike};
use serde_json::{json, Value};
use std::fmt::{self, Write as _};

/// Writes `s` as the contents of a JSON string, escaped exactly as serde_json escapes.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    // A fold rather than `any`: without the early exit the check vectorizes (bodies are long).
    if s.bytes().fold(false, |hit, b| {
        hit | (b < 0x20) | (b == b'"') | (b == b'\\')
    }) {
        let quoted = serde_json::to_string(s).expect("a string serializes");
        out.extend_from_slice(&quoted.as_bytes()[1..quoted.len() - 1]);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// `fmt::Write` into a JSON string's contents, escaping as it goes.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

/// `fmt::Write` straight into the buffer, for text that needs no escaping (digits, base64).
struct Plain<'a>(&'a mut Vec<u8>);

impl fmt::Write for Plain<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// One JSON object being written. Keys must come in byte order (checked in debug builds),
/// which is the order serde_json's `Map` serializes them in.
pub(crate) struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    #[cfg(debug_assertions)]
    last: &'static str,
}

impl<'a> JsonWriter<'a> {
    pub(crate) fn object(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonWriter {
            out,
            first: true,
            #[cfg(debug_assertions)]
            last: "",
        }
    }

    /// Writes `"key":` and hands back the buffer for the value. Keys are plain ASCII.
    fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        #[cfg(debug_assertions)]
        {
            assert!(
                self.first || self.last < key,
                "JSON keys out of order: {:?} after {:?}",
                key,
                self.last
            );
            self.last = key;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn str(&mut self, key: &'static str, value: &str) {
        let out = self.key(key);
        out.push(b'"');
        escape_into(out, value);
        out.push(b'"');
    }

    fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// A string made by formatting, e.g. `w.fmt("url", format_args!("{base}/x"))`.
    fn fmt(&mut self, key: &'static str, value: fmt::Arguments) {
        let out = self.key(key);
        out.push(b'"');
        Escaping(out).write_fmt(value).expect("writing to a Vec");
        out.push(b'"');
    }

    fn u64(&mut self, key: &'static str, value: u64) {
        let out = self.key(key);
        write!(Plain(out), "{value}").expect("writing to a Vec");
    }

    fn bool(&mut self, key: &'static str, value: bool) {
        self.key(key)
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn null(&mut self, key: &'static str) {
        self.key(key).extend_from_slice(b"null");
    }

    fn time(&mut self, key: &'static str, t: Time) {
        write_time(self.key(key), t);
    }

    fn opt_time(&mut self, key: &'static str, t: Option<Time>) {
        match t {
            Some(t) => self.time(key, t),
            None => self.null(key),
        }
    }

    fn node_id(&mut self, key: &'static str, prefix: &str, id: Id) {
        write_node_id(self.key(key), prefix, id);
    }

    /// A value written by `f` (an object, an array, null…).
    fn with(&mut self, key: &'static str, f: impl FnOnce(&mut Vec<u8>)) {
        f(self.key(key));
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes a JSON array of `items`, each written by `f`.
pub(crate) fn write_array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut f: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        f(out, item);
    }
    out.push(b']');
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("fakehub writes valid JSON")
}

/// `clock::iso` without the strftime machinery: `2011-04-22T13:33:48Z`, quoted.
fn write_time(out: &mut Vec<u8>, t: Time) {
    let t = t.naive_utc();
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        // Signed years and leap seconds: leave the edge cases to chrono.
        out.push(b'"');
        out.extend_from_slice(iso(t.and_utc()).as_bytes());
        out.push(b'"');
        return;
    }
    let two = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let y = year as u32;
    let (m, d, h, mi, s) = (
        two(t.month()),
        two(t.day()),
        two(t.hour()),
        two(t.minute()),
        two(t.second()),
    );
    out.extend_from_slice(&[
        b'"',
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        m[0],
        m[1],
        b'-',
        d[0],
        d[1],
        b'T',
        h[0],
        h[1],
        b':',
        mi[0],
        mi[1],
        b':',
        s[0],
        s[1],
        b'Z',
        b'"',
    ]);
}

/// GitHub's legacy node id, `PREFIX_` + base64(`0:ID`), quoted.
fn write_node_id(out: &mut Vec<u8>, prefix: &str, id: Id) {
    // "0:" and at most 20 digits.
    let mut raw = [0u8; 22];
    raw[0] = b'0';
    raw[1] = b':';
    let digits = id.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut rest = id;
    for k in (0..digits).rev() {
        raw[2 + k] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut encoded = [0u8; 32];
    let n = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode_slice(&raw[..2 + digits], &mut encoded)
        .expect("a u64 id fits");
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'_');
    out.extend_from_slice(&encoded[..n]);
    out.push(b'"');
}

fn node_id(prefix: &str, id: Id) -> String {
    let mut out = Vec::with_capacity(32);
    write_node_id(&mut out, prefix, id);
    String::from_utf8(out[1..out.len() - 1].to_vec()).expect("ASCII")
}

/// A percent-encoded path segment (label names may hold spaces, slashes, colons…).
pub struct EncodedPath<'a>(pub &'a str);

impl fmt::Display for EncodedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = |b: u8| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~');
        let s = self.0;
        // Runs of safe bytes are ASCII, so they start and end on character boundaries.
        let mut run = 0;
        for (k, b) in s.bytes().enumerate() {
            if !safe(b) {
                if k > run {
                    f.write_str(&s[run..k])?;
                }
                write!(f, "%{b:02X}")?;
                run = k + 1;
            }
        }
        if run < s.len() {
            f.write_str(&s[run..])?;
        }
        Ok(())
    }
}

/// Percent-encodes a path segment (label names may hold spaces, slashes, colons…).
pub fn encode_path(s: &str) -> String {
    EncodedPath(s).to_string()
}

/// Lower-cases a login for lookups, borrowing when it already is (the usual case).
fn login_key(login: &str) -> std::borrow::Cow<'_, str> {
    if login.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(login.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(login)
    }
}

impl World {
    /// The web (html) side of the simulator lives under the same base URL.
    fn html(&self) -> &str {
        &self.base
    }

    /// The JSON of a user as GitHub embeds it everywhere. `World` renders it once, when the
    /// user is created (see `World::user_of_kind`); this is that rendering.
    pub(crate) fn render_user(&self, id: Id, login: &str, kind: UserKind) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        let b = &self.base;
        let mut o = JsonWriter::object(&mut out);
        o.fmt("avatar_url", format_args!("{b}/_avatars/{id}"));
        o.fmt(
            "events_url",
            format_args!("{b}/users/{login}/events{{/privacy}}"),
        );
        o.fmt("followers_url", format_args!("{b}/users/{login}/followers"));
        o.fmt(
            "following_url",
            format_args!("{b}/users/{login}/following{{/other_user}}"),
        );
        o.fmt(
            "gists_url",
            format_args!("{b}/users/{login}/gists{{/gist_id}}"),
        );
        o.str("gravatar_id", "");
        o.fmt("html_url", format_args!("{}/{login}", self.html()));
        o.u64("id", id);
        o.str("login", login);
        o.node_id(
            "node_id",
            if kind == UserKind::Organization {
                "O"
            } else {
                "U"
            },
            id,
        );
        o.fmt("organizations_url", format_args!("{b}/users/{login}/orgs"));
        o.fmt(
            "received_events_url",
            format_args!("{b}/users/{login}/received_events"),
        );
        o.fmt("repos_url", format_args!("{b}/users/{login}/repos"));
        o.bool("site_admin", false);
        o.fmt(
            "starred_url",
            format_args!("{b}/users/{login}/starred{{/owner}}{{/repo}}"),
        );
        o.fmt(
            "subscriptions_url",
            format_args!("{b}/users/{login}/subscriptions"),
        );
        o.str("type", kind.as_str());
        o.fmt("url", format_args!("{b}/users/{login}"));
        o.str("user_view_type", "public");
        o.end();
        out
    }

    pub(crate) fn write_user(&self, out: &mut Vec<u8>, login: &str) {
        let key = login_key(login);
        if let Some(json) = self.rendered_users.get(key.as_ref()) {
            out.extend_from_slice(json);
            return;
        }
        // Not rendered ahead (a login nobody has used, or a user added behind the World's back).
        let rendered = match self.users.get(key.as_ref()) {
            Some(u) => self.render_user(u.id, &u.login, u.kind),
            None => self.render_user(0, login, UserKind::User),
        };
        out.extend_from_slice(&rendered);
    }

    pub fn user_json(&self, login: &str) -> Value {
        let mut out = Vec::new();
        self.write_user(&mut out, login);
        parse(&out)
    }

    pub fn org_json(&self, login: &str) -> Value {
        let id = self.find_user(login).map(|u| u.id).unwrap_or(0);
        let b = &self.base;
        json!({
            "login": login,
            "id": id,
            "node_id": node_id("O", id),
            "url": format!("{b}/orgs/{login}"),
            "repos_url": format!("{b}/orgs/{login}/repos"),
            "events_url": format!("{b}/orgs/{login}/events"),
            "hooks_url": format!("{b}/orgs/{login}/hooks"),
            "issues_url": format!("{b}/orgs/{login}/issues"),
            "members_url": format!("{b}/orgs/{login}/members{{/member}}"),
            "public_members_url": format!("{b}/orgs/{login}/public_members{{/member}}"),
            "avatar_url": format!("{b}/_avatars/{id}"),
            "description": null,
        })
    }

    pub fn owner_is_org(&self, repo: &Repo) -> bool {
        self.find_user(&repo.owner)
            .is_some_and(|u| u.kind == UserKind::Organization)
    }

    pub fn repo_json(&self, repo: &Repo) -> Value {
        let b = &self.base;
        let full = repo.full_name();
        let api = format!("{b}/repos/{full}");
        let html = format!("{}/{full}", self.html());
        let open = repo.open_issues_count;
        json!({
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": full,
            "private": repo.private,
            "visibility": if repo.private { "private" } else { "public" },
            "owner": self.user_json(&repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": false,
            "url": api,
            "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
            "assignees_url": format!("{api}/assignees{{/user}}"),
            "blobs_url": format!("{api}/git/blobs{{/sha}}"),
            "branches_url": format!("{api}/branches{{/branch}}"),
            "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
            "comments_url": format!("{api}/comments{{/number}}"),
            "commits_url": format!("{api}/commits{{/sha}}"),
            "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
            "contents_url": format!("{api}/contents/{{+path}}"),
            "contributors_url": format!("{api}/contributors"),
            "deployments_url": format!("{api}/deployments"),
            "downloads_url": format!("{api}/downloads"),
            "events_url": format!("{api}/events"),
            "forks_url": format!("{api}/forks"),
            "git_commits_url": format!("{api}/git/commits{{/sha}}"),
            "git_refs_url": format!("{api}/git/refs{{/sha}}"),
            "git_tags_url": format!("{api}/git/tags{{/sha}}"),
            "git_url": format!("{html}.git"),
            "hooks_url": format!("{api}/hooks"),
            "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
            "issue_events_url": format!("{api}/issues/events{{/number}}"),
            "issues_url": format!("{api}/issues{{/number}}"),
            "keys_url": format!("{api}/keys{{/key_id}}"),
            "labels_url": format!("{api}/labels{{/name}}"),
            "languages_url": format!("{api}/languages"),
            "merges_url": format!("{api}/merges"),
            "milestones_url": format!("{api}/milestones{{/number}}"),
            "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
            "pulls_url": format!("{api}/pulls{{/number}}"),
            "releases_url": format!("{api}/releases{{/id}}"),
            "ssh_url": format!("git@fakehub.invalid:{full}.git"),
            "stargazers_url": format!("{api}/stargazers"),
            "statuses_url": format!("{api}/statuses/{{sha}}"),
            "subscribers_url": format!("{api}/subscribers"),
            "subscription_url": format!("{api}/subscription"),
            "tags_url": format!("{api}/tags"),
            "teams_url": format!("{api}/teams"),
            "trees_url": format!("{api}/git/trees{{/sha}}"),
            "clone_url": format!("{html}.git"),
            "mirror_url": null,
            "svn_url": html,
            "homepage": null,
            "language": "Rust",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 0,
            "default_branch": "main",
            "open_issues_count": open,
            "open_issues": open,
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": true,
            "has_wiki": false,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "pushed_at": iso(repo.pushed_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.updated_at),
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": {
                "key": "mit",
                "name": "MIT License",
                "spdx_id": "MIT",
                "url": format!("{b}/licenses/mit"),
                "node_id": "MDc6TGljZW5zZTEz",
            },
            "network_count": 0,
            "subscribers_count": 0,
        })
    }

    pub(crate) fn write_label(&self, out: &mut Vec<u8>, repo: &Repo, label: &Label) {
        let mut o = JsonWriter::object(out);
        o.str("color", &label.color);
        o.bool("default", label.default);
        o.opt_str("description", label.description.as_deref());
        o.u64("id", label.id);
        o.str("name", &label.name);
        o.node_id("node_id", "LA", label.id);
        o.fmt(
            "url",
            format_args!(
                "{}/repos/{}/{}/labels/{}",
                self.base,
                repo.owner,
                repo.name,
                EncodedPath(&label.name)
            ),
        );
        o.end();
    }

    pub fn label_json(&self, repo: &Repo, label: &Label) -> Value {
        let mut out = Vec::new();
        self.write_label(&mut out, repo, label);
        parse(&out)
    }

    pub(crate) fn write_milestone(&self, out: &mut Vec<u8>, repo: &Repo, m: &Milestone) {
        let (b, owner, name, n) = (&self.base, &repo.owner, &repo.name, m.number);
        let mut o = JsonWriter::object(out);
        o.opt_time("closed_at", m.closed_at);
        o.u64("closed_issues", m.closed_issues);
        o.time("created_at", m.created_at);
        o.with("creator", |out| self.write_user(out, &m.creator));
        o.opt_str("description", m.description.as_deref());
        o.opt_time("due_on", m.due_on);
        o.fmt(
            "html_url",
            format_args!("{}/{owner}/{name}/milestone/{n}", self.html()),
        );
        o.u64("id", m.id);
        o.fmt(
            "labels_url",
            format_args!("{b}/repos/{owner}/{name}/milestones/{n}/labels"),
        );
        o.node_id("node_id", "MI", m.id);
        o.u64("number", m.number);
        o.u64("open_issues", m.open_issues);
        o.str("state", m.state.as_str());
        o.str("title", &m.title);
        o.time("updated_at", m.updated_at);
        o.fmt(
            "url",
            format_args!("{b}/repos/{owner}/{name}/milestones/{n}"),
        );
        o.end();
    }

    pub fn milestone_json(&self, repo: &Repo, m: &Milestone) -> Value {
        let mut out = Vec::new();
        self.write_milestone(&mut out, repo, m);
        parse(&out)
    }

    pub(crate) fn write_issue_type(&self, out: &mut Vec<u8>, t: &IssueType) {
        let mut o = JsonWriter::object(out);
        o.opt_str("color", t.color.as_deref());
        o.time("created_at", t.created_at);
        o.opt_str("description", t.description.as_deref());
        o.u64("id", t.id);
        o.bool("is_enabled", t.is_enabled);
        o.str("name", &t.name);
        o.node_id("node_id", "IT", t.id);
        o.time("updated_at", t.updated_at);
        o.end();
    }

    pub fn issue_type_json(&self, t: &IssueType) -> Value {
        let mut out = Vec::new();
        self.write_issue_type(&mut out, t);
        parse(&out)
    }

    fn write_sub_issues_summary(&self, out: &mut Vec<u8>, issue: &Issue) {
        let total = issue.sub_issues.len() as u64;
        let completed = issue
            .sub_issues
            .iter()
            .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| !i.is_open()))
            .count() as u64;
        let percent = (completed * 100).checked_div(total).unwrap_or(0);
        let mut o = JsonWriter::object(out);
        o.u64("completed", completed);
        o.u64("percent_completed", percent);
        o.u64("total", total);
        o.end();
    }

    pub fn sub_issues_summary(&self, issue: &Issue) -> Value {
        let mut out = Vec::new();
        self.write_sub_issues_summary(&mut out, issue);
        parse(&out)
    }

    fn write_dependencies_summary(&self, out: &mut Vec<u8>, issue: &Issue) {
        let open = |ids: &Vec<Id>| {
            ids.iter()
                .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| i.is_open()))
                .count() as u64
        };
        let mut o = JsonWriter::object(out);
        o.u64("blocked_by", open(&issue.blocked_by));
        o.u64("blocking", open(&issue.blocking));
        o.u64("total_blocked_by", issue.blocked_by.len() as u64);
        o.u64("total_blocking", issue.blocking.len() as u64);
        o.end();
    }

    pub fn dependencies_summary(&self, issue: &Issue) -> Value {
        let mut out = Vec::new();
        self.write_dependencies_summary(&mut out, issue);
        parse(&out)
    }

    /// Writes an issue (or pull request) as the issues API shows it.
    pub(crate) fn write_issue(&self, out: &mut Vec<u8>, repo_idx: usize, issue: &Issue) {
        let repo = &self.repos[repo_idx];
        let (b, owner, name, n) = (&self.base, &repo.owner, &repo.name, issue.number);
        let kind = if issue.pull_request { "pull" } else { "issues" };
        let html = self.html();
        let mut o = JsonWriter::object(out);
        o.null("active_lock_reason");
        o.with("assignee", |out| match issue.assignees.first() {
            Some(a) => self.write_user(out, a),
            None => out.extend_from_slice(b"null"),
        });
        o.with("assignees", |out| {
            write_array(out, &issue.assignees, |out, a| self.write_user(out, a))
        });
        o.str(
            "author_association",
            if issue.user.eq_ignore_ascii_case(&repo.owner) {
                "OWNER"
            } else {
                "MEMBER"
            },
        );
        o.opt_str("body", issue.body.as_deref());
        o.opt_time("closed_at", issue.closed_at);
        o.with("closed_by", |out| match issue.closed_by.as_deref() {
            Some(u) => self.write_user(out, u),
            None => out.extend_from_slice(b"null"),
        });
        o.u64("comments", issue.comments);
        o.fmt(
            "comments_url",
            format_args!("{b}/repos/{owner}/{name}/issues/{n}/comments"),
        );
        o.time("created_at", issue.created_at);
        if issue.pull_request {
            o.bool("draft", false);
        }
        o.fmt(
            "events_url",
            format_args!("{b}/repos/{owner}/{name}/issues/{n}/events"),
        );
        o.fmt("html_url", format_args!("{html}/{owner}/{name}/{kind}/{n}"));
        o.u64("id", issue.id);
        o.with("issue_dependencies_summary", |out| {
            self.write_dependencies_summary(out, issue)
        });
        o.with("labels", |out| {
            write_array(
                out,
                issue.labels.iter().filter_map(|id| repo.label(*id)),
                |out, l| self.write_label(out, repo, l),
            )
        });
        o.fmt(
            "labels_url",
            format_args!("{b}/repos/{owner}/{name}/issues/{n}/labels{{/name}}"),
        );
        o.bool("locked", issue.locked);
        o.with("milestone", |out| {
            match issue.milestone.and_then(|m| repo.milestone(m)) {
                Some(m) => self.write_milestone(out, repo, m),
                None => out.extend_from_slice(b"null"),
            }
        });
        o.node_id("node_id", "I", issue.id);
        o.u64("number", n);
        match issue.parent.and_then(|p| self.issue_by_id(p)) {
            Some((r, p)) => {
                let pr = &self.repos[r];
                o.fmt(
                    "parent_issue_url",
                    format_args!("{b}/repos/{}/{}/issues/{}", pr.owner, pr.name, p.number),
                );
            }
            None => o.null("parent_issue_url"),
        }
        o.null("performed_via_github_app");
        if issue.pull_request {
            o.with("pull_request", |out| {
                let mut pr = JsonWriter::object(out);
                pr.fmt(
                    "diff_url",
                    format_args!("{html}/{owner}/{name}/{kind}/{n}.diff"),
                );
                pr.fmt("html_url", format_args!("{html}/{owner}/{name}/{kind}/{n}"));
                pr.null("merged_at");
                pr.fmt(
                    "patch_url",
                    format_args!("{html}/{owner}/{name}/{kind}/{n}.patch"),
                );
                pr.fmt("url", format_args!("{b}/repos/{owner}/{name}/pulls/{n}"));
                pr.end();
            });
        }
        o.with("reactions", |out| {
            write_reactions(
                out,
                format_args!("{b}/repos/{owner}/{name}/issues/{n}/reactions"),
            )
        });
        o.fmt("repository_url", format_args!("{b}/repos/{owner}/{name}"));
        o.str("state", issue.state.as_str());
        // GitHub's schema lists state_reason as an enum without null; leaving it out reads
        // the same to every client and keeps the body valid.
        if let Some(reason) = &issue.state_reason {
            o.str("state_reason", reason);
        }
        o.with("sub_issues_summary", |out| {
            self.write_sub_issues_summary(out, issue)
        });
        o.fmt(
            "timeline_url",
            format_args!("{b}/repos/{owner}/{name}/issues/{n}/timeline"),
        );
        o.str("title", &issue.title);
        o.with("type", |out| {
            match issue
                .type_id
                .and_then(|id| self.issue_type(&repo.owner, id))
            {
                Some(t) => self.write_issue_type(out, t),
                None => out.extend_from_slice(b"null"),
            }
        });
        o.time("updated_at", issue.updated_at);
        o.fmt("url", format_args!("{b}/repos/{owner}/{name}/issues/{n}"));
        o.with("user", |out| self.write_user(out, &issue.user));
        o.end();
    }

    pub fn issue_json(&self, repo_idx: usize, issue: &Issue) -> Value {
        let mut out = Vec::with_capacity(4096);
        self.write_issue(&mut out, repo_idx, issue);
        parse(&out)
    }

    pub(crate) fn write_comment(&self, out: &mut Vec<u8>, repo: &Repo, c: &Comment) {
        let (b, owner, name, id) = (&self.base, &repo.owner, &repo.name, c.id);
        let mut o = JsonWriter::object(out);
        o.str(
            "author_association",
            if c.user.eq_ignore_ascii_case(&repo.owner) {
                "OWNER"
            } else {
                "MEMBER"
            },
        );
        o.str("body", &c.body);
        o.time("created_at", c.created_at);
        o.fmt(
            "html_url",
            format_args!(
                "{}/{owner}/{name}/issues/{}#issuecomment-{id}",
                self.html(),
                c.issue_number
            ),
        );
        o.u64("id", id);
        o.fmt(
            "issue_url",
            format_args!("{b}/repos/{owner}/{name}/issues/{}", c.issue_number),
        );
        o.node_id("node_id", "IC", id);
        o.null("performed_via_github_app");
        o.with("reactions", |out| {
            write_reactions(
                out,
                format_args!("{b}/repos/{owner}/{name}/issues/comments/{id}/reactions"),
            )
        });
        o.time("updated_at", c.updated_at);
        o.fmt(
            "url",
            format_args!("{b}/repos/{owner}/{name}/issues/comments/{id}"),
        );
        o.with("user", |out| self.write_user(out, &c.user));
        o.end();
    }

    pub fn comment_json(&self, repo: &Repo, c: &Comment) -> Value {
        let mut out = Vec::with_capacity(2048);
        self.write_comment(&mut out, repo, c);
        parse(&out)
    }

    pub fn hook_config_json(&self, hook: &Hook) -> Value {
        let mut config = json!({
            "url": hook.url,
            "content_type": hook.content_type,
            "insecure_ssl": hook.insecure_ssl,
        });
        if hook.secret.is_some() {
            // GitHub never shows a secret back.
            config["secret"] = Value::String("********".into());
        }
        config
    }

    pub fn hook_json(&self, repo: &Repo, hook: &Hook) -> Value {
        let api = format!("{}/repos/{}/hooks/{}", self.base, repo.full_name(), hook.id);
        json!({
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": hook.events,
            "config": self.hook_config_json(hook),
            "updated_at": iso(hook.updated_at),
            "created_at": iso(hook.created_at),
            "url": api,
            "test_url": format!("{api}/test"),
            "ping_url": format!("{api}/pings"),
            "deliveries_url": format!("{api}/deliveries"),
            "last_response": {
                "code": hook.last_response.code,
                "status": hook.last_response.status,
                "message": hook.last_response.message,
            },
        })
    }
}

/// GitHub's reaction rollup; fakehub has no reactions, so every count is zero.
fn write_reactions(out: &mut Vec<u8>, url: fmt::Arguments) {
    let mut o = JsonWriter::object(out);
    for key in [
        "+1",
        "-1",
        "confused",
        "eyes",
        "heart",
        "hooray",
        "laugh",
        "rocket",
        "total_count",
    ] {
        o.u64(key, 0);
    }
    o.fmt("url", url);
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        for s in [
            "plain",
            "",
            "q\"uote",
            "back\\slash",
            "\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "é 🎉 \u{2028} </script>",
        ] {
            let mut out = vec![b'"'];
            escape_into(&mut out, s);
            out.push(b'"');
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn times_read_as_clock_iso() {
        let times = [
            Utc.with_ymd_and_hms(2011, 4, 22, 13, 33, 48).unwrap(),
            Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(7, 8, 9, 10, 11, 12).unwrap()
                + chrono::Duration::milliseconds(999),
        ];
        for t in times {
            let mut out = Vec::new();
            write_time(&mut out, t);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", iso(t)));
        }
    }

    #[test]
    fn node_ids_are_base64_of_zero_colon_id() {
        for id in [0, 1, 9, 10, 1001, 99_999, u64::MAX] {
            let raw = format!("0:{id}");
            let want = format!(
                "I_{}",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
            );
            assert_eq!(node_id("I", id), want);
        }
    }

    #[test]
    fn paths_are_percent_encoded_byte_by_byte() {
        let reference = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        for s in [
            "bug",
            "",
            "good first issue",
            "priority: high",
            "a/b?c#d",
            "ü",
            "naïve café",
            "日本 x",
            "%~._-",
        ] {
            assert_eq!(encode_path(s), reference(s), "{s}");
        }
    }

    /// The written bytes are what serde_json gives for the same `Value`: keys in its order,
    /// its escaping, nothing twice. That is what lets the list endpoints skip the `Value`.
    #[test]
    fn written_objects_are_serde_jsons_own_bytes() {
        let mut w = World::new("http://h/x");
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        let doc = crate::SeedDoc {
            repos: vec![crate::SeedRepo {
                full_name: "acme/widgets".into(),
                generate: Some(crate::Generate {
                    issues: 60,
                    comments: 40,
                    labels: 18,
                    milestones: 4,
                    pulls: 10,
                    seed: 9,
                }),
                ..Default::default()
            }],
        };
        crate::seed::apply(&mut w, &doc, now).unwrap();
        let new = NewIssue {
            title: Some("Quote \" backslash \\ bell \u{7} 🎉".into()),
            body: Some("<b>\u{2028}</b>".into()),
            labels: vec!["odd/name: \"x\" ü".into()],
            assignees: vec!["alice".into(), "bob".into()],
            milestone: Some(1),
            type_name: Some("Bug".into()),
            pull_request: false,
        };
        let n = w.create_issue(0, "dependabot[bot]", new, now).unwrap();
        let child = w.repos[0].issue(3).unwrap().id;
        w.add_sub_issue(0, n, child, false, "alice", now).unwrap();
        let blocker = w.repos[0].issue(4).unwrap().id;
        w.add_blocked_by(0, n, blocker, "alice", now).unwrap();
        let same = |bytes: Vec<u8>| {
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(serde_json::to_vec(&value).unwrap(), bytes);
        };
        let r = &w.repos[0];
        for issue in &r.issues {
            let mut out = Vec::new();
            w.write_issue(&mut out, 0, issue);
            same(out);
        }
        for c in &r.comments {
            let mut out = Vec::new();
            w.write_comment(&mut out, r, c);
            same(out);
        }
        for login in ["alice", "ACME", "dependabot[bot]", "never-seen \"q\""] {
            let mut out = Vec::new();
            w.write_user(&mut out, login);
            same(out);
        }
        let user = w.user_json("ALICE");
        assert_eq!(user["login"], "alice");
        assert_eq!(w.user_json("never-seen")["id"], 0);
    }
}
