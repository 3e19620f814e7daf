//! The `fakehub serve` command line that benchmarks and checks rely on.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fakehub"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fakehub runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (child, first)
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "fakehub did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn prints_listening_first_serves_the_seed_and_stops_on_sigterm() {
    let (mut child, first) = start(&[
        "--token",
        "t",
        "--seed-repo",
        "acme/widgets",
        "--seed-issues",
        "120",
        "--seed-comments",
        "30",
        "--seed-labels",
        "5",
        "--seed-milestones",
        "2",
        "--seed-pulls",
        "4",
        "--secondary-limits",
        "off",
        "--rate-limit",
        "100",
    ]);
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (count, limit) = rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!(
                "http://{addr}/repos/acme/widgets/issues?state=all&per_page=100&page=2"
            ))
            .header("Authorization", "token t")
            .send()
            .await
            .unwrap();
        let limit = r.headers()["x-ratelimit-limit"]
            .to_str()
            .unwrap()
            .to_string();
        (
            r.json::<serde_json::Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            limit,
        )
    });
    assert_eq!(count, 24, "124 items: the second page of 100 holds 24");
    assert_eq!(limit, "100");
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child).success(), "clean exit on SIGTERM");
}

#[test]
fn stops_on_sigint_and_reports_bad_arguments() {
    let (mut child, first) = start(&[]);
    assert!(first.starts_with("listening on http://127.0.0.1:"));
    signal(&child, "-INT");
    assert!(wait_exit(&mut child).success(), "clean exit on SIGINT");

    let out = Command::new(env!("CARGO_BIN_EXE_fakehub"))
        .args(["serve", "--seed", "/nonexistent/seed.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/seed.json"),
        "the error names the file"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_fakehub"))
        .args(["serve", "--secondary-limits", "maybe"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_seed_file_declaring_only_users_turns_the_checks_on() {
    let dir = std::env::temp_dir().join(format!("fakehub-cli-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"{"users": [{"login": "ada", "token": "t-ada", "scopes": ["read:org"]}]}"#,
    )
    .unwrap();
    let (mut child, first) = start(&["--seed", seed.to_str().unwrap()]);
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (me, scopes, stranger) = rt.block_on(async {
        let http = reqwest::Client::new();
        let r = http
            .get(format!("http://{addr}/user"))
            .header("Authorization", "token t-ada")
            .send()
            .await
            .unwrap();
        let scopes = r.headers()["x-oauth-scopes"].to_str().unwrap().to_string();
        let me = r.json::<serde_json::Value>().await.unwrap();
        let stranger = http
            .get(format!("http://{addr}/user"))
            .header("Authorization", "token unknown")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        (me, scopes, stranger)
    });
    assert_eq!(me["login"], "ada");
    assert_eq!(scopes, "read:org");
    assert_eq!(stranger, 401, "a declared world knows its tokens");
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child).success());
    let _ = std::fs::remove_dir_all(&dir);
}
