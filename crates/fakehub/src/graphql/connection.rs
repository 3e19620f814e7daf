//! Relay connections as GitHub serves them: `edges` (with opaque cursors), `nodes`,
//! `pageInfo` and `totalCount`, paged by `first`/`after` or `last`/`before`.

use async_graphql::SimpleObject;
use base64::Engine;

#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct PageInfo {
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
}

/// A page of `T` with the cursor of each item, made into a GraphQL connection type by
/// [`connection!`].
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

/// `XConnection` and `XEdge` for node type `X`, with GitHub's fields and nullability.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: Option<$node>,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            pub edges: Option<Vec<Option<$edge>>>,
            pub nodes: Option<Vec<Option<$node>>>,
            pub page_info: $crate::graphql::connection::PageInfo,
            pub total_count: i32,
        }

        impl From<$crate::graphql::connection::Page<$node>> for $connection {
            fn from(page: $crate::graphql::connection::Page<$node>) -> Self {
                $connection {
                    edges: Some(
                        page.items
                            .iter()
                            .map(|(cursor, node)| {
                                Some($edge {
                                    cursor: cursor.clone(),
                                    node: Some(node.clone()),
                                })
                            })
                            .collect(),
                    ),
                    nodes: Some(page.items.into_iter().map(|(_, n)| Some(n)).collect()),
                    page_info: page.page_info,
                    total_count: page.total_count,
                }
            }
        }
    };
}
pub(crate) use connection;

/// The page arguments every connection takes.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub last: Option<i32>,
    pub after: Option<String>,
    pub before: Option<String>,
}

fn cursor(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{offset}"))
}

fn offset_of(cursor: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}

/// A cursor fakehub did not hand out is an argument error, as on GitHub.
pub fn bad_cursor(value: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("`{value}` does not appear to be a valid cursor."))
}

impl<T> Page<T> {
    /// The page of `items` that `args` asks for (the bounds were checked before the query
    /// ran, see `cost`).
    pub fn of(items: Vec<T>, args: &PageArgs) -> async_graphql::Result<Self> {
        let total = items.len();
        let mut start = 0;
        let mut end = total;
        if let Some(after) = &args.after {
            start = offset_of(after).ok_or_else(|| bad_cursor(after))? + 1;
        }
        if let Some(before) = &args.before {
            end = offset_of(before).ok_or_else(|| bad_cursor(before))?;
        }
        let start = start.min(total);
        let end = end.clamp(start, total);
        let (mut from, mut to) = (start, end);
        if let Some(first) = args.first {
            to = to.min(from + first.max(0) as usize);
        }
        if let Some(last) = args.last {
            from = from.max(to.saturating_sub(last.max(0) as usize));
        }
        let page_info = PageInfo {
            start_cursor: (from < to).then(|| cursor(from)),
            end_cursor: (from < to).then(|| cursor(to - 1)),
            has_next_page: to < end,
            has_previous_page: from > start,
        };
        let items = items
            .into_iter()
            .enumerate()
            .skip(from)
            .take(to - from)
            .map(|(i, item)| (cursor(i), item))
            .collect();
        Ok(Page {
            items,
            page_info,
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<String>,
        before: Option<String>,
    ) -> Page<i32> {
        Page::of(
            (0..10).collect(),
            &PageArgs {
                first,
                last,
                after,
                before,
            },
        )
        .unwrap()
    }

    fn values(p: &Page<i32>) -> Vec<i32> {
        p.items.iter().map(|(_, n)| *n).collect()
    }

    #[test]
    fn forward_and_backward_paging() {
        let p1 = page(Some(4), None, None, None);
        assert_eq!(values(&p1), [0, 1, 2, 3]);
        assert!(p1.page_info.has_next_page && !p1.page_info.has_previous_page);
        assert_eq!(p1.total_count, 10);
        let p2 = page(Some(4), None, p1.page_info.end_cursor.clone(), None);
        assert_eq!(values(&p2), [4, 5, 6, 7]);
        let p3 = page(Some(4), None, p2.page_info.end_cursor.clone(), None);
        assert_eq!(values(&p3), [8, 9]);
        assert!(!p3.page_info.has_next_page);
        let back = page(None, Some(3), None, p3.page_info.start_cursor.clone());
        assert_eq!(values(&back), [5, 6, 7]);
        assert!(back.page_info.has_previous_page);
        assert!(Page::of(
            vec![1],
            &PageArgs {
                first: Some(1),
                after: Some("nope".into()),
                ..Default::default()
            }
        )
        .is_err());
    }
}
