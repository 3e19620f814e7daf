//! Milestones, as the milestones API and issues show them.

use super::writer::{parse, JsonWriter};
use crate::model::{Milestone, Repo, World};
use serde_json::Value;

impl World {
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
}
