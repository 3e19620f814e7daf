//! Who may do what: declared users and their tokens, organizations and their members,
//! per-repository collaborator roles, classic token scopes, and the one rule book (`can`,
//! `can_org`) that every route kind consults.
//!
//! Without declarations (no user and no organization declared: "open mode") every request
//! acts as an admin of everything, as fakehub always did; `Directory::enforced` says which.

use super::types::{Id, Time, UserKind};
use super::world::World;
use std::collections::{BTreeMap, HashMap};

/// A repository role, from least to most access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "read" | "pull" => Role::Read,
            "triage" => Role::Triage,
            "write" | "push" => Role::Write,
            "maintain" => Role::Maintain,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Triage => "triage",
            Role::Write => "write",
            Role::Maintain => "maintain",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    Member,
    Admin,
}

impl OrgRole {
    pub fn parse(s: &str) -> Option<OrgRole> {
        match s {
            "member" => Some(OrgRole::Member),
            "admin" => Some(OrgRole::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Admin => "admin",
        }
    }
}

/// The scopes a classic token gets when its user declares none.
pub const ALL_SCOPES: &[&str] = &[
    "admin:org",
    "admin:repo_hook",
    "delete_repo",
    "project",
    "repo",
    "user",
    "workflow",
];

/// What a token proves: a user's classic token with its scopes, or a GitHub App
/// installation's token with the installation's permissions (see `apps.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    User {
        login: String,
        /// Classic token scopes, as declared (`ALL_SCOPES` when the seed gives none).
        scopes: Vec<String>,
    },
    Installation(InstallationGrant),
}

/// What an installation token may reach, worked out when the token is presented (so a
/// repository removed from the installation since is out of reach at once).
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationGrant {
    pub app_id: Id,
    pub installation_id: Id,
    /// The app's bot account, `{slug}[bot]`: who the token acts as.
    pub bot: String,
    /// The account the app is installed on.
    pub account: String,
    /// Repository ids the token reaches; `None`: every repository of the account.
    pub repositories: Option<Vec<Id>>,
    /// Permission → `read` | `write` | `admin`, narrowed by the token's request.
    pub permissions: BTreeMap<String, String>,
}

impl InstallationGrant {
    /// Whether repository `repo` (an index) is one the token reaches.
    pub fn covers(&self, w: &World, repo: usize) -> bool {
        let r = &w.repos[repo];
        r.owner.eq_ignore_ascii_case(&self.account)
            && self
                .repositories
                .as_ref()
                .is_none_or(|ids| ids.contains(&r.id))
    }

    /// Whether the grant holds `permission` at `level` (`read` < `write` < `admin`).
    pub fn allows(&self, permission: &str, level: &str) -> bool {
        let rank = |l: &str| match l {
            "read" => 1,
            "write" => 2,
            "admin" => 3,
            _ => 0,
        };
        // Every installation may read its repositories' metadata.
        if permission == "metadata" && level == "read" {
            return true;
        }
        self.permissions
            .get(permission)
            .is_some_and(|have| rank(have) >= rank(level))
    }
}

impl Credential {
    pub fn user(login: &str, scopes: Option<&[String]>) -> Credential {
        Credential::User {
            login: login.to_string(),
            scopes: match scopes {
                Some(s) => s.to_vec(),
                None => ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    pub fn login(&self) -> &str {
        match self {
            Credential::User { login, .. } => login,
            Credential::Installation(g) => &g.bot,
        }
    }

    /// The installation a token belongs to, if it is an installation token.
    pub fn installation(&self) -> Option<&InstallationGrant> {
        match self {
            Credential::Installation(g) => Some(g),
            Credential::User { .. } => None,
        }
    }

    /// The `X-OAuth-Scopes` header value: the token's scopes, comma separated. `None` for
    /// installation tokens, which have permissions instead (GitHub sends no such header).
    pub fn scopes_header(&self) -> Option<String> {
        match self {
            Credential::User { scopes, .. } => Some(scopes.join(", ")),
            Credential::Installation(_) => None,
        }
    }

    /// Whether the token has `scope`, directly or through a broader scope
    /// (`repo` ⊃ `public_repo`, `admin:org` ⊃ `write:org` ⊃ `read:org`, …). Installation
    /// tokens have no scopes.
    pub fn has_scope(&self, scope: &str) -> bool {
        match self {
            Credential::User { scopes, .. } => {
                scopes.iter().any(|s| s == scope || implies(s, scope))
            }
            Credential::Installation(_) => false,
        }
    }
}

fn implies(have: &str, want: &str) -> bool {
    match have {
        "repo" => matches!(
            want,
            "public_repo" | "repo:status" | "repo_deployment" | "repo:invite" | "security_events"
        ),
        "admin:org" => matches!(want, "write:org" | "read:org"),
        "write:org" => want == "read:org",
        "admin:repo_hook" => matches!(want, "write:repo_hook" | "read:repo_hook"),
        "write:repo_hook" => want == "read:repo_hook",
        "project" => want == "read:project",
        "user" => matches!(want, "read:user" | "user:email" | "user:follow"),
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub struct Org {
    pub login: String,
    /// Lower-cased login → (login, role).
    pub members: BTreeMap<String, (String, OrgRole)>,
    pub created_at: Time,
}

/// A declared user's profile (what `/users/{login}` shows beyond the embedded user).
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Option<String>,
    pub created_at: Time,
}

/// Everything about accounts and rights. Lives in `World::access`.
#[derive(Debug, Default)]
pub struct Directory {
    /// Token → credential, for declared users.
    pub tokens: HashMap<String, Credential>,
    /// Lower-cased login → profile, for declared users.
    pub profiles: HashMap<String, Profile>,
    /// Lower-cased login → organization.
    pub orgs: HashMap<String, Org>,
    /// Repository id → lower-cased login → (login, role).
    pub collaborators: HashMap<Id, BTreeMap<String, (String, Role)>>,
}

impl Directory {
    /// Whether rights are checked: some user or organization was declared.
    pub fn enforced(&self) -> bool {
        !self.profiles.is_empty() || !self.orgs.is_empty()
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The actor cannot see the resource: GitHub answers 404.
    NotFound,
    /// 403 with GitHub's message.
    Forbidden(&'static str),
}

pub const NOT_ACCESSIBLE: &str = "Resource not accessible by personal access token";
pub const REPO_ADMIN_REQUIRED: &str = "Must have admin rights to Repository.";
/// What GitHub answers an installation token that lacks a permission.
pub const NOT_ACCESSIBLE_BY_INTEGRATION: &str = "Resource not accessible by integration";

/// What a request needs of a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A role, for issues, labels, milestones, comments and relations.
    Role(Role),
    /// Repository hooks: admin, and a hook scope (`read:repo_hook` to look,
    /// `write:repo_hook` to change) or `repo`.
    Hooks { write: bool },
}

/// What a request needs of an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgNeed {
    /// Membership and `read:org`.
    Member,
    /// An organization admin (owner) and `admin:org`.
    Admin,
    /// Organization hooks: an organization admin, and `admin:org_hook` (or `admin:org`).
    Hooks,
}

impl World {
    /// `login`'s role on repository `repo` (an index), or `None` when it cannot see it.
    pub fn role_of(&self, login: Option<&str>, repo: usize) -> Option<Role> {
        let public = (!self.repos[repo].private).then_some(Role::Read);
        public.max(login.and_then(|l| self.granted_role(l, repo)))
    }

    /// The role `login` was given on repository `repo`, not counting what a public
    /// repository gives everyone: as owner, through the owning organization, or as a
    /// collaborator. GitHub's assignable users are those with such a role.
    pub fn granted_role(&self, login: &str, repo: usize) -> Option<Role> {
        let r = &self.repos[repo];
        let mut best = None;
        let key = login.to_ascii_lowercase();
        let mut grant = |role: Role| best = best.max(Some(role));
        if r.owner.eq_ignore_ascii_case(login) {
            grant(Role::Admin);
        }
        if let Some(org) = self.access.orgs.get(&r.owner.to_ascii_lowercase()) {
            match org.members.get(&key) {
                Some((_, OrgRole::Admin)) => grant(Role::Admin),
                // GitHub's default base permission for members.
                Some((_, OrgRole::Member)) => grant(Role::Read),
                None => {}
            }
        }
        if let Some((_, role)) = self
            .access
            .collaborators
            .get(&r.id)
            .and_then(|c| c.get(&key))
        {
            grant(*role);
        }
        best
    }

    /// The rule book for repositories: may `actor` (None: anonymous) do what `need` asks?
    /// Visibility first (404), then the token's scopes, then the role (403).
    pub fn can(&self, actor: Option<&Credential>, repo: usize, need: Need) -> Result<(), Refusal> {
        if let Some(Credential::Installation(grant)) = actor {
            // Apps are held to their permissions even in open mode: they were declared.
            return self.can_as_installation(grant, repo, need);
        }
        if !self.access.enforced() {
            return Ok(());
        }
        let private = self.repos[repo].private;
        let role = self.role_of(actor.map(Credential::login), repo);
        let Some(role) = role else {
            return Err(Refusal::NotFound);
        };
        let Some(cred) = actor else {
            // Anonymous: public reads only.
            return match need {
                Need::Role(Role::Read) => Ok(()),
                _ => Err(Refusal::NotFound),
            };
        };
        // A classic token without `repo` does not see private repositories at all.
        if private && !cred.has_scope("repo") {
            return Err(Refusal::NotFound);
        }
        match need {
            Need::Role(want) => {
                if want > Role::Read
                    && !cred.has_scope(if private { "repo" } else { "public_repo" })
                {
                    return Err(Refusal::Forbidden(NOT_ACCESSIBLE));
                }
                if role < want {
                    return Err(Refusal::Forbidden(NOT_ACCESSIBLE));
                }
            }
            Need::Hooks { write } => {
                let scope = if write {
                    "write:repo_hook"
                } else {
                    "read:repo_hook"
                };
                if !cred.has_scope(scope) && !cred.has_scope("repo") {
                    return Err(Refusal::Forbidden(NOT_ACCESSIBLE));
                }
                if role < Role::Admin {
                    return Err(Refusal::Forbidden(REPO_ADMIN_REQUIRED));
                }
            }
        }
        Ok(())
    }

    /// The rule book for installation tokens: repositories outside the installation are
    /// read-only when public and unseen when private; inside it, the permission each kind
    /// of request needs (`issues` for issues, labels, milestones, comments and relations;
    /// `repository_hooks` for hooks).
    fn can_as_installation(
        &self,
        grant: &InstallationGrant,
        repo: usize,
        need: Need,
    ) -> Result<(), Refusal> {
        let read = matches!(need, Need::Role(Role::Read) | Need::Hooks { write: false });
        if !grant.covers(self, repo) {
            return match (self.repos[repo].private, read) {
                (true, _) => Err(Refusal::NotFound),
                (false, true) if need == Need::Role(Role::Read) => Ok(()),
                (false, _) => Err(Refusal::Forbidden(NOT_ACCESSIBLE_BY_INTEGRATION)),
            };
        }
        let (permission, level) = match need {
            Need::Role(Role::Read) => ("metadata", "read"),
            Need::Role(Role::Admin) => ("administration", "write"),
            Need::Role(_) => ("issues", "write"),
            Need::Hooks { write } => ("repository_hooks", if write { "write" } else { "read" }),
        };
        if grant.allows(permission, level) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(NOT_ACCESSIBLE_BY_INTEGRATION))
        }
    }

    /// The rule book for organizations (issue types, members): non-members get 404.
    pub fn can_org(
        &self,
        actor: Option<&Credential>,
        org: &str,
        need: OrgNeed,
    ) -> Result<(), Refusal> {
        if let Some(Credential::Installation(grant)) = actor {
            if !grant.account.eq_ignore_ascii_case(org) {
                return Err(Refusal::NotFound);
            }
            let (permission, level) = match need {
                OrgNeed::Member => ("members", "read"),
                OrgNeed::Admin => ("organization_administration", "write"),
                OrgNeed::Hooks => ("organization_hooks", "write"),
            };
            return if grant.allows(permission, level) {
                Ok(())
            } else {
                Err(Refusal::Forbidden(NOT_ACCESSIBLE_BY_INTEGRATION))
            };
        }
        if !self.access.enforced() {
            return Ok(());
        }
        let Some(cred) = actor else {
            return Err(Refusal::NotFound);
        };
        let role = self
            .access
            .orgs
            .get(&org.to_ascii_lowercase())
            .and_then(|o| o.members.get(&cred.login().to_ascii_lowercase()))
            .map(|(_, r)| *r);
        let Some(role) = role else {
            return Err(Refusal::NotFound);
        };
        let scope = match need {
            OrgNeed::Member => "read:org",
            OrgNeed::Admin | OrgNeed::Hooks => "admin:org",
        };
        let hook_scope = need == OrgNeed::Hooks && cred.has_scope("admin:org_hook");
        if !(cred.has_scope(scope) || hook_scope) {
            return Err(Refusal::Forbidden(NOT_ACCESSIBLE));
        }
        if need != OrgNeed::Member && role != OrgRole::Admin {
            return Err(Refusal::Forbidden(NOT_ACCESSIBLE));
        }
        Ok(())
    }

    /// Declares a user (seed or admin API): its profile, its token and its kind.
    pub fn declare_user(
        &mut self,
        login: &str,
        token: Option<&str>,
        name: Option<String>,
        kind: UserKind,
        scopes: Option<&[String]>,
        at: Time,
    ) -> Result<(), String> {
        if login.is_empty() {
            return Err("a user needs a login".into());
        }
        if let Some(existing) = self.find_user(login) {
            if existing.kind == UserKind::Organization {
                return Err(format!("'{login}' is an organization"));
            }
        }
        let login = self.user_of_kind(login, kind).login.clone();
        let key = login.to_ascii_lowercase();
        if let Some(token) = token {
            if token.is_empty() {
                return Err(format!("user '{login}': the token is empty"));
            }
            if let Some(other) = self.access.tokens.get(token) {
                if !other.login().eq_ignore_ascii_case(&login) {
                    return Err(format!(
                        "user '{login}': the token is already {}'s",
                        other.login()
                    ));
                }
            }
            self.access
                .tokens
                .retain(|_, c| !c.login().eq_ignore_ascii_case(&login));
            self.access
                .tokens
                .insert(token.to_string(), Credential::user(&login, scopes));
        }
        let profile = self.access.profiles.entry(key).or_insert(Profile {
            name: None,
            created_at: at,
        });
        if name.is_some() {
            profile.name = name;
        }
        Ok(())
    }

    /// Declares an organization (idempotent) with no members yet.
    pub fn declare_org(&mut self, login: &str, at: Time) -> Result<(), String> {
        if let Some(existing) = self.find_user(login) {
            if existing.kind != UserKind::Organization {
                return Err(format!("'{login}' is a user, not an organization"));
            }
        }
        let login = self
            .user_of_kind(login, UserKind::Organization)
            .login
            .clone();
        self.access
            .orgs
            .entry(login.to_ascii_lowercase())
            .or_insert_with(|| Org {
                login,
                members: BTreeMap::new(),
                created_at: at,
            });
        Ok(())
    }

    /// Sets (or with `None` removes) a member of a declared organization.
    pub fn set_org_member(
        &mut self,
        org: &str,
        login: &str,
        role: Option<OrgRole>,
        at: Time,
    ) -> Result<(), String> {
        self.declare_org(org, at)?;
        let login = self.user(login).login.clone();
        let o = self
            .access
            .orgs
            .get_mut(&org.to_ascii_lowercase())
            .expect("declared");
        match role {
            Some(role) => {
                o.members.insert(login.to_ascii_lowercase(), (login, role));
            }
            None => {
                o.members.remove(&login.to_ascii_lowercase());
            }
        }
        Ok(())
    }

    /// Sets (or with `None` removes) a collaborator's role on repository `repo` (an index).
    pub fn set_collaborator(&mut self, repo: usize, login: &str, role: Option<Role>) {
        let login = self.user(login).login.clone();
        let id = self.repos[repo].id;
        let c = self.access.collaborators.entry(id).or_default();
        match role {
            Some(role) => {
                c.insert(login.to_ascii_lowercase(), (login, role));
            }
            None => {
                c.remove(&login.to_ascii_lowercase());
            }
        }
    }

    /// Declared members of an organization, by login.
    pub fn org_members(&self, org: &str) -> Vec<(String, OrgRole)> {
        self.access
            .orgs
            .get(&org.to_ascii_lowercase())
            .map(|o| o.members.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broader_scopes_imply_narrower_ones() {
        let c = Credential::user("a", Some(&["repo".into(), "admin:org".into()]));
        assert!(c.has_scope("public_repo"));
        assert!(c.has_scope("read:org"));
        assert!(!c.has_scope("admin:repo_hook"));
        assert_eq!(c.scopes_header().as_deref(), Some("repo, admin:org"));
        assert!(Credential::user("a", None).has_scope("write:repo_hook"));
    }

    #[test]
    fn granted_roles_leave_out_what_a_public_repository_gives_everyone() {
        let now = chrono::Utc::now();
        let mut w = World::new("http://h");
        w.set_org_member("acme", "mia", Some(OrgRole::Member), now)
            .unwrap();
        let repo = w.create_repo("acme", "widgets", UserKind::Organization, now);
        w.set_collaborator(repo, "tom", Some(Role::Triage));
        assert_eq!(w.role_of(Some("out"), repo), Some(Role::Read));
        assert_eq!(w.granted_role("out", repo), None);
        assert_eq!(w.granted_role("mia", repo), Some(Role::Read));
        assert_eq!(w.granted_role("TOM", repo), Some(Role::Triage));
        w.repos[repo].private = true;
        assert_eq!(w.role_of(Some("out"), repo), None);
        assert_eq!(w.role_of(None, repo), None);
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Read < Role::Triage && Role::Triage < Role::Write);
        assert!(Role::Write < Role::Maintain && Role::Maintain < Role::Admin);
        assert_eq!(Role::parse("push"), Some(Role::Write));
    }
}
