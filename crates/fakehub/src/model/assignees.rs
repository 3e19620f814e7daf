//! Who may be assigned issues in a repository. On GitHub: its owner, collaborators and,
//! for an organization's repository, the organization's members; fakehub with access
//! declarations (see `access.rs`) follows that. Without declarations it knows no roles, so
//! there "assignable" means a known user of the world (a token's user, an issue author,
//! anyone the seed mentions): never an organization, and never a login nobody has used.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult, FieldError};

impl World {
    /// The user `login` names, if that user can be assigned issues in `repo`.
    pub fn assignable(&self, repo: usize, login: &str) -> Option<&User> {
        self.find_user(login)
            .filter(|u| u.kind != UserKind::Organization)
            .filter(|u| !self.access.enforced() || self.granted_role(&u.login, repo).is_some())
    }

    /// Everyone assignable in `repo`, ordered by login (case-insensitively).
    pub fn assignable_users(&self, repo: usize) -> Vec<&User> {
        let mut users: Vec<&User> = self
            .users
            .values()
            .filter(|u| self.assignable(repo, &u.login).is_some())
            .collect();
        users.sort_by_key(|u| u.login.to_ascii_lowercase());
        users
    }

    /// The logins, deduplicated and spelled as their users spell them; the first one that
    /// cannot be assigned is GitHub's 422 (`field` is `assignees` or `assignee`, whichever
    /// the request used).
    pub fn check_assignees(
        &self,
        repo: usize,
        logins: &[String],
        field: &str,
    ) -> ApiResult<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for login in logins {
            let Some(user) = self.assignable(repo, login) else {
                return Err(ApiError::validation(vec![FieldError::new(
                    "Issue", field, "invalid",
                )
                .with_value(login.as_str())]));
            };
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&user.login)) {
                out.push(user.login.clone());
            }
        }
        Ok(out)
    }

    /// The assignable ones among `logins`, the others silently dropped (as
    /// `POST …/issues/{n}/assignees` does).
    pub fn only_assignable(&self, repo: usize, logins: &[String]) -> Vec<String> {
        logins
            .iter()
            .filter_map(|l| self.assignable(repo, l).map(|u| u.login.clone()))
            .collect()
    }
}
