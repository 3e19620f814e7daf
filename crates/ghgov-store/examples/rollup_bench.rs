//! The rollup benchmark (`bench/rollup.sh`): a 10,000-issue, 8-level sub-issue hierarchy in
//! a SQLite store (each issue's parent is issue (n - 1) / 4), then status changes at the
//! bottom, each stored the way a webhook stores it (`MirrorTx::issue` in a write
//! transaction: the issue row, its status history and the rollup walked up to the root).
//! Prints `RESULT` lines with p50/p99 of the projector write (rollup included) and of the
//! whole transaction (with its commit), then checks the rollups against a full
//! recomputation.
//!
//! Usage: cargo run --release -p ghgov-store --example rollup_bench [ISSUES] [CHANGES]

use ghgov_store::projector::Seen;
use ghgov_store::records::{Issue, Repository};
use ghgov_store::Store;
use serde_json::json;
use std::time::{Duration, Instant};

const BRANCHING: i64 = 4;

fn issue(id: i64, status: &str, at: i64) -> Issue {
    let (state, reason, labels) = match status {
        "done" => ("closed", Some("completed"), vec![]),
        open => (
            "open",
            None,
            vec![json!({"id": 1, "name": format!("status:{open}")})],
        ),
    };
    serde_json::from_value(json!({
        "id": id, "number": id, "title": format!("issue {id}"), "state": state, "state_reason": reason,
        "labels": labels, "created_at": "2026-01-01T00:00:00Z",
        "updated_at": chrono_like(at),
    }))
    .expect("an issue")
}

/// A timestamp `at` seconds after 2026-01-01, so every change is newer than the last.
fn chrono_like(at: i64) -> String {
    let (d, rest) = (at / 86_400, at % 86_400);
    format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1 + d / 28,
        1 + d % 28,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn depth(mut id: i64) -> usize {
    let mut d = 1;
    while id > 1 {
        id = (id - 2) / BRANCHING + 1;
        d += 1;
    }
    d
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let issues: i64 = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let changes: usize = args.next().map_or(Ok(1_000), |a| a.parse())?;
    let dir = std::env::temp_dir().join(format!("ghgov-rollup-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = Store::open(&format!("sqlite://{}", dir.join("bench.db").display())).await?;
    let repo: Repository = serde_json::from_value(json!({
        "id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 1, "login": "acme"},
        "private": false, "open_issues_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    }))?;

    // Issue n (1-based) has parent (n - 2) / 4 + 1: 10,000 issues are 8 levels deep.
    let built = Instant::now();
    let mut tx = store.begin_mirror_write().await?;
    tx.mirror().repository(&repo).await?;
    let mut seen = Seen::default();
    let all: Vec<Issue> = (1..=issues).map(|id| issue(id, "planning", 0)).collect();
    for page in all.chunks(100) {
        tx.mirror().issues(&mut seen, 1, page, None).await?;
    }
    tx.commit().await?;
    let parents = (issues - 2) / BRANCHING + 1;
    for chunk in (1..=parents).collect::<Vec<_>>().chunks(200) {
        let mut tx = store.begin_mirror_write().await?;
        for &p in chunk {
            let first = (p - 1) * BRANCHING + 2;
            let kids: Vec<i64> = (first..first + BRANCHING)
                .filter(|c| *c <= issues)
                .collect();
            tx.mirror().set_sub_issues(p, &kids).await?;
        }
        tx.commit().await?;
    }
    let levels = depth(issues);
    println!(
        "built {issues} issues, {levels} levels, in {:.1} s",
        built.elapsed().as_secs_f64()
    );

    // Status changes at the bottom level, each a webhook's transaction.
    let bottom: Vec<i64> = (1..=issues).filter(|id| depth(*id) == levels).collect();
    let cycle = ["in_progress", "blocked", "done", "planning"];
    let (mut write, mut whole) = (Vec::new(), Vec::new());
    for k in 0..changes {
        let id = bottom[(k * 7919) % bottom.len()];
        let status = cycle[k % cycle.len()];
        let i = issue(id, status, k as i64 + 1);
        let started = Instant::now();
        let mut tx = store.begin_mirror_write().await?;
        let t = Instant::now();
        tx.mirror().issue(&mut seen, 1, &i, None).await?;
        write.push(t.elapsed());
        tx.commit().await?;
        whole.push(started.elapsed());
    }
    write.sort();
    whole.sort();
    println!(
        "RESULT rollup_status_change_write issues={issues} levels={levels} changes={changes} p50_ms={:.3} p99_ms={:.3}",
        percentile(&write, 0.5),
        percentile(&write, 0.99)
    );
    println!(
        "RESULT rollup_status_change_transaction issues={issues} levels={levels} changes={changes} p50_ms={:.3} p99_ms={:.3}",
        percentile(&whole, 0.5),
        percentile(&whole, 0.99)
    );
    let root = store.rollup_of(1).await?.expect("the root's rollup");
    println!(
        "root: progress {:.4}, {} descendants ({} done, {} in progress, {} blocked), at risk {}",
        root.progress,
        root.total,
        root.done,
        root.in_progress,
        root.blocked,
        root.at_risk != 0
    );
    match store.rollups_consistent().await? {
        Ok(()) => println!("rollups equal a full recomputation"),
        Err(diff) => anyhow::bail!("rollups differ from a full recomputation: {diff}"),
    }
    drop(store);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
