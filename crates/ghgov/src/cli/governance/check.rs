//! `ghgov validate` and `ghgov compliance`: reports on the documents and on the governed
//! issues.

use super::args::{ComplianceArgs, ValidateArgs};
use super::inputs::{documents, github, print_report, read_file, Invalid};
use crate::governance::compliance;
use crate::governance::config::GovernanceConfig;
use crate::governance::engine::{self, check, repository_of};
use crate::governance::load::config_from_value;
use crate::store::Store;
use anyhow::anyhow;

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
