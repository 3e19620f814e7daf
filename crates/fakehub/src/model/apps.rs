//! GitHub Apps: an app with its RSA key pair (generated when the seed gives none) and its
//! installations on accounts, with the repositories and permissions each was granted.

use super::access::{Credential, InstallationGrant};
use super::types::*;
use super::world::{HookOwner, Outgoing, World};
use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use rand::Rng;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use std::collections::BTreeMap;

/// Which repositories an installation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    /// `OWNER/NAME`s.
    Selected(Vec<String>),
}

impl Selection {
    /// GitHub's `repository_selection`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Selection::All => "all",
            Selection::Selected(_) => "selected",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Installation {
    pub id: Id,
    /// The account (user or organization) it is installed on.
    pub account: String,
    pub repositories: Selection,
    /// Permission → `read` | `write` | `admin`.
    pub permissions: BTreeMap<String, String>,
    pub created_at: Time,
}

#[derive(Debug, Clone)]
pub struct App {
    pub id: Id,
    pub slug: String,
    pub client_id: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// PKCS#1 PEM, as GitHub hands out app keys.
    pub private_key_pem: String,
    /// PKCS#1 PEM of the public half: what JWTs are checked with.
    pub public_key_pem: String,
    pub installations: Vec<Installation>,
    /// The app's webhook (from `webhook_url`; none or one), where `installation` and
    /// `installation_repositories` events go.
    pub hooks: Vec<Hook>,
    pub created_at: Time,
}

impl App {
    /// The app's bot account, as its installation tokens act.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }

    pub fn installation(&self, id: Id) -> Option<&Installation> {
        self.installations.iter().find(|i| i.id == id)
    }
}

/// How long an installation token lives, as on GitHub.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

/// An installation access token: its installation and what its request narrowed it to.
#[derive(Debug, Clone)]
pub struct InstallationToken {
    pub app_id: Id,
    pub installation_id: Id,
    /// Repository ids asked for; `None`: the installation's whole selection.
    pub repositories: Option<Vec<Id>>,
    /// Permissions asked for; `None`: the installation's.
    pub permissions: Option<BTreeMap<String, String>>,
    pub expires_at: Time,
}

/// What `POST /app/installations/{id}/access_tokens` may ask for.
#[derive(Debug, Default, Clone)]
pub struct TokenRequest {
    /// Repository names (without owner, as GitHub takes them) or `OWNER/NAME`.
    pub repositories: Option<Vec<String>>,
    pub repository_ids: Option<Vec<Id>>,
    pub permissions: Option<BTreeMap<String, String>>,
}

const NOT_IN_INSTALLATION: &str =
    "There is at least one repository that does not exist or is not accessible to the parent installation.";
const NOT_GRANTED: &str = "The permissions requested are not granted to this installation.";

fn rank(level: &str) -> u8 {
    match level {
        "read" => 1,
        "write" => 2,
        "admin" => 3,
        _ => 0,
    }
}

/// A fresh token in GitHub's installation-token form: `ghs_` and 36 letters and digits.
fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..36)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("ghs_{tail}")
}

/// The app's webhook for `url`: every event, JSON, signed with `secret`.
pub fn app_hook(id: Id, url: &str, secret: Option<&str>, now: Time) -> Hook {
    Hook {
        id,
        active: true,
        events: vec!["*".into()],
        url: url.to_string(),
        content_type: "json".into(),
        secret: secret.map(str::to_string),
        insecure_ssl: "0".into(),
        created_at: now,
        updated_at: now,
        last_response: HookResponse {
            code: None,
            status: "unused".into(),
            message: None,
        },
    }
}

/// The new app's key pair as PEMs: the given private key (PKCS#1 or PKCS#8), or a fresh
/// 2048-bit one.
pub fn key_pair(given: Option<&str>) -> Result<(String, String), String> {
    let key = match given {
        Some(pem) => rsa::pkcs1::DecodeRsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|e| format!("private_key_pem is not an RSA private key: {e}"))?,
        None => RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .map_err(|e| format!("could not generate a key pair: {e}"))?,
    };
    let private = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let public = key
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok((private, public))
}

impl World {
    pub fn app(&self, id: Id) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    /// The installation with this id, and its app.
    pub fn installation(&self, id: Id) -> Option<(&App, &Installation)> {
        self.apps
            .iter()
            .find_map(|a| a.installation(id).map(|i| (a, i)))
    }

    /// Repository indexes an installation's selection covers, in creation order.
    pub fn installation_repos(&self, i: &Installation) -> Vec<usize> {
        (0..self.repos.len())
            .filter(|&r| {
                let repo = &self.repos[r];
                repo.owner.eq_ignore_ascii_case(&i.account)
                    && match &i.repositories {
                        Selection::All => true,
                        Selection::Selected(names) => names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&repo.full_name())),
                    }
            })
            .collect()
    }

    /// The credential an installation token stands for at `now`, or `None` when the token
    /// is unknown, expired or its installation gone.
    pub fn installation_credential(&self, token: &str, now: Time) -> Option<Credential> {
        let t = self.installation_tokens.get(token)?;
        if t.expires_at <= now {
            return None;
        }
        let (app, i) = self.installation(t.installation_id)?;
        let covered: Vec<Id> = self
            .installation_repos(i)
            .into_iter()
            .map(|r| self.repos[r].id)
            .collect();
        let repositories = match (&i.repositories, &t.repositories) {
            (Selection::All, None) => None,
            (_, Some(asked)) => Some(
                asked
                    .iter()
                    .copied()
                    .filter(|id| covered.contains(id))
                    .collect(),
            ),
            (Selection::Selected(_), None) => Some(covered),
        };
        // A permission narrowed by the token never exceeds what the installation has now.
        let permissions = match &t.permissions {
            None => i.permissions.clone(),
            Some(asked) => asked
                .iter()
                .filter_map(|(k, v)| {
                    let have = i.permissions.get(k)?;
                    Some((
                        k.clone(),
                        if rank(v) <= rank(have) { v } else { have }.clone(),
                    ))
                })
                .collect(),
        };
        Some(Credential::Installation(InstallationGrant {
            app_id: app.id,
            installation_id: i.id,
            bot: app.bot_login(),
            account: i.account.clone(),
            repositories,
            permissions,
        }))
    }

    /// Issues an installation token for `app_id`'s installation `installation_id`,
    /// narrowed as `ask` says. Errors as GitHub answers them: 404 for an installation of
    /// another app, 422 for repositories or permissions the installation lacks.
    pub fn issue_installation_token(
        &mut self,
        app_id: Id,
        installation_id: Id,
        ask: TokenRequest,
        now: Time,
    ) -> ApiResult<(String, InstallationToken)> {
        let Some(i) = self
            .app(app_id)
            .and_then(|a| a.installation(installation_id))
        else {
            return Err(ApiError::not_found());
        };
        let covered = self.installation_repos(i);
        let unprocessable = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
        let mut repositories: Option<Vec<Id>> = None;
        if let Some(names) = &ask.repositories {
            let mut ids = Vec::new();
            for n in names {
                let full = if n.contains('/') {
                    n.clone()
                } else {
                    format!("{}/{n}", i.account)
                };
                let r = covered
                    .iter()
                    .find(|&&r| self.repos[r].full_name().eq_ignore_ascii_case(&full))
                    .ok_or_else(|| unprocessable(NOT_IN_INSTALLATION))?;
                ids.push(self.repos[*r].id);
            }
            repositories = Some(ids);
        }
        if let Some(asked) = &ask.repository_ids {
            let ids = repositories.get_or_insert_with(Vec::new);
            for id in asked {
                if !covered.iter().any(|&r| self.repos[r].id == *id) {
                    return Err(unprocessable(NOT_IN_INSTALLATION));
                }
                if !ids.contains(id) {
                    ids.push(*id);
                }
            }
        }
        if let Some(asked) = &ask.permissions {
            for (k, v) in asked {
                let granted = i
                    .permissions
                    .get(k)
                    .is_some_and(|have| rank(v) <= rank(have))
                    || (k == "metadata" && v == "read");
                if rank(v) == 0 || !granted {
                    return Err(unprocessable(NOT_GRANTED));
                }
            }
        }
        let token = InstallationToken {
            app_id,
            installation_id,
            repositories,
            permissions: ask.permissions,
            expires_at: now + chrono::Duration::seconds(TOKEN_LIFETIME_SECS),
        };
        let value = new_token();
        self.installation_tokens
            .insert(value.clone(), token.clone());
        // The bot account exists from the first token on, as the author of what it writes.
        let bot = self.app(app_id).expect("found above").bot_login();
        self.user_of_kind(&bot, UserKind::Bot);
        Ok((value, token))
    }

    /// Adds an installation to an app at run time and queues `installation.created`.
    pub fn install_app(
        &mut self,
        app_id: Id,
        installation: Installation,
        sender: &str,
    ) -> Result<(), String> {
        if self.find_user(&installation.account).is_none() {
            return Err(format!(
                "installation {}: account '{}' is not a known user or organization",
                installation.id, installation.account
            ));
        }
        if self.installation(installation.id).is_some() {
            return Err(format!("installation {} exists", installation.id));
        }
        let app = self
            .apps
            .iter_mut()
            .find(|a| a.id == app_id)
            .ok_or_else(|| format!("no app {app_id}"))?;
        app.installations.push(installation.clone());
        let repos = self.installation_repos(&installation);
        self.emit_installation(app_id, installation.id, "created", &repos, sender);
        Ok(())
    }

    /// Removes an installation, revokes its tokens and queues `installation.deleted`.
    pub fn uninstall_app(&mut self, app_id: Id, installation_id: Id, sender: &str) -> bool {
        let Some(i) = self
            .app(app_id)
            .and_then(|a| a.installation(installation_id))
        else {
            return false;
        };
        let repos = self.installation_repos(i);
        self.emit_installation(app_id, installation_id, "deleted", &repos, sender);
        self.installation_tokens
            .retain(|_, t| t.installation_id != installation_id);
        if let Some(app) = self.apps.iter_mut().find(|a| a.id == app_id) {
            app.installations.retain(|i| i.id != installation_id);
        }
        true
    }

    /// Adds (or with `add == false` removes) repository `repo` to a selected-repositories
    /// installation and queues `installation_repositories`. `Ok(false)` when nothing changed.
    pub fn change_installation_repos(
        &mut self,
        installation_id: Id,
        repo: usize,
        add: bool,
        sender: &str,
    ) -> ApiResult<bool> {
        let full = self.repos[repo].full_name();
        let owner = self.repos[repo].owner.clone();
        let (app_id, account, selection) = match self.installation(installation_id) {
            Some((a, i)) => (a.id, i.account.clone(), i.repositories.clone()),
            None => return Err(ApiError::not_found()),
        };
        if !owner.eq_ignore_ascii_case(&account) {
            return Err(ApiError::not_found());
        }
        let Selection::Selected(mut names) = selection else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This installation has access to all repositories of its account; choose selected repositories first.",
            ));
        };
        let had = names.iter().any(|n| n.eq_ignore_ascii_case(&full));
        if had == add {
            return Ok(false);
        }
        if add {
            names.push(full);
        } else {
            names.retain(|n| !n.eq_ignore_ascii_case(&full));
        }
        let app = self
            .apps
            .iter_mut()
            .find(|a| a.id == app_id)
            .expect("found above");
        let i = app
            .installations
            .iter_mut()
            .find(|i| i.id == installation_id)
            .expect("found above");
        i.repositories = Selection::Selected(names);
        let (added, removed) = if add {
            (vec![repo], vec![])
        } else {
            (vec![], vec![repo])
        };
        self.emit_installation_repositories(app_id, installation_id, &added, &removed, sender);
        Ok(true)
    }

    fn emit_installation(
        &mut self,
        app_id: Id,
        installation_id: Id,
        action: &str,
        repos: &[usize],
        sender: &str,
    ) {
        let Some((app, i)) = self.installation(installation_id) else {
            return;
        };
        let payload = serde_json::json!({
            "action": action,
            "installation": self.installation_json(app, i),
            "repositories": self.installation_repo_list(repos),
            "requester": null,
            "sender": self.user_json(sender),
        });
        self.emit_app(app_id, "installation", action, payload);
    }

    fn emit_installation_repositories(
        &mut self,
        app_id: Id,
        installation_id: Id,
        added: &[usize],
        removed: &[usize],
        sender: &str,
    ) {
        let Some((app, i)) = self.installation(installation_id) else {
            return;
        };
        let action = if added.is_empty() { "removed" } else { "added" };
        let payload = serde_json::json!({
            "action": action,
            "installation": self.installation_json(app, i),
            "repository_selection": i.repositories.as_str(),
            "repositories_added": self.installation_repo_list(added),
            "repositories_removed": self.installation_repo_list(removed),
            "requester": null,
            "sender": self.user_json(sender),
        });
        self.emit_app(app_id, "installation_repositories", action, payload);
    }

    /// Queues an event for the app's own webhook.
    pub fn emit_app(
        &mut self,
        app_id: Id,
        event: &'static str,
        action: &str,
        payload: serde_json::Value,
    ) {
        self.outbox.push(Outgoing {
            target: HookOwner::App(app_id),
            event,
            action: Some(action.to_string()),
            payload,
            only_hook: None,
        });
    }

    /// The app a JWT's `iss` names: its client id or its id.
    pub fn app_by_issuer(&self, iss: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.client_id == iss || a.id.to_string() == iss)
    }

    /// Adds (or replaces) an app.
    pub fn declare_app(&mut self, app: App) -> Result<(), String> {
        if app.slug.trim().is_empty() || app.client_id.trim().is_empty() {
            return Err(format!("app {}: slug and client_id are required", app.id));
        }
        for i in &app.installations {
            if self.find_user(&i.account).is_none() {
                return Err(format!(
                    "app {}, installation {}: account '{}' is not a known user or organization",
                    app.id, i.id, i.account
                ));
            }
        }
        for i in &app.installations {
            if self
                .installation(i.id)
                .is_some_and(|(other, _)| other.id != app.id)
            {
                return Err(format!(
                    "app {}: installation {} belongs to another app",
                    app.id, i.id
                ));
            }
        }
        self.apps.retain(|a| a.id != app.id);
        self.apps.push(app);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_or_read() {
        let (private, public) = key_pair(None).unwrap();
        assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(public.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
        let (again, public_again) = key_pair(Some(&private)).unwrap();
        assert_eq!(
            (again, public_again),
            (private, public),
            "a given key is kept"
        );
        assert!(key_pair(Some("not a key")).is_err());
    }
}
