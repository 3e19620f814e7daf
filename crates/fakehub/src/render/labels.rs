//! Labels, as the labels API and issues show them.

use super::path::EncodedPath;
use super::writer::{parse, JsonWriter};
use crate::model::{Label, Repo, World};
use serde_json::Value;

impl World {
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
}
