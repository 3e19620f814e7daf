//! GitHub names a repository two ways: `/repos/{owner}/{repo}/…` and `/repositories/{id}/…`
//! (the form of its `Link` headers and redirects). This layer sits in front of the router:
//! it serves the second form as the first, writes `Link` headers in the second form, and
//! names what a 201 created in `Location`, and completes the redirects of moved issues (301 for GET and HEAD, 307 otherwise, to the same
//! sub-resource and query at the new place).

use crate::hub::Hub;
use crate::model::World;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// `/repositories/{id}/rest?query` as `/repos/{owner}/{repo}/rest?query`, if the id is known.
fn by_name(world: &World, uri: &Uri) -> Option<Uri> {
    let rest = uri.path().strip_prefix("/repositories/")?;
    let (id, tail) = match rest.split_once('/') {
        Some((id, tail)) => (id, Some(tail)),
        None => (rest, None),
    };
    let repo = &world.repos[world.repo_by_id(id.parse().ok()?)?];
    let mut path = format!("/repos/{}/{}", repo.owner, repo.name);
    if let Some(tail) = tail {
        path.push('/');
        path.push_str(tail);
    }
    if let Some(q) = uri.query() {
        path.push('?');
        path.push_str(q);
    }
    path.parse().ok()
}

/// Every `<url>` of a `Link` header with its repository path in the `/repositories/{id}` form.
fn canonical_links(world: &World, link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    let mut rest = link;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let url = &rest[start + 1..start + len];
        out.push_str(&rest[..=start]);
        match url.strip_prefix(world.base.as_str()) {
            Some(path_and_query) => {
                let (path, query) = match path_and_query.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (path_and_query, None),
                };
                out.push_str(&world.base);
                out.push_str(&world.canonical_path(path));
                if let Some(q) = query {
                    out.push('?');
                    out.push_str(q);
                }
            }
            None => out.push_str(url),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// What follows `/issues/{number}` in a repository path (`/comments`, `/labels/x`…), with
/// the query: where a moved issue's redirect must lead at the new place.
fn issue_suffix(uri: &Uri) -> Option<String> {
    let mut parts = uri.path().splitn(7, '/');
    let [_, repos, _, _, issues, number] = std::array::from_fn(|_| parts.next().unwrap_or(""));
    if repos != "repos" || issues != "issues" || number.parse::<u64>().is_err() {
        return None;
    }
    let mut suffix = parts.next().map(|t| format!("/{t}")).unwrap_or_default();
    if let Some(q) = uri.query() {
        suffix.push('?');
        suffix.push_str(q);
    }
    Some(suffix)
}

/// A 201 answer names what it created in `Location`: the `url` of its body.
async fn with_location(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let url = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_string));
    if let Some(v) = url.and_then(|u| HeaderValue::from_str(&u).ok()) {
        parts.headers.insert(header::LOCATION, v);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

pub async fn canonical(State(hub): State<Arc<Hub>>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/repositories/") {
        if let Some(uri) = by_name(&hub.world.read(), req.uri()) {
            *req.uri_mut() = uri;
        }
    }
    let method = req.method().clone();
    let uri = req.uri().clone();
    let mut response = next.run(req).await;
    let link = response
        .headers()
        .get(header::LINK)
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    if let Some(link) = link {
        let link = canonical_links(&hub.world.read(), &link);
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    if response.status() == StatusCode::CREATED
        && !response.headers().contains_key(header::LOCATION)
    {
        response = with_location(response).await;
    }
    if response.status() == StatusCode::MOVED_PERMANENTLY {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        if let (Some(location), Some(suffix)) = (location, issue_suffix(&uri)) {
            if let Ok(v) = HeaderValue::from_str(&format!("{location}{suffix}")) {
                response.headers_mut().insert(header::LOCATION, v);
            }
        }
        if method != Method::GET && method != Method::HEAD {
            *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suffix_after_an_issue_number() {
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(issue_suffix(&u("/repos/o/r/issues/4")).as_deref(), Some(""));
        assert_eq!(
            issue_suffix(&u("/repos/o/r/issues/4/comments?page=2")).as_deref(),
            Some("/comments?page=2")
        );
        assert_eq!(issue_suffix(&u("/repos/o/r/issues/comments/4")), None);
        assert_eq!(issue_suffix(&u("/repos/o/r/labels")), None);
    }
}
