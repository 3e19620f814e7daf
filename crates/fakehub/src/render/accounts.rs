//! The full user and organization objects (`GET /user`, `/users/{login}`, `/orgs/{org}`):
//! the embedded user (or `org_json`) plus the profile fields GitHub adds.

use crate::model::{Role, UserKind, World};
use serde_json::{json, Value};

/// Before the simulator's history: when undeclared accounts say they were created.
const EPOCH: &str = "2011-01-26T19:01:12Z";

impl World {
    fn public_repos_of(&self, login: &str) -> usize {
        self.repos
            .iter()
            .filter(|r| !r.private && r.owner.eq_ignore_ascii_case(login))
            .count()
    }

    /// GitHub's `public-user` (`GET /users/{login}`), or `private-user` for the
    /// authenticated user themself (`GET /user`).
    pub fn full_user_json(&self, login: &str, private: bool) -> Value {
        let mut v = self.user_json(login);
        let key = login.to_ascii_lowercase();
        let profile = self.access.profiles.get(&key);
        let created = profile
            .map(|p| crate::clock::iso(p.created_at))
            .unwrap_or_else(|| EPOCH.to_string());
        let o = v.as_object_mut().expect("user object");
        for (k, val) in [
            ("name", json!(profile.and_then(|p| p.name.clone()))),
            ("company", Value::Null),
            ("blog", json!("")),
            ("location", Value::Null),
            ("email", Value::Null),
            ("hireable", Value::Null),
            ("bio", Value::Null),
            ("twitter_username", Value::Null),
            ("public_repos", json!(self.public_repos_of(login))),
            ("public_gists", json!(0)),
            ("followers", json!(0)),
            ("following", json!(0)),
            ("created_at", json!(created)),
            ("updated_at", json!(created)),
        ] {
            o.insert(k.into(), val);
        }
        if private {
            let owned_private = self
                .repos
                .iter()
                .filter(|r| r.private && r.owner.eq_ignore_ascii_case(login))
                .count();
            for (k, val) in [
                ("private_gists", json!(0)),
                ("total_private_repos", json!(owned_private)),
                ("owned_private_repos", json!(owned_private)),
                ("disk_usage", json!(0)),
                ("collaborators", json!(0)),
                ("two_factor_authentication", json!(true)),
                (
                    "plan",
                    json!({"name": "free", "space": 976_562_499, "private_repos": 10_000, "collaborators": 0}),
                ),
            ] {
                o.insert(k.into(), val);
            }
        }
        v
    }

    /// GitHub's `organization-full` (`GET /orgs/{org}`); `None` if `login` is no organization.
    pub fn full_org_json(&self, login: &str) -> Option<Value> {
        let u = self.find_user(login)?;
        if u.kind != UserKind::Organization {
            return None;
        }
        let login = u.login.clone();
        let created = self
            .access
            .orgs
            .get(&login.to_ascii_lowercase())
            .map(|o| crate::clock::iso(o.created_at))
            .unwrap_or_else(|| EPOCH.to_string());
        let mut v = self.org_json(&login);
        let o = v.as_object_mut().expect("org object");
        for (k, val) in [
            ("name", json!(login)),
            ("company", Value::Null),
            ("blog", Value::Null),
            ("location", Value::Null),
            ("email", Value::Null),
            ("twitter_username", Value::Null),
            ("is_verified", json!(false)),
            ("has_organization_projects", json!(true)),
            ("has_repository_projects", json!(true)),
            ("public_repos", json!(self.public_repos_of(&login))),
            ("public_gists", json!(0)),
            ("followers", json!(0)),
            ("following", json!(0)),
            ("html_url", json!(format!("{}/{login}", self.base))),
            ("type", json!("Organization")),
            ("created_at", json!(created)),
            ("updated_at", json!(created)),
            ("archived_at", Value::Null),
        ] {
            o.insert(k.into(), val);
        }
        Some(v)
    }

    /// A repository's `permissions` for `login`: its role and every role below it (open
    /// mode: admin of everything).
    pub fn permissions_json(&self, login: &str, repo: usize) -> Value {
        let role = if self.access.enforced() {
            self.role_of(Some(login), repo)
        } else {
            Some(Role::Admin)
        };
        let has = |r: Role| role >= Some(r);
        json!({
            "admin": has(Role::Admin),
            "maintain": has(Role::Maintain),
            "push": has(Role::Write),
            "triage": has(Role::Triage),
            "pull": has(Role::Read),
        })
    }
}
