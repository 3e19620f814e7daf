//! Which repositories this server mirrors. The server's GitHub token may read far more than
//! the operator meant to mirror, and a signed webhook may be about any repository the hook
//! sees; both are bounded by the same set: the `--repo` patterns (`OWNER/NAME` or
//! `OWNER/*`) plus the repositories an admin admitted at run time (stored, and audited).

use super::RepoName;
use crate::store::Store;

/// One `--repo` value: a repository, or every repository of an owner (`OWNER/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoPattern {
    One(RepoName),
    Owner(String),
}

impl RepoPattern {
    pub fn parse(s: &str) -> anyhow::Result<RepoPattern> {
        let s = s.trim();
        match s.split_once('/') {
            Some((owner, "*")) if !owner.is_empty() && !owner.contains('*') => {
                Ok(RepoPattern::Owner(owner.to_string()))
            }
            _ if s.contains('*') => anyhow::bail!(
                "'{s}' is not a repository pattern: write OWNER/NAME, or OWNER/* for every repository of an owner"
            ),
            _ => Ok(RepoPattern::One(RepoName::parse(s)?)),
        }
    }

    /// GitHub's names are case-insensitive, so the match is too.
    pub fn matches(&self, full_name: &str) -> bool {
        let Some((owner, name)) = full_name.split_once('/') else {
            return false;
        };
        match self {
            RepoPattern::One(r) => {
                r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name)
            }
            RepoPattern::Owner(o) => o.eq_ignore_ascii_case(owner) && !name.is_empty(),
        }
    }
}

impl std::fmt::Display for RepoPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoPattern::One(r) => write!(f, "{r}"),
            RepoPattern::Owner(o) => write!(f, "{o}/*"),
        }
    }
}

/// The configured patterns; admissions live in the database so every instance (and a
/// restarted one) sees them.
#[derive(Debug, Clone, Default)]
pub struct RepoScope {
    patterns: Vec<RepoPattern>,
}

impl RepoScope {
    pub fn new(patterns: Vec<RepoPattern>) -> RepoScope {
        RepoScope { patterns }
    }

    pub fn parse_all(values: &[String]) -> anyhow::Result<RepoScope> {
        Ok(RepoScope::new(
            values
                .iter()
                .map(|v| RepoPattern::parse(v))
                .collect::<anyhow::Result<_>>()?,
        ))
    }

    pub fn patterns(&self) -> &[RepoPattern] {
        &self.patterns
    }

    /// The repositories named one by one (the reconciler's fixed list).
    pub fn named(&self) -> Vec<RepoName> {
        self.patterns
            .iter()
            .filter_map(|p| match p {
                RepoPattern::One(r) => Some(r.clone()),
                RepoPattern::Owner(_) => None,
            })
            .collect()
    }

    /// True when a `--repo` pattern covers `full_name`.
    pub fn configured(&self, full_name: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(full_name))
    }

    /// True when the server mirrors `full_name`: configured, or admitted by an admin.
    pub async fn allows(&self, store: &Store, full_name: &str) -> anyhow::Result<bool> {
        Ok(self.configured(full_name) || store.is_admitted(full_name).await?)
    }

    /// Every repository to reconcile now: the named ones, the admitted ones, and the
    /// mirrored ones an `OWNER/*` pattern covers (they arrived by webhook or sync).
    pub async fn to_reconcile(&self, store: &Store) -> anyhow::Result<Vec<RepoName>> {
        let mut out = self.named();
        let mut candidates = store.admitted_repositories().await?;
        if self
            .patterns
            .iter()
            .any(|p| matches!(p, RepoPattern::Owner(_)))
        {
            candidates.extend(store.mirrored_repository_names().await?);
        }
        for name in candidates {
            if !self.configured(&name) && !store.is_admitted(&name).await? {
                continue;
            }
            if let Ok(r) = RepoName::parse(&name) {
                if !out.iter().any(|o| o.full().eq_ignore_ascii_case(&r.full())) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// What to tell someone whose repository is outside the set.
    pub fn refusal(&self, full_name: &str) -> String {
        let configured = if self.patterns.is_empty() {
            "none".to_string()
        } else {
            self.patterns
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{full_name} is not a repository this server mirrors (configured: {configured}); \
             start ghgov with --repo {full_name}, or admit it with an admin token: \
             POST /api/v1/sync/trigger {{\"repository\": \"{full_name}\", \"admit\": true}}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_and_match_case_insensitively() {
        let one = RepoPattern::parse("Acme/Widgets").unwrap();
        assert!(one.matches("acme/widgets"));
        assert!(!one.matches("acme/widgets2"));
        assert!(!one.matches("other/widgets"));
        let owner = RepoPattern::parse("acme/*").unwrap();
        assert!(owner.matches("ACME/anything"));
        assert!(!owner.matches("acme-evil/anything"));
        assert!(!owner.matches("acme"));
        assert_eq!(owner.to_string(), "acme/*");
    }

    #[test]
    fn bad_patterns_are_refused_with_the_form() {
        for bad in ["*/*", "acme/wid*", "*", "acme", "/x", "a/b/c"] {
            let err = RepoPattern::parse(bad).unwrap_err().to_string();
            assert!(err.contains("OWNER/NAME"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_scope_covers_named_and_owner_patterns_only() {
        let scope = RepoScope::parse_all(&["acme/widgets".into(), "octo/*".into()]).unwrap();
        assert!(scope.configured("acme/widgets"));
        assert!(scope.configured("octo/hello"));
        assert!(!scope.configured("Codertocat/Hello-World"));
        assert_eq!(
            scope.named(),
            vec![RepoName::parse("acme/widgets").unwrap()]
        );
        let msg = scope.refusal("x/y");
        assert!(
            msg.contains("acme/widgets, octo/*") && msg.contains("--repo x/y"),
            "{msg}"
        );
    }

    #[test]
    fn an_empty_scope_admits_nothing() {
        let scope = RepoScope::default();
        assert!(!scope.configured("acme/widgets"));
        assert!(scope.refusal("acme/widgets").contains("configured: none"));
    }
}
