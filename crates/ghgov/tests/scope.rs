//! Only configured repositories are mirrored: a write token cannot make the server mirror
//! whatever its GitHub token can read, webhooks about other repositories are stored and
//! ignored, an admin may admit one (audited), and `OWNER/*` covers an owner.

mod common;
use common::*;
use fakehub::FakeHub;
use ghgov::mirror::scope::RepoScope;
use ghgov::server::{self, ServeOptions};
use ghgov::store::Scope;
use reqwest::Method;
use serde_json::{json, Value};

/// Renames issue `number` of `repo` in fakehub (a webhook follows).
async fn retitle(fh: &FakeHub, repo: &str, number: u64, title: &str) {
    let r = reqwest::Client::new()
        .patch(format!("{}/repos/{repo}/issues/{number}", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({ "title": title }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "retitling {repo}#{number}");
}

async fn repo_names(url: &str, token: &str) -> Vec<String> {
    let (status, body) = call(Method::GET, &format!("{url}/api/v1/repos"), token, None).await;
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn titles(url: &str, token: &str, repo: &str) -> Vec<String> {
    let (status, body) = call(
        Method::GET,
        &format!("{url}/api/v1/issues?repo={repo}&state=all&per_page=100"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

async fn install_hooks(gg: &server::Running, repos: &[&str]) {
    for repo in repos {
        ghgov::server::hooks::install_hook(
            gg.gh.as_ref().unwrap(),
            &ghgov::mirror::RepoName::parse(repo).unwrap(),
            &gg.url(),
            &SECRET.into(),
        )
        .await
        .unwrap();
    }
}

async fn only_configured_repositories_are_mirrored(db: String) {
    let mut t = TestWorld::repos(&["acme/widgets", "other/private"])
        .start(&db)
        .await;
    let fh = t.fh.clone();
    let gg = t.start_ghgov(|options| options).await; // configured: acme/widgets
    let url = gg.url();
    let store = t.store.clone();
    let (_, writer) = store.create_token("writer", Scope::Write).await.unwrap();
    let (_, admin) = store.create_token("admin", Scope::Admin).await.unwrap();
    install_hooks(&gg, &["acme/widgets", "other/private"]).await;

    // A signed delivery about another repository is stored, marked ignored, and says why.
    retitle(&fh, "other/private", 1, "secret plans").await;
    retitle(&fh, "acme/widgets", 1, "public plans").await;
    settled(&fh, &gg.store).await;
    let (_, events) = call(
        Method::GET,
        &format!("{url}/api/v1/webhooks/events?per_page=100"),
        &writer,
        None,
    )
    .await;
    let about = |repo: &str| -> Vec<Value> {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["repository"] == repo && e["event"] == "issues")
            .cloned()
            .collect()
    };
    let private = about("other/private");
    assert_eq!(private.len(), 1, "{events}");
    assert_eq!(private[0]["status"], "ignored", "{}", private[0]);
    assert!(
        private[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("not a repository this server mirrors"),
        "{}",
        private[0]
    );
    assert_eq!(about("acme/widgets")[0]["status"], "processed");
    assert_eq!(repo_names(&url, &writer).await, ["acme/widgets"]);
    assert!(titles(&url, &writer, "other/private").await.is_empty());

    // A write token cannot make the server mirror another repository, with or without
    // asking to admit it; an admin must ask explicitly.
    let trigger = format!("{url}/api/v1/sync/trigger");
    let body = json!({"repository": "other/private", "sync_type": "full"});
    let (status, answer) = call(Method::POST, &trigger, &writer, Some(body.clone())).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("--repo other/private"),
        "the refusal says how to fix it: {answer}"
    );
    let admit = json!({"repository": "other/private", "sync_type": "full", "admit": true});
    let (status, answer) = call(Method::POST, &trigger, &writer, Some(admit.clone())).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = call(Method::POST, &trigger, &admin, Some(body)).await;
    assert_eq!(status, 403, "admission is explicit: {answer}");
    assert_eq!(repo_names(&url, &writer).await, ["acme/widgets"]);

    let (status, answer) = call(Method::POST, &trigger, &admin, Some(admit.clone())).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["admitted"], true);
    let mut mirrored = Vec::new();
    for _ in 0..1000 {
        mirrored = titles(&url, &writer, "other/private").await;
        if mirrored.len() == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(mirrored.len(), 5, "the admitted repository is synced");
    assert!(mirrored.contains(&"secret plans".to_string()));
    let (status, answer) = call(Method::POST, &trigger, &admin, Some(admit)).await;
    assert_eq!((status, &answer["admitted"]), (202, &json!(false)));
    let (_, audit) = call(
        Method::GET,
        &format!("{url}/api/v1/governance/audit?repo=other/private"),
        &admin,
        None,
    )
    .await;
    let admissions: Vec<&Value> = audit["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{audit}"))
        .iter()
        .filter(|a| a["action"] == "admit")
        .collect();
    assert_eq!(admissions.len(), 1, "admitted once, audited once: {audit}");
    assert_eq!(admissions[0]["actor"], "token:admin");
    assert_eq!(admissions[0]["object_key"], "other/private");

    // From now on its webhooks are processed.
    retitle(&fh, "other/private", 2, "now mirrored").await;
    settled(&fh, &gg.store).await;
    assert!(titles(&url, &writer, "other/private")
        .await
        .contains(&"now mirrored".to_string()));
    gg.shutdown().await;

    // The admission outlives the process.
    let again = t.serve_with(|options| options).await;
    let (status, answer) = call(
        Method::POST,
        &format!("{}/api/v1/sync/trigger", again.url()),
        &writer,
        Some(json!({"repository": "other/private"})),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    t.finish().await;
}

async fn owner_patterns_cover_every_repository_of_the_owner(db: String) {
    let t = TestWorld::repos(&["acme/widgets", "acme/gadgets", "other/private"])
        .serving_with(|options| ServeOptions {
            scope: RepoScope::parse_all(&["acme/*".to_string()]).unwrap(),
            ..options
        })
        .start(&db)
        .await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let url = gg.url();
    let (_, token) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    install_hooks(gg, &["acme/widgets", "acme/gadgets", "other/private"]).await;
    for repo in ["acme/widgets", "acme/gadgets", "other/private"] {
        retitle(fh, repo, 3, &format!("changed in {repo}")).await;
    }
    settled(fh, &gg.store).await;
    assert_eq!(
        repo_names(&url, &token).await,
        ["acme/gadgets", "acme/widgets"]
    );
    assert!(titles(&url, &token, "acme/gadgets")
        .await
        .contains(&"changed in acme/gadgets".to_string()));
    // The reconciler covers the mirrored repositories of the owner.
    let scope = RepoScope::parse_all(&["acme/*".to_string()]).unwrap();
    let mut reconciled: Vec<String> = scope
        .to_reconcile(&gg.store)
        .await
        .unwrap()
        .iter()
        .map(|r| r.full())
        .collect();
    reconciled.sort();
    assert_eq!(reconciled, ["acme/gadgets", "acme/widgets"]);
    t.finish().await;
}

async fn planning_is_refused_for_other_repositories(db: String) {
    let t = TestWorld::repos(&["acme/widgets", "other/private"])
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    let (_, writer) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let example = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        let mut doc = ghgov::governance::load::read_document(
            &path,
            name,
            &ghgov::governance::document_limits::DocumentLimits::DEFAULT,
        )
        .unwrap();
        doc["organization"] = json!("other");
        doc["repository"] = json!("private");
        doc
    };
    let (status, answer) = call(
        Method::POST,
        &format!("{}/api/v1/governance/generate", gg.url()),
        &writer,
        Some(json!({"spec": example("project-spec.yml"), "config": example("governance.yml")})),
    )
    .await;
    assert_eq!(status, 403, "{}", answer["error"]);
    assert!(
        answer["error"].as_str().unwrap().contains("other/private"),
        "{}",
        answer["error"]
    );
    assert_eq!(repo_names(&gg.url(), &writer).await, Vec::<String>::new());
    t.finish().await;
}

suite!(both: [
    only_configured_repositories_are_mirrored,
    owner_patterns_cover_every_repository_of_the_owner,
    planning_is_refused_for_other_repositories,
]);
