//! `POST /graphql`: the schema against GitHub's, queries answered from the model REST
//! changes, connections, node ids, costs, limits and GitHub's error shape.

mod common;
use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{ServiceDocument, TypeKind, TypeSystemDefinition};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const GITHUB_SUBSET: &str = include_str!("../testdata/github-graphql-subset.graphql");

/// Type → (kind, field → (type, argument → type), interfaces, enum values).
#[derive(Debug, Default)]
struct Shape {
    kind: String,
    fields: BTreeMap<String, (String, BTreeMap<String, String>)>,
    interfaces: Vec<String>,
    values: Vec<String>,
}

fn shapes(doc: &ServiceDocument) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = &t.node;
        let mut shape = Shape::default();
        let fields = match &t.kind {
            TypeKind::Object(o) => {
                shape.kind = "type".into();
                shape.interfaces = o.implements.iter().map(|i| i.node.to_string()).collect();
                Some(&o.fields)
            }
            TypeKind::Interface(i) => {
                shape.kind = "interface".into();
                Some(&i.fields)
            }
            TypeKind::Enum(e) => {
                shape.kind = "enum".into();
                shape.values = e
                    .values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
                None
            }
            TypeKind::Scalar => {
                shape.kind = "scalar".into();
                None
            }
            TypeKind::Union(_) => {
                shape.kind = "union".into();
                None
            }
            TypeKind::InputObject(i) => {
                shape.kind = "input".into();
                for f in &i.fields {
                    shape.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), BTreeMap::new()),
                    );
                }
                None
            }
        };
        for f in fields.into_iter().flatten() {
            let args = f
                .node
                .arguments
                .iter()
                .map(|a| (a.node.name.node.to_string(), a.node.ty.node.to_string()))
                .collect();
            shape.fields.insert(
                f.node.name.node.to_string(),
                (f.node.ty.node.to_string(), args),
            );
        }
        out.insert(t.name.node.to_string(), shape);
    }
    out
}

/// Every difference between what `ours` serves and GitHub's schema.
fn differences(ours: &str, github: &str) -> Vec<String> {
    let ours = shapes(&parse_schema(ours).expect("fakehub's SDL parses"));
    let github = shapes(&parse_schema(github).expect("GitHub's SDL parses"));
    let mut problems = Vec::new();
    for (name, mine) in &ours {
        let Some(theirs) = github.get(name) else {
            problems.push(format!("type {name} is not in GitHub's schema"));
            continue;
        };
        if mine.kind != theirs.kind {
            problems.push(format!(
                "{name} is a {} here, a {} on GitHub",
                mine.kind, theirs.kind
            ));
        }
        for i in &mine.interfaces {
            if !theirs.interfaces.contains(i) {
                problems.push(format!("{name} implements {i} here, not on GitHub"));
            }
        }
        for v in &mine.values {
            if !theirs.values.contains(v) {
                problems.push(format!("{name}.{v} is not a value on GitHub"));
            }
        }
        for (field, (ty, args)) in &mine.fields {
            let Some((their_ty, their_args)) = theirs.fields.get(field) else {
                problems.push(format!("{name}.{field} is not on GitHub"));
                continue;
            };
            if ty != their_ty {
                problems.push(format!("{name}.{field} is {ty} here, {their_ty} on GitHub"));
            }
            for (arg, arg_ty) in args {
                match their_args.get(arg) {
                    None => problems.push(format!("{name}.{field}({arg}:) is not on GitHub")),
                    Some(t) if t != arg_ty => problems.push(format!(
                        "{name}.{field}({arg}:) is {arg_ty} here, {t} on GitHub"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    problems
}

#[test]
fn the_schema_matches_githubs() {
    let problems = differences(&fakehub::graphql::schema().sdl(), GITHUB_SUBSET);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_comparison_finds_differences() {
    let github = "type Issue implements Node { title: String! number: Int! labels(first: Int): LabelConnection }
        interface Node { id: ID! } enum IssueState { OPEN CLOSED }";
    let ours = "type Issue implements Node & Closable { title: String number: Int! labels(first: Int!, query: String): LabelConnection body: String! }
        type Widget { id: ID! } enum IssueState { OPEN CLOSED LOCKED }";
    let found = differences(ours, github);
    for expected in [
        "Issue implements Closable here, not on GitHub",
        "Issue.title is String here, String! on GitHub",
        "Issue.labels(first:) is Int! here, Int on GitHub",
        "Issue.labels(query:) is not on GitHub",
        "Issue.body is not on GitHub",
        "type Widget is not in GitHub's schema",
        "IssueState.LOCKED is not a value on GitHub",
    ] {
        assert!(found.iter().any(|p| p == expected), "{expected}: {found:?}");
    }
}

async fn graphql(env: &Env, query: &str, variables: Value) -> Resp {
    env.send(
        Method::POST,
        "/graphql",
        Some(json!({"query": query, "variables": variables})),
        &[],
    )
    .await
}

#[tokio::test]
async fn queries_answer_from_the_same_model_as_rest() {
    let env = Env::new(generated(12, 0, 3, 1, 2)).await;
    // A change through REST is seen by GraphQL.
    let r = env
        .send(
            Method::PATCH,
            "/repos/acme/widgets/issues/1",
            Some(json!({"title": "Changed through REST", "state": "closed", "state_reason": "not_planned"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rest_node_id = r.body["node_id"].as_str().unwrap().to_string();
    let r = graphql(
        &env,
        "query($n: Int!) { viewer { login } repository(owner: \"acme\", name: \"widgets\") {
            nameWithOwner isPrivate owner { login }
            issue(number: $n) { id number title state stateReason closed url author { login } }
            issues(first: 5, states: [OPEN]) { totalCount pageInfo { hasNextPage endCursor } nodes { number state } }
            labels(first: 10) { totalCount nodes { name color } }
          }
          rateLimit { cost limit remaining used nodeCount resetAt } }",
        json!({"n": 1}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let d = &r.body["data"];
    assert_eq!(d["viewer"]["login"], "octocat");
    let repo = &d["repository"];
    assert_eq!(repo["nameWithOwner"], "acme/widgets");
    assert_eq!(repo["owner"]["login"], "acme");
    let issue = &repo["issue"];
    assert_eq!(issue["title"], "Changed through REST");
    assert_eq!(issue["state"], "CLOSED");
    assert_eq!(issue["stateReason"], "NOT_PLANNED");
    assert_eq!(issue["closed"], true);
    assert_eq!(issue["id"], rest_node_id, "GraphQL ids are REST's node_id");
    // Pull requests are not issues in GraphQL.
    let open_issues = env.fh.hub.world.read().repos[0]
        .issues
        .iter()
        .filter(|i| !i.pull_request && i.is_open())
        .count();
    assert_eq!(repo["issues"]["totalCount"], open_issues as u64);
    assert_eq!(
        repo["issues"]["nodes"].as_array().unwrap().len(),
        5.min(open_issues)
    );
    assert!(repo["issues"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["state"] == "OPEN"));
    assert_eq!(repo["labels"]["totalCount"], 3);
    // Two connections of up to 5 and 10 nodes: 2 requests, 15 nodes, 1 point.
    let rate = &d["rateLimit"];
    assert_eq!(rate["cost"], 1);
    assert_eq!(rate["nodeCount"], 15);
    assert_eq!(rate["limit"], 5000);
    assert_eq!(rate["used"], 1);
    assert_eq!(rate["remaining"], 4999);
    assert_eq!(r.header("x-ratelimit-resource"), Some("graphql"));
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 4999);

    // node() finds what an id names; nodes() answers null for an unknown id.
    let r = graphql(
        &env,
        "query($id: ID!) { node(id: $id) { id ... on Issue { number title } } nodes(ids: [$id, \"I_bm9wZQ\"]) { id } }",
        json!({"id": rest_node_id}),
    )
    .await;
    assert_eq!(r.body["data"]["node"]["number"], 1, "{}", r.body);
    assert_eq!(r.body["data"]["nodes"][1], Value::Null);
}

#[tokio::test]
async fn connections_page_forward_and_back() {
    let env = Env::new(generated(25, 0, 0, 0, 0)).await;
    let page = |after: Value| {
        let env = &env;
        async move {
            graphql(
                env,
                "query($after: String) { repository(owner: \"acme\", name: \"widgets\") { issues(first: 10, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { cursor node { number } } } } }",
                json!({"after": after}),
            )
            .await
            .body["data"]["repository"]["issues"]
                .clone()
        }
    };
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let c = page(after.clone()).await;
        assert_eq!(c["totalCount"], 25);
        for e in c["edges"].as_array().unwrap() {
            seen.push(e["node"]["number"].as_u64().unwrap());
        }
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    let r = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"widgets\") { issues(last: 3) { nodes { number } pageInfo { hasPreviousPage } } } }",
        json!({}),
    )
    .await;
    let c = &r.body["data"]["repository"]["issues"];
    assert_eq!(
        c["nodes"],
        json!([{"number": 23}, {"number": 24}, {"number": 25}])
    );
    assert_eq!(c["pageInfo"]["hasPreviousPage"], true);
}

#[tokio::test]
async fn errors_have_githubs_shape() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    // Not found: data null for the field, an error with type, path and locations.
    let r = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"nope\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["repository"], Value::Null, "{}", r.body);
    let e = &r.body["errors"][0];
    assert_eq!(e["type"], "NOT_FOUND");
    assert_eq!(
        e["message"],
        "Could not resolve to a Repository with the name 'acme/nope'."
    );
    assert_eq!(e["path"], json!(["repository"]));
    assert_eq!(e["locations"], json!([{"line": 1, "column": 3}]));
    assert!(e.get("extensions").is_none(), "{e}");

    // A connection without bounds, and one past 100.
    let r = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"widgets\") { issues { totalCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES",
        "{}",
        r.body
    );
    assert!(r.body.get("data").is_none());
    let r = graphql(
        &env,
        "query($n: Int) { repository(owner: \"acme\", name: \"widgets\") { issues(first: $n) { totalCount } } }",
        json!({"n": 101}),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["type"], "EXCESSIVE_PAGINATION",
        "{}",
        r.body
    );

    // Syntax and validation errors are GraphQL errors, answered 200.
    let r = graphql(&env, "{ repository(owner: ", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(r.body["errors"][0]["locations"].is_array(), "{}", r.body);
    let r = graphql(&env, "{ viewer { nope } }", json!({})).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{}",
        r.body
    );

    // Not JSON, a bad token, no token (tokens are declared here, so no open mode).
    let r = env
        .send(
            Method::POST,
            "/graphql",
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (400, Some("Problems parsing JSON"))
    );
    let r = env
        .send(
            Method::POST,
            "/graphql",
            Some(json!({"query": "{ viewer { login } }"})),
            &[("authorization", "token wrong")],
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (401, Some("Bad credentials"))
    );
    let r = env
        .http
        .post(env.url("/graphql"))
        .json(&json!({"query": "{ viewer { login } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn the_hours_points_run_out() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    // 1 request for the issues, 100 for their labels, 100 for their sub-issues and 10,000
    // for the sub-issues' assignees: 10,201 requests, 102 points.
    let heavy = "{ repository(owner: \"acme\", name: \"widgets\") { issues(first: 100) { nodes { labels(first: 100) { totalCount } subIssues(first: 100) { nodes { assignees(first: 40) { totalCount } } } } } } rateLimit { cost remaining } }";
    let r = graphql(&env, heavy, json!({})).await;
    assert_eq!(r.body["data"]["rateLimit"]["cost"], 102, "{}", r.body);
    let mut last = r;
    for _ in 0..60 {
        last = graphql(&env, heavy, json!({})).await;
        if last.body["errors"].is_array() {
            break;
        }
    }
    // 5000 / 102: 49 queries fit in the hour.
    assert_eq!(
        last.body["errors"][0]["type"], "RATE_LIMITED",
        "{}",
        last.body
    );
    assert!(last.header_u64("x-ratelimit-remaining") < 102);
    // A cheap query still fits in what is left; a token's REST budget is separate.
    let r = graphql(&env, "{ viewer { login } }", json!({})).await;
    assert_eq!(r.body["data"]["viewer"]["login"], "octocat", "{}", r.body);
    let rest = env.send(Method::GET, "/rate_limit", None, &[]).await;
    assert_eq!(rest.body["resources"]["core"]["used"], 0, "{}", rest.body);
}

#[test]
fn every_connection_is_costed() {
    let ours = parse_schema(fakehub::graphql::schema().sdl()).unwrap();
    for (type_name, shape) in shapes(&ours) {
        for (field, (ty, _)) in shape.fields {
            if ty.trim_end_matches('!').ends_with("Connection") {
                assert!(
                    fakehub::graphql::cost::CONNECTIONS.contains(&field.as_str()),
                    "{type_name}.{field} returns a connection that the cost rule does not know"
                );
            }
        }
    }
}

#[tokio::test]
async fn open_mode_answers_anonymous_queries() {
    let env = Env::with(generated(1, 0, 0, 0, 0), |o| o.settings.tokens.clear()).await;
    let r = env
        .http
        .post(env.url("/graphql"))
        .json(&json!({"query": "{ viewer { login } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["login"], "octocat", "{body}");
}

#[tokio::test]
async fn mutations_change_the_model_and_send_the_same_webhooks() {
    let env = Env::new(generated(3, 0, 2, 1, 0)).await;
    let rx = Receiver::start().await;
    let r = env
        .post(
            "/repos/acme/widgets/hooks",
            json!({"name": "web", "config": {"url": rx.url, "content_type": "json"}, "events": ["issues", "sub_issues"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    rx.wait_for(1).await; // the ping
    let ids = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"widgets\") { id labels(first: 2) { nodes { id name } } milestones(first: 1) { nodes { id number } } issue(number: 1) { id } } viewer { id } }",
        json!({}),
    )
    .await
    .body["data"]
        .clone();
    let repo = &ids["repository"];
    let r = graphql(
        &env,
        "mutation($input: CreateIssueInput!) { createIssue(input: $input) { clientMutationId issue { id number title labels(first: 5) { nodes { name } } milestone { number } parent { number } assignees(first: 5) { nodes { login } } } } }",
        json!({"input": {
            "repositoryId": repo["id"],
            "title": "Made through GraphQL",
            "body": "hello",
            "labelIds": [repo["labels"]["nodes"][0]["id"]],
            "milestoneId": repo["milestones"]["nodes"][0]["id"],
            "assigneeIds": [ids["viewer"]["id"]],
            "parentIssueId": repo["issue"]["id"],
            "clientMutationId": "m1",
        }}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let made = &r.body["data"]["createIssue"];
    assert_eq!(made["clientMutationId"], "m1");
    assert_eq!(made["issue"]["title"], "Made through GraphQL");
    assert_eq!(made["issue"]["parent"]["number"], 1);
    assert_eq!(made["issue"]["assignees"]["nodes"][0]["login"], "octocat");
    assert_eq!(
        made["issue"]["labels"]["nodes"][0]["name"],
        repo["labels"]["nodes"][0]["name"]
    );
    // The lookup cost 1 point and the mutation 1 more.
    assert_eq!(r.header_u64("x-ratelimit-used"), 2, "a mutation costs 1");
    let number = made["issue"]["number"].as_u64().unwrap();
    // REST sees it, with the same node id.
    let rest = env
        .get(&format!("/repos/acme/widgets/issues/{number}"))
        .await;
    assert_eq!(rest.body["title"], "Made through GraphQL");
    assert_eq!(rest.body["node_id"], made["issue"]["id"]);
    assert_eq!(rest.body["milestone"]["number"], 1);
    // And the hook got what a REST create sends: issues.opened first, and the sub-issue link.
    env.wait_deliveries().await;
    let events: Vec<(String, String)> = rx
        .events()
        .iter()
        .map(|d| {
            (
                d.event().to_string(),
                d.json()["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        events[0],
        ("issues".to_string(), "opened".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&("sub_issues".to_string(), "sub_issue_added".to_string())),
        "{events:?}"
    );

    // Update, remove the sub-issue link, delete.
    let issue_id = made["issue"]["id"].clone();
    let r = graphql(
        &env,
        "mutation($id: ID!) { updateIssue(input: {id: $id, state: CLOSED, title: \"Renamed\"}) { issue { state title } } }",
        json!({"id": issue_id}),
    )
    .await;
    assert_eq!(
        r.body["data"]["updateIssue"]["issue"],
        json!({"state": "CLOSED", "title": "Renamed"}),
        "{}",
        r.body
    );
    let r = graphql(
        &env,
        "mutation($p: ID!, $c: ID!) { removeSubIssue(input: {issueId: $p, subIssueId: $c}) { issue { subIssues(first: 5) { totalCount } } subIssue { parent { number } } } }",
        json!({"p": repo["issue"]["id"], "c": issue_id}),
    )
    .await;
    assert_eq!(
        r.body["data"]["removeSubIssue"]["issue"]["subIssues"]["totalCount"], 0,
        "{}",
        r.body
    );
    assert_eq!(
        r.body["data"]["removeSubIssue"]["subIssue"]["parent"],
        Value::Null
    );
    let r = graphql(
        &env,
        "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { repository { nameWithOwner } } }",
        json!({"id": issue_id}),
    )
    .await;
    assert_eq!(
        r.body["data"]["deleteIssue"]["repository"]["nameWithOwner"], "acme/widgets",
        "{}",
        r.body
    );
    assert_eq!(
        env.get(&format!("/repos/acme/widgets/issues/{number}"))
            .await
            .status,
        410
    );

    // Unknown ids are NOT_FOUND; the model's refusals keep their message.
    let r = graphql(
        &env,
        "mutation { updateIssue(input: {id: \"I_bm9wZQ\", title: \"x\"}) { issue { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["type"], "NOT_FOUND", "{}", r.body);
    assert_eq!(r.body["errors"][0]["path"], json!(["updateIssue"]));
    let r = graphql(
        &env,
        "mutation($r: ID!) { createIssue(input: {repositoryId: $r, title: \"   \"}) { issue { id } } }",
        json!({"r": repo["id"]}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["type"], "UNPROCESSABLE", "{}", r.body);
}

#[tokio::test]
async fn a_project_board_end_to_end() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    let owner = graphql(
        &env,
        "{ organization(login: \"acme\") { id login } }",
        json!({}),
    )
    .await;
    let owner_id = owner.body["data"]["organization"]["id"].clone();
    assert!(
        owner_id.as_str().unwrap().starts_with("O_"),
        "{}",
        owner.body
    );
    // A new project, with GitHub's built-in fields and Status options.
    let r = graphql(
        &env,
        "mutation($o: ID!) { createProjectV2(input: {ownerId: $o, title: \"Roadmap\"}) { projectV2 { id number title
            fields(first: 20) { totalCount nodes { __typename ... on ProjectV2Field { name dataType } ... on ProjectV2SingleSelectField { id name options { id name color } } } } } } }",
        json!({"o": owner_id}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let project = &r.body["data"]["createProjectV2"]["projectV2"];
    assert_eq!(project["number"], 1);
    let project_id = project["id"].clone();
    let fields = project["fields"]["nodes"].as_array().unwrap();
    assert_eq!(project["fields"]["totalCount"], 10);
    let status = fields.iter().find(|f| f["name"] == "Status").unwrap();
    assert_eq!(status["__typename"], "ProjectV2SingleSelectField");
    let options: Vec<&str> = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["Todo", "In Progress", "Done"]);
    let in_progress = status["options"][1]["id"].clone();

    // A custom field, an issue and a draft on the board, values set.
    let r = graphql(
        &env,
        "mutation($p: ID!) { createProjectV2Field(input: {projectId: $p, dataType: NUMBER, name: \"Estimate\"}) { projectV2Field { ... on ProjectV2Field { id dataType } } } }",
        json!({"p": project_id}),
    )
    .await;
    let estimate = r.body["data"]["createProjectV2Field"]["projectV2Field"].clone();
    assert_eq!(estimate["dataType"], "NUMBER", "{}", r.body);
    let issue = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"widgets\") { issue(number: 2) { id title } } }",
        json!({}),
    )
    .await
    .body["data"]["repository"]["issue"]
        .clone();
    let r = graphql(
        &env,
        "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id type content { ... on Issue { number } } } } }",
        json!({"p": project_id, "c": issue["id"]}),
    )
    .await;
    let item = r.body["data"]["addProjectV2ItemById"]["item"].clone();
    assert_eq!(item["type"], "ISSUE", "{}", r.body);
    assert_eq!(item["content"]["number"], 2);
    let set = |field: Value, value: Value| {
        let env = &env;
        let (p, i) = (project_id.clone(), item["id"].clone());
        async move {
            graphql(
                env,
                "mutation($p: ID!, $i: ID!, $f: ID!, $v: ProjectV2FieldValue!) { updateProjectV2ItemFieldValue(input: {projectId: $p, itemId: $i, fieldId: $f, value: $v}) { projectV2Item { id } } }",
                json!({"p": p, "i": i, "f": field, "v": value}),
            )
            .await
        }
    };
    let r = set(
        status["id"].clone(),
        json!({"singleSelectOptionId": in_progress}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let r = set(estimate["id"].clone(), json!({"number": 3})).await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    // A value that does not fit its field is refused.
    let r = set(
        status["id"].clone(),
        json!({"singleSelectOptionId": "nope"}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["type"], "UNPROCESSABLE", "{}", r.body);
    let r = set(estimate["id"].clone(), json!({"text": "three"})).await;
    assert_eq!(r.body["errors"][0]["type"], "UNPROCESSABLE", "{}", r.body);
    graphql(
        &env,
        "mutation($p: ID!) { addProjectV2DraftIssue(input: {projectId: $p, title: \"An idea\"}) { projectItem { id } } }",
        json!({"p": project_id}),
    )
    .await;

    // Read the board back as a project sync would: items with their field values.
    let r = graphql(
        &env,
        "{ organization(login: \"acme\") { projectV2(number: 1) { title items(first: 10) { totalCount nodes { type isArchived
            content { __typename ... on Issue { number } ... on DraftIssue { title } }
            status: fieldValueByName(name: \"Status\") { ... on ProjectV2ItemFieldSingleSelectValue { name optionId } }
            fieldValues(first: 10) { nodes { __typename ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2Field { name } } } ... on ProjectV2ItemFieldTextValue { text } } } } } }
            projectsV2(first: 5) { totalCount nodes { number } } } }",
        json!({}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let org = &r.body["data"]["organization"];
    assert_eq!(org["projectsV2"]["totalCount"], 1);
    let items = org["projectV2"]["items"]["nodes"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"]["name"], "In Progress");
    assert_eq!(items[0]["status"]["optionId"], in_progress);
    let values = items[0]["fieldValues"]["nodes"].as_array().unwrap();
    assert_eq!(values[0]["text"], issue["title"], "the title comes first");
    assert!(values
        .iter()
        .any(|v| v["number"] == 3.0 && v["field"]["name"] == "Estimate"));
    assert_eq!(items[1]["type"], "DRAFT_ISSUE");
    assert_eq!(items[1]["content"]["title"], "An idea");
    assert_eq!(items[1]["status"], Value::Null);

    // Clear, archive, delete; an unknown project number is NOT_FOUND.
    let (p, i) = (project_id.clone(), item["id"].clone());
    let r = graphql(
        &env,
        "mutation($p: ID!, $i: ID!, $f: ID!) { clearProjectV2ItemFieldValue(input: {projectId: $p, itemId: $i, fieldId: $f}) { projectV2Item { status: fieldValueByName(name: \"Status\") { __typename } } } archiveProjectV2Item(input: {projectId: $p, itemId: $i}) { item { isArchived } } }",
        json!({"p": p, "i": i, "f": status["id"]}),
    )
    .await;
    assert_eq!(
        r.body["data"]["archiveProjectV2Item"]["item"]["isArchived"], true,
        "{}",
        r.body
    );
    let r = graphql(
        &env,
        "mutation($p: ID!, $i: ID!) { deleteProjectV2Item(input: {projectId: $p, itemId: $i}) { deletedItemId } }",
        json!({"p": project_id, "i": item["id"]}),
    )
    .await;
    assert_eq!(
        r.body["data"]["deleteProjectV2Item"]["deletedItemId"],
        item["id"]
    );
    let r = graphql(
        &env,
        "{ organization(login: \"acme\") { projectV2(number: 9) { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["type"], "NOT_FOUND", "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["message"],
        "Could not resolve to a ProjectV2 with the number 9."
    );
}

#[tokio::test]
async fn private_repositories_are_not_found_by_outsiders() {
    // Declared users: rights are enforced. `alice` collaborates on the private repository.
    let seed: fakehub::SeedDoc = serde_json::from_value(json!({
        "users": [{"login": "alice", "token": "alice-token"}, {"login": "eve", "token": "eve-token"}],
        "repos": [{"full_name": "acme/secret", "private": true, "collaborators": {"alice": "read"},
                   "issues": [{"title": "Hidden"}]}]
    }))
    .unwrap();
    let env = Env::with(seed, |o| o.settings.tokens.clear()).await;
    let ask = |token: &'static str| {
        let env = &env;
        async move {
            env.send(
                Method::POST,
                "/graphql",
                Some(json!({"query": "{ repository(owner: \"acme\", name: \"secret\") { issue(number: 1) { id title } } }"})),
                &[("authorization", &format!("token {token}"))],
            )
            .await
        }
    };
    let seen = ask("alice-token").await;
    assert_eq!(
        seen.body["data"]["repository"]["issue"]["title"], "Hidden",
        "{}",
        seen.body
    );
    let hidden = ask("eve-token").await;
    assert_eq!(
        hidden.body["data"]["repository"],
        Value::Null,
        "{}",
        hidden.body
    );
    assert_eq!(hidden.body["errors"][0]["type"], "NOT_FOUND");
    // Nor through its node id.
    let id = seen.body["data"]["repository"]["issue"]["id"].clone();
    let r = env
        .send(
            Method::POST,
            "/graphql",
            Some(json!({"query": "query($id: ID!) { nodes(ids: [$id]) { id } }", "variables": {"id": id}})),
            &[("authorization", "token eve-token")],
        )
        .await;
    assert_eq!(r.body["data"]["nodes"], json!([null]), "{}", r.body);
    // With users declared, anonymous queries are refused.
    let r = env
        .http
        .post(env.url("/graphql"))
        .json(&json!({"query": "{ viewer { login } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// Numbers of the generated repository's pull requests and issues.
fn numbers(env: &Env) -> (Vec<u64>, Vec<u64>) {
    let world = env.fh.hub.world.read();
    let (pulls, issues): (Vec<_>, Vec<_>) =
        world.repos[0].issues.iter().partition(|i| i.pull_request);
    (
        pulls.iter().map(|i| i.number).collect(),
        issues.iter().map(|i| i.number).collect(),
    )
}

#[tokio::test]
async fn pull_requests_are_served_apart_from_issues() {
    let env = Env::new(generated(5, 0, 2, 1, 10)).await;
    let (pulls, issues) = numbers(&env);
    assert_eq!((pulls.len(), issues.len()), (10, 5));
    let open: Vec<u64> = {
        let world = env.fh.hub.world.read();
        pulls
            .iter()
            .copied()
            .filter(|n| world.repos[0].issue(*n).unwrap().is_open())
            .collect()
    };
    let (pr, other_pr) = (open[0], open[1]);
    // Close one through REST; its id is the node_id REST gives it.
    let r = env
        .patch(
            &format!("/repos/acme/widgets/issues/{other_pr}"),
            json!({"state": "closed"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rest = env.get(&format!("/repos/acme/widgets/issues/{pr}")).await;
    let rest_id = rest.body["node_id"].clone();
    let r = graphql(
        &env,
        "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") {
            pullRequest(number: $n) { __typename id databaseId number title body state closed merged isDraft locked url
              author { login } repository { nameWithOwner } labels(first: 5) { totalCount } assignees(first: 5) { totalCount } milestone { number } }
            issue(number: $n) { id }
            all: pullRequests(first: 20) { totalCount nodes { number state closed closedAt merged } }
            open: pullRequests(first: 20, states: [OPEN]) { totalCount nodes { number } }
            issues(first: 100) { totalCount nodes { number } }
          } }",
        json!({"n": pr}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let repo = &r.body["data"]["repository"];
    let got = &repo["pullRequest"];
    assert_eq!(got["__typename"], "PullRequest");
    assert_eq!(got["id"], rest_id, "the same id as REST's node_id");
    assert_eq!(got["databaseId"], rest.body["id"]);
    assert_eq!(got["number"], pr);
    assert_eq!(got["title"], rest.body["title"]);
    assert_eq!(got["state"], "OPEN");
    assert_eq!(
        (&got["merged"], &got["isDraft"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(got["url"], rest.body["html_url"]);
    assert!(got["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/pull/{pr}")));
    assert_eq!(got["author"]["login"], rest.body["user"]["login"]);
    assert_eq!(got["repository"]["nameWithOwner"], "acme/widgets");
    assert_eq!(
        got["labels"]["totalCount"],
        rest.body["labels"].as_array().unwrap().len()
    );
    // A pull request is not an issue, and the issues never list one.
    assert_eq!(repo["issue"], Value::Null);
    assert_eq!(repo["issues"]["totalCount"], issues.len());
    let listed: Vec<u64> = repo["issues"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, issues);
    // The pull requests, by state; the stub closed through REST is CLOSED, not merged.
    let all = repo["all"]["nodes"].as_array().unwrap();
    let numbers: Vec<u64> = all.iter().map(|n| n["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, pulls);
    let closed = all.iter().find(|n| n["number"] == other_pr).unwrap();
    assert_eq!(
        (&closed["state"], &closed["closed"], &closed["merged"]),
        (&json!("CLOSED"), &json!(true), &json!(false))
    );
    assert!(closed["closedAt"].is_string());
    let open_count = all.iter().filter(|n| n["state"] == "OPEN").count();
    assert_eq!(repo["open"]["totalCount"], open_count);
    assert!(repo["open"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["number"] != other_pr));

    // REST gives a pull request GitHub's PR_ node id; node() finds it by that id, and
    // also by the issue form of the same id.
    let pr_form = format!(
        "I_{}",
        rest_id
            .as_str()
            .unwrap()
            .strip_prefix("PR_")
            .expect("a PR_ node id")
    );
    let r = graphql(
        &env,
        "query($id: ID!, $pr: ID!) { node(id: $id) { __typename ... on PullRequest { number } } other: node(id: $pr) { ... on PullRequest { number } } }",
        json!({"id": rest_id, "pr": pr_form}),
    )
    .await;
    assert_eq!(
        r.body["data"]["node"]["__typename"], "PullRequest",
        "{}",
        r.body
    );
    assert_eq!(r.body["data"]["node"]["number"], pr);
    assert_eq!(r.body["data"]["other"]["number"], pr);
    // The issue mutations do not take a pull request.
    let r = graphql(
        &env,
        "mutation($id: ID!) { updateIssue(input: {id: $id, title: \"x\"}) { issue { id } } }",
        json!({"id": rest_id}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["type"], "NOT_FOUND", "{}", r.body);

    // On a board, a pull request's item is a PULL_REQUEST with the pull request as content,
    // and the pull request lists the item.
    let org = graphql(&env, "{ organization(login: \"acme\") { id } }", json!({})).await;
    let r = graphql(
        &env,
        "mutation($o: ID!) { createProjectV2(input: {ownerId: $o, title: \"Reviews\"}) { projectV2 { id } } }",
        json!({"o": org.body["data"]["organization"]["id"]}),
    )
    .await;
    let project = r.body["data"]["createProjectV2"]["projectV2"]["id"].clone();
    let r = graphql(
        &env,
        "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id type content { __typename ... on PullRequest { number state } } } } }",
        json!({"p": project, "c": rest_id}),
    )
    .await;
    let item = &r.body["data"]["addProjectV2ItemById"]["item"];
    assert_eq!(item["type"], "PULL_REQUEST", "{}", r.body);
    assert_eq!(item["content"]["__typename"], "PullRequest");
    assert_eq!(item["content"]["number"], pr);
    let r = graphql(
        &env,
        "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") { pullRequest(number: $n) { projectItems(first: 5) { totalCount nodes { id project { title } } } } } }",
        json!({"n": pr}),
    )
    .await;
    let items = &r.body["data"]["repository"]["pullRequest"]["projectItems"];
    assert_eq!(items["totalCount"], 1, "{}", r.body);
    assert_eq!(items["nodes"][0]["id"], item["id"]);
    assert_eq!(items["nodes"][0]["project"]["title"], "Reviews");
}

#[tokio::test]
async fn dependencies_and_types_set_through_rest_are_seen_in_graphql() {
    let env = Env::new(generated(4, 0, 0, 0, 0)).await;
    let id_of = |n: u64| {
        env.fh.hub.world.read().repos[0]
            .issue(n)
            .map(|i| i.id)
            .unwrap()
    };
    // #2 and #3 are blocked by #1; #2 is a Bug.
    for blocked in [2, 3] {
        let r = env
            .post(
                &format!("/repos/acme/widgets/issues/{blocked}/dependencies/blocked_by"),
                json!({"issue_id": id_of(1)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = env
        .patch("/repos/acme/widgets/issues/2", json!({"type": "Bug"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rest_type = r.body["type"].clone();
    assert_eq!(rest_type["name"], "Bug");

    let ask = || {
        graphql(
            &env,
            "{ repository(owner: \"acme\", name: \"widgets\") {
                blocked: issue(number: 2) { blockedBy(first: 5) { totalCount nodes { number } } blocking(first: 5) { totalCount }
                  issueType { __typename id name description color isEnabled } }
                blocker: issue(number: 1) { blocking(first: 1) { totalCount nodes { number } pageInfo { hasNextPage endCursor } } issueType { name } }
                issueTypes(first: 10) { totalCount nodes { id name color } }
                issueType(name: \"bug\") { id }
              } rateLimit { nodeCount } }",
            json!({}),
        )
    };
    let r = ask().await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let repo = &r.body["data"]["repository"];
    let blocked = &repo["blocked"];
    assert_eq!(blocked["blockedBy"]["totalCount"], 1);
    assert_eq!(blocked["blockedBy"]["nodes"], json!([{"number": 1}]));
    assert_eq!(blocked["blocking"]["totalCount"], 0);
    let blocker = &repo["blocker"];
    assert_eq!(blocker["blocking"]["totalCount"], 2);
    assert_eq!(blocker["blocking"]["nodes"], json!([{"number": 2}]));
    assert_eq!(blocker["blocking"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(blocker["issueType"], Value::Null);
    // The type, with REST's id, GraphQL's color name, and the organization's types.
    let t = &blocked["issueType"];
    assert_eq!(t["__typename"], "IssueType");
    assert_eq!(t["id"], rest_type["node_id"]);
    assert_eq!(t["name"], "Bug");
    assert_eq!(t["description"], rest_type["description"]);
    assert_eq!(t["color"], "RED");
    assert_eq!(t["isEnabled"], true);
    assert_eq!(repo["issueType"]["id"], t["id"]);
    let names: Vec<&str> = repo["issueTypes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Task", "Bug", "Feature"]);
    // Four connections: 5 + 5 + 1 + 10 nodes.
    assert_eq!(r.body["data"]["rateLimit"]["nodeCount"], 21);

    // The next page of blocking; a type by its id.
    let r = graphql(
        &env,
        "query($after: String, $t: ID!) { repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { blocking(first: 1, after: $after) { nodes { number } pageInfo { hasNextPage } } } } node(id: $t) { ... on IssueType { name } } }",
        json!({"after": blocker["blocking"]["pageInfo"]["endCursor"], "t": t["id"]}),
    )
    .await;
    let page = &r.body["data"]["repository"]["issue"]["blocking"];
    assert_eq!(page["nodes"], json!([{"number": 3}]), "{}", r.body);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(r.body["data"]["node"]["name"], "Bug");

    // Undone through REST: the dependency and the type go, and a disabled type is no longer
    // offered by the repository.
    let r = env
        .delete(&format!(
            "/repos/acme/widgets/issues/2/dependencies/blocked_by/{}",
            id_of(1)
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = env
        .patch("/repos/acme/widgets/issues/2", json!({"type": null}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = env
        .send(
            Method::PUT,
            &format!("/orgs/acme/issue-types/{}", rest_type["id"]),
            Some(json!({"name": "Bug", "is_enabled": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = ask().await;
    let repo = &r.body["data"]["repository"];
    assert_eq!(repo["blocked"]["blockedBy"]["totalCount"], 0, "{}", r.body);
    assert_eq!(repo["blocker"]["blocking"]["totalCount"], 1);
    assert_eq!(repo["blocked"]["issueType"], Value::Null);
    assert_eq!(repo["issueTypes"]["totalCount"], 2);
    assert_eq!(repo["issueType"], Value::Null);

    // The new connections need bounds like the others.
    let r = graphql(
        &env,
        "{ repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { blockedBy { totalCount } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES",
        "{}",
        r.body
    );
}

#[tokio::test]
async fn private_pulls_links_items_and_types_are_hidden_like_rest() {
    // `eve` sees acme's public repository only; `alice` collaborates on the private one.
    // hidden/vault is private and only alice sees it.
    let seed: fakehub::SeedDoc = serde_json::from_value(json!({
        "users": [{"login": "alice", "token": "alice-token"}, {"login": "eve", "token": "eve-token"}],
        "repos": [
            {"full_name": "acme/open", "issues": [{"title": "Public work"}]},
            {"full_name": "acme/secret", "private": true, "collaborators": {"alice": "read"},
             "issues": [{"title": "Hidden blocker"}, {"title": "Hidden pull", "pull_request": true}]},
            {"full_name": "hidden/vault", "private": true, "collaborators": {"alice": "read"}}
        ]
    }))
    .unwrap();
    let env = Env::with(seed, |o| o.settings.tokens.clear()).await;
    let (blocker, pull, vault_type) = {
        let mut w = env.fh.hub.world.write();
        let now = env.fh.hub.clock.now();
        let open = w.repo_idx("acme", "open").unwrap();
        let secret = w.repo_idx("acme", "secret").unwrap();
        let blocker = w.repos[secret].issue(1).unwrap().id;
        let pull = w.repos[secret].issue(2).unwrap().id;
        // A public issue blocked by a private one, and a board holding the private issue.
        w.add_blocked_by(open, 1, blocker, "alice", now).unwrap();
        let project = w.create_project("acme", "Board", "alice", now).unwrap();
        w.add_project_item(project, blocker, "alice", now).unwrap();
        let vault_type = w.issue_types["hidden"][0].id;
        (blocker, pull, vault_type)
    };
    let node = |kind: &str, id: u64| {
        use base64::Engine;
        format!(
            "{kind}_{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("0:{id}"))
        )
    };
    let ask = |token: &'static str| {
        let env = &env;
        let ids = json!({"blocker": node("I", blocker), "pull": node("PR", pull), "type": node("IT", vault_type)});
        async move {
            env.send(
                Method::POST,
                "/graphql",
                Some(json!({"query": "query($blocker: ID!, $pull: ID!, $type: ID!) {
                    repository(owner: \"acme\", name: \"open\") { issue(number: 1) { blockedBy(first: 5) { totalCount nodes { title } } } }
                    organization(login: \"acme\") { projectV2(number: 1) { items(first: 5) { nodes { type content { __typename } fieldValues(first: 5) { nodes { ... on ProjectV2ItemFieldTextValue { text } } } } } } }
                    nodes(ids: [$blocker, $pull, $type]) { id }
                  }", "variables": ids})),
                &[("authorization", &format!("token {token}"))],
            )
            .await
        }
    };
    let alice = ask("alice-token").await;
    assert!(alice.body.get("errors").is_none(), "{}", alice.body);
    let d = &alice.body["data"];
    assert_eq!(
        d["repository"]["issue"]["blockedBy"]["nodes"],
        json!([{"title": "Hidden blocker"}])
    );
    let item = &d["organization"]["projectV2"]["items"]["nodes"][0];
    assert_eq!(item["type"], "ISSUE");
    assert_eq!(item["content"]["__typename"], "Issue");
    assert_eq!(item["fieldValues"]["nodes"][0]["text"], "Hidden blocker");
    assert!(d["nodes"].as_array().unwrap().iter().all(|n| n.is_object()));

    // eve: the link is left out, the item is redacted, and the ids resolve to nothing.
    let eve = ask("eve-token").await;
    assert!(eve.body.get("errors").is_none(), "{}", eve.body);
    let d = &eve.body["data"];
    assert_eq!(d["repository"]["issue"]["blockedBy"]["totalCount"], 0);
    let item = &d["organization"]["projectV2"]["items"]["nodes"][0];
    assert_eq!(item["type"], "REDACTED");
    assert_eq!(item["content"], Value::Null);
    assert_eq!(item["fieldValues"]["nodes"][0]["text"], Value::Null);
    assert_eq!(d["nodes"], json!([null, null, null]));

    // Nor does eve reach the private repository's pull requests or types.
    let r = env
        .send(
            Method::POST,
            "/graphql",
            Some(json!({"query": "{ repository(owner: \"acme\", name: \"secret\") { pullRequests(first: 5) { totalCount } issueTypes(first: 5) { totalCount } } }"})),
            &[("authorization", "token eve-token")],
        )
        .await;
    assert_eq!(r.body["data"]["repository"], Value::Null, "{}", r.body);
    assert_eq!(r.body["errors"][0]["type"], "NOT_FOUND");
    let r = env
        .send(
            Method::POST,
            "/graphql",
            Some(json!({"query": "{ repository(owner: \"acme\", name: \"secret\") { pullRequests(first: 5) { totalCount nodes { title } } } }"})),
            &[("authorization", "token alice-token")],
        )
        .await;
    assert_eq!(
        r.body["data"]["repository"]["pullRequests"]["nodes"],
        json!([{"title": "Hidden pull"}]),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn project_payloads_and_owners_answer_as_githubs() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    let org = graphql(&env, "{ organization(login: \"acme\") { id } }", json!({})).await;
    let r = graphql(
        &env,
        "mutation($o: ID!) { createProjectV2(input: {ownerId: $o, title: \"Order\"}) { projectV2 { id number } } }",
        json!({"o": org.body["data"]["organization"]["id"]}),
    )
    .await;
    let project = r.body["data"]["createProjectV2"]["projectV2"]["id"].clone();
    let mut items = Vec::new();
    for n in 1..=3 {
        let issue = graphql(
            &env,
            "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") { issue(number: $n) { id } } }",
            json!({"n": n}),
        )
        .await;
        let r = graphql(
            &env,
            "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } } }",
            json!({"p": project, "c": issue.body["data"]["repository"]["issue"]["id"]}),
        )
        .await;
        items.push(r.body["data"]["addProjectV2ItemById"]["item"]["id"].clone());
    }
    // Moving the last item to the top answers the items in their new order.
    let r = graphql(
        &env,
        "mutation($p: ID!, $i: ID!) { updateProjectV2ItemPosition(input: {projectId: $p, itemId: $i, clientMutationId: \"m\"}) { clientMutationId items(first: 10) { totalCount nodes { id content { ... on Issue { number } } } } } }",
        json!({"p": project, "i": items[2]}),
    )
    .await;
    let payload = &r.body["data"]["updateProjectV2ItemPosition"];
    assert_eq!(payload["clientMutationId"], "m", "{}", r.body);
    let order: Vec<u64> = payload["items"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["content"]["number"].as_u64().unwrap())
        .collect();
    assert_eq!(order, [3, 1, 2]);
    assert_eq!(payload["items"]["nodes"][0]["id"], items[2]);
    // The payload's items are a connection like any other: bounds required.
    let r = graphql(
        &env,
        "mutation($p: ID!, $i: ID!) { updateProjectV2ItemPosition(input: {projectId: $p, itemId: $i}) { items { totalCount } } }",
        json!({"p": project, "i": items[2]}),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES",
        "{}",
        r.body
    );

    // The owner, through the ProjectV2Owner interface.
    let r = graphql(
        &env,
        "query($p: ID!) { node(id: $p) { ... on ProjectV2 { owner { __typename id ... on Organization { login } projectV2(number: 1) { title } projectsV2(first: 5) { totalCount } } } } }",
        json!({"p": project}),
    )
    .await;
    let owner = &r.body["data"]["node"]["owner"];
    assert_eq!(owner["__typename"], "Organization", "{}", r.body);
    assert_eq!(owner["id"], org.body["data"]["organization"]["id"]);
    assert_eq!(owner["login"], "acme");
    assert_eq!(owner["projectV2"]["title"], "Order");
    assert_eq!(owner["projectsV2"]["totalCount"], 1);

    // An issue lists the items holding it; archived ones only when asked to.
    let r = graphql(
        &env,
        "mutation($p: ID!, $i: ID!) { archiveProjectV2Item(input: {projectId: $p, itemId: $i}) { item { isArchived } } }",
        json!({"p": project, "i": items[0]}),
    )
    .await;
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let held = "{ repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { all: projectItems(first: 5) { totalCount nodes { id isArchived } } live: projectItems(first: 5, includeArchived: false) { totalCount } } } }";
    let r = graphql(&env, held, json!({})).await;
    let issue = &r.body["data"]["repository"]["issue"];
    assert_eq!(issue["all"]["totalCount"], 1, "{}", r.body);
    assert_eq!(issue["all"]["nodes"][0]["id"], items[0]);
    assert_eq!(issue["all"]["nodes"][0]["isArchived"], true);
    assert_eq!(issue["live"]["totalCount"], 0);

    // Deleting answers the deleted project, which then no longer resolves.
    let r = graphql(
        &env,
        "mutation($p: ID!) { deleteProjectV2(input: {projectId: $p}) { projectV2 { id title number } } }",
        json!({"p": project}),
    )
    .await;
    let deleted = &r.body["data"]["deleteProjectV2"]["projectV2"];
    assert_eq!(deleted["id"], project, "{}", r.body);
    assert_eq!(deleted["title"], "Order");
    let r = graphql(
        &env,
        "query($p: ID!) { node(id: $p) { id } organization(login: \"acme\") { projectsV2(first: 5) { totalCount } } }",
        json!({"p": project}),
    )
    .await;
    assert_eq!(r.body["data"]["node"], Value::Null, "{}", r.body);
    assert_eq!(
        r.body["data"]["organization"]["projectsV2"]["totalCount"],
        0
    );
    let r = graphql(&env, held, json!({})).await;
    assert_eq!(
        r.body["data"]["repository"]["issue"]["all"]["totalCount"], 0,
        "{}",
        r.body
    );
}
