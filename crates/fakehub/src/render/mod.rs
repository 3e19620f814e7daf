//! JSON views of the model, with GitHub's field names and every URL absolute under the
//! simulator's public base URL.
//!
//! Issues, and everything an issue embeds (users, labels, milestones, issue types), plus
//! comments, are written straight into a byte buffer by `JsonWriter` (in `writer`): a page
//! of 100 issues is some 440 kB of JSON, and building a `serde_json::Value` tree for it
//! first costs ten times more than writing it. The writer emits keys in the order
//! serde_json's `Map` keeps them (sorted), so the bytes are exactly what
//! `serde_json::to_vec` of the equivalent `Value` gives; the `*_json` functions that return
//! a `Value` parse those bytes, so there is one definition of each object. Users never
//! change once created, so their JSON is rendered once, when the user is created, and
//! copied from then on.
//!
//! One file per job: `writer` (the JSON writer), `path` (percent-encoding), then one per
//! resource: `users`, `repos`, `labels`, `milestones`, `issue_types`, `issues`,
//! `relations` (sub-issue and dependency summaries), `comments`, `reactions` and `hooks`.

mod accounts;
mod apps;
mod comments;
mod events;
mod hooks;
mod issue_types;
mod issues;
mod labels;
mod milestones;
mod path;
mod reactions;
mod relations;
mod repos;
mod users;
mod writer;

#[cfg(test)]
mod tests;

pub use path::{encode_path, EncodedPath};
pub(crate) use writer::{node_id, write_array};
