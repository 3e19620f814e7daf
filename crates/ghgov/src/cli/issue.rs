//! `ghgov issue …` and `ghgov milestone …`: changes made through a running server's API, so
//! they go through its one writer (journaled, paced, resumed after a stop) like any other
//! client's. Each prints the result as a line (or JSON with `--json`) and exits non-zero
//! with the server's message when it refuses.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Map, Value};

/// Where the server is and who asks.
#[derive(Args, Clone)]
pub struct ServerArgs {
    /// The ghgov server's URL.
    #[arg(long, env = "GHGOV_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An API token with the write scope (`ghgov token create --scope write`).
    #[arg(long, env = "GHGOV_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Print the server's JSON answer instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum IssueCommand {
    /// Create an issue on GitHub.
    Create {
        #[command(flatten)]
        server: ServerArgs,
        /// OWNER/NAME, a repository the server mirrors.
        #[arg(long)]
        repo: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// A label (repeatable).
        #[arg(long = "label")]
        labels: Vec<String>,
        /// A milestone number.
        #[arg(long)]
        milestone: Option<i64>,
        /// A login (repeatable).
        #[arg(long = "assignee")]
        assignees: Vec<String>,
    },
    /// Change an issue's fields (those given; labels and assignees are the whole new set).
    Edit {
        #[command(flatten)]
        server: ServerArgs,
        /// The issue's id (as the API shows it).
        id: i64,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        /// A label (repeatable; the whole new set).
        #[arg(long = "label")]
        labels: Vec<String>,
        /// A login (repeatable; the whole new set).
        #[arg(long = "assignee")]
        assignees: Vec<String>,
        /// A milestone number; `none` takes the issue out of its milestone.
        #[arg(long)]
        milestone: Option<String>,
        /// The version this change is based on (the ETag of `GET /api/v1/issues/{id}`).
        #[arg(long)]
        if_match: Option<String>,
    },
    /// Move an issue to a workflow status (planning, in_progress, review, done, blocked, cancelled).
    Status {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
        status: String,
        /// Why (kept in the status history).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Close an issue as not planned (status cancelled).
    Close {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
    },
    /// Comment on an issue.
    Comment {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
        body: String,
    },
    /// Show an issue with its status history.
    Show {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum MilestoneCommand {
    /// List a repository's milestones with their progress.
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        repo: Option<String>,
    },
    /// Create a milestone on GitHub.
    Create {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        repo: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// RFC 3339, e.g. 2027-03-31T00:00:00Z.
        #[arg(long)]
        due_on: Option<String>,
    },
    /// Change a milestone.
    Edit {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        due_on: Option<String>,
    },
    /// Close a milestone.
    Close {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
    },
}

/// One request to the server's API: the JSON answer, or the server's message as the error.
async fn call(
    s: &ServerArgs,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let url = format!("{}/api/v1{path}", s.server.trim_end_matches('/'));
    let mut request = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(&s.token);
    if let Some(b) = body {
        request = request.json(&b);
    }
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    let response = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the ghgov server at {}: {e}", s.server))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status >= 400 {
        let message = value["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        let allowed = value["allowed"]
            .as_array()
            .map(|a| {
                let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                format!(" (allowed: {})", names.join(", "))
            })
            .unwrap_or_default();
        anyhow::bail!("the server refused ({status}): {message}{allowed}");
    }
    Ok((status, value))
}

/// Prints an answer: JSON, or a line about the issue, milestone or operation.
fn print(s: &ServerArgs, status: u16, v: &Value) {
    if s.json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
        return;
    }
    if status == 202 {
        println!(
            "queued as operation {} ({}); follow it with GET /api/v1/operations/{}",
            v["operation_id"],
            v["status"].as_str().unwrap_or("queued"),
            v["operation_id"]
        );
    } else if v["progress"].get("percent_complete").is_some() {
        println!(
            "milestone {} {} #{} {:?} ({}, {}% done)",
            v["id"],
            v["repository"].as_str().unwrap_or_default(),
            v["number"],
            v["title"].as_str().unwrap_or_default(),
            v["state"].as_str().unwrap_or_default(),
            v["progress"]["percent_complete"]
        );
    } else if v.get("number").is_some() {
        println!(
            "issue {} {}#{} {:?} [{}]",
            v["id"],
            v["repository"].as_str().unwrap_or_default(),
            v["number"],
            v["title"].as_str().unwrap_or_default(),
            v["status"]
                .as_str()
                .unwrap_or(v["state"].as_str().unwrap_or_default())
        );
    } else {
        println!("{v}");
    }
}

fn fields(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn list(values: Vec<String>) -> Option<Value> {
    (!values.is_empty()).then(|| json!(values))
}

pub async fn run(command: IssueCommand) -> anyhow::Result<()> {
    let (s, status, v) = match command {
        IssueCommand::Create {
            server,
            repo,
            title,
            body,
            labels,
            milestone,
            assignees,
        } => {
            let b = fields(vec![
                ("repository", Some(json!(repo))),
                ("title", Some(json!(title))),
                ("body", body.map(Value::from)),
                ("labels", list(labels)),
                ("milestone", milestone.map(Value::from)),
                ("assignees", list(assignees)),
            ]);
            let (st, v) = call(&server, Method::POST, "/issues", Some(b), None).await?;
            (server, st, v)
        }
        IssueCommand::Edit {
            server,
            id,
            title,
            body,
            labels,
            assignees,
            milestone,
            if_match,
        } => {
            let milestone = match milestone.as_deref() {
                None => None,
                Some("none") => Some(Value::Null),
                Some(n) => Some(json!(n.parse::<i64>().map_err(|_| {
                    anyhow::anyhow!("--milestone takes a milestone number or `none`, not {n:?}")
                })?)),
            };
            let b = fields(vec![
                ("title", title.map(Value::from)),
                ("body", body.map(Value::from)),
                ("labels", list(labels)),
                ("assignees", list(assignees)),
                ("milestone", milestone),
            ]);
            if b.as_object().is_some_and(Map::is_empty) {
                anyhow::bail!(
                    "nothing to change: give --title, --body, --label, --assignee or --milestone"
                );
            }
            let path = format!("/issues/{id}");
            let (st, v) = call(&server, Method::PATCH, &path, Some(b), if_match.as_deref()).await?;
            (server, st, v)
        }
        IssueCommand::Status {
            server,
            id,
            status,
            reason,
        } => {
            let b = fields(vec![
                ("status", Some(json!(status))),
                ("reason", reason.map(Value::from)),
            ]);
            let path = format!("/issues/{id}/status");
            let (st, v) = call(&server, Method::PUT, &path, Some(b), None).await?;
            (server, st, v)
        }
        IssueCommand::Close { server, id } => {
            let (st, v) = call(
                &server,
                Method::DELETE,
                &format!("/issues/{id}"),
                None,
                None,
            )
            .await?;
            (server, st, v)
        }
        IssueCommand::Comment { server, id, body } => {
            let path = format!("/issues/{id}/comments");
            let (st, v) = call(
                &server,
                Method::POST,
                &path,
                Some(json!({"body": body})),
                None,
            )
            .await?;
            if !server.json && st != 202 {
                println!("comment {} on issue {id}", v["id"]);
                return Ok(());
            }
            (server, st, v)
        }
        IssueCommand::Show { server, id } => {
            let (st, v) = call(&server, Method::GET, &format!("/issues/{id}"), None, None).await?;
            if !server.json {
                print(&server, st, &v);
                let (_, h) = call(
                    &server,
                    Method::GET,
                    &format!("/issues/{id}/history?per_page=100"),
                    None,
                    None,
                )
                .await?;
                for e in h["data"].as_array().into_iter().flatten() {
                    println!(
                        "  {}  {} → {}  by {} ({}){}",
                        e["at"].as_str().unwrap_or_default(),
                        e["from"].as_str().unwrap_or("·"),
                        e["to"].as_str().unwrap_or_default(),
                        e["actor"].as_str().unwrap_or("unknown"),
                        e["source"].as_str().unwrap_or_default(),
                        if e["violation"] == true {
                            "  [violation]"
                        } else {
                            ""
                        }
                    );
                }
                return Ok(());
            }
            (server, st, v)
        }
    };
    print(&s, status, &v);
    Ok(())
}

pub async fn run_milestone(command: MilestoneCommand) -> anyhow::Result<()> {
    let (s, status, v) = match command {
        MilestoneCommand::List { server, repo } => {
            let path = match repo {
                Some(r) => format!("/milestones?repo={r}&per_page=100"),
                None => "/milestones?per_page=100".to_string(),
            };
            let (st, v) = call(&server, Method::GET, &path, None, None).await?;
            if !server.json {
                for m in v["data"].as_array().into_iter().flatten() {
                    print(&server, st, m);
                }
                return Ok(());
            }
            (server, st, v)
        }
        MilestoneCommand::Create {
            server,
            repo,
            title,
            description,
            due_on,
        } => {
            let b = fields(vec![
                ("repository", Some(json!(repo))),
                ("title", Some(json!(title))),
                ("description", description.map(Value::from)),
                ("due_on", due_on.map(Value::from)),
            ]);
            let (st, v) = call(&server, Method::POST, "/milestones", Some(b), None).await?;
            (server, st, v)
        }
        MilestoneCommand::Edit {
            server,
            id,
            title,
            description,
            due_on,
        } => {
            let b = fields(vec![
                ("title", title.map(Value::from)),
                ("description", description.map(Value::from)),
                ("due_on", due_on.map(Value::from)),
            ]);
            let path = format!("/milestones/{id}");
            let (st, v) = call(&server, Method::PUT, &path, Some(b), None).await?;
            (server, st, v)
        }
        MilestoneCommand::Close { server, id } => {
            let (st, v) = call(
                &server,
                Method::DELETE,
                &format!("/milestones/{id}"),
                None,
                None,
            )
            .await?;
            (server, st, v)
        }
    };
    print(&s, status, &v);
    Ok(())
}

#[derive(Subcommand)]
pub enum ConflictsCommand {
    /// List conflicts between changes made through ghgov and on GitHub.
    List {
        #[command(flatten)]
        server: ServerArgs,
        /// open (default), resolved or all.
        #[arg(long, default_value = "open")]
        status: String,
    },
    /// Settle a conflict: `local` (write ghgov's value), `remote` (keep GitHub's) or `value`
    /// (write --value).
    Resolve {
        #[command(flatten)]
        server: ServerArgs,
        id: i64,
        #[arg(value_parser = ["local", "remote", "value"])]
        resolution: String,
        /// With `value`: the value to write (text for title and body).
        #[arg(long)]
        value: Option<String>,
    },
}

fn conflict_line(c: &Value) -> String {
    format!(
        "conflict {} {} issue {} {}: base {} | ghgov {} | GitHub {} [{}{}]",
        c["id"],
        c["repository"].as_str().unwrap_or_default(),
        c["entity_id"],
        c["field"].as_str().unwrap_or_default(),
        c["base"],
        c["local"],
        c["remote"],
        c["status"].as_str().unwrap_or_default(),
        c["resolution"]
            .as_str()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    )
}

pub async fn run_conflicts(command: ConflictsCommand) -> anyhow::Result<()> {
    match command {
        ConflictsCommand::List { server, status } => {
            let (_, v) = call(
                &server,
                Method::GET,
                &format!("/sync/conflicts?status={status}&per_page=100"),
                None,
                None,
            )
            .await?;
            if server.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                let rows = v["data"].as_array().cloned().unwrap_or_default();
                if rows.is_empty() {
                    println!("no {status} conflicts");
                }
                for c in rows {
                    println!("{}", conflict_line(&c));
                }
            }
        }
        ConflictsCommand::Resolve {
            server,
            id,
            resolution,
            value,
        } => {
            if resolution == "value" && value.is_none() {
                anyhow::bail!("`value` needs --value");
            }
            let body = fields(vec![
                ("resolution", Some(json!(resolution))),
                ("value", value.map(Value::from)),
            ]);
            let path = format!("/sync/conflicts/{id}/resolve");
            let (_, v) = call(&server, Method::POST, &path, Some(body), None).await?;
            if server.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("{}", conflict_line(&v["conflict"]));
            }
        }
    }
    Ok(())
}
