//! Page-number pagination with GitHub's `Link` header (absolute URLs that keep the query).

use crate::error::{ApiError, ApiResult};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub const DEFAULT_PER_PAGE: usize = 30;
pub const MAX_PER_PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageParams {
    pub page: usize,
    pub per_page: usize,
}

impl PageParams {
    pub fn from_query(query: &[(String, String)]) -> ApiResult<Self> {
        let get = |k: &str| {
            query
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let num = |k: &str, default: usize| -> ApiResult<usize> {
            match get(k) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<usize>().map_err(|_| {
                    ApiError::unprocessable(format!("{k} must be a positive integer, got '{v}'"))
                }),
            }
        };
        Ok(PageParams {
            page: num("page", 1)?.max(1),
            // GitHub clamps rather than refuses: per_page=500 gives 100.
            per_page: num("per_page", DEFAULT_PER_PAGE)?.clamp(1, MAX_PER_PAGE),
        })
    }

    pub fn offset(&self) -> usize {
        (self.page - 1) * self.per_page
    }

    /// The slice of `items` this page shows.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(self.offset())
            .take(self.per_page)
            .cloned()
            .collect()
    }
}

/// `url` with `key` set to `value` in its query, other parameters kept in order.
pub fn with_param(
    base: &str,
    path: &str,
    query: &[(String, String)],
    set: &[(&str, String)],
    drop: &[&str],
) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !set.iter().any(|(s, _)| s == k) && !drop.contains(&k.as_str()))
        .cloned()
        .collect();
    for (k, v) in set {
        pairs.push((k.to_string(), v.clone()));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{base}{path}?{qs}")
}

/// GitHub's `Link` header for page `p` of `total` items, or `None` for a single page.
pub fn link_header(
    base: &str,
    path: &str,
    query: &[(String, String)],
    p: PageParams,
    total: usize,
) -> Option<String> {
    let last = total.div_ceil(p.per_page).max(1);
    let link = |page: usize, rel: &str| {
        format!(
            "<{}>; rel=\"{rel}\"",
            with_param(base, path, query, &[("page", page.to_string())], &[])
        )
    };
    let mut rels = Vec::new();
    if p.page > 1 {
        rels.push(link((p.page - 1).min(last), "prev"));
    }
    if p.page < last {
        rels.push(link(p.page + 1, "next"));
        rels.push(link(last, "last"));
    }
    if p.page > 1 {
        rels.push(link(1, "first"));
    }
    (!rels.is_empty()).then(|| rels.join(", "))
}

/// A JSON array answer with its `Link` header.
pub struct Page {
    pub items: Vec<Value>,
    pub link: Option<String>,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut r = axum::Json(Value::Array(self.items)).into_response();
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            r.headers_mut().insert(header::LINK, link);
        }
        r
    }
}

/// A page whose JSON array is already written: issues and comments are rendered straight to
/// bytes (see `render`). Answers exactly as `Page` does for the same items.
pub struct RawPage {
    pub body: Vec<u8>,
    pub link: Option<String>,
}

impl IntoResponse for RawPage {
    fn into_response(self) -> Response {
        let mut r = Response::new(axum::body::Body::from(self.body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            r.headers_mut().insert(header::LINK, link);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn link_keeps_the_query_and_names_every_relation() {
        let query = q(&[
            ("state", "all"),
            ("labels", "bug,ui"),
            ("page", "2"),
            ("per_page", "10"),
        ]);
        let p = PageParams::from_query(&query).unwrap();
        let link = link_header("http://h", "/repos/o/r/issues", &query, p, 35).unwrap();
        assert_eq!(
            link,
            "<http://h/repos/o/r/issues?state=all&labels=bug%2Cui&per_page=10&page=1>; rel=\"prev\", \
             <http://h/repos/o/r/issues?state=all&labels=bug%2Cui&per_page=10&page=3>; rel=\"next\", \
             <http://h/repos/o/r/issues?state=all&labels=bug%2Cui&per_page=10&page=4>; rel=\"last\", \
             <http://h/repos/o/r/issues?state=all&labels=bug%2Cui&per_page=10&page=1>; rel=\"first\""
        );
    }

    #[test]
    fn one_page_has_no_link_and_per_page_is_clamped() {
        let query = q(&[("per_page", "500")]);
        let p = PageParams::from_query(&query).unwrap();
        assert_eq!(p.per_page, 100);
        assert_eq!(link_header("http://h", "/x", &query, p, 100), None);
        assert_eq!(PageParams::from_query(&[]).unwrap().per_page, 30);
        assert!(PageParams::from_query(&q(&[("page", "x")])).is_err());
    }
}
