//! Repository names: `OWNER/NAME`, compared as GitHub does, without regard to case.

/// `OWNER/NAME`, validated. Equality and hashing ignore case, as GitHub's names do; `key()`
/// is the form stored in `*_lc` columns.
#[derive(Debug, Clone)]
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

    /// The lower-cased full name, as lookups and `*_lc` columns use it.
    pub fn key(&self) -> String {
        self.full().to_ascii_lowercase()
    }
}

impl PartialEq for RepoName {
    fn eq(&self, other: &Self) -> bool {
        self.owner.eq_ignore_ascii_case(&other.owner) && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl Eq for RepoName {}

impl std::hash::Hash for RepoName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case() {
        let a = RepoName::parse("Acme/Widgets").unwrap();
        let b = RepoName::parse("acme/widgets").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "acme/widgets");
        assert_eq!(a.to_string(), "Acme/Widgets");
        assert!(RepoName::parse("acme").is_err());
    }
}
