//! Issue types, as the organization's issue-types API and issues show them.

use super::writer::{parse, JsonWriter};
use crate::model::{IssueType, World};
use serde_json::Value;

impl World {
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
}
