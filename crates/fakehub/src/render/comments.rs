//! Issue comments, as the comments API shows them.

use super::reactions::write_reactions;
use super::writer::{parse, JsonWriter};
use crate::model::{Comment, Repo, World};
use serde_json::Value;

impl World {
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
}
