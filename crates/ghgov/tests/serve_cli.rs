//! The command line under careless use: `serve` refuses empty secrets before it starts,
//! stops within its deadline on SIGTERM even with a stalled client, `prune` drops old
//! payloads, and `token revoke` revokes exactly what it names.

mod common;
use common::*;
use ghgov::store::NewDelivery;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ghgov_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ghgov"));
    for var in [
        "GHGOV_DB",
        "GHGOV_WEBHOOK_SECRET",
        "GHGOV_GITHUB_TOKEN",
        "GHGOV_REPOS",
    ] {
        c.env_remove(var);
    }
    c
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits up to `limit` for the process to exit; kills it (and says so) otherwise.
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn serve_refuses(db: &str, flags: &[&str], env: Option<&str>) -> String {
    let mut cmd = ghgov_cmd();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db", db])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(v) = env {
        cmd.env("GHGOV_WEBHOOK_SECRET", v);
    }
    let mut child = cmd.spawn().unwrap();
    let status = exit_within(&mut child, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("serve {flags:?} (env {env:?}) started instead of refusing"));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    err
}

#[test]
fn serve_refuses_empty_secrets() {
    let db = format!(
        "sqlite://{}",
        std::env::temp_dir()
            .join(format!("ghgov-serve-{}.db", uuid::Uuid::new_v4().simple()))
            .display()
    );
    let err = serve_refuses(&db, &["--webhook-secret", ""], None);
    assert!(
        err.contains("--webhook-secret") && err.contains("empty"),
        "{err}"
    );
    let err = serve_refuses(
        &db,
        &["--webhook-secret", "ok", "--webhook-secret", " "],
        None,
    );
    assert!(err.contains("occurrence 2"), "{err}");
    for env in ["", "s,", " , s"] {
        let err = serve_refuses(&db, &[], Some(env));
        assert!(err.contains("GHGOV_WEBHOOK_SECRET"), "{env:?}: {err}");
    }
    let err = serve_refuses(&db, &["--github-token-file", "/nonexistent/token"], None);
    assert!(err.contains("cannot read the GitHub token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_serve_despite_a_stalled_client() {
    use tokio::io::AsyncWriteExt;
    let t = TestWorld::empty().start_on_sqlite().await;
    let mut child = ghgov_cmd()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &t.db,
            "--webhook-secret",
            SECRET,
            "--shutdown-timeout",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(url) = line.strip_prefix("ghgov listening on http://") {
            break url.trim().to_string();
        }
    };
    // Keep reading stderr so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d\r\nX-Hub-Signature-256: sha256={}\r\nContent-Length: 1000\r\n\r\n{{\"zen\":",
                "ab".repeat(32)
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = exit_within(&mut child, Duration::from_secs(20))
        .expect("serve still running 20 s after SIGTERM");
    assert!(status.success(), "{status:?}");
    drop(stalled);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_and_revoke_from_the_command_line() {
    let t = TestWorld::empty().start_on_sqlite().await;
    let store = t.store.clone();
    let new = |id: &str| NewDelivery {
        delivery_id: id.into(),
        event: "ping".into(),
        action: None,
        repository: None,
        payload: "{}".into(),
    };
    store
        .insert_deliveries(&[new("old"), new("recent"), new("dead")])
        .await
        .unwrap();
    // Finished 40 days ago, 2 days ago, and dead 40 days ago.
    for (id, status, at) in [
        ("old", "processed", "2020-01-01T00:00:00Z"),
        ("dead", "dead", "2020-01-01T00:00:00Z"),
        ("recent", "processed", ghgov::store::now_text().as_str()),
    ] {
        sqlx::query("UPDATE deliveries SET status = $1, processed_at = $2 WHERE delivery_id = $3")
            .bind(status)
            .bind(at)
            .bind(id)
            .execute(store.pool_for_tests())
            .await
            .unwrap();
    }
    let (ok, out, err) = run(ghgov_cmd().args(["prune", "--retention-days", "30", "--db", &t.db]));
    assert!(ok, "{err}");
    assert!(
        out.starts_with("dropped the payloads of 1 deliveries"),
        "{out}"
    );
    let kept: Vec<String> = store
        .list_deliveries(None, 10, 0)
        .await
        .unwrap()
        .0
        .into_iter()
        .filter(|d| d.payload_pruned_at.is_none())
        .map(|d| d.delivery_id)
        .collect();
    assert_eq!(kept, ["dead", "recent"]);

    // `revoke 1` revokes the token named "1", not the token with id 1.
    let (first_id, first) = store
        .create_token("first", ghgov::store::Scope::Read)
        .await
        .unwrap();
    let (_, named) = store
        .create_token(&first_id.to_string(), ghgov::store::Scope::Read)
        .await
        .unwrap();
    let (ok, out, err) =
        run(ghgov_cmd().args(["token", "revoke", &first_id.to_string(), "--db", &t.db]));
    assert!(ok, "{err}");
    assert!(out.contains(&format!("revoked {first_id}")), "{out}");
    assert!(store.authenticate(&named).await.unwrap().is_none());
    assert!(store.authenticate(&first).await.unwrap().is_some());
    let (ok, _, err) = run(ghgov_cmd().args([
        "token",
        "revoke",
        "--id",
        &first_id.to_string(),
        "--db",
        &t.db,
    ]));
    assert!(ok, "{err}");
    assert!(store.authenticate(&first).await.unwrap().is_none());
    let (ok, _, err) = run(ghgov_cmd().args(["token", "create", "--name", "first", "--db", &t.db]));
    assert!(!ok && err.contains("exists already"), "{err}");
    t.finish().await;
}
