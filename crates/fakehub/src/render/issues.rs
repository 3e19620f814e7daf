//! Issues (and pull requests) as the issues API shows them, with their users, labels,
//! milestone, type and summaries embedded.

use super::reactions::write_reactions;
use super::writer::{parse, write_array, JsonWriter};
use crate::model::{Issue, World};
use serde_json::Value;

impl World {
    /// Writes an issue (or pull request) as the issues API shows it.
    pub(crate) fn write_issue(&self, out: &mut Vec<u8>, repo_idx: usize, issue: &Issue) {
        let repo = &self.repos[repo_idx];
        let (b, owner, name, n) = (&self.base, &repo.owner, &repo.name, issue.number);
        let kind = if issue.pull_request { "pull" } else { "issues" };
        let html = self.html();
        let mut o = JsonWriter::object(out);
        match &issue.active_lock_reason {
            Some(reason) => o.str("active_lock_reason", reason),
            None => o.null("active_lock_reason"),
        }
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
        // A pull request listed among issues carries its own (pull request) node id.
        let kind = if issue.pull_request { "PR" } else { "I" };
        o.node_id("node_id", kind, issue.id);
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
        // Null on an issue never closed, as GitHub answers it.
        match &issue.state_reason {
            Some(reason) => o.str("state_reason", reason),
            None => o.null("state_reason"),
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
}
