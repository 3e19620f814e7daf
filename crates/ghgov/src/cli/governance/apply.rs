//! `ghgov apply`: the person at the terminal (the plan shown, the prompt, the progress)
//! around [`workflow::apply`], and its refusals worded with the commands that resolve them.

use super::args::ApplyArgs;
use super::plan::plan_and_store;
use crate::github::GitHub;
use crate::governance::apply::{ApplyProgress, ApplyReport};
use crate::governance::plan::Plan;
use crate::governance::workflow::{self, ApplyError, ApplyListener, ApplyOutcome};
use crate::store::Store;
use anyhow::{anyhow, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

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
