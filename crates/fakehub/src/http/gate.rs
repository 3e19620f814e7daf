//! The gate in front of every GitHub API route, in GitHub's order: authenticate, check the
//! primary then the secondary limits, run the handler, answer 304 for a matching ETag
//! (free of charge), charge the bucket, and stamp the `x-ratelimit-*` headers.

use crate::error::ApiError;
use crate::hub::Hub;
use crate::limits::{Refusal, ANONYMOUS_LIMIT};
use crate::model::Credential;
use crate::stats::RequestTally;
use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The authenticated user a request acts as.
#[derive(Debug, Clone)]
pub struct Actor {
    pub login: String,
    /// What the token proved; `None` for an anonymous request.
    pub credential: Option<Credential>,
}

/// Largest body fakehub buffers to compute an ETag.
const MAX_BUFFERED: usize = 64 * 1024 * 1024;

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then(|| token.trim().to_string())
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    )
}

fn etag_of(bucket_key: &str, body: &[u8]) -> String {
    // ETags are per token on GitHub: the same body for another token is another ETag.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bucket_key.hash(&mut h);
    body.hash(&mut h);
    format!("W/\"{:016x}{:08x}\"", h.finish(), body.len())
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == want)
}

pub async fn gate(
    State(hub): State<Arc<Hub>>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let route = format!(
        "{} {}",
        method,
        matched
            .as_ref()
            .map(|m| m.as_str())
            .unwrap_or_else(|| req.uri().path())
    );
    let write = is_write(&method);
    // GitHub does not charge for asking about the rate limit; search has its own limit
    // (see `routes::search`).
    let free = route == "GET /rate_limit" || route == "GET /search/issues";
    let (rate_limit, secondary_on) = {
        let s = hub.settings.read();
        (s.rate_limit, s.secondary_limits)
    };
    let mut tally = RequestTally::default();

    // Authentication.
    let token = bearer(req.headers());
    let (key, credential, limit) = match &token {
        Some(t) => match hub.credential_for(t) {
            // An installation's tokens share the installation's own limit.
            Some(c) => match c.installation() {
                Some(g) => (
                    format!("installation:{}", g.installation_id),
                    Some(c),
                    rate_limit,
                ),
                None => (format!("token:{t}"), Some(c), rate_limit),
            },
            None => {
                return finish(
                    &hub,
                    &route,
                    tally,
                    "anonymous",
                    ApiError::bad_credentials().into_response(),
                )
            }
        },
        None => ("anonymous".to_string(), None, ANONYMOUS_LIMIT),
    };
    let login = credential.as_ref().map(|c| c.login().to_string());
    if write && login.is_none() {
        return finish(
            &hub,
            &route,
            tally,
            &key,
            ApiError::requires_authentication().into_response(),
        );
    }

    // Faults on demand.
    let fault = hub.faults.for_request();
    if let Some(status) = fault.error {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        tally.server_error = true;
        let resp = ApiError::new(status, "Server Error (injected by fakehub)").into_response();
        hub.limits
            .lock()
            .bucket(&key, limit, hub.clock.now_precise());
        return finish(&hub, &route, tally, &key, resp);
    }

    // Primary, then secondary limits.
    let now = hub.clock.now_precise();
    let admitted = {
        let mut limits = hub.limits.lock();
        let verdict = if free {
            limits.bucket(&key, limit, now);
            Ok(())
        } else if fault.secondary {
            limits.bucket(&key, limit, now);
            Err(Refusal::Secondary { retry_after: 60 })
        } else {
            limits.admit(&key, limit, now, write, secondary_on)
        };
        if verdict.is_ok() {
            limits.enter(&key);
        }
        verdict
    };
    if let Err(refusal) = admitted {
        tally.rate_limited = true;
        let err = match refusal {
            Refusal::Primary => {
                let mut e = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "API rate limit exceeded. See the rate-limit documentation for details.",
                );
                if let Some(login) = &login {
                    let id = hub.world.read().find_user(login).map(|u| u.id).unwrap_or(0);
                    e.message = format!("API rate limit exceeded for user ID {id}.");
                }
                e
            }
            Refusal::Points {
                retry_after,
                too_many,
            } => {
                let status = if too_many {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::FORBIDDEN
                };
                let mut e = ApiError::new(
                    status,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                e.retry_after = Some(retry_after);
                e
            }
            Refusal::Secondary { retry_after } => {
                let mut e = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                e.retry_after = Some(retry_after);
                e
            }
        };
        return finish(&hub, &route, tally, &key, err.into_response());
    }

    if let Some(login) = &login {
        // Users appear on first sight. Look before taking the write lock: it would wait for
        // every request in flight and count as a change of the world (`WorldLock::generation`).
        let known = hub.world.read().find_user(login).is_some();
        if !known {
            hub.world.write().user(login);
        }
    }
    // Rights (only once something is declared; see `model::access`).
    let check = matched
        .as_ref()
        .and_then(|m| super::access::classify(m.as_str(), req.uri().path(), &method));
    if let Some(check) = &check {
        // Installation tokens are held to their permissions even in open mode.
        let enforced = hub.world.read().access.enforced()
            || credential
                .as_ref()
                .is_some_and(|c| c.installation().is_some());
        if enforced {
            let body = if super::access::needs_body(check) {
                let (parts, body) = req.into_parts();
                let bytes = to_bytes(body, MAX_BUFFERED).await.unwrap_or_default();
                req = Request::from_parts(parts, Body::from(bytes.clone()));
                Some(bytes)
            } else {
                None
            };
            let verdict = super::access::authorize(
                &hub.world.read(),
                check,
                credential.as_ref(),
                body.as_deref(),
            );
            match verdict {
                Err(e) => {
                    // Refused like a handler's 404 would be: it counts against the limit.
                    {
                        let mut limits = hub.limits.lock();
                        limits.leave(&key);
                        limits.charge(&key);
                    }
                    tally.charged = true;
                    let mut resp = e.into_response();
                    stamp_scopes(&mut resp, credential.as_ref(), Some(check));
                    return finish(&hub, &route, tally, &key, resp);
                }
                Ok(Some(rewritten)) => {
                    let (mut parts, _) = req.into_parts();
                    parts.headers.remove(header::CONTENT_LENGTH);
                    req = Request::from_parts(parts, Body::from(rewritten));
                }
                Ok(None) => {}
            }
        }
    }
    req.extensions_mut().insert(Actor {
        login: login.unwrap_or_else(|| crate::hub::DEFAULT_LOGIN.to_string()),
        credential: credential.clone(),
    });
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    // Injected latency counts as time in flight, as a slow GitHub would.
    if fault.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
    }
    let response = next.run(req).await;
    hub.limits.lock().leave(&key);

    let mut response = if method == Method::GET && response.status() == StatusCode::OK {
        let (mut parts, body) = response.into_parts();
        let bytes = to_bytes(body, MAX_BUFFERED).await.unwrap_or_default();
        let etag = etag_of(&key, &bytes);
        parts.headers.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("ascii etag"),
        );
        // Single resources also answer `Last-Modified` and `If-Modified-Since` (which
        // `If-None-Match` overrides when both are sent).
        let modified = super::conditional::last_modified(&bytes);
        if let Some(t) = modified {
            let date = super::conditional::http_date(t);
            parts.headers.insert(
                header::LAST_MODIFIED,
                HeaderValue::from_str(&date).expect("ascii date"),
            );
        }
        let unmodified = match (&if_none_match, &if_modified_since, modified) {
            (None, Some(ims), Some(t)) => super::conditional::unmodified_since(t, ims),
            _ => false,
        };
        if unmodified
            || if_none_match
                .as_deref()
                .is_some_and(|inm| etag_matches(inm, &etag))
        {
            tally.not_modified = true;
            parts.status = StatusCode::NOT_MODIFIED;
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::CONTENT_TYPE);
            Response::from_parts(parts, Body::empty())
        } else {
            Response::from_parts(parts, Body::from(bytes))
        }
    } else {
        response
    };
    stamp_scopes(&mut response, credential.as_ref(), check.as_ref());
    if !tally.not_modified && !free {
        tally.charged = true;
        hub.limits.lock().charge(&key);
    }
    tally.write = write && response.status().is_success();
    tally.server_error = response.status().is_server_error();
    if !response.headers().contains_key(header::CACHE_CONTROL) && method == Method::GET {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=60, s-maxage=60"),
        );
    }
    finish(&hub, &route, tally, &key, response)
}

/// `X-OAuth-Scopes` for a classic token, and `X-Accepted-OAuth-Scopes` where GitHub sends it.
fn stamp_scopes(
    response: &mut Response,
    credential: Option<&Credential>,
    check: Option<&super::access::Check>,
) {
    let Some(scopes) = credential.and_then(Credential::scopes_header) else {
        return;
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&scopes) {
        h.insert("x-oauth-scopes", v);
    }
    if let Some(check) = check {
        h.insert(
            "x-accepted-oauth-scopes",
            HeaderValue::from_static(super::access::accepted_scopes(check)),
        );
    }
}

/// Stamps the rate-limit headers of `key`'s bucket and counts the request.
fn finish(
    hub: &Hub,
    route: &str,
    tally: RequestTally,
    key: &str,
    mut response: Response,
) -> Response {
    let limit = if key == "anonymous" {
        ANONYMOUS_LIMIT
    } else {
        hub.settings.read().rate_limit
    };
    let bucket = hub
        .limits
        .lock()
        .bucket(key, limit, hub.clock.now_precise())
        .clone();
    let h = response.headers_mut();
    // An answer that already names its limit (search's) keeps its headers.
    if !h.contains_key("x-ratelimit-resource") {
        h.insert("x-ratelimit-limit", HeaderValue::from(bucket.limit));
        h.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(bucket.remaining()),
        );
        h.insert("x-ratelimit-used", HeaderValue::from(bucket.used));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from(bucket.reset.timestamp()),
        );
        h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    }
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    h.insert(
        "x-github-request-id",
        HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()).expect("ascii"),
    );
    hub.stats.record(route, tally);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly_and_in_lists() {
        let e = etag_of("token:a", b"{}");
        assert!(etag_matches(&e, &e));
        assert!(etag_matches(&format!("\"x\", {e}"), &e));
        assert!(etag_matches(e.trim_start_matches("W/"), &e));
        assert!(!etag_matches("\"other\"", &e));
        assert_ne!(e, etag_of("token:b", b"{}"), "ETags differ per token");
    }

    #[test]
    fn both_authorization_schemes() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("token abc"));
        assert_eq!(bearer(&h).as_deref(), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(bearer(&h).as_deref(), Some("xyz"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(bearer(&h), None);
    }
}
