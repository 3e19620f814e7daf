//! `projects_v2` and `projects_v2_item` events: every project operation sends its event to
//! the owning organization's hooks, with GitHub's payloads (validated against the webhook
//! schemas); projects of users send nothing.

mod common;
use common::*;
use fakehub::model::projects::{FieldKind, FieldValue, ProjectEdit};
use fakehub::model::UserKind;
use serde_json::{json, Value};

#[tokio::test]
async fn project_operations_send_their_events_to_the_organization() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    let rx = Receiver::start().await;
    let r = env
        .post(
            "/orgs/acme/hooks",
            json!({"config": {"url": rx.url, "content_type": "json"}, "events": ["projects_v2", "projects_v2_item"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    rx.wait_for(1).await;

    let hub = env.fh.hub.clone();
    let (status, status_ids, sprint, first_iteration, item, draft, second, project) = {
        let mut w = hub.world.write();
        let now = hub.clock.now();
        let repo = w.repo_idx("acme", "widgets").unwrap();
        let issues: Vec<u64> = w.repos[repo].issues.iter().map(|i| i.id).collect();
        let project = w.create_project("acme", "Roadmap", "octocat", now).unwrap();
        let item = w
            .add_project_item(project, issues[0], "octocat", now)
            .unwrap();
        let second = w
            .add_project_item(project, issues[1], "octocat", now)
            .unwrap();
        let draft = w
            .add_project_draft(project, "Idea", "Some body", "octocat", now)
            .unwrap();
        let p = w.project(project).unwrap();
        let status = p.field_by_name("Status").unwrap().clone();
        let status_ids: Vec<String> = status.options.iter().map(|o| o.id.clone()).collect();
        let sprint = w
            .create_project_field(project, "Sprint", FieldKind::Iteration, vec![], now)
            .unwrap();
        let first_iteration = w
            .project(project)
            .unwrap()
            .field(sprint)
            .unwrap()
            .iterations[0]
            .id
            .clone();
        hub.flush(&mut w);
        (
            status.id,
            status_ids,
            sprint,
            first_iteration,
            item,
            draft,
            second,
            project,
        )
    };
    {
        let mut w = hub.world.write();
        let now = hub.clock.now();
        let estimate = w
            .create_project_field(project, "Estimate", FieldKind::Number, vec![], now)
            .unwrap();
        let notes = w
            .create_project_field(project, "Notes", FieldKind::Text, vec![], now)
            .unwrap();
        let due = w
            .create_project_field(project, "Due", FieldKind::Date, vec![], now)
            .unwrap();
        let sel = |k: usize| FieldValue::SingleSelect(status_ids[k].clone());
        w.set_project_value(project, item, status, sel(0), "octocat", now)
            .unwrap();
        w.set_project_value(project, item, status, sel(2), "octocat", now)
            .unwrap();
        w.set_project_value(
            project,
            item,
            estimate,
            FieldValue::Number(3.0),
            "octocat",
            now,
        )
        .unwrap();
        w.set_project_value(
            project,
            item,
            notes,
            FieldValue::Text("hi".into()),
            "octocat",
            now,
        )
        .unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        w.set_project_value(project, item, due, FieldValue::Date(day), "octocat", now)
            .unwrap();
        w.set_project_value(
            project,
            item,
            sprint,
            FieldValue::Iteration(first_iteration.clone()),
            "octocat",
            now,
        )
        .unwrap();
        w.clear_project_value(project, item, estimate, "octocat", now)
            .unwrap();
        w.archive_project_item(project, item, true, "octocat", now)
            .unwrap();
        w.archive_project_item(project, item, false, "octocat", now)
            .unwrap();
        w.position_project_item(project, second, None, "octocat", now)
            .unwrap();
        let repo = w.repo_idx("acme", "widgets").unwrap();
        w.convert_project_draft(project, draft, repo, "octocat", now)
            .unwrap();
        w.delete_project_item(project, second, "octocat", now)
            .unwrap();
        w.update_project(
            project,
            ProjectEdit {
                title: Some("Roadmap 2027".into()),
                short_description: Some("What we do next".into()),
                public: Some(true),
                ..Default::default()
            },
            "octocat",
            now,
        )
        .unwrap();
        w.update_project(
            project,
            ProjectEdit {
                closed: Some(true),
                ..Default::default()
            },
            "octocat",
            now,
        )
        .unwrap();
        w.update_project(
            project,
            ProjectEdit {
                closed: Some(false),
                ..Default::default()
            },
            "octocat",
            now,
        )
        .unwrap();
        w.delete_project(project, "octocat", now).unwrap();
        // A user's project sends nothing.
        w.user_of_kind("solo", UserKind::User);
        let mine = w.create_project("solo", "Mine", "solo", now).unwrap();
        w.add_project_draft(mine, "x", "", "solo", now).unwrap();
        hub.flush(&mut w);
    }
    env.wait_deliveries().await;
    let got: Vec<(String, Value)> = rx
        .events()
        .iter()
        .map(|r| (r.event().to_string(), r.json()))
        .collect();
    let seen: Vec<String> = got
        .iter()
        .map(|(e, p)| format!("{e}.{}", p["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            "projects_v2.created",
            "projects_v2_item.created",
            "projects_v2_item.created",
            "projects_v2_item.created",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.edited",
            "projects_v2_item.archived",
            "projects_v2_item.restored",
            "projects_v2_item.reordered",
            "projects_v2_item.converted",
            "projects_v2_item.deleted",
            "projects_v2.edited",
            "projects_v2.closed",
            "projects_v2.reopened",
            "projects_v2.deleted",
        ]
    );
    for (event, payload) in &got {
        schemas().check_webhook(event, payload);
        assert_eq!(payload["organization"]["login"], "acme");
        assert_eq!(payload["sender"]["login"], "octocat");
    }
    let fv = |k: usize| got[k].1["changes"]["field_value"].clone();
    assert_eq!(fv(4)["field_type"], "single_select");
    assert_eq!(fv(4)["field_name"], "Status");
    assert_eq!(fv(4)["from"], Value::Null);
    assert_eq!(fv(4)["to"]["name"], "Todo");
    assert!(fv(4)["field_node_id"]
        .as_str()
        .unwrap()
        .starts_with("PVTSSF_"));
    assert_eq!(fv(5)["from"]["name"], "Todo");
    assert_eq!(fv(5)["to"]["name"], "Done");
    assert_eq!(
        (fv(6)["field_type"].clone(), fv(6)["to"].clone()),
        (json!("number"), json!(3))
    );
    assert_eq!(
        (fv(7)["field_type"].clone(), fv(7)["to"].clone()),
        (json!("text"), json!("hi"))
    );
    assert_eq!(fv(8)["field_type"], "date");
    assert_eq!(fv(9)["field_type"], "iteration");
    assert_eq!(fv(9)["to"]["id"], first_iteration);
    assert_eq!(
        (fv(10)["from"].clone(), fv(10)["to"].clone()),
        (json!(3), Value::Null)
    );
    let archived = &got[11].1;
    assert!(archived["projects_v2_item"]["archived_at"].is_string());
    assert!(archived["changes"]["archived_at"]["to"].is_string());
    assert!(got[12].1["projects_v2_item"]["archived_at"].is_null());
    assert_eq!(
        got[13].1["changes"]["previous_projects_v2_item_node_id"]["to"],
        Value::Null,
        "moved to the top"
    );
    let converted = &got[14].1;
    assert_eq!(converted["changes"]["content_type"]["to"], "Issue");
    assert_eq!(converted["projects_v2_item"]["content_type"], "Issue");
    assert!(converted["projects_v2_item"]["content_node_id"]
        .as_str()
        .unwrap()
        .starts_with("I_"));
    let edited = &got[16].1;
    assert_eq!(
        edited["changes"]["title"],
        json!({"from": "Roadmap", "to": "Roadmap 2027"})
    );
    assert_eq!(
        edited["changes"]["public"],
        json!({"from": false, "to": true})
    );
    assert_eq!(got[17].1["projects_v2"]["state"], "closed");
    assert!(got[17].1["projects_v2"]["closed_at"].is_string());
    assert_eq!(got[18].1["projects_v2"]["state"], "open");
    let deleted = &got[19].1["projects_v2"];
    assert!(deleted["deleted_at"].is_string());
    assert_eq!(deleted["deleted_by"]["login"], "octocat");
    assert_eq!(
        got[0].1["projects_v2"]["node_id"].as_str().unwrap()[..4],
        *"PVT_"
    );
    let _ = (sprint, status);
}

#[tokio::test]
async fn graphql_project_mutations_send_events_as_the_viewer() {
    let env = Env::new(generated(1, 0, 0, 0, 0)).await;
    let rx = Receiver::start().await;
    env.post(
        "/orgs/acme/hooks",
        json!({"config": {"url": rx.url, "content_type": "json"}, "events": ["projects_v2", "projects_v2_item"]}),
    )
    .await;
    let (project, item, draft) = {
        let hub = &env.fh.hub;
        let mut w = hub.world.write();
        let now = hub.clock.now();
        let issue = w.repos[0].issues[0].id;
        let project = w.create_project("acme", "Board", "hubot", now).unwrap();
        let item = w.add_project_item(project, issue, "hubot", now).unwrap();
        let draft = w
            .add_project_draft(project, "Draft", "", "hubot", now)
            .unwrap();
        w.archive_project_item(project, item, true, "hubot", now)
            .unwrap();
        hub.flush(&mut w);
        (project, item, draft)
    };
    use fakehub::graphql::ids::{encode, NodeKind};
    let repo_id = env.get("/repos/acme/widgets").await.body["node_id"].clone();
    let r = env
        .post(
            "/graphql",
            json!({"query": "mutation($p: ID!, $i: ID!, $d: ID!, $r: ID!) {
                a: updateProjectV2(input: {projectId: $p, title: \"Board 2\", closed: true}) { projectV2 { title closed } }
                b: unarchiveProjectV2Item(input: {projectId: $p, itemId: $i}) { item { id } }
                c: updateProjectV2ItemPosition(input: {projectId: $p, itemId: $d}) { clientMutationId }
                d: convertProjectV2DraftIssueItemToIssue(input: {itemId: $d, repositoryId: $r}) { item { id } }
                e: deleteProjectV2(input: {projectId: $p}) { clientMutationId }
            }",
            "variables": {"p": encode(NodeKind::Project, project), "i": encode(NodeKind::ProjectItem, item), "d": encode(NodeKind::ProjectItem, draft), "r": repo_id}}),
        )
        .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    assert_eq!(r.body["data"]["a"]["projectV2"]["title"], "Board 2");
    env.wait_deliveries().await;
    let got: Vec<(String, Value)> = rx
        .events()
        .iter()
        .map(|r| (r.event().to_string(), r.json()))
        .collect();
    let seen: Vec<String> = got
        .iter()
        .map(|(e, p)| format!("{e}.{}", p["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen[4..],
        [
            "projects_v2.edited",
            "projects_v2.closed",
            "projects_v2_item.restored",
            "projects_v2_item.reordered",
            "projects_v2_item.converted",
            "projects_v2.deleted",
        ]
    );
    for (event, payload) in &got {
        schemas().check_webhook(event, payload);
    }
    assert_eq!(got[4].1["sender"]["login"], "octocat", "the viewer sends");
    assert_eq!(got[0].1["sender"]["login"], "hubot");
}

#[tokio::test]
async fn the_control_api_seeds_a_board_from_a_repositorys_issues() {
    let env = Env::new(generated(250, 0, 0, 0, 0)).await;
    let r = env
        .post(
            "/_fakehub/projects",
            json!({"owner": "acme", "repository": "acme/widgets", "items": 230}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["items"], 230);
    let project = r.body["node_id"].clone();
    let query = "query($p: ID!, $c: String) { node(id: $p) { ... on ProjectV2 { items(first: 100, after: $c) {
        pageInfo { endCursor hasNextPage } nodes { id fieldValues(first: 10) { nodes { __typename
        ... on ProjectV2ItemFieldSingleSelectValue { name } ... on ProjectV2ItemFieldNumberValue { number }
        ... on ProjectV2ItemFieldTextValue { text } } } } } } } }";
    let (mut cursor, mut seen) = (Value::Null, 0);
    for page in 0.. {
        let r = env
            .post(
                "/graphql",
                json!({"query": query, "variables": {"p": project, "c": cursor}}),
            )
            .await;
        assert!(r.body.get("errors").is_none(), "{}", r.body);
        let items = &r.body["data"]["node"]["items"];
        let nodes = items["nodes"].as_array().unwrap();
        seen += nodes.len();
        if page == 0 {
            let values = nodes[1]["fieldValues"]["nodes"].as_array().unwrap();
            let texts: Vec<&Value> = values.iter().filter_map(|v| v.get("text")).collect();
            assert!(texts.contains(&&json!("Issue #2")), "{values:?}");
            assert!(
                values.iter().any(|v| v["name"] == "In Progress"),
                "{values:?}"
            );
            assert!(values.iter().any(|v| v["number"] == 2.0), "{values:?}");
        }
        if items["pageInfo"]["hasNextPage"] != true {
            break;
        }
        cursor = items["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, 230);
    assert_eq!(
        env.post(
            "/_fakehub/projects",
            json!({"owner": "acme", "repository": "acme/nothing"})
        )
        .await
        .status,
        404
    );
}
