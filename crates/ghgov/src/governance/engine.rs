//! The steps every entry point (command line, REST API) shares: check the documents,
//! refresh the mirror, generate the desired state, diff it into a plan and store the plan.

use super::config::GovernanceConfig;
use super::current;
use super::desired::{epic_key, feature_key, task_key, DesiredState};
use super::generate::{generate, Context};
use super::plan::{diff, Plan};
use super::problems::Report;
use super::spec::ProjectSpec;
use super::validate::{validate, Validated};
use crate::github::GitHub;
use crate::mirror::sync::{SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::store::governance::{NewPlan, PlanRow};
use crate::store::Store;
use anyhow::{anyhow, Context as _};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;

/// The two input documents, parsed but not yet checked.
#[derive(Debug, Clone)]
pub struct Documents {
    pub spec: Value,
    pub config: Value,
}

/// Both documents checked; the typed forms are there when there is no error.
pub struct Checked {
    pub report: Report,
    pub spec: ProjectSpec,
    pub config: GovernanceConfig,
}

/// Validates both documents. `Err` carries the report when it has errors (after
/// `strict` turned warnings into errors).
pub fn check(docs: &Documents, strict: bool) -> Result<Checked, Report> {
    let Validated {
        report,
        spec,
        config,
    } = validate(&docs.spec, &docs.config);
    let report = report.strict(strict);
    match (report.ok(), spec, config) {
        (true, Some(spec), Some(config)) => Ok(Checked {
            report,
            spec,
            config,
        }),
        _ => Err(report),
    }
}

/// The repository a specification is for, checked against `--repo` when given.
pub fn repository_of(spec: &ProjectSpec, expected: Option<&str>) -> anyhow::Result<RepoName> {
    let repo = RepoName::parse(&format!("{}/{}", spec.organization, spec.repository))?;
    if let Some(e) = expected {
        let e = RepoName::parse(e)?;
        if !e.full().eq_ignore_ascii_case(&repo.full()) {
            return Err(anyhow!(
                "the specification is for {repo} but --repo says {e}; fix the specification's organization/repository or the flag"
            ));
        }
    }
    Ok(repo)
}

/// Keys of every issue the specification describes.
pub fn spec_keys(spec: &ProjectSpec) -> HashSet<String> {
    let mut keys = HashSet::new();
    for e in &spec.project_scope.epic_definitions {
        keys.insert(epic_key(&e.epic_key));
        for f in &e.feature_breakdown {
            keys.insert(feature_key(&f.feature_key));
            for t in &f.task_breakdown {
                keys.insert(task_key(&f.feature_key, &t.to_def().task_key));
            }
        }
    }
    keys
}

/// A fingerprint of a document (kept with the plan).
pub fn digest(v: &Value) -> String {
    hex::encode(&Sha256::digest(v.to_string().as_bytes())[..16])
}

/// The organization's enabled issue type names; none for a user's repository.
pub async fn issue_types(gh: &GitHub, org: &str) -> anyhow::Result<Vec<String>> {
    Ok(gh
        .org_issue_types(org)
        .await?
        .into_iter()
        .filter(|t| t.is_enabled != Some(false))
        .map(|t| t.name)
        .collect())
}

/// Computes plans. Its GitHub client is read-only: planning cannot write.
pub struct Planner {
    pub store: Store,
    pub gh: Arc<GitHub>,
    /// Bring the mirror up to date (an incremental sync) before diffing.
    pub refresh: bool,
    pub today: chrono::NaiveDate,
}

impl Planner {
    pub fn new(store: Store, gh: &GitHub) -> Planner {
        Planner {
            store,
            gh: Arc::new(gh.read_only()),
            refresh: true,
            today: chrono::Utc::now().date_naive(),
        }
    }

    pub async fn plan(
        &self,
        spec: &ProjectSpec,
        config: &GovernanceConfig,
        force: bool,
    ) -> anyhow::Result<(Plan, DesiredState)> {
        let repo = repository_of(spec, None)?;
        if self.refresh {
            Syncer::new(self.store.clone(), self.gh.clone())
                .sync(&repo, SyncKind::Incremental)
                .await
                .with_context(|| format!("refreshing the mirror of {repo} before planning"))?;
        }
        let types = issue_types(&self.gh, &repo.owner).await?;
        self.plan_offline(spec, config, force, types).await
    }

    /// The plan against the mirror as it is, with the issue types given (benchmarks and
    /// tests use it directly).
    pub async fn plan_offline(
        &self,
        spec: &ProjectSpec,
        config: &GovernanceConfig,
        force: bool,
        issue_types: Vec<String>,
    ) -> anyhow::Result<(Plan, DesiredState)> {
        let repo = repository_of(spec, None)?;
        let agents: Vec<(String, Option<String>)> = config
            .agent_service_mappings
            .iter()
            .map(|(name, m)| (name.clone(), m.github_login.clone()))
            .collect();
        let labels: Vec<String> = agents.iter().map(|(n, _)| n.clone()).collect();
        let logins: Vec<String> = agents.iter().filter_map(|(_, l)| l.clone()).collect();
        let current = current::read(&self.store, &repo.full(), &labels, &logins).await?;
        let keys = spec_keys(spec);
        let own: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let ctx = Context {
            issue_types,
            agent_load: current.agent_load(&agents, &own),
            today: self.today,
        };
        let desired = generate(spec, config, &ctx);
        let mut plan = diff(&desired, &current, config, force)?;
        plan.generation_metadata = spec.generation_metadata.clone();
        // A specification its generator flagged for review waits for a person, whatever
        // the configuration's workflows say.
        let review = spec
            .generation_metadata
            .as_ref()
            .and_then(|m| m["human_review_required"].as_bool())
            == Some(true);
        if review && !plan.changes.is_empty() {
            plan.needs_approval.push("human_review".into());
        }
        Ok((plan, desired))
    }
}

/// Stores a plan; it waits for approval when the configuration's workflows ask for it.
pub async fn store_plan(
    store: &Store,
    plan: &Plan,
    config_version: Option<i64>,
    spec: &Value,
    actor: &str,
) -> anyhow::Result<PlanRow> {
    store
        .create_plan(NewPlan {
            repository: &plan.repository,
            plan: &serde_json::to_value(plan)?,
            config_version,
            spec_digest: &digest(spec),
            needs_approval: &plan.needs_approval,
            created_by: actor,
            counts: (
                plan.to_add as i64,
                plan.to_change as i64,
                plan.to_destroy as i64,
            ),
        })
        .await
}
