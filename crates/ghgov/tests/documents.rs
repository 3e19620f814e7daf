//! Governance documents that would cost too much to read: refused over the API (413 or 422,
//! naming the limit) and by the command line, while the API stays responsive.

mod common;
use common::*;
use ghgov::governance::document_limits::DocumentLimits;
use ghgov::server::ServeOptions;
use ghgov::store::Scope;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// "Billion laughs": each level a list of nine aliases of the level before. At 12 levels
/// it is under 1 KB and stands for billions of nodes.
fn nested_bomb(levels: usize) -> String {
    let mut text = String::from("organization: acme\nrepository: widgets\nl0: &l0 [lol]\n");
    for i in 1..levels {
        let aliases = vec![format!("*l{}", i - 1); 9].join(", ");
        text.push_str(&format!("l{i}: &l{i} [{aliases}]\n"));
    }
    text
}

/// One anchor of `width` values, aliased `copies` times.
fn wide_bomb(width: usize, copies: usize) -> String {
    format!(
        "organization: acme\nrepository: widgets\na: &a [{}]\nb: [{}]\n",
        vec!["x"; width].join(","),
        vec!["*a"; copies].join(",")
    )
}

/// A valid specification that stands for just under a million nodes: read in full, it
/// takes a while, which is what a hostile client would send to keep the server busy.
fn heavy_but_allowed() -> String {
    // 1 + 4 (organization, repository) + 1 + 1001 (a) + 1 + 1 + 997 × 1001 (b): 999,006
    // nodes, just under the default million.
    wide_bomb(1000, 997)
}

/// An empty world with ghgov serving under `document_limits`.
async fn serving_with_limits(db: &str, document_limits: DocumentLimits) -> Tester {
    TestWorld::empty()
        .serving_with(move |options| ServeOptions {
            document_limits,
            ..options
        })
        .start(db)
        .await
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    send_checked(request).await
}

async fn validate(url: &str, token: &str, body: &Value) -> (u16, Value) {
    send(
        reqwest::Client::new()
            .post(format!("{url}/api/v1/governance/validate"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

/// The body of a refusal names the limit, its value and how to raise it.
fn assert_refused(answer: &(u16, Value), status: u16, limit: &str, value: u64) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["limit"]["name"], limit, "{body}");
    assert_eq!(body["limit"]["value"], value, "{body}");
    let flag = format!("--{}", limit.replace('_', "-"));
    assert_eq!(body["limit"]["flag"], flag.as_str(), "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains(&flag), "{error}");
    assert!(
        error.contains(&format!("GHGOV_{}", limit.to_uppercase())),
        "{error}"
    );
}

async fn the_examples_validate(url: &str, token: &str) {
    let (status, body) = validate(
        url,
        token,
        &json!({"spec": example("project-spec.yml"), "config": example("governance.yml")}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], true, "{body}");
}

async fn hostile_documents_are_refused_naming_the_limit(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    let gg = t.ghgov();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let config = example("governance.yml");

    let answer = validate(
        &url,
        &read,
        &json!({"spec": nested_bomb(12), "config": config}),
    )
    .await;
    assert_refused(&answer, 422, "max_document_nodes", 1_000_000);
    let error = answer.1["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "spec: line 9: with its aliases expanded it would have more than 1000000 nodes"
        ),
        "{error}"
    );

    // The configuration, and the front matter of a Markdown specification, alike.
    let answer = validate(
        &url,
        &read,
        &json!({"spec": example("project-spec.yml"), "config": wide_bomb(1500, 3000)}),
    )
    .await;
    assert_refused(&answer, 422, "max_document_nodes", 1_000_000);
    assert!(answer.1["error"]
        .as_str()
        .unwrap()
        .starts_with("config: line 4:"));
    let markdown = format!("---\n{}---\n# Epic: A\n", nested_bomb(12));
    let answer = validate(&url, &read, &json!({"spec": markdown, "config": config})).await;
    assert_refused(&answer, 422, "max_document_nodes", 1_000_000);

    // Deep nesting: YAML, JSON text, and a JSON object in the body itself.
    let brackets = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let yaml = format!("organization: acme\nrepository: widgets\nx: {brackets}\n");
    let answer = validate(&url, &read, &json!({"spec": yaml, "config": config})).await;
    assert_refused(&answer, 422, "max_document_depth", 64);
    let json_text = format!("{{\"organization\": \"acme\", \"x\": {brackets}}}");
    let answer = validate(&url, &read, &json!({"spec": json_text, "config": config})).await;
    assert_refused(&answer, 422, "max_document_depth", 64);
    let raw_body = format!(
        "{{\"config\": {}, \"spec\": {{\"x\": {brackets}}}}}",
        json!(config)
    );
    let answer = send(
        reqwest::Client::new()
            .post(format!("{url}/api/v1/governance/validate"))
            .bearer_auth(&read)
            .header("content-type", "application/json")
            .body(raw_body),
    )
    .await;
    assert_refused(&answer, 422, "max_document_depth", 64);

    // Nothing was harmed: a normal validation still works.
    the_examples_validate(&url, &read).await;
    t.finish().await;
}

async fn writes_refuse_hostile_documents_too(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    let gg = t.ghgov();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = gg.url();
    let c = reqwest::Client::new();
    let config_url = format!("{url}/api/v1/governance/config/acme/widgets");

    let answer = send(c.put(&config_url).bearer_auth(&write).body(nested_bomb(12))).await;
    assert_refused(&answer, 422, "max_document_nodes", 1_000_000);
    assert!(answer.1["error"]
        .as_str()
        .unwrap()
        .starts_with("configuration: line 9:"));
    let answer = send(
        c.post(format!("{url}/api/v1/governance/generate"))
            .bearer_auth(&write)
            .json(&json!({"spec": nested_bomb(12), "config": example("governance.yml")})),
    )
    .await;
    assert_refused(&answer, 422, "max_document_nodes", 1_000_000);

    // Neither stored anything; a genuine configuration is still stored.
    let (status, _) = send(c.get(&config_url).bearer_auth(&write)).await;
    assert_eq!(status, 404);
    let (status, body) = send(
        c.put(&config_url)
            .bearer_auth(&write)
            .body(example("governance.yml")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    t.finish().await;
}

async fn oversized_documents_are_refused_with_413(db: String) {
    let limits = DocumentLimits {
        max_bytes: 64 * 1024,
        ..DocumentLimits::default()
    };
    let t = serving_with_limits(&db, limits).await;
    let gg = t.ghgov();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = gg.url();
    let c = reqwest::Client::new();
    let config = example("governance.yml");
    // Valid YAML, only long.
    let padded = format!(
        "{}{}",
        "# padding\n".repeat(7000),
        example("project-spec.yml")
    );

    let answer = validate(&url, &write, &json!({"spec": padded, "config": config})).await;
    assert_refused(&answer, 413, "max_document_bytes", 65536);
    assert!(answer.1["error"]
        .as_str()
        .unwrap()
        .starts_with("spec: it is larger than 65536 bytes"));

    // A body may hold two documents, and no more than that.
    let body = json!({"spec": padded.repeat(2), "config": config}).to_string();
    let answer = send(
        c.post(format!("{url}/api/v1/governance/validate"))
            .bearer_auth(&write)
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_refused(&answer, 413, "max_document_bytes", 2 * 65536);

    let answer = send(
        c.put(format!("{url}/api/v1/governance/config/acme/widgets"))
            .bearer_auth(&write)
            .body(format!("{}{config}", "# padding\n".repeat(7000))),
    )
    .await;
    assert_refused(&answer, 413, "max_document_bytes", 65536);

    the_examples_validate(&url, &write).await;
    t.finish().await;
}

async fn reading_past_the_deadline_is_answered_422(db: String) {
    // A deadline of zero has passed whenever a read ends.
    let limits = DocumentLimits {
        parse_timeout: Duration::ZERO,
        ..DocumentLimits::default()
    };
    let t = serving_with_limits(&db, limits).await;
    let gg = t.ghgov();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let answer = validate(
        &gg.url(),
        &read,
        &json!({"spec": example("project-spec.yml"), "config": example("governance.yml")}),
    )
    .await;
    assert_refused(&answer, 422, "document_parse_timeout_ms", 0);
    let error = answer.1["error"].as_str().unwrap();
    assert!(
        error.contains("reading it took longer than 0 ms"),
        "{error}"
    );
    t.finish().await;
}

/// Documents being read now, from `/metrics`.
async fn reads_in_progress(url: &str) -> f64 {
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("ghgov_document_reads_in_progress "))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// `ghgov serve` in a process of its own: its metrics are its own, and its runtime is
/// the one it runs in production (here with two workers, as on a small machine).
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(db: &str, extra: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ghgov"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(["--webhook-secret", SECRET])
            .args(extra)
            .env("TOKIO_WORKER_THREADS", "2")
            .env_remove("GHGOV_GITHUB_TOKEN")
            .env_remove("GHGOV_REPOS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("ghgov serve stopped before it listened")
                .unwrap();
            if let Some(url) = line.strip_prefix("ghgov listening on ") {
                break url.to_string();
            }
        };
        // The pipe is drained so that the server never waits on it.
        std::thread::spawn(move || lines.for_each(drop));
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn the_api_answers_while_hostile_documents_are_read(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let store = t.store.clone();
    let (_, read) = store.create_token("reader", Scope::Read).await.unwrap();
    // The reads are slow on purpose (and slower in a debug build sharing its processors
    // with other tests): they must finish, so the deadline is far.
    let serve = Serve::start(&db, &["--document-parse-timeout-ms", "600000"]);
    let url = serve.url.clone();
    let heavy = json!({"spec": heavy_but_allowed(), "config": example("governance.yml")});
    let hostile: Vec<_> = (0..2)
        .map(|_| {
            let (url, read, heavy) = (url.clone(), read.clone(), heavy.clone());
            tokio::spawn(async move { validate(&url, &read, &heavy).await })
        })
        .collect();
    // Both are being read, on the server's two threads were it to read on them.
    let mut polls = 0;
    while reads_in_progress(&url).await < 2.0 {
        polls += 1;
        assert!(
            polls < 6000,
            "/metrics never answered while both documents were being read"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let version = tokio::time::timeout(
        Duration::from_secs(30),
        reqwest::get(format!("{url}/version")),
    )
    .await
    .expect("GET /version answered while documents are read")
    .unwrap();
    assert_eq!(version.status(), 200);
    assert!(
        hostile.iter().all(|h| !h.is_finished()),
        "/version was answered only after the documents were read"
    );
    for h in hostile {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    the_examples_validate(&url, &read).await;
}

fn ghgov_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    // No huge allocation: past 1 GB of address space the process fails, and it may not
    // take long (the bound is generous, not a timing).
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -v 1000000 && exec timeout 60 \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_ghgov"))
        .args(args)
        .env_remove("GHGOV_DB");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ghgov-documents-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn example_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

async fn validate_refuses_a_40_kb_alias_bomb_at_once() {
    let bomb = wide_bomb(1500, 12_000);
    assert!((38_000..=42_000).contains(&bomb.len()), "{}", bomb.len());
    let path = temp_file("bomb.yml", &bomb);
    let (code, err) = ghgov_cli(
        &[
            "validate",
            "--spec",
            &path.display().to_string(),
            "--config",
            &example_path("governance.yml"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("error: specification file {}: line 4: with its aliases expanded it would have more than 1000000 nodes", path.display())),
        "{err}"
    );
    assert!(
        err.contains("--max-document-nodes or GHGOV_MAX_DOCUMENT_NODES"),
        "{err}"
    );
}

async fn the_command_line_limits_come_from_flags_and_the_environment() {
    let spec = example_path("project-spec.yml");
    let config = example_path("governance.yml");
    let (code, err) = ghgov_cli(&["validate", "--spec", &spec, "--config", &config], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = ghgov_cli(
        &[
            "validate",
            "--spec",
            &spec,
            "--config",
            &config,
            "--max-document-depth",
            "3",
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("lists and mappings nest more than 3 levels deep"),
        "{err}"
    );
    let (code, err) = ghgov_cli(
        &["validate", "--spec", &spec, "--config", &config],
        &[("GHGOV_MAX_DOCUMENT_BYTES", "1000")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("it is larger than 1000 bytes"), "{err}");
}

suite!(
    both: [
        hostile_documents_are_refused_naming_the_limit,
        writes_refuse_hostile_documents_too,
        oversized_documents_are_refused_with_413,
        reading_past_the_deadline_is_answered_422,
        the_api_answers_while_hostile_documents_are_read,
    ],
    plain: [
        validate_refuses_a_40_kb_alias_bomb_at_once,
        the_command_line_limits_come_from_flags_and_the_environment,
    ],
);
