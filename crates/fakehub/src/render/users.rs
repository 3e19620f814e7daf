//! Users and organizations: the user object GitHub embeds everywhere (rendered once per
//! user), and the organization object.

use super::writer::{node_id, parse, JsonWriter};
use crate::model::{Id, UserKind, World};
use serde_json::{json, Value};

/// Lower-cases a login for lookups, borrowing when it already is (the usual case).
fn login_key(login: &str) -> std::borrow::Cow<'_, str> {
    if login.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(login.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(login)
    }
}

impl World {
    /// The web (html) side of the simulator lives under the same base URL.
    pub(super) fn html(&self) -> &str {
        &self.base
    }

    /// The JSON of a user as GitHub embeds it everywhere. `World` renders it once, when the
    /// user is created (see `World::user_of_kind`); this is that rendering.
    pub(crate) fn render_user(&self, id: Id, login: &str, kind: UserKind) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        let b = &self.base;
        let mut o = JsonWriter::object(&mut out);
        o.fmt("avatar_url", format_args!("{b}/_avatars/{id}"));
        o.fmt(
            "events_url",
            format_args!("{b}/users/{login}/events{{/privacy}}"),
        );
        o.fmt("followers_url", format_args!("{b}/users/{login}/followers"));
        o.fmt(
            "following_url",
            format_args!("{b}/users/{login}/following{{/other_user}}"),
        );
        o.fmt(
            "gists_url",
            format_args!("{b}/users/{login}/gists{{/gist_id}}"),
        );
        o.str("gravatar_id", "");
        o.fmt("html_url", format_args!("{}/{login}", self.html()));
        o.u64("id", id);
        o.str("login", login);
        o.node_id(
            "node_id",
            if kind == UserKind::Organization {
                "O"
            } else {
                "U"
            },
            id,
        );
        o.fmt("organizations_url", format_args!("{b}/users/{login}/orgs"));
        o.fmt(
            "received_events_url",
            format_args!("{b}/users/{login}/received_events"),
        );
        o.fmt("repos_url", format_args!("{b}/users/{login}/repos"));
        o.bool("site_admin", false);
        o.fmt(
            "starred_url",
            format_args!("{b}/users/{login}/starred{{/owner}}{{/repo}}"),
        );
        o.fmt(
            "subscriptions_url",
            format_args!("{b}/users/{login}/subscriptions"),
        );
        o.str("type", kind.as_str());
        o.fmt("url", format_args!("{b}/users/{login}"));
        o.str("user_view_type", "public");
        o.end();
        out
    }

    pub(crate) fn write_user(&self, out: &mut Vec<u8>, login: &str) {
        let key = login_key(login);
        if let Some(json) = self.rendered_users.get(key.as_ref()) {
            out.extend_from_slice(json);
            return;
        }
        // Not rendered ahead (a login nobody has used, or a user added behind the World's back).
        let rendered = match self.users.get(key.as_ref()) {
            Some(u) => self.render_user(u.id, &u.login, u.kind),
            None => self.render_user(0, login, UserKind::User),
        };
        out.extend_from_slice(&rendered);
    }

    pub fn user_json(&self, login: &str) -> Value {
        let mut out = Vec::new();
        self.write_user(&mut out, login);
        parse(&out)
    }

    pub fn org_json(&self, login: &str) -> Value {
        let id = self.find_user(login).map(|u| u.id).unwrap_or(0);
        let b = &self.base;
        json!({
            "login": login,
            "id": id,
            "node_id": node_id("O", id),
            "url": format!("{b}/orgs/{login}"),
            "repos_url": format!("{b}/orgs/{login}/repos"),
            "events_url": format!("{b}/orgs/{login}/events"),
            "hooks_url": format!("{b}/orgs/{login}/hooks"),
            "issues_url": format!("{b}/orgs/{login}/issues"),
            "members_url": format!("{b}/orgs/{login}/members{{/member}}"),
            "public_members_url": format!("{b}/orgs/{login}/public_members{{/member}}"),
            "avatar_url": format!("{b}/_avatars/{id}"),
            "description": null,
        })
    }
}
