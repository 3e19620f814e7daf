//! A third-party GitHub client (octocrab) pointed at fakehub works as it would on GitHub:
//! lists across pages, creates and edits issues, labels and milestones, and its typed
//! models accept what fakehub answers.

mod common;
use common::*;
use octocrab::models::issues::Issue;
use octocrab::models::Milestone;
use octocrab::params;
use serde_json::json;

fn client(env: &Env) -> octocrab::Octocrab {
    octocrab::Octocrab::builder()
        .base_uri(env.fh.url.clone())
        .unwrap()
        .personal_token(TOKEN.to_string())
        .build()
        .unwrap()
}

#[tokio::test]
async fn octocrab_lists_across_pages_and_edits() {
    let env = Env::new(generated(230, 10, 5, 2, 20)).await;
    let gh = client(&env);

    let repo = gh.repos("acme", "widgets").get().await.expect("repository");
    assert_eq!(repo.full_name.as_deref(), Some("acme/widgets"));

    let first = gh
        .issues("acme", "widgets")
        .list()
        .state(params::State::All)
        .per_page(100)
        .send()
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 100);
    assert!(first.next.is_some(), "octocrab found the next link");
    let all = gh.all_pages(first).await.expect("every page");
    assert_eq!(all.len(), 250, "230 issues and 20 pull requests, each once");
    assert_eq!(all.iter().filter(|i| i.pull_request.is_some()).count(), 20);

    let created = gh
        .issues("acme", "widgets")
        .create("Made by octocrab")
        .body("hello")
        .labels(vec!["bug".to_string()])
        .assignees(vec!["alice".to_string()])
        .send()
        .await
        .expect("create issue");
    assert_eq!(created.number, 251);
    assert_eq!(created.labels[0].name, "bug");

    let updated = gh
        .issues("acme", "widgets")
        .update(created.number)
        .title("Edited by octocrab")
        .state(octocrab::models::IssueState::Closed)
        .send()
        .await
        .expect("update issue");
    assert_eq!(updated.title, "Edited by octocrab");
    assert_eq!(updated.state, octocrab::models::IssueState::Closed);

    let label = gh
        .issues("acme", "widgets")
        .create_label("octo", "00ff00", "made by octocrab")
        .await
        .expect("create label");
    assert_eq!(label.color, "00ff00");
    let labels = gh
        .issues("acme", "widgets")
        .list_labels_for_repo()
        .per_page(100)
        .send()
        .await
        .expect("labels");
    assert!(labels.items.iter().any(|l| l.name == "octo"));
    gh.issues("acme", "widgets")
        .add_labels(created.number, &["octo".to_string()])
        .await
        .expect("add label");

    let comment = gh
        .issues("acme", "widgets")
        .create_comment(created.number, "a comment")
        .await
        .expect("comment");
    assert_eq!(comment.body.as_deref(), Some("a comment"));
    let comments = gh
        .issues("acme", "widgets")
        .list_comments(created.number)
        .send()
        .await
        .expect("comments");
    assert_eq!(comments.items.len(), 1);

    let milestone: Milestone = gh
        .post(
            "/repos/acme/widgets/milestones",
            Some(&json!({"title": "From octocrab", "due_on": "2031-03-01T12:00:00Z"})),
        )
        .await
        .expect("create milestone");
    let with_milestone: Issue = gh
        .patch(
            format!("/repos/acme/widgets/issues/{}", created.number),
            Some(&json!({"milestone": milestone.number})),
        )
        .await
        .expect("set milestone");
    assert_eq!(
        with_milestone.milestone.map(|m| m.title),
        Some("From octocrab".to_string())
    );

    // Errors come back as GitHub errors, which octocrab parses.
    let err = gh
        .issues("acme", "widgets")
        .get(99_999)
        .await
        .expect_err("404");
    match err {
        octocrab::Error::GitHub { source, .. } => assert_eq!(source.message, "Not Found"),
        other => panic!("expected a GitHub error, got {other:?}"),
    }
}
