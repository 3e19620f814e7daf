//! Shared test harness: an in-process fakehub, a small HTTP client, a webhook receiver and
//! GitHub's JSON schemas.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::HeaderMap;
use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

pub const TOKEN: &str = "t0ken";

pub struct Env {
    pub fh: FakeHub,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn header_u64(&self, name: &str) -> u64 {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric header {name}"))
    }
    /// The URL of a `Link` relation.
    pub fn link(&self, rel: &str) -> Option<String> {
        let link = self.header("link")?;
        link.split(", ").find_map(|part| {
            let (url, r) = part.split_once("; ")?;
            (r == format!("rel=\"{rel}\""))
                .then(|| url.trim_matches(|c| c == '<' || c == '>').to_string())
        })
    }
}

/// A generated organization repository `acme/widgets`.
pub fn generated(
    issues: usize,
    comments: usize,
    labels: usize,
    milestones: usize,
    pulls: usize,
) -> SeedDoc {
    SeedDoc {
        repos: vec![SeedRepo {
            full_name: "acme/widgets".into(),
            generate: Some(Generate {
                issues,
                comments,
                labels,
                milestones,
                pulls,
                seed: 7,
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

impl Env {
    /// fakehub with one known token, secondary limits off (tests that need them turn them on).
    pub async fn new(seed: SeedDoc) -> Env {
        Self::with(seed, |_| {}).await
    }

    pub async fn with(seed: SeedDoc, tweak: impl FnOnce(&mut Options)) -> Env {
        let mut options = Options {
            settings: Settings {
                tokens: vec![
                    TokenSpec::parse(&format!("octocat:{TOKEN}")),
                    TokenSpec::parse("hubot:other-token"),
                ],
                rate_limit: 5000,
                secondary_limits: false,
            },
            seed: Some(seed),
            ..Default::default()
        };
        tweak(&mut options);
        let fh = FakeHub::start(options).await.expect("fakehub starts");
        Env {
            fh,
            http: reqwest::Client::new(),
            token: TOKEN.into(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.fh.url)
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        let mut has_auth = false;
        for (k, v) in headers {
            has_auth |= k.eq_ignore_ascii_case("authorization");
            req = req.header(*k, *v);
        }
        if !has_auth {
            req = req.header("Authorization", format!("token {}", self.token));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request reaches fakehub");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, Some(body), &[])
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }
    pub async fn delete_with(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::DELETE, path, Some(body), &[])
            .await
    }

    pub async fn stats(&self) -> Value {
        self.get("/_fakehub/stats").await.body
    }

    /// Creates an issue and returns its JSON.
    pub async fn issue(&self, title: &str) -> Value {
        let r = self
            .post(
                "/repos/acme/widgets/issues",
                serde_json::json!({"title": title}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    pub async fn wait_deliveries(&self) {
        assert!(
            self.fh
                .hub
                .dispatcher
                .wait_idle(Duration::from_secs(20))
                .await,
            "webhook deliveries did not finish"
        );
    }
}

/// One webhook request as a receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn event(&self) -> &str {
        self.header("x-github-event")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON payload")
    }
}

/// A webhook endpoint on a loopback port that records what it receives.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    notify: Arc<Notify>,
    status: Arc<Mutex<u16>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let notify = Arc::new(Notify::new());
        let status = Arc::new(Mutex::new(200u16));
        let (g, n, s) = (got.clone(), notify.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (g, n, s) = (g.clone(), n.clone(), s.clone());
                async move {
                    g.lock().push(Received { headers, body });
                    n.notify_waiters();
                    axum::http::StatusCode::from_u16(*s.lock()).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url,
            got,
            notify,
            status,
        }
    }

    pub fn answer_with(&self, status: u16) {
        *self.status.lock() = status;
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().clone()
    }

    /// Deliveries other than pings.
    pub fn events(&self) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.event() != "ping")
            .collect()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.notify.notified();
            if self.got.lock().len() >= n {
                return self.all();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "expected {n} webhook deliveries, got {}",
                    self.got.lock().len()
                );
            }
        }
    }
}

/// GitHub's REST and webhook schemas (copied into `testdata/github`, see its NOTICE).
pub struct Schemas {
    rest: Value,
    webhooks: Value,
    cache: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

pub fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        let load = |name: &str| -> Value {
            let path = format!(
                "{}/../../testdata/github/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(
                &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
            )
            .unwrap()
        };
        let mut rest = load("rest-schemas.json");
        allow_null_in_nullable_enums(&mut rest);
        Schemas {
            rest,
            webhooks: load("webhook-schemas.json"),
            cache: Mutex::new(HashMap::new()),
        }
    })
}

/// GitHub's REST schemas come from OpenAPI 3.0, where `nullable: true` admits null even
/// when an `enum` does not list it; converted to JSON Schema, some (such as an issue's
/// `state_reason`) say `"type": ["string", "null"]` with an enum lacking null. GitHub answers
/// null there, so null joins those enums.
fn allow_null_in_nullable_enums(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let nullable = m
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|t| t == "null"));
            if let (true, Some(Value::Array(e))) = (nullable, m.get_mut("enum")) {
                if !e.contains(&Value::Null) {
                    e.push(Value::Null);
                }
            }
            m.values_mut().for_each(allow_null_in_nullable_enums);
        }
        Value::Array(a) => a.iter_mut().for_each(allow_null_in_nullable_enums),
        _ => {}
    }
}

impl Schemas {
    fn validator(&self, webhook: bool, def: &str) -> Arc<jsonschema::Validator> {
        let key = format!("{webhook}:{def}");
        if let Some(v) = self.cache.lock().get(&key) {
            return v.clone();
        }
        let doc = if webhook { &self.webhooks } else { &self.rest };
        assert!(doc["$defs"].get(def).is_some(), "no schema named {def}");
        let schema = serde_json::json!({"$ref": format!("#/$defs/{def}"), "$defs": doc["$defs"]});
        let v = Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("schema {def}: {e}")),
        );
        self.cache.lock().insert(key, v.clone());
        v
    }

    /// Panics with every violation if `value` does not match REST component `def`.
    pub fn check_rest(&self, def: &str, value: &Value) {
        check(&self.validator(false, def), def, value);
    }

    /// The violations of `value` against REST component `def` (empty when valid).
    pub fn rest_errors(&self, def: &str, value: &Value) -> Vec<String> {
        self.validator(false, def)
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    pub fn check_rest_list(&self, def: &str, value: &Value) {
        let items = value
            .as_array()
            .unwrap_or_else(|| panic!("expected an array of {def}, got {value}"));
        for item in items {
            self.check_rest(def, item);
        }
    }

    /// The webhook schema for an event and action, e.g. `issues` + `opened`.
    pub fn webhook_def(event: &str, action: Option<&str>) -> String {
        // `projects_v2`'s schemas are named `webhook-projects-v2-project-{action}`.
        let event = if event == "projects_v2" {
            "projects_v2_project"
        } else {
            event
        };
        let mut name = format!("webhook-{}", event.replace('_', "-"));
        if let Some(a) = action {
            name.push('-');
            name.push_str(&a.replace('_', "-"));
        }
        name
    }

    pub fn check_webhook(&self, event: &str, payload: &Value) {
        let def = Self::webhook_def(event, payload["action"].as_str());
        check(&self.validator(true, &def), &def, payload);
    }
}

fn check(v: &jsonschema::Validator, def: &str, value: &Value) {
    let errors: Vec<String> = v
        .iter_errors(value)
        .take(10)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{def} does not validate:\n{}",
        errors.join("\n")
    );
}
