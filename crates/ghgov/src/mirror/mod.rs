//! The mirror: facts from webhooks (receiver → deliveries → processor) and from polling
//! (sync, reconcile) all pass through the projector into the mirror tables.

pub mod events;
pub mod processor;
pub mod projector;
pub mod receiver;
pub mod reconciler;
pub mod scope;
pub mod sync;

/// `OWNER/NAME`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn parse(s: &str) -> anyhow::Result<RepoName> {
        let (owner, name) = s
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "'{s}' is not a repository: write it OWNER/NAME, for example acme/widgets"
                )
            })?;
        Ok(RepoName {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}
