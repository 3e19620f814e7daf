use super::*;
use crate::projector::Seen;
use crate::records::{Issue, Repository};
use crate::Store;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn estimates_are_read_as_hours() {
    assert_eq!(parse_estimate("8h"), Some(8.0));
    assert_eq!(parse_estimate("8 hours"), Some(8.0));
    assert_eq!(parse_estimate("3d"), Some(24.0));
    assert_eq!(parse_estimate("3 days"), Some(24.0));
    assert_eq!(parse_estimate("2-3 weeks"), Some(120.0));
    assert_eq!(parse_estimate("2 to 3 weeks"), Some(120.0));
    assert_eq!(parse_estimate("3 months"), Some(480.0));
    assert_eq!(parse_estimate("5 points"), Some(5.0));
    assert_eq!(parse_estimate("5pts"), Some(5.0));
    assert_eq!(parse_estimate("1.5"), Some(1.5));
    assert_eq!(parse_estimate("90m"), Some(1.5));
    for bad in [
        "",
        "soon",
        "3 parsecs",
        "-2h",
        "3-2 days",
        "a while",
        "1.2.3h",
    ] {
        assert_eq!(parse_estimate(bad), None, "{bad}");
    }
    assert_eq!(
        estimate_from_labels(["bug", "Estimate:5", "estimate: 2d"]),
        Some(16.0)
    );
    assert_eq!(estimate_from_labels(["estimates", "estimate:x"]), None);
}

fn facts(status: Status) -> Facts {
    Facts {
        issue_id: 1,
        repository_id: 1,
        parent_id: None,
        milestone_id: None,
        status,
        estimate: None,
    }
}

fn child(id: i64, status: Status, estimate: Option<f64>, kids: &[RollupRow]) -> RollupRow {
    let f = Facts {
        issue_id: id,
        estimate,
        parent_id: Some(1),
        ..facts(status)
    };
    roll(&f, kids, false)
}

#[test]
fn progress_is_weighted_by_estimates_and_counts_grandchildren_through_their_parent() {
    use Status::*;
    // A child of weight 3 done, one of weight 1 open, a cancelled one left out.
    let kids = [
        child(2, Done, Some(3.0), &[]),
        child(3, Planning, None, &[]),
        child(4, Cancelled, Some(100.0), &[]),
    ];
    let r = roll(&facts(Planning), &kids, false);
    assert_eq!(
        (r.weight_total, r.weight_done, r.progress),
        (4.0, 3.0, 0.75)
    );
    assert_eq!((r.total, r.done, r.in_progress, r.blocked), (2, 1, 0, 0));
    assert_eq!((r.children_total, r.children_closed), (3, 2));
    assert_eq!(r.derived_status, "in_progress");
    assert_eq!(r.at_risk, 0);

    // A grandchild blocked, another done: the middle issue is half done and at risk, and so
    // is the top through it.
    let grand = [child(5, Blocked, None, &[]), child(6, Done, None, &[])];
    let middle = child(2, Planning, Some(2.0), &grand);
    assert_eq!((middle.progress, middle.at_risk), (0.5, 1));
    assert_eq!(middle.derived_status, "in_progress");
    let top = roll(
        &facts(Planning),
        &[middle, child(3, Planning, Some(2.0), &[])],
        false,
    );
    assert_eq!(top.progress, 0.25);
    assert_eq!(
        (top.total, top.done, top.blocked, top.at_risk),
        (4, 1, 1, 1)
    );
    assert_eq!(top.derived_status, "in_progress");
}

#[test]
fn a_parent_is_done_when_its_children_are_only_when_configured() {
    use Status::*;
    let kids = [child(2, Done, None, &[]), child(3, Cancelled, None, &[])];
    assert_eq!(
        roll(&facts(InProgress), &kids, false).derived_status,
        "in_progress"
    );
    assert_eq!(roll(&facts(InProgress), &kids, true).derived_status, "done");
    assert_eq!(roll(&facts(Planning), &kids, true).derived_status, "done");
    // Nothing started: planning stays planning; a closed parent keeps its status.
    let waiting = [child(2, Planning, None, &[]), child(3, Blocked, None, &[])];
    assert_eq!(
        roll(&facts(Planning), &waiting, true).derived_status,
        "planning"
    );
    assert_eq!(
        roll(&facts(Cancelled), &kids, true).derived_status,
        "cancelled"
    );
    // No children: nothing to derive from.
    assert_eq!(roll(&facts(Planning), &[], true).derived_status, "planning");
    assert_eq!(roll(&facts(Done), &[], false).progress, 1.0);
}

#[test]
fn milestone_completion_is_weighted_without_cancelled_issues() {
    use Status::*;
    let rows = [
        child(2, Done, Some(3.0), &[]),
        child(3, Review, None, &[]),
        child(4, Cancelled, Some(5.0), &[]),
    ];
    let m = milestone_roll(9, &rows);
    assert_eq!((m.total, m.open, m.closed), (3, 1, 2));
    assert_eq!(
        (m.weight_total, m.weight_done, m.progress),
        (4.0, 3.0, 0.75)
    );
}

// ---- incremental == full recomputation, over random sequences of events ----

const ISSUES: i64 = 7;
const REPO: i64 = 1;

#[derive(Debug, Clone)]
enum Event {
    /// Create or change an issue: state (0..6: planning, in_progress, review, blocked via
    /// labels; done, cancelled by closing), an `estimate:N` label, a milestone.
    Store {
        issue: i64,
        state: u8,
        estimate: Option<u8>,
        milestone: Option<i64>,
    },
    Link(i64, i64),
    Unlink(i64, i64),
    Replace(i64, Vec<i64>),
    Planned(i64, Option<u8>),
    ApiStatus(i64, u8),
    Delete(i64),
    DeleteMilestone(i64),
}

fn issue_id() -> impl Strategy<Value = i64> {
    1..=ISSUES
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => (issue_id(), 0u8..6, proptest::option::of(0u8..6), proptest::option::of(1i64..=2))
            .prop_map(|(issue, state, estimate, milestone)| Event::Store { issue, state, estimate, milestone }),
        4 => (issue_id(), issue_id()).prop_map(|(p, c)| Event::Link(p, c)),
        1 => (issue_id(), issue_id()).prop_map(|(p, c)| Event::Unlink(p, c)),
        1 => (issue_id(), proptest::collection::vec(issue_id(), 0..4)).prop_map(|(p, c)| Event::Replace(p, c)),
        1 => (issue_id(), proptest::option::of(0u8..6)).prop_map(|(i, e)| Event::Planned(i, e)),
        1 => (issue_id(), 0u8..6).prop_map(|(i, s)| Event::ApiStatus(i, s)),
        1 => issue_id().prop_map(Event::Delete),
        1 => (1i64..=2).prop_map(Event::DeleteMilestone),
    ]
}

const STATES: [Status; 6] = [
    Status::Planning,
    Status::InProgress,
    Status::Review,
    Status::Blocked,
    Status::Done,
    Status::Cancelled,
];

fn issue(id: i64, state: u8, estimate: Option<u8>, milestone: Option<i64>, t: usize) -> Issue {
    let status = STATES[state as usize];
    let mut labels = vec![];
    if !status.is_closed() {
        labels
            .push(json!({"id": 100 + state as i64, "name": format!("status:{}", status.as_str())}));
    }
    if let Some(e) = estimate {
        labels.push(json!({"id": 200 + e as i64, "name": format!("estimate:{e}")}));
    }
    let (state, reason) = match status {
        Status::Done => ("closed", Some("completed")),
        Status::Cancelled => ("closed", Some("not_planned")),
        _ => ("open", None),
    };
    serde_json::from_value(json!({
        "id": id, "number": id, "title": format!("issue {id}"), "state": state, "state_reason": reason,
        "labels": labels,
        "milestone": milestone.map(|m| json!({"id": m, "number": m, "title": format!("m{m}"), "state": "open"})),
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": format!("2026-01-01T00:{:02}:{:02}Z", t / 60, t % 60),
    }))
    .expect("an issue")
}

/// The links as the test sees them, to keep the tree a tree (GitHub refuses cycles).
#[derive(Default)]
struct Model {
    parent: HashMap<i64, i64>,
    deleted: HashSet<i64>,
}

impl Model {
    fn ancestor_or_self(&self, a: i64, of: i64) -> bool {
        let mut at = Some(of);
        let mut steps = 0;
        while let Some(x) = at {
            if x == a || steps > 64 {
                return true;
            }
            at = self.parent.get(&x).copied();
            steps += 1;
        }
        false
    }
}

async fn apply(store: &Store, model: &mut Model, e: &Event, t: usize) -> anyhow::Result<()> {
    let mut tx = store.begin_mirror_write().await?;
    let mut seen = Seen::default();
    let mut m = tx.mirror();
    match e {
        Event::Store {
            issue: id,
            state,
            estimate,
            milestone,
        } => {
            m.issues(
                &mut seen,
                REPO,
                &[issue(*id, *state, *estimate, *milestone, t)],
                None,
            )
            .await?;
        }
        Event::Link(p, c) => {
            if p == c || model.ancestor_or_self(*c, *p) {
                return Ok(());
            }
            m.link_sub_issue(*p, *c).await?;
            if !model.deleted.contains(p) && !model.deleted.contains(c) {
                model.parent.insert(*c, *p);
            }
        }
        Event::Unlink(p, c) => {
            m.unlink_sub_issue(*p, *c).await?;
            if model.parent.get(c) == Some(p) {
                model.parent.remove(c);
            }
        }
        Event::Replace(p, children) => {
            let mut kids: Vec<i64> = children.clone();
            kids.sort_unstable();
            kids.dedup();
            // Every child must be able to hang under p.
            if kids
                .iter()
                .any(|c| c == p || model.ancestor_or_self(*c, *p))
            {
                return Ok(());
            }
            m.set_sub_issues(*p, &kids).await?;
            model.parent.retain(|_, parent| parent != p);
            for c in kids {
                if !model.deleted.contains(p) && !model.deleted.contains(&c) {
                    model.parent.insert(c, *p);
                }
            }
        }
        Event::Planned(i, e) => m.set_planned_estimate(*i, e.map(f64::from)).await?,
        Event::ApiStatus(i, s) => {
            m.append_status_change(*i, STATES[*s as usize], "2026-01-02T00:00:00Z")
                .await?;
        }
        Event::Delete(i) => {
            m.remove_issue(*i, "deleted").await?;
            model.deleted.insert(*i);
            model.parent.remove(i);
            model.parent.retain(|_, p| p != i);
        }
        Event::DeleteMilestone(id) => m.remove_milestone(*id).await?,
    }
    tx.commit().await?;
    Ok(())
}

async fn fresh_store() -> Store {
    fresh_store_with(false).await
}

/// A store whose repository parents become done with their children when `done_when`.
async fn fresh_store_with(done_when: bool) -> Store {
    let path = std::env::temp_dir().join(format!("ghgov-rollup-{}.db", uuid::Uuid::new_v4()));
    prepared(&format!("sqlite://{}", path.display()), done_when).await
}

/// A PostgreSQL database of its own on `GHGOV_TEST_POSTGRES_URL`'s server: its store and
/// its name (dropped by [`drop_database`]).
async fn fresh_postgres(server: &str, done_when: bool) -> (Store, String) {
    let name = format!("ghgov_rollup_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect(server).await.expect("the PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
    admin.pool.close().await;
    let (base, _) = server.rsplit_once('/').expect("a database URL");
    (prepared(&format!("{base}/{name}"), done_when).await, name)
}

/// Drops a test database; `WITH (FORCE)` ends a session a clone of the store may still hold.
async fn drop_database(server: &str, store: Store, name: &str) {
    store.pool.close().await;
    let admin = Store::connect(server).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await
        .unwrap();
    admin.pool.close().await;
}

async fn prepared(url: &str, done_when: bool) -> Store {
    let store = Store::open(url).await.expect("a store");
    let repo: Repository = serde_json::from_value(json!({
        "id": REPO, "name": "r", "full_name": "o/r", "owner": {"id": 1, "login": "o"}, "private": false, "open_issues_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.mirror().repository(&repo).await.unwrap();
    tx.commit().await.unwrap();
    if done_when {
        let config = json!({"organization": "o", "repository": "r",
            "tracking": {"rollup": {"parent_done_when_children_done": true}}});
        store.save_config("o/r", &config, "test").await.unwrap();
    }
    store
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn incremental_rollups_equal_a_full_recomputation(
        done_when in any::<bool>(),
        events in proptest::collection::vec(event(), 1..40),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = fresh_store_with(done_when).await;
            let mut model = Model::default();
            for (t, e) in events.iter().enumerate() {
                apply(&store, &mut model, e, t + 1).await.unwrap();
                if let Err(diff) = store.rollups_consistent().await.unwrap() {
                    panic!("after event {t} ({e:?}) of {events:?}:\n{diff}");
                }
            }
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The same on PostgreSQL (skipped, said loudly, without GHGOV_TEST_POSTGRES_URL).
    #[test]
    fn incremental_rollups_equal_a_full_recomputation_on_postgres(
        done_when in any::<bool>(),
        events in proptest::collection::vec(event(), 1..40),
    ) {
        let Ok(server) = std::env::var("GHGOV_TEST_POSTGRES_URL") else {
            eprintln!("SKIPPED on PostgreSQL: GHGOV_TEST_POSTGRES_URL is not set");
            return Ok(());
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (store, name) = fresh_postgres(&server, done_when).await;
            let mut model = Model::default();
            let mut failure = None;
            for (t, e) in events.iter().enumerate() {
                apply(&store, &mut model, e, t + 1).await.unwrap();
                if let Err(diff) = store.rollups_consistent().await.unwrap() {
                    failure = Some(format!("after event {t} ({e:?}) of {events:?}:\n{diff}"));
                    break;
                }
            }
            drop_database(&server, store, &name).await;
            if let Some(f) = failure {
                panic!("{f}");
            }
        });
    }
}

#[tokio::test]
async fn an_upgraded_database_fills_its_rollups_once() {
    let store = fresh_store().await;
    let mut model = Model::default();
    for (t, e) in [
        Event::Store {
            issue: 1,
            state: 0,
            estimate: None,
            milestone: Some(1),
        },
        Event::Store {
            issue: 2,
            state: 4,
            estimate: Some(3),
            milestone: Some(1),
        },
        Event::Store {
            issue: 3,
            state: 3,
            estimate: None,
            milestone: None,
        },
        Event::Link(1, 2),
        Event::Link(1, 3),
    ]
    .iter()
    .enumerate()
    {
        apply(&store, &mut model, e, t + 1).await.unwrap();
    }
    let before = store.rollup_of(1).await.unwrap().unwrap();
    assert_eq!((before.progress, before.at_risk), (0.75, 1));
    // As if the rows were never written (a database from before 0008) with the mark set.
    sqlx::query("DELETE FROM issue_rollups")
        .execute(&store.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM milestone_rollups")
        .execute(&store.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO rollup_rebuild (pending) VALUES (1)")
        .execute(&store.pool)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.rollup_of(1).await.unwrap(), Some(before));
    store.rollups_consistent().await.unwrap().unwrap();
    let m = store.milestone_rollup(1).await.unwrap().unwrap();
    assert_eq!((m.open, m.closed, m.progress), (1, 1, 0.75));
}

#[tokio::test]
async fn a_configured_repository_derives_done_parents() {
    let store = fresh_store_with(true).await;
    assert!(store
        .workflow(REPO)
        .await
        .unwrap()
        .parent_done_when_children_done());
    let mut model = Model::default();
    for (t, e) in [
        Event::Store {
            issue: 1,
            state: 1,
            estimate: None,
            milestone: None,
        },
        Event::Store {
            issue: 2,
            state: 4,
            estimate: None,
            milestone: None,
        },
        Event::Link(1, 2),
    ]
    .iter()
    .enumerate()
    {
        apply(&store, &mut model, e, t + 1).await.unwrap();
    }
    assert_eq!(
        store.rollup_of(1).await.unwrap().unwrap().derived_status,
        "done"
    );
    store.rollups_consistent().await.unwrap().unwrap();
    let name = crate::RepoName::parse("o/r").unwrap();
    let moves: Vec<(i64, String, String)> = store
        .derived_status_differences(&name, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.issue_id, r.status, r.derived_status))
        .collect();
    assert_eq!(moves, [(1, "in_progress".to_string(), "done".to_string())]);
}
