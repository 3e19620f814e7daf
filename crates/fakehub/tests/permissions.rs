//! Who may do what: declared users, organizations, private repositories, collaborator roles
//! and classic token scopes, answered with GitHub's status codes and messages; open mode as
//! before; changes through the admin API take effect at once.

mod common;
use common::*;
use fakehub::seed::{SeedMember, SeedOrg, SeedUser};
use fakehub::{SeedDoc, SeedRepo};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NOT_ACCESSIBLE: &str = "Resource not accessible by personal access token";
const ADMIN_RIGHTS: &str = "Must have admin rights to Repository.";

fn user(login: &str, scopes: Option<&[&str]>) -> SeedUser {
    SeedUser {
        login: login.into(),
        token: format!("t-{login}"),
        name: Some(format!("{login} Example")),
        kind: None,
        scopes: scopes.map(|s| s.iter().map(|s| s.to_string()).collect()),
    }
}

fn collaborators(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(l, r)| (l.to_string(), r.to_string()))
        .collect()
}

/// acme (ada admin, mia member) owns public `widgets` and private `secret`; olga owns the
/// private user repository `diary`.
fn world() -> SeedDoc {
    let issue = |title: &str, user: &str| fakehub::seed::SeedIssue {
        title: title.into(),
        user: Some(user.into()),
        ..Default::default()
    };
    let roles = collaborators(&[
        ("rita", "read"),
        ("tom", "triage"),
        ("wes", "write"),
        ("max", "maintain"),
        ("nora", "admin"),
        ("pam", "write"),
    ]);
    SeedDoc {
        users: vec![
            user("ada", None),
            user("mia", None),
            user("rita", None),
            user("tom", None),
            user("wes", None),
            user("max", None),
            user("olga", None),
            user("out", None),
            user("nora", Some(&["read:org"])),
            user("pam", Some(&["public_repo"])),
            SeedUser {
                kind: Some("Bot".into()),
                name: None,
                ..user("helper", None)
            },
        ],
        orgs: vec![SeedOrg {
            login: "acme".into(),
            members: vec![
                SeedMember {
                    login: "ada".into(),
                    role: Some("admin".into()),
                },
                SeedMember {
                    login: "mia".into(),
                    role: None,
                },
            ],
        }],
        repos: vec![
            SeedRepo {
                full_name: "acme/widgets".into(),
                labels: vec![fakehub::seed::SeedLabel {
                    name: "bug".into(),
                    ..Default::default()
                }],
                issues: vec![issue("By ada", "ada"), issue("By rita", "rita")],
                collaborators: roles.clone(),
                ..Default::default()
            },
            SeedRepo {
                full_name: "acme/secret".into(),
                private: true,
                issues: vec![issue("Hidden", "ada")],
                collaborators: roles,
                ..Default::default()
            },
            SeedRepo {
                full_name: "olga/diary".into(),
                private: true,
                ..Default::default()
            },
        ],
        apps: Vec::new(),
    }
}

async fn env() -> Env {
    Env::with(world(), |o| o.settings.tokens.clear()).await
}

/// A request with `login`'s token (`None`: anonymous).
async fn req(env: &Env, who: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Resp {
    let auth = who.map(|w| format!("token t-{w}"));
    let headers: Vec<(&str, &str)> = match &auth {
        Some(a) => vec![("Authorization", a.as_str())],
        // An empty header the gate does not read as a token.
        None => vec![("Authorization", "")],
    };
    env.send(method.parse().unwrap(), path, body, &headers)
        .await
}

async fn get(env: &Env, who: &str, path: &str) -> Resp {
    req(env, Some(who), "GET", path, None).await
}

fn refused(r: &Resp, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["message"], message, "{}", r.body);
    assert_eq!(r.body["documentation_url"], "https://docs.github.com/rest");
}

#[tokio::test]
async fn private_repositories_are_not_found_to_whoever_cannot_see_them() {
    let env = env().await;
    for path in [
        "/repos/acme/secret",
        "/repos/acme/secret/issues",
        "/repos/acme/secret/issues/1",
        "/repos/olga/diary",
    ] {
        refused(&get(&env, "out", path).await, 404, "Not Found");
        refused(&req(&env, None, "GET", path, None).await, 404, "Not Found");
    }
    // A token without `repo` does not see private repositories, whatever its user's role.
    refused(
        &get(&env, "pam", "/repos/acme/secret").await,
        404,
        "Not Found",
    );
    refused(
        &get(&env, "nora", "/repos/acme/secret").await,
        404,
        "Not Found",
    );
    // Collaborators, organization members (base permission read), the organization's admins
    // and the owner of a user repository see them.
    for who in ["rita", "tom", "mia", "ada"] {
        let r = get(&env, who, "/repos/acme/secret/issues/1").await;
        assert_eq!(r.status, 200, "{who}: {}", r.body);
    }
    assert_eq!(get(&env, "olga", "/repos/olga/diary").await.status, 200);
    // A refusal counts against the rate limit, as GitHub's 404s do.
    let used = |r: Resp| r.header_u64("x-ratelimit-used");
    let before = used(get(&env, "ada", "/rate_limit").await);
    let r = get(&env, "ada", "/repos/olga/diary").await;
    assert_eq!(used(get(&env, "ada", "/rate_limit").await), before + 1);
    refused(&r, 404, "Not Found");
    // Public repositories are open to everyone for reading, anonymous included.
    assert_eq!(
        get(&env, "out", "/repos/acme/widgets/issues/1")
            .await
            .status,
        200
    );
    assert_eq!(
        req(&env, None, "GET", "/repos/acme/widgets", None)
            .await
            .status,
        200
    );
    // Writes to what one cannot see are 404 too.
    refused(
        &req(
            &env,
            Some("out"),
            "POST",
            "/repos/acme/secret/issues",
            Some(json!({"title": "x"})),
        )
        .await,
        404,
        "Not Found",
    );
}

#[tokio::test]
async fn each_role_does_what_githubs_role_table_allows() {
    let env = env().await;
    let o = "/repos/acme/widgets";
    let post = |who: &'static str, path: String, body: Value| {
        let env = &env;
        async move { req(env, Some(who), "POST", &path, Some(body)).await }
    };
    let patch = |who: &'static str, path: String, body: Value| {
        let env = &env;
        async move { req(env, Some(who), "PATCH", &path, Some(body)).await }
    };

    // read: open issues and comment, nothing more.
    assert_eq!(
        post("rita", format!("{o}/issues"), json!({"title": "Hi"}))
            .await
            .status,
        201
    );
    assert_eq!(
        post("out", format!("{o}/issues"), json!({"title": "Hi"}))
            .await
            .status,
        201
    );
    assert_eq!(
        post(
            "rita",
            format!("{o}/issues/1/comments"),
            json!({"body": "+1"})
        )
        .await
        .status,
        201
    );
    refused(
        &post(
            "rita",
            format!("{o}/issues/1/labels"),
            json!({"labels": ["bug"]}),
        )
        .await,
        403,
        NOT_ACCESSIBLE,
    );
    refused(
        &patch("rita", format!("{o}/issues/1"), json!({"state": "closed"})).await,
        403,
        NOT_ACCESSIBLE,
    );
    // ... but an author edits and closes their own issue.
    let own = patch(
        "rita",
        format!("{o}/issues/2"),
        json!({"title": "Mine, renamed", "state": "closed"}),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.body);

    // triage: labels, assignees, milestones, close and reopen; not others' titles, not labels
    // of the repository.
    assert_eq!(
        post(
            "tom",
            format!("{o}/issues/1/labels"),
            json!({"labels": ["bug"]})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        post(
            "tom",
            format!("{o}/issues/1/assignees"),
            json!({"assignees": ["wes"]})
        )
        .await
        .status,
        201
    );
    assert_eq!(
        patch(
            "tom",
            format!("{o}/issues/1"),
            json!({"state": "closed", "state_reason": "not_planned"})
        )
        .await
        .status,
        200
    );
    refused(
        &patch("tom", format!("{o}/issues/1"), json!({"title": "Renamed"})).await,
        403,
        NOT_ACCESSIBLE,
    );
    refused(
        &post(
            "tom",
            format!("{o}/labels"),
            json!({"name": "new", "color": "ffffff"}),
        )
        .await,
        403,
        NOT_ACCESSIBLE,
    );
    refused(
        &post("tom", format!("{o}/milestones"), json!({"title": "v9"})).await,
        403,
        NOT_ACCESSIBLE,
    );

    // write: edit anything about issues, labels and milestones; hooks need admin.
    assert_eq!(
        patch("wes", format!("{o}/issues/1"), json!({"title": "Renamed"}))
            .await
            .status,
        200
    );
    assert_eq!(
        post(
            "wes",
            format!("{o}/labels"),
            json!({"name": "new", "color": "ffffff"})
        )
        .await
        .status,
        201
    );
    let hook = json!({"config": {"url": "http://127.0.0.1:9/hook", "content_type": "json"}, "events": ["issues"]});
    refused(
        &post("wes", format!("{o}/hooks"), hook.clone()).await,
        403,
        ADMIN_RIGHTS,
    );
    refused(
        &get(&env, "wes", &format!("{o}/hooks")).await,
        403,
        ADMIN_RIGHTS,
    );
    // maintain is not admin either.
    refused(
        &post("max", format!("{o}/hooks"), hook.clone()).await,
        403,
        ADMIN_RIGHTS,
    );
    // The organization's admins are admins of its repositories.
    let created = post("ada", format!("{o}/hooks"), hook.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(get(&env, "ada", &format!("{o}/hooks")).await.status, 200);
    assert_eq!(
        get(&env, "ada", &format!("{o}/hooks"))
            .await
            .header("x-accepted-oauth-scopes"),
        Some("admin:repo_hook, read:repo_hook, repo, write:repo_hook")
    );
}

#[tokio::test]
async fn a_token_acts_within_its_scopes() {
    let env = env().await;
    let o = "/repos/acme/widgets";
    // nora is an admin collaborator, but her token only has read:org.
    let r = get(&env, "nora", o).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-oauth-scopes"), Some("read:org"));
    assert_eq!(r.header("x-accepted-oauth-scopes"), Some("repo"));
    refused(
        &req(
            &env,
            Some("nora"),
            "POST",
            &format!("{o}/issues"),
            Some(json!({"title": "x"})),
        )
        .await,
        403,
        NOT_ACCESSIBLE,
    );
    refused(
        &req(&env, Some("nora"), "GET", &format!("{o}/hooks"), None).await,
        403,
        NOT_ACCESSIBLE,
    );
    // public_repo writes to public repositories.
    let r = req(
        &env,
        Some("pam"),
        "POST",
        &format!("{o}/labels"),
        Some(json!({"name": "p", "color": "000000"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("x-oauth-scopes"), Some("public_repo"));
    // Undeclared scopes are all of them.
    let all = get(&env, "ada", "/user").await;
    assert_eq!(
        all.header("x-oauth-scopes"),
        Some("admin:org, admin:repo_hook, delete_repo, project, repo, user, workflow")
    );
    // An unknown token is refused once users are declared.
    let r = env
        .send(
            reqwest::Method::GET,
            o,
            None,
            &[("Authorization", "token nope")],
        )
        .await;
    refused(&r, 401, "Bad credentials");
}

#[tokio::test]
async fn issue_types_need_an_organization_admin() {
    let env = env().await;
    let t = "/orgs/acme/issue-types";
    assert_eq!(get(&env, "mia", t).await.status, 200);
    refused(&get(&env, "out", t).await, 404, "Not Found");
    refused(
        &req(
            &env,
            Some("mia"),
            "POST",
            t,
            Some(json!({"name": "Chore", "is_enabled": true})),
        )
        .await,
        403,
        NOT_ACCESSIBLE,
    );
    let r = req(
        &env,
        Some("ada"),
        "POST",
        t,
        Some(json!({"name": "Chore", "is_enabled": true})),
    )
    .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
}

#[tokio::test]
async fn changes_through_the_admin_api_take_effect_at_once() {
    let env = env().await;
    let secret = "/repos/acme/secret";
    refused(&get(&env, "out", secret).await, 404, "Not Found");
    let put = env
        .put(
            &format!("/_fakehub{secret}/collaborators/out"),
            json!({"role": "write"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(get(&env, "out", secret).await.status, 200);
    let label = req(
        &env,
        Some("out"),
        "POST",
        &format!("{secret}/labels"),
        Some(json!({"name": "x", "color": "000000"})),
    )
    .await;
    assert_eq!(label.status, 201, "{}", label.body);
    assert_eq!(
        env.delete(&format!("/_fakehub{secret}/collaborators/out"))
            .await
            .status,
        204
    );
    refused(&get(&env, "out", secret).await, 404, "Not Found");

    // Membership gives the organization's base permission; admin makes an admin.
    env.put("/_fakehub/orgs/acme/members/out", json!({"role": "member"}))
        .await;
    assert_eq!(get(&env, "out", secret).await.status, 200);
    refused(
        &get(&env, "out", &format!("{secret}/hooks")).await,
        403,
        ADMIN_RIGHTS,
    );
    env.put("/_fakehub/orgs/acme/members/out", json!({"role": "admin"}))
        .await;
    assert_eq!(
        get(&env, "out", &format!("{secret}/hooks")).await.status,
        200
    );
    assert_eq!(
        env.delete("/_fakehub/orgs/acme/members/out").await.status,
        204
    );
    refused(&get(&env, "out", secret).await, 404, "Not Found");

    // A repository made public is readable by all.
    let r = env
        .send(
            reqwest::Method::PATCH,
            &format!("/_fakehub{secret}"),
            Some(json!({"private": false})),
            &[],
        )
        .await;
    assert_eq!(r.body["private"], false);
    assert_eq!(get(&env, "out", secret).await.status, 200);

    // A user added at run time signs in with its token.
    let r = env
        .post(
            "/_fakehub/users",
            json!({"login": "newbie", "token": "t-newbie", "scopes": ["repo"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let declared = env.get("/_fakehub/access").await.body;
    assert_eq!(declared["enforced"], true);
    assert!(declared["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["login"] == "newbie" && u["scopes"] == json!(["repo"])));
    assert!(
        !declared.to_string().contains("t-newbie"),
        "tokens are never listed"
    );
    let me = get(&env, "newbie", "/user").await;
    assert_eq!(me.body["login"], "newbie");
    assert_eq!(me.header("x-oauth-scopes"), Some("repo"));
    refused(
        &get(&env, "newbie", "/repos/olga/diary").await,
        404,
        "Not Found",
    );
    env.put(
        "/_fakehub/repos/olga/diary/collaborators/newbie",
        json!({"permission": "read"}),
    )
    .await;
    assert_eq!(get(&env, "newbie", "/repos/olga/diary").await.status, 200);
}

#[tokio::test]
async fn users_and_organizations_render_like_githubs() {
    let env = env().await;
    let me = get(&env, "ada", "/user").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["login"], "ada");
    assert_eq!(me.body["name"], "ada Example");
    assert_eq!(me.body["type"], "User");
    assert!(me.body["two_factor_authentication"].is_boolean());
    refused(
        &req(&env, None, "GET", "/user", None).await,
        401,
        "Requires authentication",
    );

    let bot = get(&env, "ada", "/users/helper").await;
    assert_eq!(bot.body["type"], "Bot");
    assert!(
        bot.body.get("plan").is_none(),
        "another user's profile is public"
    );
    refused(
        &get(&env, "ada", "/users/nobody-at-all").await,
        404,
        "Not Found",
    );

    let org = get(&env, "mia", "/orgs/acme").await;
    assert_eq!(org.status, 200);
    assert_eq!(org.body["login"], "acme");
    assert_eq!(org.body["type"], "Organization");
    assert_eq!(org.body["public_repos"], 1);
    refused(&get(&env, "mia", "/orgs/olga").await, 404, "Not Found");

    let members = get(&env, "mia", "/orgs/acme/members").await;
    let logins: Vec<&str> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["ada", "mia"]);
    schemas().check_rest_list("simple-user", &members.body);
    assert_eq!(get(&env, "mia", "/orgs/acme/members/ada").await.status, 204);
    assert_eq!(get(&env, "mia", "/orgs/acme/members/out").await.status, 404);
    // Memberships are concealed (GitHub's default): outsiders see no members, and asking
    // about one sends them to the public membership, which there is none of.
    assert_eq!(get(&env, "out", "/orgs/acme/members").await.body, json!([]));
    let asked = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(env.url("/orgs/acme/members/ada"))
        .header("Authorization", "token t-out")
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 302);
    assert_eq!(
        asked.headers()["location"],
        format!("{}/orgs/acme/public_members/ada", env.fh.url).as_str()
    );
    assert_eq!(
        get(&env, "out", "/orgs/acme/public_members").await.body,
        json!([])
    );
    assert_eq!(
        get(&env, "out", "/orgs/acme/public_members/ada")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn open_mode_stays_as_it_was() {
    // No --token and nothing declared: every token is octocat, an admin of everything.
    let mut doc = generated(3, 0, 2, 1, 0);
    doc.repos[0].private = true;
    let env = Env::with(doc, |o| o.settings.tokens.clear()).await;
    let o = "/repos/acme/widgets";
    let any = |path: &str| {
        let path = path.to_string();
        let env = &env;
        async move {
            env.send(
                reqwest::Method::GET,
                &path,
                None,
                &[("Authorization", "token whatever")],
            )
            .await
        }
    };
    assert_eq!(any(o).await.status, 200);
    assert_eq!(any(&format!("{o}/hooks")).await.status, 200);
    assert_eq!(any("/user").await.body["login"], "octocat");
    let r = env
        .send(
            reqwest::Method::POST,
            &format!("{o}/labels"),
            Some(json!({"name": "z", "color": "000000"})),
            &[("Authorization", "token anything-else")],
        )
        .await;
    assert_eq!(r.status, 201);
    // Anonymous reads still see everything, as before.
    assert_eq!(req(&env, None, "GET", o, None).await.status, 200);

    // --token without declarations: those logins act with full rights, as before.
    let env = Env::new(generated(2, 0, 2, 1, 0)).await;
    assert_eq!(env.get("/repos/acme/widgets/hooks").await.status, 200);
    assert_eq!(env.get("/user").await.body["login"], "octocat");
}

#[tokio::test]
async fn a_cli_token_names_a_declared_user() {
    // `--token LOGIN:TOKEN` next to declared users: the token acts as that user, with every
    // scope, under that user's roles.
    let env = Env::with(world(), |o| {
        o.settings.tokens = vec![fakehub::TokenSpec::parse("tom:cli-token")];
    })
    .await;
    let r = env
        .send(
            reqwest::Method::POST,
            "/repos/acme/widgets/labels",
            Some(json!({"name": "z", "color": "000000"})),
            &[("Authorization", "token cli-token")],
        )
        .await;
    refused(&r, 403, NOT_ACCESSIBLE);
    let r = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/secret",
            None,
            &[("Authorization", "token cli-token")],
        )
        .await;
    assert_eq!(r.status, 200);
    // Declared tokens keep working too.
    assert_eq!(get(&env, "ada", "/repos/acme/secret").await.status, 200);
}

#[tokio::test]
async fn without_push_access_labels_and_assignees_of_a_new_issue_are_dropped() {
    // GitHub's documentation: "Only users with push access can set labels for new issues.
    // Labels are silently dropped otherwise." (the same for assignees and the milestone).
    let env = env().await;
    let body = json!({"title": "With extras", "labels": ["bug"], "assignees": ["wes"]});
    let r = req(
        &env,
        Some("rita"),
        "POST",
        "/repos/acme/widgets/issues",
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["title"], "With extras");
    assert_eq!(r.body["labels"], json!([]));
    assert_eq!(r.body["assignees"], json!([]));
    let r = req(
        &env,
        Some("wes"),
        "POST",
        "/repos/acme/widgets/issues",
        Some(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["labels"][0]["name"], "bug");
    assert_eq!(r.body["assignees"][0]["login"], "wes");
}

#[tokio::test]
async fn a_reset_returns_to_open_mode() {
    let env = env().await;
    assert_eq!(env.post("/_fakehub/reset", json!({})).await.status, 204);
    let r = env
        .send(
            reqwest::Method::GET,
            "/user",
            None,
            &[("Authorization", "token t-ada")],
        )
        .await;
    assert_eq!(r.body["login"], "octocat");
}

#[tokio::test]
async fn a_repository_tells_the_caller_its_permissions() {
    let env = env().await;
    let perms = |who: &'static str| {
        let env = &env;
        async move { get(env, who, "/repos/acme/widgets").await.body["permissions"].clone() }
    };
    assert_eq!(
        perms("tom").await,
        json!({"admin": false, "maintain": false, "push": false, "triage": true, "pull": true})
    );
    assert_eq!(
        perms("ada").await,
        json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true})
    );
    assert_eq!(perms("out").await["pull"], true);
    assert_eq!(perms("out").await["push"], false);
    let anonymous = req(&env, None, "GET", "/repos/acme/widgets", None).await;
    assert!(anonymous.body.get("permissions").is_none());
}

#[tokio::test]
async fn comments_are_edited_by_their_authors_or_with_write_access() {
    let env = env().await;
    let o = "/repos/acme/widgets";
    let c = req(
        &env,
        Some("rita"),
        "POST",
        &format!("{o}/issues/1/comments"),
        Some(json!({"body": "first"})),
    )
    .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let path = format!("{o}/issues/comments/{}", c.body["id"]);
    let own = req(
        &env,
        Some("rita"),
        "PATCH",
        &path,
        Some(json!({"body": "edited"})),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.body);
    refused(
        &req(
            &env,
            Some("tom"),
            "PATCH",
            &path,
            Some(json!({"body": "not yours"})),
        )
        .await,
        403,
        NOT_ACCESSIBLE,
    );
    refused(
        &req(&env, Some("out"), "DELETE", &path, None).await,
        403,
        NOT_ACCESSIBLE,
    );
    assert_eq!(
        req(&env, Some("wes"), "DELETE", &path, None).await.status,
        204
    );
}
