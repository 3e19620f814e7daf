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
