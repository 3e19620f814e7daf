//! GitHub Apps: the app's key pair, `GET /app` behind an RS256 JWT checked by GitHub's
//! rules, and the app's installations.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn seed() -> fakehub::SeedDoc {
    serde_json::from_value(json!({
        "orgs": [{"login": "acme", "members": [{"login": "boss", "role": "admin"}]}],
        "users": [{"login": "boss", "token": "boss-token"}],
        "repos": [{"full_name": "acme/widgets"}],
        "apps": [{"id": 9, "slug": "c-app", "client_id": "Iv1.c",
                  "installations": [{"id": 90, "account": "acme", "repositories": "all", "permissions": {"issues": "write"}}]}]
    }))
    .unwrap()
}

fn jwt(key_pem: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn as_app(env: &Env, path: &str, token: &str) -> Resp {
    env.send(
        Method::GET,
        path,
        None,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[tokio::test]
async fn the_app_authenticates_with_a_jwt_signed_by_its_key() {
    let env = Env::with(seed(), |o| o.settings.tokens.clear()).await;
    let key = env
        .http
        .get(env.url("/_fakehub/apps/9/private-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{key}");
    let now = chrono::Utc::now().timestamp();
    let good = jwt(
        &key,
        json!({"iss": "Iv1.c", "iat": now - 60, "exp": now + 540}),
    );
    let r = as_app(&env, "/app", &good).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["slug"], "c-app");
    assert_eq!(r.body["installations_count"], 1);
    // The app's id works as the issuer too.
    let by_id = jwt(&key, json!({"iss": 9, "iat": now - 60, "exp": now + 540}));
    assert_eq!(as_app(&env, "/app", &by_id).await.status, 200);
    let r = as_app(&env, "/app/installations", &good).await;
    assert_eq!(r.body[0]["id"], 90, "{}", r.body);
    assert_eq!(r.body[0]["account"]["login"], "acme");
    assert_eq!(r.body[0]["repository_selection"], "all");
    assert_eq!(r.body[0]["permissions"], json!({"issues": "write"}));

    // Each broken rule is answered as GitHub answers it.
    let other_key = fakehub::model::apps::key_pair(None).unwrap().0;
    for (claims, signer, message) in [
        (json!({"iss": "Iv1.c", "iat": now - 60, "exp": now + 1200}), &key,
         "'Expiration time' claim ('exp') is too far in the future"),
        (json!({"iss": "Iv1.c", "iat": now - 700, "exp": now - 100}), &key,
         "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"),
        (json!({"iss": "Iv1.c", "iat": now + 120, "exp": now + 300}), &key,
         "'Issued at' claim ('iat') must be an Integer representing a time in the past"),
        (json!({"iss": "Iv1.c", "exp": now + 300}), &key,
         "'Issued at' claim ('iat') must be an Integer representing a time in the past"),
        (json!({"iss": "Iv1.nope", "iat": now - 60, "exp": now + 300}), &key, "Integration not found"),
        (json!({"iss": "Iv1.c", "iat": now - 60, "exp": now + 300}), &other_key,
         "A JSON web token could not be decoded"),
    ] {
        let r = as_app(&env, "/app", &jwt(signer, claims.clone())).await;
        assert_eq!((r.status, r.body["message"].as_str()), (401, Some(message)), "{claims}");
    }
    let r = as_app(&env, "/app", "not-a-jwt").await;
    assert_eq!(r.status, 401);
    // A user's token is not an app's JWT.
    let r = as_app(&env, "/app", "boss-token").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        env.http
            .get(env.url("/_fakehub/apps/77/private-key"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn a_given_key_is_kept_and_bad_seeds_are_refused() {
    let pem = fakehub::model::apps::key_pair(None).unwrap().0;
    let mut doc = seed();
    doc.apps[0].private_key_pem = Some(pem.clone());
    let env = Env::with(doc, |o| o.settings.tokens.clear()).await;
    let key = env
        .http
        .get(env.url("/_fakehub/apps/9/private-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(key, pem);
    let r = env
        .send(
            Method::POST,
            "/_fakehub/seed",
            Some(
                json!({"apps": [{"id": 10, "slug": "x", "client_id": "Iv1.x",
                "installations": [{"id": 100, "account": "nobody-here"}]}]}),
            ),
            &[],
        )
        .await;
    assert!(r.status >= 400, "{}", r.body);
    assert!(r.body.to_string().contains("nobody-here"), "{}", r.body);
}

/// An organization with a public, a private and an uncovered private repository, a user
/// with a public repository of their own, and app 9 installed on the organization for two
/// of its repositories, sending its webhook to `hook_url`.
fn installed(hook_url: Option<&str>) -> fakehub::SeedDoc {
    serde_json::from_value(json!({
        "orgs": [{"login": "acme", "members": [{"login": "boss", "role": "admin"}]}],
        "users": [{"login": "boss", "token": "boss-token"}, {"login": "zed", "token": "zed-token"}],
        "repos": [
            {"full_name": "acme/widgets"},
            {"full_name": "acme/secret", "private": true},
            {"full_name": "acme/other", "private": true},
            {"full_name": "zed/public"},
            {"full_name": "zed/second"},
        ],
        "apps": [{"id": 9, "slug": "c-app", "client_id": "Iv1.c",
                  "webhook_url": hook_url, "webhook_secret": "app-secret",
                  "installations": [{"id": 90, "account": "acme",
                                     "repositories": ["acme/widgets", "acme/secret"],
                                     "permissions": {"issues": "write", "metadata": "read"}}]}]
    }))
    .unwrap()
}

/// The app's JWT, issued by fakehub's clock.
async fn app_jwt(env: &Env) -> String {
    let key = env
        .http
        .get(env.url("/_fakehub/apps/9/private-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(
        env.get("/_fakehub/clock").await.body["now"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .timestamp();
    jwt(
        &key,
        json!({"iss": "Iv1.c", "iat": now - 30, "exp": now + 500}),
    )
}

async fn app_call(env: &Env, method: Method, path: &str, body: Option<Value>) -> Resp {
    let jwt = app_jwt(env).await;
    env.send(
        method,
        path,
        body,
        &[("authorization", &format!("Bearer {jwt}"))],
    )
    .await
}

async fn with_token(
    env: &Env,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    env.send(
        method,
        path,
        body,
        &[("authorization", &format!("token {token}"))],
    )
    .await
}

async fn new_token(env: &Env, installation: u64, ask: Value) -> Resp {
    app_call(
        env,
        Method::POST,
        &format!("/app/installations/{installation}/access_tokens"),
        Some(ask),
    )
    .await
}

#[tokio::test]
async fn installation_tokens_act_with_the_installations_permissions_and_limit() {
    let env = Env::with(installed(None), |o| o.settings.tokens.clear()).await;
    let r = new_token(&env, 90, json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    schemas().check_rest("installation-token", &r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ghs_") && token.len() == 40, "{token}");
    let expires =
        chrono::DateTime::parse_from_rfc3339(r.body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!(
        (3590..=3600).contains(&left),
        "a token lives an hour: {left} s left"
    );
    assert_eq!(
        r.body["permissions"],
        json!({"issues": "write", "metadata": "read"})
    );
    assert_eq!(r.body["repository_selection"], "selected");

    // Inside the installation: reads, and writes as the app's bot.
    let t = token.as_str();
    assert_eq!(
        with_token(&env, t, Method::GET, "/repos/acme/secret/issues", None)
            .await
            .status,
        200
    );
    let made = with_token(
        &env,
        t,
        Method::POST,
        "/repos/acme/widgets/issues",
        Some(json!({"title": "from the app", "labels": ["bug"]})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["user"]["login"], "c-app[bot]");
    assert_eq!(made.body["user"]["type"], "Bot");
    assert_eq!(
        made.body["labels"][0]["name"], "bug",
        "an app's labels are not trimmed"
    );
    assert!(
        made.headers.get("x-oauth-scopes").is_none(),
        "installation tokens have no scopes"
    );
    // Outside it: a private repository is unseen, a public one read-only.
    assert_eq!(
        with_token(&env, t, Method::GET, "/repos/acme/other", None)
            .await
            .status,
        404
    );
    assert_eq!(
        with_token(&env, t, Method::GET, "/repos/zed/public/issues", None)
            .await
            .status,
        200
    );
    let r = with_token(
        &env,
        t,
        Method::POST,
        "/repos/zed/public/issues",
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (403, Some("Resource not accessible by integration"))
    );
    // Hooks need `repository_hooks`, which this installation lacks.
    let r = with_token(&env, t, Method::GET, "/repos/acme/widgets/hooks", None).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (403, Some("Resource not accessible by integration"))
    );
    let r = with_token(&env, t, Method::GET, "/installation/repositories", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["total_count"], 2);
    assert_eq!(r.body["repository_selection"], "selected");
    schemas().check_rest_list("repository", &r.body["repositories"]);
    let r = with_token(
        &env,
        "boss-token",
        Method::GET,
        "/installation/repositories",
        None,
    )
    .await;
    assert_eq!(
        r.status, 403,
        "a user's token lists no installation's repositories"
    );

    // A narrowed token: one repository, read only.
    let r = new_token(
        &env,
        90,
        json!({"repositories": ["widgets"], "permissions": {"issues": "read"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["repositories"][0]["full_name"], "acme/widgets");
    assert_eq!(r.body["permissions"], json!({"issues": "read"}));
    let narrow = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        with_token(&env, &narrow, Method::GET, "/repos/acme/secret", None)
            .await
            .status,
        404
    );
    assert_eq!(
        with_token(
            &env,
            &narrow,
            Method::GET,
            "/repos/acme/widgets/issues",
            None
        )
        .await
        .status,
        200
    );
    let r = with_token(
        &env,
        &narrow,
        Method::POST,
        "/repos/acme/widgets/issues",
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = with_token(
        &env,
        &narrow,
        Method::GET,
        "/installation/repositories",
        None,
    )
    .await;
    assert_eq!(r.body["total_count"], 1);

    // Asking for more than the installation has is GitHub's 422; another's installation 404.
    for (ask, message) in [
        (json!({"permissions": {"issues": "admin"}}), "The permissions requested are not granted to this installation."),
        (json!({"permissions": {"administration": "read"}}), "The permissions requested are not granted to this installation."),
        (json!({"repositories": ["other"]}), "There is at least one repository that does not exist or is not accessible to the parent installation."),
        (json!({"repository_ids": [123456789]}), "There is at least one repository that does not exist or is not accessible to the parent installation."),
    ] {
        let r = new_token(&env, 90, ask.clone()).await;
        assert_eq!((r.status, r.body["message"].as_str()), (422, Some(message)), "{ask}");
    }
    assert_eq!(new_token(&env, 91, json!({})).await.status, 404);
    let r = env
        .send(
            Method::POST,
            "/app/installations/90/access_tokens",
            None,
            &[("authorization", "token boss-token")],
        )
        .await;
    assert_eq!(r.status, 401, "a token is not the app's JWT");

    // The installation's tokens share their own bucket, apart from any user's.
    let used = |r: &Resp| r.header_u64("x-ratelimit-used");
    let a = with_token(&env, t, Method::GET, "/repos/acme/widgets", None).await;
    let b = with_token(&env, &narrow, Method::GET, "/repos/acme/widgets", None).await;
    assert_eq!(
        used(&b),
        used(&a) + 1,
        "two tokens of one installation, one limit"
    );
    let user = with_token(&env, "boss-token", Method::GET, "/repos/acme/widgets", None).await;
    assert!(
        used(&user) < used(&a),
        "a user's bucket is apart: {} vs {}",
        used(&user),
        used(&a)
    );

    // An hour later the tokens are dead.
    env.post("/_fakehub/clock", json!({"advance_seconds": 3601}))
        .await;
    let r = with_token(&env, t, Method::GET, "/repos/acme/widgets", None).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (401, Some("Bad credentials"))
    );
}

#[tokio::test]
async fn the_app_finds_its_installations() {
    let env = Env::with(installed(None), |o| o.settings.tokens.clear()).await;
    let r = app_call(&env, Method::GET, "/repos/acme/widgets/installation", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], 90);
    schemas().check_rest("installation", &r.body);
    assert_eq!(
        app_call(&env, Method::GET, "/repos/acme/other/installation", None)
            .await
            .status,
        404
    );
    assert_eq!(
        app_call(&env, Method::GET, "/repos/acme/nope/installation", None)
            .await
            .status,
        404
    );
    assert_eq!(
        app_call(&env, Method::GET, "/orgs/acme/installation", None)
            .await
            .body["id"],
        90
    );
    assert_eq!(
        app_call(&env, Method::GET, "/users/zed/installation", None)
            .await
            .status,
        404
    );
    assert_eq!(
        app_call(&env, Method::GET, "/app/installations/90", None)
            .await
            .body["account"]["login"],
        "acme"
    );
    assert_eq!(
        app_call(&env, Method::GET, "/app/installations/91", None)
            .await
            .status,
        404
    );
    let r = env
        .send(
            Method::GET,
            "/repos/acme/widgets/installation",
            None,
            &[("authorization", "token boss-token")],
        )
        .await;
    assert_eq!(r.status, 401, "only the app's JWT asks this");
}

#[tokio::test]
async fn installation_events_reach_the_apps_webhook() {
    let rx = Receiver::start().await;
    let env = Env::with(installed(Some(&rx.url)), |o| o.settings.tokens.clear()).await;
    let id_of = |name: &'static str| {
        let env = &env;
        async move {
            with_token(
                env,
                "zed-token",
                Method::GET,
                &format!("/repos/{name}"),
                None,
            )
            .await
            .body["id"]
                .as_u64()
                .unwrap()
        }
    };
    let zed_public = id_of("zed/public").await;
    let zed_second = id_of("zed/second").await;

    // Installed at run time: `installation.created`, signed with the app's secret.
    let r = env
        .send(
            Method::POST,
            "/_fakehub/apps/9/installations",
            Some(
                json!({"id": 95, "account": "zed", "repositories": ["zed/public"],
                    "permissions": {"issues": "write"}}),
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].event(), "installation");
    let created = got[0].json();
    assert_eq!(created["action"], "created");
    assert_eq!(created["installation"]["id"], 95);
    assert_eq!(created["repositories"][0]["full_name"], "zed/public");
    assert_eq!(created["sender"]["login"], "zed");
    schemas().check_webhook("installation", &created);
    assert_eq!(
        got[0].header("x-github-hook-installation-target-type"),
        "integration"
    );
    assert_eq!(got[0].header("x-github-hook-installation-target-id"), "9");
    assert!(got[0].header("x-hub-signature-256").starts_with("sha256="));

    // The account's owner adds and removes a repository: `installation_repositories`.
    let path = format!("/user/installations/95/repositories/{zed_second}");
    let r = with_token(&env, "zed-token", Method::PUT, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = rx.wait_for(2).await;
    let added = got[1].json();
    assert_eq!(
        (got[1].event(), added["action"].as_str()),
        ("installation_repositories", Some("added"))
    );
    assert_eq!(added["repositories_added"][0]["id"], zed_second);
    assert_eq!(added["repositories_removed"], json!([]));
    schemas().check_webhook("installation_repositories", &added);
    let r = with_token(&env, "boss-token", Method::DELETE, &path, None).await;
    assert_eq!(
        r.status, 403,
        "only an admin of the repository changes it: {}",
        r.body
    );
    let r = with_token(
        &env,
        "zed-token",
        Method::DELETE,
        &format!("/user/installations/95/repositories/{zed_public}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    let got = rx.wait_for(3).await;
    let removed = got[2].json();
    assert_eq!(removed["action"], "removed");
    assert_eq!(
        removed["repositories_removed"][0]["full_name"],
        "zed/public"
    );
    schemas().check_webhook("installation_repositories", &removed);
    // The installation's token follows: only zed/second is left.
    let r = new_token(&env, 95, json!({})).await;
    let token = r.body["token"].as_str().unwrap().to_string();
    let r = with_token(
        &env,
        &token,
        Method::GET,
        "/installation/repositories",
        None,
    )
    .await;
    assert_eq!(
        r.body["repositories"][0]["full_name"], "zed/second",
        "{}",
        r.body
    );
    assert_eq!(r.body["total_count"], 1);

    // Uninstalled: `installation.deleted`, and the token stops working.
    let r = app_call(&env, Method::DELETE, "/app/installations/95", None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = rx.wait_for(4).await;
    let deleted = got[3].json();
    assert_eq!(
        (got[3].event(), deleted["action"].as_str()),
        ("installation", Some("deleted"))
    );
    schemas().check_webhook("installation", &deleted);
    assert_eq!(
        with_token(&env, &token, Method::GET, "/repos/zed/second", None)
            .await
            .status,
        401
    );
    assert_eq!(
        app_call(&env, Method::DELETE, "/app/installations/95", None)
            .await
            .status,
        404
    );

    // The app's delivery log lists all four, newest first.
    env.wait_deliveries().await;
    let log = app_call(&env, Method::GET, "/app/hook/deliveries", None).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let events: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "installation",
            "installation_repositories",
            "installation_repositories",
            "installation"
        ]
    );
    let first = log.body[3]["id"].as_u64().unwrap();
    let one = app_call(
        &env,
        Method::GET,
        &format!("/app/hook/deliveries/{first}"),
        None,
    )
    .await;
    assert_eq!(one.body["request"]["payload"]["action"], "created");
    let config = app_call(&env, Method::GET, "/app/hook/config", None).await;
    assert_eq!(config.body["url"], rx.url.as_str());

    // An installation on every repository cannot add one.
    let widgets = id_of("acme/widgets").await;
    let r = app_call(&env, Method::POST, "/_fakehub/apps", None).await;
    assert!(r.status >= 400, "an app declaration needs a body");
    let r = env.send(Method::POST, "/_fakehub/apps", Some(json!({"id": 12, "slug": "all-app", "client_id": "Iv1.all",
        "installations": [{"id": 120, "account": "acme", "repositories": "all", "permissions": {"issues": "read"}}]})), &[]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = with_token(
        &env,
        "boss-token",
        Method::PUT,
        &format!("/user/installations/120/repositories/{widgets}"),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn installation_tokens_are_bounded_even_in_open_mode() {
    // No users declared and no --token: every other token is octocat, an admin of all.
    let doc: fakehub::SeedDoc = serde_json::from_value(json!({
        "repos": [{"full_name": "acme/widgets"}, {"full_name": "acme/gadgets"}],
        "apps": [{"id": 9, "slug": "c-app", "client_id": "Iv1.c",
                  "installations": [{"id": 90, "account": "acme", "repositories": ["acme/widgets"],
                                     "permissions": {"issues": "write"}}]}]
    }))
    .unwrap();
    let env = Env::with(doc, |o| o.settings.tokens.clear()).await;
    let token = new_token(&env, 90, json!({})).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = with_token(
        &env,
        &token,
        Method::POST,
        "/repos/acme/widgets/issues",
        Some(json!({"title": "ok"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = with_token(
        &env,
        &token,
        Method::POST,
        "/repos/acme/gadgets/issues",
        Some(json!({"title": "no"})),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Open mode is untouched by the tokens handed out.
    let r = with_token(&env, "anything", Method::GET, "/user", None).await;
    assert_eq!(r.body["login"], "octocat", "{}", r.body);
    let r = with_token(
        &env,
        "ghs_notatokenfakehubgave000000000000000",
        Method::GET,
        "/repos/acme/widgets",
        None,
    )
    .await;
    assert_eq!(
        r.status, 401,
        "an unknown installation token is not octocat"
    );
}
