//! The `ghgov` command lines that other tools rely on.

mod common;
use common::*;
use std::process::Command;

fn ghgov(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ghgov"))
        .args(args)
        .env_remove("GHGOV_DB")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_token_and_migrate_commands() {
    let t = TestWorld::seeded(seed(130, 20, 3, 1, 0))
        .start_on_sqlite()
        .await;
    let fh = &t.fh;
    let (ok, out, err) = ghgov(&[
        "sync",
        "acme/widgets",
        "--full",
        "--db",
        &t.db,
        "--github-url",
        &fh.url,
        "--github-token",
        GH_TOKEN,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("synced acme/widgets (full): 130 issues"),
        "{out}"
    );
    assert!(
        out.contains("requests") && out.contains("not modified"),
        "the summary counts requests and 304s: {out}"
    );
    let (ok, out, _) = ghgov(&[
        "sync",
        "acme/widgets",
        "--db",
        &t.db,
        "--github-url",
        &fh.url,
        "--github-token",
        GH_TOKEN,
    ]);
    assert!(ok);
    assert!(
        out.contains("(incremental)") && out.contains("5 requests (5 not modified)"),
        "{out}"
    );

    let (ok, out, _) = ghgov(&[
        "token", "create", "--name", "ci", "--scope", "write", "--db", &t.db,
    ]);
    assert!(ok);
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("ghgov_") && token.len() > 20);
    assert_token_stored_hashed(&t.store, &token).await;
    // The token opens the API; a token differing in one character does not.
    let server = t.start_ghgov(|options| options).await;
    assert_eq!(api(&server.url(), &token, "/api/v1/repos").await.0, 200);
    let mut forged = token.clone();
    forged.replace_range(
        token.len() - 1..,
        if token.ends_with('0') { "1" } else { "0" },
    );
    assert_eq!(api(&server.url(), &forged, "/api/v1/repos").await.0, 401);
    let (ok, out, _) = ghgov(&["token", "list", "--db", &t.db]);
    assert!(
        ok && out.contains("ci") && !out.contains(&token),
        "tokens are never listed: {out}"
    );
    let (ok, _, _) = ghgov(&["token", "revoke", "ci", "--db", &t.db]);
    assert!(ok);
    assert_eq!(api(&server.url(), &token, "/api/v1/repos").await.0, 401);
    server.shutdown().await;
    let (ok, _, err) = ghgov(&["token", "revoke", "ci", "--db", &t.db]);
    assert!(!ok && err.contains("no active token"), "{err}");

    let (ok, out, _) = ghgov(&["migrate", "--db", &t.db]);
    assert!(ok && out.contains("migration"), "{out}");
    let (ok, _, err) = ghgov(&["sync", "not-a-repo", "--db", &t.db, "--github-token", "x"]);
    assert!(!ok && err.contains("OWNER/NAME"), "{err}");
    let (ok, _, err) = ghgov(&["sync", "acme/widgets", "--db", "mysql://x"]);
    assert!(!ok && err.contains("token"), "{err}");
    let (ok, _, err) = ghgov(&["migrate", "--db", "mysql://x"]);
    assert!(!ok && err.contains("sqlite://"), "{err}");

    // hooks install creates the webhook in fakehub.
    let (ok, out, err) = ghgov(&[
        "hooks",
        "install",
        "acme/widgets",
        "--url",
        "http://127.0.0.1:9/",
        "--secret",
        "s",
        "--github-url",
        &fh.url,
        "--github-token",
        GH_TOKEN,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("http://127.0.0.1:9/webhooks/github"));
    assert_eq!(fh.hub.world.read().repos[0].hooks.len(), 1);
    t.finish().await;
}

/// Runs `ghgov` off the runtime, so the in-process server it talks to keeps serving.
async fn ghgov_async(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ghgov(&args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_and_milestone_commands_go_through_the_server() {
    let t = TestWorld::seeded(seed(2, 0, 1, 1, 0))
        .serving()
        .start_on_sqlite()
        .await;
    let gg = t.ghgov();
    let (_, token) = gg
        .store
        .create_token("cli", ghgov::store::Scope::Write)
        .await
        .unwrap();
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let server = gg.url();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend([
            "--server".into(),
            server.clone(),
            "--token".into(),
            token.clone(),
        ]);
        ghgov_async(all)
    };

    let (ok, out, err) = run(&[
        "issue",
        "create",
        "--repo",
        "acme/widgets",
        "--title",
        "From the CLI",
        "--label",
        "bug",
    ])
    .await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("issue ")
            && out.contains("acme/widgets#")
            && out.contains("\"From the CLI\" [planning]"),
        "{out}"
    );
    let id = out.split_whitespace().nth(1).unwrap().to_string();

    let (ok, out, err) = run(&[
        "issue",
        "status",
        &id,
        "in_progress",
        "--reason",
        "picked up",
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("[in_progress]"), "{out}");
    let (ok, _, err) = run(&["issue", "status", &id, "done"]).await;
    assert!(!ok, "in_progress → done is not in the default workflow");
    assert!(
        err.contains("409") && err.contains("allowed: review, planning, blocked, cancelled"),
        "{err}"
    );
    let (ok, out, err) = run(&["issue", "show", &id]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("planning → in_progress  by token:cli (api)"),
        "{out}"
    );
    let (ok, out, err) = run(&["issue", "comment", &id, "On it"]).await;
    assert!(ok && out.starts_with("comment "), "{out}{err}");
    let (ok, out, err) = run(&["issue", "edit", &id, "--title", "Renamed in the CLI"]).await;
    assert!(ok && out.contains("\"Renamed in the CLI\""), "{out}{err}");
    let (ok, _, err) = run(&["issue", "edit", &id]).await;
    assert!(!ok && err.contains("nothing to change"), "{err}");
    let (ok, out, err) = run(&["issue", "close", &id]).await;
    assert!(ok && out.contains("[cancelled]"), "{out}{err}");

    let (ok, out, err) = run(&[
        "milestone",
        "create",
        "--repo",
        "acme/widgets",
        "--title",
        "v2",
        "--due-on",
        "2027-01-31T00:00:00Z",
    ])
    .await;
    assert!(
        ok && out.starts_with("milestone ") && out.contains("\"v2\" (open"),
        "{out}{err}"
    );
    let (ok, out, err) = run(&["milestone", "list", "--repo", "acme/widgets"]).await;
    assert!(ok && out.contains("\"v2\""), "{out}{err}");
    let (ok, out, err) = run(&["milestone", "list", "--repo", "acme/widgets", "--json"]).await;
    assert!(ok, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(listed["data"].as_array().unwrap().len() >= 2, "{listed}");

    // Conflicts: none yet; a resolution that is not one of the three is refused by clap.
    let (ok, out, err) = run(&["conflicts", "list"]).await;
    assert!(ok && out.contains("no open conflicts"), "{out}{err}");
    let (ok, _, err) = run(&["conflicts", "resolve", "1", "sideways"]).await;
    assert!(!ok && err.contains("local, remote, value"), "{err}");
    let (ok, _, err) = run(&["conflicts", "resolve", "1", "remote"]).await;
    assert!(!ok && err.contains("404"), "{err}");

    // Without a token it says which flag is missing; a wrong server is named.
    let (ok, _, err) = ghgov_async(vec!["issue".into(), "close".into(), "1".into()]).await;
    assert!(!ok && err.contains("--token"), "{err}");
    let (ok, _, err) = ghgov_async(
        [
            "issue",
            "close",
            "1",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    )
    .await;
    assert!(
        !ok && err.contains("cannot reach the ghgov server at http://127.0.0.1:9"),
        "{err}"
    );
    t.finish().await;
}
