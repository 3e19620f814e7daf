//! What a query costs, by GitHub's rule, worked out from the document before it runs:
//! every connection must ask for `first` or `last` (1 to 100); the nodes it may return are
//! the product of the page sizes down to it, at most 500,000 in all; the requests are one
//! per parent node for each connection, and the cost is their total over 100, rounded, at
//! least 1. A mutation costs 1.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::Value as GqlValue;
use serde_json::Value;

/// The connections fakehub serves: the fields whose type is a `…Connection`.
pub const CONNECTIONS: [&str; 14] = [
    "issues",
    "labels",
    "milestones",
    "subIssues",
    "assignees",
    "projectsV2",
    "fields",
    "items",
    "fieldValues",
    "pullRequests",
    "blockedBy",
    "blocking",
    "issueTypes",
    "projectItems",
];

/// GitHub's page-size ceiling and node cap.
pub const MAX_PAGE: i64 = 100;
pub const MAX_NODES: u64 = 500_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Requests needed to fill every connection, one per parent node.
    pub requests: u64,
    /// Nodes the query may return.
    pub nodes: u64,
    pub mutation: bool,
}

impl Cost {
    /// Rate-limit points: the requests over 100, rounded, at least 1 (mutations: 1).
    pub fn points(&self) -> u64 {
        if self.mutation {
            return 1;
        }
        ((self.requests as f64 / 100.0).round() as u64).max(1)
    }
}

/// Why a document is refused before it runs, with GitHub's `type` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub kind: &'static str,
    pub message: String,
    /// Line and column of the field at fault.
    pub at: Option<(usize, usize)>,
}

pub fn measure(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    variables: &serde_json::Map<String, Value>,
) -> Result<Cost, Refused> {
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => {
            match ops.iter().find(|(n, _)| n.as_str() == name) {
                Some((_, op)) => op,
                None => {
                    return Err(Refused {
                        kind: "UNKNOWN_OPERATION",
                        message: format!("No operation named \"{name}\""),
                        at: None,
                    })
                }
            }
        }
        // Several operations and no name: the engine answers that itself.
        (DocumentOperations::Multiple(_), None) => return Ok(Cost::default()),
    };
    let mut cost = Cost {
        mutation: op.node.ty == OperationType::Mutation,
        ..Cost::default()
    };
    let walk = Walk { doc, variables };
    walk.set(&op.node.selection_set, 1, &mut cost, 0)?;
    if cost.nodes > MAX_NODES {
        return Err(Refused {
            kind: "MAX_NODE_LIMIT_EXCEEDED",
            message: format!(
                "This query requests up to {} possible nodes which exceeds the maximum limit of {}.",
                thousands(cost.nodes),
                thousands(MAX_NODES)
            ),
            at: None,
        });
    }
    Ok(cost)
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a serde_json::Map<String, Value>,
}

/// Fragments may nest; a cycle is refused by validation later, this only stops the walk.
const MAX_DEPTH: usize = 64;

impl Walk<'_> {
    fn set(
        &self,
        set: &Positioned<SelectionSet>,
        parents: u64,
        cost: &mut Cost,
        depth: usize,
    ) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let mut below = parents;
                    if CONNECTIONS.contains(&name) {
                        let size = self.page_size(field, name)?;
                        cost.requests = cost.requests.saturating_add(parents);
                        below = parents.saturating_mul(size);
                        cost.nodes = cost.nodes.saturating_add(below);
                    }
                    self.set(&field.node.selection_set, below, cost, depth + 1)?;
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.doc.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.set(&fragment.node.selection_set, parents, cost, depth + 1)?;
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.set(&inline.node.selection_set, parents, cost, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// `first` or `last` of a connection field, checked against GitHub's bounds.
    fn page_size(
        &self,
        field: &Positioned<async_graphql::parser::types::Field>,
        name: &str,
    ) -> Result<u64, Refused> {
        let at = Some((field.pos.line, field.pos.column));
        for bound in ["first", "last"] {
            let Some(value) = field.node.get_argument(bound) else {
                continue;
            };
            // Variables substituted; an unset variable is null, as if the bound were absent.
            let n = match value.node.clone().into_const_with(|var| {
                Ok::<_, ()>(
                    self.variables
                        .get(var.as_str())
                        .and_then(|v| GqlValue::from_json(v.clone()).ok())
                        .unwrap_or(GqlValue::Null),
                )
            }) {
                Ok(GqlValue::Number(n)) => n.as_i64(),
                _ => None,
            };
            let Some(n) = n else { continue };
            if !(1..=MAX_PAGE).contains(&n) {
                return Err(Refused {
                    kind: "EXCESSIVE_PAGINATION",
                    message: if n < 1 {
                        format!("`{bound}` on the `{name}` connection cannot be less than one.")
                    } else {
                        format!(
                            "Requesting {n} records on the `{name}` connection exceeds the `{bound}` limit of {MAX_PAGE} records."
                        )
                    },
                    at,
                });
            }
            return Ok(n as u64);
        }
        Err(Refused {
            kind: "MISSING_PAGINATION_BOUNDARIES",
            message: format!(
                "You must provide a `first` or `last` value to properly paginate the `{name}` connection."
            ),
            at,
        })
    }
}

/// 600000 → "600,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost_of(query: &str, vars: Value) -> Result<Cost, Refused> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        measure(&doc, None, vars.as_object().unwrap())
    }

    #[test]
    fn connections_cost_by_githubs_rule() {
        let c = cost_of(
            "{ repository(owner:\"a\", name:\"b\") { issues(first: 100) { nodes { labels(first: 50) { totalCount } } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        // One request for the issues, one per issue for their labels.
        assert_eq!((c.requests, c.nodes, c.points()), (101, 100 + 100 * 50, 1));
        let c = cost_of(
            "query($n: Int) { repository(owner:\"a\", name:\"b\") { issues(last: $n) { nodes { subIssues(first: 100) { nodes { assignees(first: 10) { totalCount } } } } } } }",
            serde_json::json!({"n": 100}),
        )
        .unwrap();
        assert_eq!(c.requests, 1 + 100 + 100 * 100);
        assert_eq!(c.points(), 101);
        assert_eq!(
            cost_of("{ viewer { login } }", serde_json::json!({}))
                .unwrap()
                .points(),
            1
        );
    }

    #[test]
    fn bounds_are_required_and_checked() {
        let e = cost_of(
            "{ repository(owner:\"a\", name:\"b\") { issues { totalCount } } }",
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "MISSING_PAGINATION_BOUNDARIES");
        assert_eq!(
            e.message,
            "You must provide a `first` or `last` value to properly paginate the `issues` connection."
        );
        assert_eq!(e.at, Some((1, 37)));
        let e = cost_of(
            "{ repository(owner:\"a\", name:\"b\") { labels(first: 101) { totalCount } } }",
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "EXCESSIVE_PAGINATION");
        assert_eq!(
            e.message,
            "Requesting 101 records on the `labels` connection exceeds the `first` limit of 100 records."
        );
        let e = cost_of(
            "{ repository(owner:\"a\", name:\"b\") { issues(first: 100) { nodes { subIssues(first: 100) { nodes { labels(first: 100) { totalCount } } } } } } }",
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "MAX_NODE_LIMIT_EXCEEDED");
        assert_eq!(
            e.message,
            "This query requests up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000."
        );
    }
}
