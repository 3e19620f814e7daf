//! Global node ids, the same as REST's `node_id`: a type prefix, `_`, and the base64 of
//! `0:` followed by the database id (`I_MDoxMDAx` is issue 1001).

use crate::model::Id;
use base64::Engine;

/// What a node id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Repository,
    Issue,
    /// GitHub's `PR_` ids; fakehub hands out REST's (see [`pull_request`]) and accepts both.
    PullRequest,
    IssueType,
    Label,
    Milestone,
    User,
    Organization,
    Project,
    ProjectItem,
    ProjectField,
    SingleSelectField,
    IterationField,
    DraftIssue,
    FieldValue,
}

impl NodeKind {
    pub fn prefix(self) -> &'static str {
        match self {
            NodeKind::Repository => "R",
            NodeKind::Issue => "I",
            NodeKind::PullRequest => "PR",
            NodeKind::IssueType => "IT",
            NodeKind::Label => "LA",
            NodeKind::Milestone => "MI",
            NodeKind::User => "U",
            NodeKind::Organization => "O",
            NodeKind::Project => "PVT",
            NodeKind::ProjectItem => "PVTI",
            NodeKind::ProjectField => "PVTF",
            NodeKind::SingleSelectField => "PVTSSF",
            NodeKind::IterationField => "PVTIF",
            NodeKind::DraftIssue => "DI",
            NodeKind::FieldValue => "PVTFV",
        }
    }

    fn from_prefix(prefix: &str) -> Option<NodeKind> {
        [
            NodeKind::Repository,
            NodeKind::Issue,
            NodeKind::PullRequest,
            NodeKind::IssueType,
            NodeKind::Label,
            NodeKind::Milestone,
            NodeKind::User,
            NodeKind::Organization,
            NodeKind::Project,
            NodeKind::ProjectItem,
            NodeKind::ProjectField,
            NodeKind::SingleSelectField,
            NodeKind::IterationField,
            NodeKind::DraftIssue,
            NodeKind::FieldValue,
        ]
        .into_iter()
        .find(|k| k.prefix() == prefix)
    }
}

/// The same id REST answers as `node_id` (one definition: `render::node_id`).
pub fn encode(kind: NodeKind, id: Id) -> String {
    crate::render::node_id(kind.prefix(), id)
}

/// A pull request's id: the `node_id` REST gives it. REST renders pull requests (issues
/// with `pull_request`) with the issue prefix, so this is an `I_` id; `decode` also takes
/// GitHub's `PR_` form, so either names the pull request.
pub fn pull_request(id: Id) -> String {
    encode(NodeKind::PullRequest, id)
}

/// The kind and database id a node id stands for; None for anything fakehub did not make.
pub fn decode(node_id: &str) -> Option<(NodeKind, Id)> {
    let (prefix, rest) = node_id.split_once('_')?;
    let kind = NodeKind::from_prefix(prefix)?;
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(rest.trim_end_matches('='))
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let id = text.strip_prefix("0:")?.parse().ok()?;
    Some((kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_rest() {
        for (kind, id) in [
            (NodeKind::Issue, 1001),
            (NodeKind::Label, 7),
            (NodeKind::Repository, u64::MAX),
        ] {
            assert_eq!(decode(&encode(kind, id)), Some((kind, id)));
        }
        // "0:1001" in base64, as GitHub's new-style ids are built.
        assert_eq!(encode(NodeKind::Issue, 1001), "I_MDoxMDAx");
        assert_eq!(decode("I_bm90IGFuIGlk"), None);
        assert_eq!(decode("ZZ_MDox"), None);
        assert_eq!(decode("garbage"), None);
    }

    #[test]
    fn pull_requests_have_rests_id_and_githubs_form_decodes() {
        // REST renders a pull request's node_id with GitHub's pull request prefix; the
        // issue form of the same id still decodes (as an issue).
        assert_eq!(pull_request(1001), crate::render::node_id("PR", 1001));
        assert_eq!(
            decode(&pull_request(1001)),
            Some((NodeKind::PullRequest, 1001))
        );
        assert_eq!(
            decode(&crate::render::node_id("I", 1001)),
            Some((NodeKind::Issue, 1001))
        );
        assert_eq!(decode("PR_MDoxMDAx"), Some((NodeKind::PullRequest, 1001)));
        assert_eq!(
            decode(&encode(NodeKind::IssueType, 7)),
            Some((NodeKind::IssueType, 7))
        );
    }
}
