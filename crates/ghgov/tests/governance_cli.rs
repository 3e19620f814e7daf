//! `ghgov validate | plan | apply | approve | compliance` as a user runs them.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn run(args: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ghgov"))
        .args(args)
        .env_remove("GHGOV_DB")
        .env_remove("GHGOV_ACTOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

struct Cli {
    common: Vec<String>,
}

impl Cli {
    fn run(&self, command: &str, extra: &[&str]) -> (bool, String, String) {
        let mut args = vec![command.to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(self.common.iter().cloned());
        run(&args)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_every_problem_with_its_path() {
    let dir = tempdir();
    let spec = std::fs::read_to_string(example("project-spec.yml"))
        .unwrap()
        .replacen("priority: critical", "priority: urgent", 1);
    let bad = dir.join("bad-spec.yml");
    std::fs::write(&bad, spec).unwrap();
    let (ok, _, err) = run(&[
        "validate".into(),
        "--spec".into(),
        bad.display().to_string(),
        "--config".into(),
        example("governance.yml").display().to_string(),
    ]);
    assert!(!ok, "an invalid specification fails");
    assert!(
        err.contains("error: spec project_scope.epic_definitions[0].priority"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    // Warnings pass, unless --strict.
    let args = |strict: bool| {
        let mut a = vec![
            "validate".to_string(),
            "--spec".into(),
            example("project-spec.md").display().to_string(),
            "--config".into(),
            example("governance.yml").display().to_string(),
            "--repo".into(),
            "acme/widgets".into(),
        ];
        if strict {
            a.push("--strict".into());
        }
        a
    };
    let (ok, out, _) = run(&args(false));
    assert!(ok);
    assert!(out.contains("The specification is valid: 3 epics"), "{out}");
    let (ok, _, err) = run(&args(true));
    assert!(!ok, "--strict turns the missing documentation into errors");
    assert!(
        err.contains("error: spec") && err.contains("technical_specs"),
        "{err}"
    );

    // A wrong --repo is named.
    let mut a = args(false);
    a[6] = "acme/other".into();
    let (ok, _, err) = run(&a);
    assert!(!ok);
    assert!(err.contains("--repo says acme/other"), "{err}");
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ghgov-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_approve_apply_and_compliance() {
    let t = TestWorld::empty().start_on_sqlite().await;
    let fh = &t.fh;
    let dir = tempdir();
    // The example configuration with both approval workflows switched on.
    let config = std::fs::read_to_string(example("governance.yml"))
        .unwrap()
        .replace(
            "approval_workflows: []",
            "approval_workflows: [epic_creation, milestone_changes]",
        );
    assert!(config.contains("approval_workflows: [epic_creation"));
    let config_path = dir.join("governance.yml");
    std::fs::write(&config_path, config).unwrap();
    let cli = Cli {
        common: vec![
            "--repo".into(),
            "acme/widgets".into(),
            "--db".into(),
            t.db.clone(),
            "--github-url".into(),
            fh.url.clone(),
            "--github-token".into(),
            GH_TOKEN.into(),
        ],
    };
    let spec = example("project-spec.yml").display().to_string();
    let conf = config_path.display().to_string();

    let (ok, out, err) = cli.run(
        "plan",
        &[
            "--spec", &spec, "--config", &conf, "--json", "--actor", "alice",
        ],
    );
    assert!(ok, "{err}");
    let planned: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(planned["status"], "pending_approval");
    assert_eq!(planned["plan"]["needs_approval"][0], "epic_creation");
    let id = planned["id"].as_i64().unwrap().to_string();

    // Waiting for approval: apply refuses and says what to do.
    let (ok, _, err) = cli.run("apply", &["--plan", &id, "--auto-approve"]);
    assert!(!ok);
    assert!(err.contains(&format!("ghgov approve {id}")), "{err}");
    let approve = |actor: &str| {
        run(&[
            "approve".into(),
            id.clone(),
            "--actor".into(),
            actor.into(),
            "--db".into(),
            t.db.clone(),
        ])
    };
    let (ok, _, err) = approve("alice");
    assert!(!ok && err.contains("different principal"), "{err}");
    let (ok, out, err) = approve("bob");
    assert!(ok, "{err}");
    assert!(out.contains("approved by bob"), "{out}");

    // Without a terminal and without --auto-approve nothing is written.
    let writes = fh.hub.stats.totals().writes;
    let (ok, _, err) = cli.run("apply", &["--plan", &id]);
    assert!(!ok && err.contains("--auto-approve"), "{err}");
    assert_eq!(fh.hub.stats.totals().writes, writes);

    let (ok, out, err) = cli.run(
        "apply",
        &[
            "--plan",
            &id,
            "--auto-approve",
            "--write-interval-ms",
            "0",
            "--no-secondary-limits",
        ],
    );
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("Apply complete: ") && last.ends_with(" added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert_eq!(
        last,
        format!(
            "Apply complete: {} added, 0 changed, 0 destroyed.",
            planned["plan"]["to_add"]
        )
    );

    // Nothing left to do; the stored configuration is used when --config is left out.
    let (ok, out, err) = cli.run("plan", &["--spec", &spec, "--actor", "alice"]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().last(),
        Some("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    let (ok, out, err) = cli.run("apply", &["--spec", &spec, "--auto-approve"]);
    assert!(ok, "{err}");
    assert!(
        out.ends_with("Apply complete: 0 added, 0 changed, 0 destroyed.\n"),
        "{out}"
    );

    // The plan made before that apply is stale now.
    let (ok, _, err) = cli.run("apply", &["--plan", "2", "--auto-approve"]);
    assert!(
        !ok && err.contains("plan 2 is stale: plan 3 was applied"),
        "{err}"
    );

    let (ok, out, err) = cli.run("compliance", &["--json"]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rules"]["hierarchy"]["share"], 1.0, "{report}");
    assert!(report["governed_issues"].as_u64().unwrap() >= 30);
    t.finish().await;
}

/// A real kill (SIGKILL) in the middle of an apply, then a resume: no duplicate issue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_resumes_without_duplicates() {
    let t = TestWorld::empty().start_on_sqlite().await;
    let fh = &t.fh;
    let common = [
        "--repo".to_string(),
        "acme/widgets".into(),
        "--db".into(),
        t.db.clone(),
        "--github-url".into(),
        fh.url.clone(),
        "--github-token".into(),
        GH_TOKEN.into(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghgov"))
        .args([
            "apply",
            "--auto-approve",
            "--write-interval-ms",
            "20",
            "--no-secondary-limits",
            "--spec",
            &example("project-spec.yml").display().to_string(),
            "--config",
            &example("governance.yml").display().to_string(),
        ])
        .args(&common)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it is well into the issues.
    for _ in 0..6000 {
        if fh.hub.stats.totals().writes >= 30 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = fh.hub.stats.totals().writes;
    assert!(before >= 30, "the apply was under way when killed");

    let mut args = vec![
        "apply".to_string(),
        "--plan".into(),
        "1".into(),
        "--auto-approve".into(),
        "--write-interval-ms".into(),
        "0".into(),
        "--no-secondary-limits".into(),
    ];
    args.extend(common.iter().cloned());
    let (ok, out, err) = run(&args);
    assert!(ok, "{err}");
    assert!(out.contains("steps finished by an earlier run"), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("Apply complete:"),
        "{out}"
    );

    // Every key on exactly one issue, and nothing left to do.
    {
        let world = fh.hub.world.read();
        let repo = world
            .repos
            .iter()
            .find(|r| r.full_name() == "acme/widgets")
            .unwrap();
        let mut keys = std::collections::HashSet::new();
        for i in &repo.issues {
            if let Some(k) = i
                .body
                .as_deref()
                .and_then(ghgov::governance::desired::key_in_body)
            {
                assert!(keys.insert(k.to_string()), "duplicate issue for {k}");
            }
        }
    }
    let mut args = vec![
        "plan".to_string(),
        "--spec".into(),
        example("project-spec.yml").display().to_string(),
    ];
    args.extend(common.iter().cloned());
    let (ok, out, err) = run(&args);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().last(),
        Some("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    t.finish().await;
}
