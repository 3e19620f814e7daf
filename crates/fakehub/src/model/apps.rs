//! GitHub Apps: an app with its RSA key pair (generated when the seed gives none) and its
//! installations on accounts, with the repositories and permissions each was granted.

use super::types::*;
use super::world::World;
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
    pub created_at: Time,
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
