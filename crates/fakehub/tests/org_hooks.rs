//! Organization webhooks: the same CRUD, pings, delivery log and redelivery as repository
//! hooks, at `/orgs/{org}/hooks`; they also get the events of the organization's
//! repositories; only organization admins manage them when access is enforced.

mod common;
use common::*;
use fakehub::seed::{SeedMember, SeedOrg, SeedUser};
use fakehub::webhooks::verify;
use fakehub::{SeedDoc, SeedRepo};
use serde_json::json;

const SECRET: &str = "s3cret";

#[tokio::test]
async fn org_hook_crud_ping_deliveries_and_repository_events() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let rx = Receiver::start().await;
    let r = env
        .post(
            "/orgs/acme/hooks",
            json!({"name": "web", "config": {"url": rx.url, "content_type": "json", "secret": SECRET}, "events": ["issues"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_u64().unwrap();
    assert_eq!(r.body["type"], "Organization");
    assert_eq!(r.body["config"]["secret"], "********");
    assert!(r.body["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/orgs/acme/hooks/{id}")));
    assert!(r.body.get("test_url").is_none(), "{}", r.body);

    let ping = rx.wait_for(1).await[0].clone();
    assert_eq!(ping.event(), "ping");
    assert_eq!(
        ping.header("x-github-hook-installation-target-type"),
        "organization"
    );
    assert!(verify(
        SECRET,
        &ping.body,
        ping.header("x-hub-signature-256")
    ));
    let payload = ping.json();
    assert_eq!(payload["hook_id"], id);
    assert_eq!(payload["organization"]["login"], "acme");
    assert_eq!(payload["hook"]["type"], "Organization");
    assert!(payload.get("repository").is_none());
    schemas().check_webhook("ping", &payload);

    // A repository of the organization: its events reach the organization's hook too.
    let issue = env.issue("Seen by the org").await;
    let got = rx.wait_for(2).await;
    let opened = got[1].json();
    assert_eq!(got[1].event(), "issues");
    assert_eq!(opened["issue"]["number"], issue["number"]);
    assert_eq!(opened["repository"]["full_name"], "acme/widgets");
    assert_eq!(
        got[1].header("x-github-hook-installation-target-type"),
        "organization"
    );

    let list = env.get("/orgs/acme/hooks").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        env.get(&format!("/orgs/acme/hooks/{id}")).await.body["id"],
        id
    );
    let r = env
        .patch(
            &format!("/orgs/acme/hooks/{id}"),
            json!({"add_events": ["projects_v2"], "config": {"url": rx.url, "content_type": "json"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["events"], json!(["issues", "projects_v2"]));
    assert_eq!(
        env.get(&format!("/orgs/acme/hooks/{id}/config")).await.body["url"],
        rx.url
    );
    assert_eq!(
        env.post("/orgs/acme/hooks", json!({"config": {"url": rx.url}}))
            .await
            .status,
        422,
        "one hook per URL"
    );

    env.wait_deliveries().await;
    let log = env.get(&format!("/orgs/acme/hooks/{id}/deliveries")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event"], "issues");
    assert_eq!(items[1]["event"], "ping");
    assert_eq!(items[1]["repository_id"], serde_json::Value::Null);
    schemas().check_rest_list("hook-delivery-item", &log.body);
    let did = items[0]["id"].as_u64().unwrap();
    let one = env
        .get(&format!("/orgs/acme/hooks/{id}/deliveries/{did}"))
        .await;
    assert_eq!(one.status, 200);
    assert!(one.body["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/orgs/acme/hooks/{id}/deliveries/{did}")));
    let guid = one.body["guid"].clone();
    let r = env
        .post(
            &format!("/orgs/acme/hooks/{id}/deliveries/{did}/attempts"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 202);
    let got = rx.wait_for(3).await;
    assert_eq!(got[2].header("x-github-delivery"), guid.as_str().unwrap());
    assert_eq!(
        env.post(&format!("/orgs/acme/hooks/{id}/pings"), json!({}))
            .await
            .status,
        204
    );
    rx.wait_for(4).await;

    assert_eq!(env.get("/orgs/nobody/hooks").await.status, 404);
    assert_eq!(env.get("/orgs/acme/hooks/999999").await.status, 404);
    assert_eq!(
        env.delete(&format!("/orgs/acme/hooks/{id}")).await.status,
        204
    );
    assert_eq!(env.get(&format!("/orgs/acme/hooks/{id}")).await.status, 404);
}

fn user(login: &str, scopes: Option<&[&str]>) -> SeedUser {
    SeedUser {
        login: login.into(),
        token: format!("t-{login}"),
        name: None,
        kind: None,
        scopes: scopes.map(|s| s.iter().map(|s| s.to_string()).collect()),
    }
}

#[tokio::test]
async fn org_hooks_need_an_organization_admin() {
    let seed = SeedDoc {
        users: vec![
            user("ada", None),
            user("mia", None),
            user("out", None),
            user("hookie", Some(&["admin:org_hook"])),
            user("reader", Some(&["read:org"])),
        ],
        orgs: vec![SeedOrg {
            login: "acme".into(),
            members: ["ada", "mia", "hookie", "reader"]
                .iter()
                .map(|l| SeedMember {
                    login: l.to_string(),
                    role: (*l != "mia").then(|| "admin".into()),
                })
                .collect(),
        }],
        repos: vec![SeedRepo {
            full_name: "acme/widgets".into(),
            ..Default::default()
        }],
        apps: Vec::new(),
    };
    let env = Env::with(seed, |o| o.settings.tokens.clear()).await;
    let as_ = |who: &'static str| {
        let auth = format!("token t-{who}");
        let env = &env;
        move |method: &'static str, body: Option<serde_json::Value>| {
            let auth = auth.clone();
            async move {
                env.send(
                    method.parse().unwrap(),
                    "/orgs/acme/hooks",
                    body,
                    &[("Authorization", auth.as_str())],
                )
                .await
            }
        }
    };
    let hook = json!({"config": {"url": "http://127.0.0.1:9/hook"}});
    assert_eq!(as_("out")("GET", None).await.status, 404);
    assert_eq!(as_("mia")("GET", None).await.status, 403);
    assert_eq!(as_("mia")("POST", Some(hook.clone())).await.status, 403);
    assert_eq!(
        as_("reader")("GET", None).await.status,
        403,
        "read:org is not enough"
    );
    assert_eq!(as_("ada")("GET", None).await.status, 200);
    let r = as_("hookie")("POST", Some(hook)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.headers.get("x-accepted-oauth-scopes").unwrap(),
        "admin:org_hook"
    );
}
