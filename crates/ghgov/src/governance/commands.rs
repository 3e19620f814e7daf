//! `ghgov validate | plan | apply | approve | compliance`.

use super::apply::{ApplyProgress, ApplyReport};
use super::blocking_read::read_blocking;
use super::compliance;
use super::config::GovernanceConfig;
use super::document_limits::{DocumentLimitArgs, DocumentLimits};
use super::engine::{self, check, repository_of, Documents};
use super::load::{config_from_value, read_document};
use super::plan::Plan;
use super::workflow::{self, ApplyError, ApplyListener, ApplyOutcome, PlanRequest, Planned};
use crate::cli::{DbArgs, GitHubArgs};
use crate::github::GitHub;
use crate::store::governance::PlanStatus;
use crate::store::Store;
use anyhow::{anyhow, bail};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the documents come from.
#[derive(Args, Clone)]
pub struct DocArgs {
    /// The project specification: YAML, JSON or Markdown.
    #[arg(long, env = "GHGOV_SPEC")]
    pub spec: Option<PathBuf>,
    /// The governance configuration (YAML or JSON). Without it, the newest version stored
    /// for the repository (PUT /api/v1/governance/config/{org}/{repo}) is used; with it, the
    /// file is stored as a new version when it differs.
    #[arg(long, env = "GHGOV_CONFIG")]
    pub config: Option<PathBuf>,
    /// The repository, OWNER/NAME; must match the specification's organization/repository.
    #[arg(long, env = "GHGOV_REPO")]
    pub repo: Option<String>,
    /// Treat warnings (such as empty required documentation) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Who is acting (recorded in plans, approvals and the audit log).
    #[arg(long, env = "GHGOV_ACTOR", default_value_t = default_actor())]
    pub actor: String,
    #[command(flatten)]
    pub limits: DocumentLimitArgs,
}

fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "local".into());
    format!("cli:{user}")
}

#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Print the problems as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Allow a plan that removes more than 25% of an authoritative kind.
    #[arg(long)]
    pub force: bool,
    /// Diff against the mirror as it is, without syncing the repository first.
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Apply a stored plan (from `ghgov plan` or POST /api/v1/governance/generate)
    /// instead of planning afresh; also resumes an interrupted apply.
    #[arg(long, value_name = "ID")]
    pub plan: Option<i64>,
    /// Skip the interactive confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow a plan that removes more than 25% of an authoritative kind.
    #[arg(long)]
    pub force: bool,
    /// Minimum milliseconds between writes (GitHub asks for about one a second; its
    /// secondary limits allow 80 a minute and 500 an hour, which ghgov always keeps to).
    #[arg(long, env = "GHGOV_WRITE_INTERVAL_MS", default_value_t = 1000)]
    pub write_interval_ms: u64,
    /// Do not keep writes inside the 80/min and 500/h windows. Only for servers without
    /// secondary limits (a GitHub Enterprise server configured so, `fakehub
    /// --secondary-limits off`); `retry-after` answers are still honoured.
    #[arg(long)]
    pub no_secondary_limits: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct ApproveArgs {
    /// The plan's id.
    pub id: i64,
    /// Who approves; must differ from the plan's creator.
    #[arg(long, env = "GHGOV_ACTOR", default_value_t = default_actor())]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args)]
pub struct ComplianceArgs {
    /// The repository, OWNER/NAME.
    #[arg(long, env = "GHGOV_REPO")]
    pub repo: String,
    /// The governance configuration; default: the newest stored version.
    #[arg(long, env = "GHGOV_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check the mirror as it is, without syncing first (also when no token is given).
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub limits: DocumentLimitArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

/// A failed check: the report is printed, the exit status is 1.
#[derive(Debug, thiserror::Error)]
#[error("{errors} error(s) in the specification or configuration; nothing was planned or written")]
pub struct Invalid {
    pub errors: usize,
}

/// Reads a document file off the async runtime, within `limits`.
async fn read_file(
    path: &Path,
    what: &'static str,
    limits: DocumentLimits,
) -> anyhow::Result<serde_json::Value> {
    let label = format!("{what} file {}", path.display());
    let path = path.to_path_buf();
    read_blocking(&limits, &label, move || read_document(&path, what, &limits)).await
}

/// Reads the specification and the configuration (file, else the newest stored version).
/// The stored configuration version is returned when the configuration came from the
/// store, `None` when it came from a file.
async fn documents(
    docs: &DocArgs,
    store: Option<&Store>,
) -> anyhow::Result<(Documents, Option<i64>)> {
    let spec_path = docs
        .spec
        .as_ref()
        .ok_or_else(|| anyhow!("--spec FILE is required: the project specification (YAML, JSON or Markdown; see examples/project-spec.yml)"))?;
    let limits = docs.limits.limits();
    let spec = read_file(spec_path, "specification", limits).await?;
    let (config, stored_version) = match &docs.config {
        Some(p) => (read_file(p, "configuration", limits).await?, None),
        None => {
            let repo = docs.repo.clone().or_else(|| {
                Some(format!(
                    "{}/{}",
                    spec["organization"].as_str()?,
                    spec["repository"].as_str()?
                ))
            });
            let stored = match (store, &repo) {
                (Some(s), Some(r)) => s.latest_config(r).await?,
                _ => None,
            };
            let stored = stored.ok_or_else(|| {
                anyhow!(
                    "no governance configuration for {}: pass --config FILE (see examples/governance.yml) or store one with PUT /api/v1/governance/config/OWNER/NAME",
                    repo.unwrap_or_else(|| "this repository".into())
                )
            })?;
            (stored.config, Some(stored.version))
        }
    };
    Ok((Documents { spec, config }, stored_version))
}

fn print_report(report: &super::problems::Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        eprint!("{}", report.render());
    }
}

pub async fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    // The database is only consulted for a stored configuration.
    let store = match args.docs.config {
        None => Some(Store::open(&args.db.db).await?),
        Some(_) => None,
    };
    let (docs, _) = documents(&args.docs, store.as_ref()).await?;
    match check(&docs, args.docs.strict) {
        Ok(checked) => {
            repository_of(&checked.spec, args.docs.repo.as_deref())?;
            if args.json {
                print_report(&checked.report, true);
            } else {
                print!("{}", checked.report.render());
                let issues = engine::spec_keys(&checked.spec).len();
                println!(
                    "The specification is valid: {} epics, {issues} issues for {}/{}.",
                    checked.spec.project_scope.epic_definitions.len(),
                    checked.spec.organization,
                    checked.spec.repository
                );
            }
            Ok(())
        }
        Err(report) => {
            print_report(&report, args.json);
            Err(Invalid {
                errors: report.errors(),
            }
            .into())
        }
    }
}

/// Checks the documents, then plans and stores the plan through the workflow.
async fn plan_and_store(
    docs: &DocArgs,
    store: &Store,
    gh: &GitHub,
    force: bool,
    refresh: bool,
    json: bool,
) -> anyhow::Result<(crate::store::governance::PlanRow, Plan)> {
    let (documents, stored_config_version) = documents(docs, Some(store)).await?;
    let checked = match check(&documents, docs.strict) {
        Ok(c) => c,
        Err(report) => {
            print_report(&report, json);
            return Err(Invalid {
                errors: report.errors(),
            }
            .into());
        }
    };
    repository_of(&checked.spec, docs.repo.as_deref())?;
    let started = std::time::Instant::now();
    let Planned { row, plan, desired } = workflow::plan(
        store,
        gh,
        PlanRequest {
            documents: &documents,
            checked: &checked,
            stored_config_version,
            force,
            refresh,
            actor: &docs.actor,
        },
    )
    .await?;
    eprintln!(
        "plan computed in {} ms ({} issues, {} labels, {} milestones, {} links desired{})",
        started.elapsed().as_millis(),
        desired.issues.len(),
        desired.labels.len(),
        desired.milestones.len(),
        desired.sub_issues.len() + desired.dependencies.len(),
        if refresh {
            ", mirror refreshed first"
        } else {
            ""
        }
    );
    Ok((row, plan))
}

fn github(
    args: &GitHubArgs,
    store: &Store,
    write_interval: Option<Duration>,
) -> anyhow::Result<GitHub> {
    let mut config = args.config()?;
    if let Some(w) = write_interval {
        config.write_interval = w;
    }
    GitHub::new(config, Some(store.clone()))
}

pub async fn plan(args: PlanArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let gh = github(&args.github, &store, None)?;
    let (row, plan) = plan_and_store(
        &args.docs,
        &store,
        &gh,
        args.force,
        !args.no_refresh,
        args.json,
    )
    .await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": row.id, "status": row.status, "plan": plan
            }))?
        );
        return Ok(());
    }
    println!(
        "Saved as plan {} ({}). Apply it with `ghgov apply --plan {}`{}.\n",
        row.id,
        row.status.as_str(),
        row.id,
        if row.status == PlanStatus::PendingApproval {
            format!(" once another principal has run `ghgov approve {}`", row.id)
        } else {
            String::new()
        }
    );
    print!("{}", plan.render());
    Ok(())
}

/// A person at the command line: sees the plan, answers the prompt, watches progress
/// (on a terminal a bar with an ETA, elsewhere a line every tenth of the way).
struct Terminal {
    /// Whether the plan still has to be shown (`ghgov apply --plan ID`).
    show_plan: bool,
    auto_approve: bool,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    last_tenth: std::sync::atomic::AtomicUsize,
}

impl Terminal {
    fn new(show_plan: bool, auto_approve: bool) -> Terminal {
        Terminal {
            show_plan,
            auto_approve,
            bar: std::sync::OnceLock::new(),
            last_tenth: Default::default(),
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

impl ApplyListener for Terminal {
    fn reviewing(&self, plan: &Plan) {
        if self.show_plan {
            print!("{}", plan.render());
        }
    }

    fn confirm(&self, plan: &Plan) -> anyhow::Result<()> {
        confirm(self.auto_approve)?;
        // The bar starts once the writes do, so it never draws over the prompt.
        if std::io::stderr().is_terminal() {
            let b = indicatif::ProgressBar::new(plan.changes.len() as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "applying {bar:30} {pos}/{len} · {msg} · ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let _ = self.bar.set(b);
        }
        Ok(())
    }
}

impl ApplyProgress for Terminal {
    fn step(&self, done: usize, total: usize, what: &str) {
        match self.bar.get() {
            Some(b) => {
                b.set_position(done as u64);
                b.set_message(what.to_string());
            }
            None => {
                let tenth = done * 10 / total.max(1);
                let before = self
                    .last_tenth
                    .swap(tenth, std::sync::atomic::Ordering::Relaxed);
                if tenth != before {
                    eprintln!("applied {done}/{total} ({what})");
                }
            }
        }
    }
}

fn confirm(auto_approve: bool) -> anyhow::Result<()> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to apply without confirmation: run it in a terminal to answer the prompt, or pass --auto-approve");
    }
    print!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("apply cancelled: nothing was written");
    }
    Ok(())
}

/// The workflow's refusals, worded with the commands that resolve them.
fn explain(e: ApplyError) -> anyhow::Error {
    match e {
        ApplyError::NotFound(id) => anyhow!("there is no plan {id}; `ghgov plan` creates one"),
        e @ ApplyError::Stale { .. } => {
            anyhow!("{e}. Run `ghgov plan` (or `ghgov apply --spec …`) again")
        }
        ApplyError::NeedsApproval {
            id,
            needs,
            created_by,
        } => anyhow!(
            "plan {id} needs approval ({}) by a principal other than {created_by}: run `ghgov approve {id}` as them (or POST /api/v1/governance/plans/{id}/approve), then `ghgov apply --plan {id}`",
            needs.join(", ")
        ),
        ApplyError::Stopped { id, source } => {
            source.context(format!("plan {id} stopped; `ghgov apply --plan {id}` resumes it"))
        }
        ApplyError::Declined(e) | ApplyError::Other(e) => e,
    }
}

pub async fn apply(args: ApplyArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let mut gh_config = args.github.config()?;
    gh_config.write_interval = Duration::from_millis(args.write_interval_ms);
    if args.no_secondary_limits {
        gh_config.write_limits = crate::github::WriteLimits::NONE;
    }
    let gh = GitHub::new(gh_config, Some(store.clone()))?;
    let id = match args.plan {
        Some(id) => id,
        None => {
            let (row, plan) =
                plan_and_store(&args.docs, &store, &gh, args.force, true, false).await?;
            println!("Saved as plan {} ({}).\n", row.id, row.status.as_str());
            print!("{}", plan.render());
            row.id
        }
    };
    let terminal = Terminal::new(args.plan.is_some(), args.auto_approve);
    let outcome = workflow::apply(&store, &gh, id, &args.docs.actor, &terminal).await;
    terminal.finish();
    let report = match outcome.map_err(explain)? {
        ApplyOutcome::AlreadyApplied => {
            println!("Plan {id} was applied already.");
            println!("{}", ApplyReport::default().summary_line());
            return Ok(());
        }
        ApplyOutcome::Applied(report) => report,
    };
    println!(
        "\n{} writes sent{}.",
        report.writes,
        if report.resumed > 0 {
            format!(", {} steps finished by an earlier run", report.resumed)
        } else {
            String::new()
        }
    );
    println!("{}", report.summary_line());
    Ok(())
}

pub async fn approve(args: ApproveArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let row = workflow::approve(&store, args.id, &args.actor).await?;
    println!(
        "Plan {} approved by {} ({}). Apply it with `ghgov apply --plan {}`.",
        row.id,
        args.actor,
        row.needs_approval.join(", "),
        row.id
    );
    Ok(())
}

pub async fn compliance(args: ComplianceArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let repo = crate::mirror::RepoName::parse(&args.repo)?;
    let config: GovernanceConfig = match &args.config {
        Some(p) => config_from_value(&read_file(p, "configuration", args.limits.limits()).await?)?,
        None => {
            let stored = store.latest_config(&repo.full()).await?.ok_or_else(|| {
                anyhow!("no governance configuration stored for {repo}: pass --config FILE")
            })?;
            config_from_value(&stored.config)?
        }
    };
    if !args.no_refresh && args.github.has_token() {
        let gh = std::sync::Arc::new(github(&args.github, &store, None)?.read_only());
        crate::mirror::sync::Syncer::new(store.clone(), gh)
            .sync(&repo, crate::mirror::sync::SyncKind::Incremental)
            .await?;
    }
    let report = compliance::report(&store, &repo.full(), &config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}
