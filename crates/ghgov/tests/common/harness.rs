//! The one way into an integration scenario, in the spirit of bors' `run_test`: GitHub's
//! state first (fakehub, from a seed), then a store on the trial's backend, then ghgov
//! serving against both when the scenario asks for it. A scenario changes GitHub's state
//! (or sends webhooks) and asserts what ghgov derived from it; `finish` checks that the
//! server lived through the scenario and tears everything down.

use super::*;
use fakehub::{Generate, SeedRepo};

type ServeWith = Box<dyn FnOnce(ServeOptions) -> ServeOptions + Send>;

/// What a scenario starts from.
pub struct TestWorld {
    hub: fakehub::Options,
    serve: Option<ServeWith>,
}

impl TestWorld {
    /// fakehub holding `seed` (see [`seed`] for generated repositories).
    pub fn seeded(seed: SeedDoc) -> TestWorld {
        TestWorld {
            hub: hub_options(seed),
            serve: None,
        }
    }

    /// fakehub's settings (tokens, limits) changed by `change`.
    pub fn hub_settings(mut self, change: impl FnOnce(&mut Settings)) -> TestWorld {
        change(&mut self.hub.settings);
        self
    }

    /// fakehub with acme/widgets and nothing in it.
    pub fn empty() -> TestWorld {
        Self::seeded(seed(0, 0, 0, 0, 0))
    }

    /// fakehub with each repository named, five issues and two labels each.
    pub fn repos(names: &[&str]) -> TestWorld {
        let repos = names
            .iter()
            .enumerate()
            .map(|(k, name)| SeedRepo {
                full_name: name.to_string(),
                generate: Some(Generate {
                    issues: 5,
                    comments: 0,
                    labels: 2,
                    milestones: 0,
                    pulls: 0,
                    seed: 3 + k as u64,
                }),
                ..Default::default()
            })
            .collect();
        Self::seeded(SeedDoc {
            repos,
            ..Default::default()
        })
    }

    /// ghgov serves too, with [`serve_options`]: acme/widgets mirrored, two webhook secrets,
    /// quick retries, no reconciler.
    pub fn serving(self) -> TestWorld {
        self.serving_with(|options| options)
    }

    /// ghgov serves too, with [`serve_options`] changed by `change`.
    pub fn serving_with(
        self,
        change: impl FnOnce(ServeOptions) -> ServeOptions + Send + 'static,
    ) -> TestWorld {
        TestWorld {
            serve: Some(Box::new(change)),
            ..self
        }
    }

    /// Starts the world on the database at `db` (a scenario's, from `suite!`).
    pub async fn start(self, db: &str) -> Tester {
        let fh = Arc::new(FakeHub::start(self.hub).await.expect("fakehub starts"));
        let store = Store::open(db).await.unwrap();
        let server = match self.serve {
            Some(change) => Some(
                server::start(change(serve_options(db, &fh)))
                    .await
                    .expect("ghgov starts"),
            ),
            None => None,
        };
        Tester {
            db: db.to_string(),
            fh,
            store,
            server,
            own_db: None,
        }
    }

    /// Starts the world on a SQLite database of its own (for tests outside `suite!`'s
    /// two-backend scenarios); `finish` deletes it.
    pub async fn start_on_sqlite(self) -> Tester {
        let db = TestDb::sqlite().await;
        let mut t = self.start(&db.url).await;
        t.own_db = Some(db);
        t
    }
}

/// A running scenario: fakehub, the store, and ghgov when it serves.
pub struct Tester {
    /// The store's URL, for what opens its own connection (the command line, a restart).
    pub db: String,
    /// Shared, so a scenario can hold it while it starts or stops ghgov.
    pub fh: Arc<FakeHub>,
    pub store: Store,
    server: Option<Running>,
    own_db: Option<TestDb>,
}

impl Tester {
    /// Plans the repository's example documents (`examples/project-spec.yml` with
    /// `examples/governance.yml`) against GitHub, stores the plan as `actor`'s and applies
    /// it: the plan, its stored id and its repository.
    pub async fn apply_example(
        &self,
        actor: &str,
    ) -> (ghgov::governance::plan::Plan, i64, RepoName) {
        use ghgov::governance::engine::{self, check, Documents, Planner};
        use ghgov::governance::load::read_document;
        let example = |name: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples")
                .join(name);
            read_document(&path, name, &Default::default()).unwrap()
        };
        let docs = Documents {
            spec: example("project-spec.yml"),
            config: example("governance.yml"),
        };
        let checked = check(&docs, false).unwrap_or_else(|r| panic!("{}", r.render()));
        let gh = self.github();
        let (plan, _) = Planner::new(self.store.clone(), &gh)
            .plan(&checked.spec, &checked.config, false)
            .await
            .unwrap();
        let row = engine::store_plan(&self.store, &plan, None, &serde_json::json!({}), actor)
            .await
            .unwrap();
        let repo = RepoName::parse(&plan.repository).unwrap();
        ghgov::governance::apply::Applier::new(&self.store, &gh, &repo, actor)
            .apply(row.id, &plan)
            .await
            .unwrap();
        (plan, row.id, repo)
    }

    /// The serving ghgov.
    pub fn ghgov(&self) -> &Running {
        self.server
            .as_ref()
            .expect("this scenario's world was not started with `serving()`")
    }

    /// Takes the server out of the world, for scenarios that stop or restart it themselves.
    pub fn take_ghgov(&mut self) -> Running {
        self.server
            .take()
            .expect("this scenario's world has no server (left) to take")
    }

    /// Starts ghgov (again) on this world's store and fakehub with `change`d options.
    pub async fn serve_with(
        &mut self,
        change: impl FnOnce(ServeOptions) -> ServeOptions,
    ) -> &Running {
        assert!(self.server.is_none(), "ghgov is already serving");
        let running = server::start(change(serve_options(&self.db, &self.fh)))
            .await
            .expect("ghgov starts");
        self.server.insert(running)
    }

    /// A ghgov the scenario owns (a second server, or one it stops and restarts) on this
    /// world's store and fakehub, with `change`d options; the scenario shuts it down.
    pub async fn start_ghgov(&self, change: impl FnOnce(ServeOptions) -> ServeOptions) -> Running {
        server::start(change(serve_options(&self.db, &self.fh)))
            .await
            .expect("ghgov starts")
    }

    /// A GitHub client for fakehub with the test token and quick retries, keeping its ETags
    /// in this world's store.
    pub fn github(&self) -> GitHub {
        GitHub::new(gh_config(&self.fh), Some(self.store.clone())).unwrap()
    }

    /// A syncer over this world's store and fakehub.
    pub fn syncer(&self) -> Syncer {
        Syncer::new(self.store.clone(), Arc::new(self.github()))
    }

    /// Ends the scenario: the server must still be running (a server task that died during
    /// the scenario fails it), then everything stops and an own database is deleted.
    pub async fn finish(mut self) {
        if let Some(server) = self.server.take() {
            assert!(
                server.is_running(),
                "ghgov's server stopped during the scenario (its task ended or panicked)"
            );
            server.shutdown().await;
        }
        if let Some(db) = self.own_db.take() {
            db.drop().await;
        }
    }
}
