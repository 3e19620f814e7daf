//! The transport under every GitHub call: one rate budget per token, conditional requests
//! with ETags kept in the database, `retry-after` and reset waits, jittered backoff on 5xx
//! and timeouts, and a circuit that opens after repeated failures.
//!
//! Only the `github` module sends requests by path: the rest of ghgov calls the typed
//! operations in `rest` (and `graphql`), so no caller builds a URL or reads a `Value`.

use super::budget::Budget;
use super::clock::{Clock, SystemClock};
use crate::store::Store;
use parking_lot::Mutex;
use rand::Rng;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, ETAG, IF_NONE_MATCH, LINK, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise.
    pub base_url: String,
    pub token: crate::secret::Secret,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    /// The longest single wait (retry-after, rate-limit reset) the client accepts; past it
    /// the request fails with `RateLimited` instead of sleeping.
    pub max_wait: Duration,
    pub timeout: Duration,
    /// Consecutive failed attempts that open the circuit, and how long it stays open.
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    /// Minimum gap between content-creating requests.
    pub write_interval: Duration,
    /// Secondary-limit windows the client keeps its writes inside.
    pub write_limits: super::budget::WriteLimits,
    /// A read-only client refuses every write (plans and dry runs use one).
    pub read_only: bool,
}

impl GitHubConfig {
    pub fn new(base_url: &str, token: &str) -> Self {
        Self::with_secret(base_url, crate::secret::Secret::from(token))
    }

    pub fn with_secret(base_url: &str, token: crate::secret::Secret) -> Self {
        GitHubConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            max_attempts: 6,
            backoff_base: Duration::from_millis(500),
            max_wait: Duration::from_secs(3600),
            timeout: Duration::from_secs(30),
            breaker_threshold: 10,
            breaker_cooldown: Duration::from_secs(30),
            write_interval: Duration::from_millis(1000),
            write_limits: super::budget::WriteLimits::GITHUB,
            read_only: false,
        }
    }

    /// Short waits for tests against fakehub (its retry-after values are real seconds).
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn for_tests(base_url: &str, token: &str) -> Self {
        GitHubConfig {
            backoff_base: Duration::from_millis(5),
            max_wait: Duration::from_millis(20),
            breaker_cooldown: Duration::from_millis(50),
            write_interval: Duration::ZERO,
            write_limits: super::budget::WriteLimits::NONE,
            ..Self::new(base_url, token)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub answered {status} for {method} {url}: {message}")]
    Status {
        method: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error(
        "GitHub rate limit: the next request may go out in {0:?}, longer than this client waits"
    )]
    RateLimited(Duration),
    #[error("GitHub is failing repeatedly; requests are paused for {0:?} (circuit open)")]
    CircuitOpen(Duration),
    #[error("cannot reach GitHub at {url}: {message}")]
    Transport { url: String, message: String },
    #[error("this client is read-only: it may not {0}")]
    ReadOnly(String),
    #[error("GitHub sent a body that is not JSON for {url}: {message}")]
    Decode { url: String, message: String },
    /// A URL (a `Link` header's, or a stored cursor's) leads away from the configured API:
    /// the token would go to whoever runs that host.
    #[error("refusing to send the GitHub token to {host}: {url} is outside the configured API {api}; if GitHub really lives there, set --github-url to it")]
    OffOrigin {
        host: String,
        url: String,
        api: String,
    },
    #[error("GitHub's GraphQL API refused {document}: {message}")]
    GraphQl {
        document: &'static str,
        failure: super::graphql::GraphQlFailure,
        message: String,
    },
    #[error("GitHub answered 304 Not Modified to {url}, a request that was not conditional (no ETag was sent); a proxy or cache in between may be answering for GitHub")]
    UnexpectedNotModified { url: String },
}

impl GitHubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Counters for summaries, health and metrics.
#[derive(Debug, Default)]
pub struct RequestStats {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub retries: AtomicU64,
    by_status: Mutex<BTreeMap<u16, u64>>,
    pub last_error: Mutex<Option<String>>,
}

impl RequestStats {
    pub fn by_status(&self) -> BTreeMap<u16, u64> {
        self.by_status.lock().clone()
    }
}

/// An answer to a GET, before it is read into a typed value.
#[derive(Debug)]
pub(super) struct Answer {
    pub body: Value,
    /// The `Link: rel="next"` URL.
    pub next: Option<String>,
    /// The page number of `rel="last"`, when given.
    pub last_page: Option<u64>,
    /// The ETag of a conditional GET, to keep once its data is committed.
    pub validator: Option<Validator>,
}

/// A GET that sent an ETag: a fresh answer or GitHub's "unchanged" (which costs no limit).
#[derive(Debug)]
pub(super) enum Got {
    Fresh(Answer),
    Unchanged,
}

/// The ETag of a conditional GET's answer. It is kept (with [`GitHub::remember`]) only once
/// the caller has committed what the answer said, so a crash never leaves an ETag for data
/// the mirror lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    key: String,
    tag: String,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

pub struct GitHub {
    http: reqwest::Client,
    pub config: GitHubConfig,
    pub budget: Arc<Budget>,
    pub stats: Arc<RequestStats>,
    etags: Option<Store>,
    breaker: Mutex<Breaker>,
    token_key: String,
    clock: Arc<dyn Clock>,
    api: super::origin::ApiOrigin,
}

/// A `Link` header's URL for `rel`.
pub fn link(headers: &HeaderMap, rel: &str) -> Option<String> {
    let value = headers.get(LINK)?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces
            .next()?
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        pieces
            .any(|p| p.trim() == format!("rel=\"{rel}\""))
            .then(|| url.to_string())
    })
}

fn page_of(url: &str) -> Option<u64> {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("page=")?.parse().ok())
}

fn decode_or_null(url: &str, bytes: &[u8]) -> Result<Value, GitHubError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| GitHubError::Decode {
        url: url.to_string(),
        message: e.to_string(),
    })
}

impl GitHub {
    pub fn new(config: GitHubConfig, etags: Option<Store>) -> anyhow::Result<GitHub> {
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        let api = super::origin::ApiOrigin::parse(&config.base_url)?;
        let token_key = hex::encode(&Sha256::digest(config.token.expose().as_bytes())[..8]);
        Ok(GitHub {
            http,
            budget: Arc::new(Budget::with_limits(
                config.write_interval,
                config.write_limits,
            )),
            stats: Arc::new(RequestStats::default()),
            etags,
            breaker: Mutex::new(Breaker::default()),
            token_key,
            api,
            config,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same client paced by `clock` (ghgov's tests run it on virtual time).
    #[cfg(feature = "test-hooks")]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> GitHub {
        self.budget = Arc::new(Budget::with_clock(
            self.config.write_interval,
            self.config.write_limits,
            clock.clone(),
        ));
        self.clock = clock;
        self
    }

    /// A client that shares this one's budget and counters but cannot write.
    pub fn read_only(&self) -> GitHub {
        GitHub {
            http: self.http.clone(),
            config: GitHubConfig {
                read_only: true,
                ..self.config.clone()
            },
            budget: self.budget.clone(),
            stats: self.stats.clone(),
            etags: self.etags.clone(),
            breaker: Mutex::new(Breaker::default()),
            token_key: self.token_key.clone(),
            clock: self.clock.clone(),
            api: self.api.clone(),
        }
    }

    /// The Authorization header, marked sensitive so no debug output shows it.
    fn authorization(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.config.token.expose()))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        value
    }

    pub(super) fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.config.base_url)
        }
    }

    /// The URL for `path`, refused unless it is on the configured API: absolute URLs come
    /// from GitHub's `Link` headers and stored cursors, and the token goes wherever they point.
    fn checked_url(&self, path: &str) -> Result<String, GitHubError> {
        let url = self.url(path);
        self.api.admit(&url)?;
        Ok(url)
    }

    /// GET a JSON document. With `conditional`, the stored ETag is sent and a 304 answers
    /// `Unchanged` (which costs no rate limit); a fresh answer carries its ETag to remember.
    pub(super) async fn read(&self, path: &str, conditional: bool) -> Result<Got, GitHubError> {
        let url = self.checked_url(path)?;
        let key = self.etag_key(&url);
        let etag = match (&self.etags, conditional) {
            (Some(store), true) => store.etag(&key).await.ok().flatten(),
            _ => None,
        };
        let (status, headers, body) = self
            .exchange(Method::GET, false, &url, None, etag.as_deref(), true)
            .await?;
        if status == StatusCode::NOT_MODIFIED {
            // `send` lets a 304 through only when an ETag went out.
            return Ok(Got::Unchanged);
        }
        let validator = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|_| conditional)
            .map(|tag| Validator {
                key,
                tag: tag.to_string(),
            });
        let body: Value = serde_json::from_slice(&body).map_err(|e| GitHubError::Decode {
            url: url.clone(),
            message: e.to_string(),
        })?;
        Ok(Got::Fresh(Answer {
            body,
            next: link(&headers, "next"),
            last_page: link(&headers, "last").as_deref().and_then(page_of),
            validator,
        }))
    }

    /// GET without an ETag: the answer is always a document (a 304 is an error).
    pub(super) async fn read_fresh(&self, path: &str) -> Result<Answer, GitHubError> {
        match self.read(path, false).await? {
            Got::Fresh(answer) => Ok(answer),
            Got::Unchanged => Err(GitHubError::UnexpectedNotModified {
                url: self.url(path),
            }),
        }
    }

    fn etag_key(&self, url: &str) -> String {
        format!("{} {url}", self.token_key)
    }

    /// Keeps the ETag of a conditional GET, once the data it answered is committed.
    pub async fn remember(&self, validator: Validator) {
        if let Some(store) = &self.etags {
            if let Err(e) = store.save_etag(&validator.key, &validator.tag).await {
                tracing::warn!("could not store an ETag: {e:#}");
            }
        }
    }

    /// Drops the stored ETag of `path`, so the next conditional GET fetches in full.
    pub(super) async fn forget(&self, path: &str) {
        let key = self.etag_key(&self.url(path));
        if let Some(store) = &self.etags {
            let _ = store.delete_etag(&key).await;
        }
    }

    /// Sends a REST write (POST, PATCH, PUT, DELETE) and returns the JSON answer (null for
    /// 204). With `retry_ambiguous` false, a failure that leaves it unknown whether GitHub
    /// acted (a timeout, a 5xx) is returned instead of retried: for writes that are not
    /// idempotent, such as creating an issue, the caller first looks whether the write
    /// landed. Answers that say the request was refused (rate limits) are still waited out
    /// and retried.
    pub(super) async fn write_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry_ambiguous: bool,
    ) -> Result<Value, GitHubError> {
        if self.config.read_only {
            return Err(GitHubError::ReadOnly(format!("{method} {path}")));
        }
        let url = self.checked_url(path)?;
        let (_, _, bytes) = self
            .exchange(method, true, &url, body, None, retry_ambiguous)
            .await?;
        decode_or_null(&url, &bytes)
    }

    /// POSTs a GraphQL document to `url`. A query is a read and a mutation a write, for the
    /// budget's pacing and for read-only clients; both come out of the same budget as REST.
    pub(super) async fn post_graphql(
        &self,
        url: &str,
        body: &Value,
        mutation: bool,
    ) -> Result<Value, GitHubError> {
        if mutation && self.config.read_only {
            return Err(GitHubError::ReadOnly("a GraphQL mutation".into()));
        }
        self.api.admit(url)?;
        let (_, _, bytes) = self
            .exchange(Method::POST, mutation, url, Some(body), None, !mutation)
            .await?;
        decode_or_null(url, &bytes)
    }

    fn check_breaker(&self) -> Result<(), GitHubError> {
        let b = self.breaker.lock();
        match b.open_until {
            Some(until) if until > self.clock.now() => {
                Err(GitHubError::CircuitOpen(until - self.clock.now()))
            }
            _ => Ok(()),
        }
    }

    fn record_failure(&self, message: String) {
        *self.stats.last_error.lock() = Some(message);
        let mut b = self.breaker.lock();
        b.failures += 1;
        if b.failures >= self.config.breaker_threshold {
            b.open_until = Some(self.clock.now() + self.config.breaker_cooldown);
            b.failures = 0;
            tracing::warn!(
                "GitHub circuit open for {:?} after repeated failures",
                self.config.breaker_cooldown
            );
        }
    }

    fn record_success(&self) {
        let mut b = self.breaker.lock();
        b.failures = 0;
        b.open_until = None;
    }

    async fn wait(&self, d: Duration) -> Result<(), GitHubError> {
        if d.is_zero() {
            return Ok(());
        }
        if d > self.config.max_wait && self.config.max_wait >= Duration::from_secs(1) {
            return Err(GitHubError::RateLimited(d));
        }
        self.clock.sleep(d.min(self.config.max_wait)).await;
        Ok(())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.backoff_base.as_millis() as u64 * (1u64 << attempt.min(6));
        let jitter = rand::thread_rng().gen_range(0..=base / 2 + 1);
        Duration::from_millis(base + jitter)
    }

    async fn exchange(
        &self,
        method: Method,
        write: bool,
        url: &str,
        body: Option<&Value>,
        etag: Option<&str>,
        retry_ambiguous: bool,
    ) -> Result<(StatusCode, HeaderMap, axum::body::Bytes), GitHubError> {
        let mut attempt = 0;
        loop {
            self.check_breaker()?;
            let delay = self.budget.delay(write, self.clock.epoch());
            self.wait(delay).await?;
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(AUTHORIZATION, self.authorization())
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header(USER_AGENT, concat!("ghgov/", env!("CARGO_PKG_VERSION")));
            if let Some(tag) = etag {
                req = req.header(
                    IF_NONE_MATCH,
                    HeaderValue::from_str(tag).unwrap_or(HeaderValue::from_static("")),
                );
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let result = req.send().await;
            attempt += 1;
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    metrics::counter!("ghgov_github_requests_total", "status" => "error")
                        .increment(1);
                    let message = if e.is_timeout() {
                        "timed out".to_string()
                    } else {
                        e.to_string()
                    };
                    self.record_failure(message.clone());
                    if attempt >= self.config.max_attempts || !retry_ambiguous {
                        return Err(GitHubError::Transport {
                            url: url.to_string(),
                            message,
                        });
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    self.clock.sleep(self.backoff(attempt)).await;
                    continue;
                }
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            self.budget.observe(&headers);
            *self
                .stats
                .by_status
                .lock()
                .entry(status.as_u16())
                .or_default() += 1;
            metrics::counter!("ghgov_github_requests_total", "status" => status.as_u16().to_string()).increment(1);
            if let Some(r) = self.budget.snapshot().remaining {
                metrics::gauge!("ghgov_github_rate_limit_remaining").set(r as f64);
            }
            let bytes = resp.bytes().await.map_err(|e| GitHubError::Transport {
                url: url.to_string(),
                message: e.to_string(),
            })?;
            if status == StatusCode::NOT_MODIFIED {
                if etag.is_none() {
                    // Nothing was asked to be compared, so "unchanged" answers nothing.
                    return Err(GitHubError::UnexpectedNotModified {
                        url: url.to_string(),
                    });
                }
                self.stats.not_modified.fetch_add(1, Ordering::Relaxed);
                self.record_success();
                return Ok((status, headers, bytes));
            }
            if status.is_success() {
                self.record_success();
                return Ok((status, headers, bytes));
            }
            let message = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            let retry_after = headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let limited = matches!(status.as_u16(), 403 | 429)
                && (retry_after.is_some()
                    || headers
                        .get("x-ratelimit-remaining")
                        .is_some_and(|v| v == "0"));
            if limited && attempt < self.config.max_attempts {
                // Secondary limit (retry-after) or spent primary limit (reset): wait, retry.
                if let Some(secs) = retry_after {
                    let believed = secs.min(super::budget::MAX_BELIEVED as u64);
                    self.budget.block_for(Duration::from_secs(believed));
                }
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if status.is_server_error() && attempt < self.config.max_attempts && retry_ambiguous {
                self.record_failure(format!("{status} from {url}"));
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                self.clock.sleep(self.backoff(attempt)).await;
                continue;
            }
            if status.is_server_error() {
                self.record_failure(format!("{status} from {url}"));
            }
            return Err(GitHubError::Status {
                method: method.to_string(),
                url: url.to_string(),
                status: status.as_u16(),
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_relations_and_pages() {
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static("<http://h/x?page=2&per_page=100>; rel=\"next\", <http://h/x?page=7&per_page=100>; rel=\"last\""));
        assert_eq!(
            link(&h, "next").as_deref(),
            Some("http://h/x?page=2&per_page=100")
        );
        assert_eq!(link(&h, "last").as_deref().and_then(page_of), Some(7));
        assert_eq!(link(&h, "prev"), None);
    }

    #[test]
    fn a_path_cannot_move_the_request_off_the_api() {
        let gh = GitHub::new(GitHubConfig::for_tests("https://api.github.com", "t"), None).unwrap();
        assert!(gh.checked_url("/repos/a/b").is_ok());
        // Appended to the base, this would be `https://api.github.com@evil.example/x`.
        assert!(matches!(
            gh.checked_url("@evil.example/x"),
            Err(GitHubError::OffOrigin { host, .. }) if host == "evil.example"
        ));
    }
}
