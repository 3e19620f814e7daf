//! Apply: the plan's changes sent through the one writer, in dependency order (labels,
//! milestones, epics, features, tasks, sub-issue links, dependencies).
//!
//! Every write is journaled as an intent (committed) before it is sent, and its outcome,
//! the key table, the mirror projection and the audit row are committed together after.
//! Killed at any moment, a re-apply converges: finished steps are skipped, and a step whose
//! intent has no outcome is resolved first. For an issue create that means looking for the
//! key's marker on GitHub, so a create that did land is never sent twice.

use super::desired::key_in_body;
use super::plan::{Action, Change, Plan, Target};
use crate::github::types::{Issue, Label, Milestone, Repository};
use crate::github::{Fetched, GitHub, GitHubError};
use crate::mirror::projector::Seen;
use crate::mirror::RepoName;
use crate::store::governance::{
    audit, journal_done, save_key, Intent, JournalStatus, NewAudit, PlanStatus,
};
use crate::store::{seconds_before, Store};
use anyhow::{anyhow, Context};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Told of every finished step (for progress bars and ETAs).
pub trait ApplyProgress: Send + Sync {
    fn step(&self, done: usize, total: usize, what: &str);
}

pub struct Applier<'a> {
    store: &'a Store,
    gh: &'a GitHub,
    repo: &'a RepoName,
    actor: &'a str,
    progress: Option<&'a dyn ApplyProgress>,
    #[cfg(feature = "test-hooks")]
    crash: Option<CrashPoint>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// Steps found finished by an earlier, interrupted apply.
    pub resumed: usize,
    /// Requests sent that change something on GitHub.
    pub writes: usize,
}

impl ApplyReport {
    pub fn summary_line(&self) -> String {
        format!(
            "Apply complete: {} added, {} changed, {} destroyed.",
            self.added, self.changed, self.destroyed
        )
    }
}

/// The moments of an apply where a kill is the most harmful, counted from the start of
/// one run. ghgov's tests stop an apply at one of them on purpose (feature `test-hooks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// The n-th intent is journaled; its write is not sent.
    AfterJournal(usize),
    /// The n-th write is sent; its outcome is not recorded.
    AfterSend(usize),
}

/// The simulated kill at a [`CrashPoint`].
#[derive(Debug, thiserror::Error)]
#[error("apply stopped on purpose at {0:?} (crash injection)")]
pub struct InjectedCrash(pub CrashPoint);

/// What a step produced: the GitHub object id to remember (issue id, label id…).
struct StepResult {
    result_id: Option<i64>,
    after: Value,
}

struct Run<'a> {
    a: &'a Applier<'a>,
    plan_id: i64,
    repo_id: i64,
    correlation: String,
    /// Key → (issue id, number), filled as issues are found or created.
    keys: HashMap<String, (i64, i64)>,
    /// Milestone title (lower case) → number.
    milestones: HashMap<String, i64>,
    writes: usize,
    /// Intents of writes journaled by this run.
    journaled: usize,
    /// When the step being resolved was journaled, minus a margin for clock skew.
    flight_since: Option<String>,
}

impl<'a> Applier<'a> {
    pub fn new(store: &'a Store, gh: &'a GitHub, repo: &'a RepoName, actor: &'a str) -> Self {
        Applier {
            store,
            gh,
            repo,
            actor,
            progress: None,
            #[cfg(feature = "test-hooks")]
            crash: None,
        }
    }

    pub fn with_progress(self, progress: &'a dyn ApplyProgress) -> Self {
        Applier {
            progress: Some(progress),
            ..self
        }
    }

    /// Stops the apply at `point` as a kill would: nothing after it runs.
    #[cfg(feature = "test-hooks")]
    pub fn crash_at(self, point: CrashPoint) -> Self {
        Applier {
            crash: Some(point),
            ..self
        }
    }

    /// Applies stored plan `plan_id`. Safe to call again after any failure or kill.
    pub async fn apply(&self, plan_id: i64, plan: &Plan) -> anyhow::Result<ApplyReport> {
        self.store
            .set_plan_status(plan_id, PlanStatus::Applying, None)
            .await?;
        let result = self.run(plan_id, plan).await;
        match &result {
            Ok(_) => {
                self.store
                    .set_plan_status(plan_id, PlanStatus::Applied, None)
                    .await?
            }
            Err(e) if e.downcast_ref::<InjectedCrash>().is_some() => {}
            Err(e) => {
                self.store
                    .set_plan_status(plan_id, PlanStatus::Failed, Some(&format!("{e:#}")))
                    .await?
            }
        }
        result
    }

    async fn run(&self, plan_id: i64, plan: &Plan) -> anyhow::Result<ApplyReport> {
        let repo_id = self.repository_id().await?;
        let mut run = Run {
            a: self,
            plan_id,
            repo_id,
            correlation: format!("plan-{plan_id}"),
            keys: self.store.issue_keys(&self.repo.full()).await?,
            milestones: HashMap::new(),
            writes: 0,
            journaled: 0,
            flight_since: None,
        };
        run.load_milestones().await?;
        let journal: HashMap<i64, (JournalStatus, String)> = self
            .store
            .journal(plan_id)
            .await?
            .into_iter()
            .map(|j| (j.step, (j.status, j.created_at)))
            .collect();
        let mut report = ApplyReport::default();
        let total = plan.changes.len();
        for (step, change) in plan.changes.iter().enumerate() {
            let step = step as i64;
            let entry = journal.get(&step);
            let status = entry.map(|(s, _)| *s);
            if status == Some(JournalStatus::Done) {
                report.resumed += 1;
            } else {
                run.flight_since = entry.map(|(_, at)| seconds_before(at, SEARCH_SLACK_SECONDS));
                run.step(step, change, status == Some(JournalStatus::Intent))
                    .await?;
            }
            match change.action {
                Action::Create => report.added += 1,
                Action::Update => report.changed += 1,
                Action::Delete | Action::Close => report.destroyed += 1,
            }
            if let Some(p) = self.progress {
                p.step(step as usize + 1, total, &change.target.key());
            }
        }
        report.writes = run.writes;
        Ok(report)
    }

    /// The repository's id in the mirror, fetched (and mirrored) when it was never synced.
    async fn repository_id(&self) -> anyhow::Result<i64> {
        if let Some(id) = self.store.repository_id(&self.repo.key()).await? {
            return Ok(id);
        }
        let path = format!("/repos/{}", self.repo.full());
        let Fetched::Modified { body, .. } = self.gh.get(&path, false).await? else {
            return Err(anyhow!("GitHub answered 304 to an unconditional request"));
        };
        let repo: Repository = serde_json::from_value(body).context("reading the repository")?;
        let mut tx = self.store.begin_mirror_write().await?;
        let id = tx.mirror().repository(&repo).await?;
        tx.commit().await?;
        Ok(id)
    }
}

fn base(repo: &RepoName) -> String {
    format!("/repos/{}", repo.full())
}

fn issue_kind_name(t: &Target) -> &'static str {
    match t {
        Target::Issue { kind, .. } => kind.as_str(),
        other => other.kind(),
    }
}

impl Run<'_> {
    async fn load_milestones(&mut self) -> anyhow::Result<()> {
        self.milestones = self
            .a
            .store
            .planning_reads()
            .milestones(self.repo_id)
            .await?
            .into_iter()
            .map(|m| (m.title.to_lowercase(), m.number))
            .collect();
        Ok(())
    }

    fn issue(&self, key: &str) -> anyhow::Result<(i64, i64)> {
        self.keys.get(key).copied().ok_or_else(|| {
            anyhow!(
                "issue {key} is neither on GitHub nor created by this plan; run `ghgov plan` again"
            )
        })
    }

    async fn step(&mut self, step: i64, change: &Change, in_flight: bool) -> anyhow::Result<()> {
        // An issue create that may have landed before a crash: find it by its key.
        if let (Target::Issue { key, .. }, Action::Create) = (&change.target, change.action) {
            if let Some((id, number)) = self.keys.get(key).copied() {
                self.journal_resolution(step, change).await?;
                return self
                    .finish(
                        step,
                        change,
                        StepResult {
                            result_id: Some(id),
                            after: json!({"number": number, "found": "key table"}),
                        },
                        None,
                    )
                    .await;
            }
        }
        // A step left in flight by a crash: if its effect is there, record it without a write.
        if in_flight {
            if let Some(response) = self.effect_present(change).await? {
                self.journal_resolution(step, change).await?;
                return self.settle(step, change, response).await;
            }
        }
        let (method, path, body) = self.request(change)?;
        self.a
            .store
            .journal_intent(Intent {
                plan_id: self.plan_id,
                step,
                object_key: &change.target.key(),
                action: change.action.as_str(),
                method: method.as_str(),
                path: &path,
                request: &body,
            })
            .await?;
        self.journaled += 1;
        self.crash_point(CrashPoint::AfterJournal(self.journaled))?;
        let creates_issue = matches!(
            (&change.target, change.action),
            (Target::Issue { .. }, Action::Create)
        );
        let mut attempt = 0;
        let sent = loop {
            attempt += 1;
            let sent = if creates_issue {
                self.a.gh.write_once(method.clone(), &path, &body).await
            } else {
                self.a.gh.write(method.clone(), &path, &body).await
            };
            self.writes += 1;
            self.crash_point(CrashPoint::AfterSend(self.writes))?;
            // A create that failed without saying whether it landed: look before resending.
            match (&sent, &change.target) {
                (Err(e), Target::Issue { .. }) if creates_issue && ambiguous(e) && attempt < 5 => {
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                    self.flight_since.get_or_insert_with(|| {
                        seconds_before(&crate::store::now_text(), SEARCH_SLACK_SECONDS)
                    });
                    if let Some(response) = self.effect_present(change).await? {
                        return self.settle(step, change, response).await;
                    }
                }
                _ => break sent,
            }
        };
        let response = match sent {
            Ok(v) => v,
            Err(e) => match self.converged_anyway(change, &e).await? {
                Some(v) => v,
                None => {
                    let message = format!("{} {}: {e}", method, path);
                    self.a
                        .store
                        .journal_failed(self.plan_id, step, &message)
                        .await?;
                    return Err(anyhow!(e)).with_context(|| {
                        format!(
                            "applying {} {} (step {} of plan {}); fix the cause and run the apply again: finished steps are not repeated",
                            change.target.kind(),
                            change.target.key(),
                            step + 1,
                            self.plan_id
                        )
                    });
                }
            },
        };
        self.settle(step, change, response).await
    }

    /// Stops here when a test asked for a crash at this point.
    fn crash_point(&self, here: CrashPoint) -> anyhow::Result<()> {
        #[cfg(feature = "test-hooks")]
        if self.a.crash == Some(here) {
            return Err(InjectedCrash(here).into());
        }
        let _ = here;
        Ok(())
    }

    /// Records a step whose result GitHub gave (or that was found by reading).
    async fn settle(&mut self, step: i64, change: &Change, response: Value) -> anyhow::Result<()> {
        let (result, projection) = self.step_result(change, response)?;
        self.finish(step, change, result, projection).await
    }

    /// Journals a step that is settled by looking, not by writing.
    async fn journal_resolution(&self, step: i64, change: &Change) -> anyhow::Result<()> {
        self.a
            .store
            .journal_intent(Intent {
                plan_id: self.plan_id,
                step,
                object_key: &change.target.key(),
                action: "resolve",
                method: "GET",
                path: "",
                request: &Value::Null,
            })
            .await
    }

    /// Method, path and body of the write that carries out `change`.
    fn request(&self, c: &Change) -> anyhow::Result<(Method, String, Value)> {
        let b = base(self.a.repo);
        let fields: serde_json::Map<String, Value> = c
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.after.clone()))
            .collect();
        Ok(match (&c.target, c.action) {
            (Target::Label { name }, Action::Create) => (
                Method::POST,
                format!("{b}/labels"),
                json!({"name": name, "color": fields.get("color"), "description": fields.get("description")}),
            ),
            (Target::Label { name }, Action::Update) => (
                Method::PATCH,
                format!("{b}/labels/{}", encode(name)),
                Value::Object(fields),
            ),
            (Target::Label { name }, _) => (
                Method::DELETE,
                format!("{b}/labels/{}", encode(name)),
                Value::Null,
            ),
            (Target::Milestone { title }, Action::Create) => {
                let mut body = json!({"title": title});
                if let Some(Value::String(d)) = fields.get("description") {
                    body["description"] = json!(d);
                }
                if let Some(Value::String(due)) = fields.get("due_on") {
                    body["due_on"] = json!(noon(due));
                }
                (Method::POST, format!("{b}/milestones"), body)
            }
            (Target::Milestone { .. }, Action::Update) => {
                let mut body = Value::Object(fields.clone());
                if let Some(Value::String(due)) = fields.get("due_on") {
                    body["due_on"] = json!(noon(due));
                }
                (
                    Method::PATCH,
                    format!("{b}/milestones/{}", c.number.unwrap_or_default()),
                    body,
                )
            }
            (Target::Milestone { .. }, _) => (
                Method::DELETE,
                format!("{b}/milestones/{}", c.number.unwrap_or_default()),
                Value::Null,
            ),
            (Target::Issue { .. }, Action::Create | Action::Update) => {
                let mut body = Value::Object(fields.clone());
                if let Some(Value::String(title)) = fields.get("milestone") {
                    let number = self.milestones.get(&title.to_lowercase()).ok_or_else(|| {
                        anyhow!("milestone {title:?} does not exist on GitHub; run `ghgov plan` again so the plan creates it")
                    })?;
                    body["milestone"] = json!(number);
                }
                match c.action {
                    Action::Create => (Method::POST, format!("{b}/issues"), body),
                    _ => (
                        Method::PATCH,
                        format!("{b}/issues/{}", c.number.unwrap_or_default()),
                        body,
                    ),
                }
            }
            (Target::Issue { .. }, _) => (
                Method::PATCH,
                format!("{b}/issues/{}", c.number.unwrap_or_default()),
                json!({"state": "closed", "state_reason": "not_planned"}),
            ),
            (Target::SubIssue { parent, child }, _) => {
                let (_, parent_number) = self.issue(parent)?;
                let (child_id, _) = self.issue(child)?;
                let mut body = json!({"sub_issue_id": child_id});
                if c.action == Action::Update {
                    body["replace_parent"] = json!(true);
                }
                (
                    Method::POST,
                    format!("{b}/issues/{parent_number}/sub_issues"),
                    body,
                )
            }
            (Target::Dependency { blocked, blocking }, _) => {
                let (_, blocked_number) = self.issue(blocked)?;
                let (blocking_id, _) = self.issue(blocking)?;
                (
                    Method::POST,
                    format!("{b}/issues/{blocked_number}/dependencies/blocked_by"),
                    json!({"issue_id": blocking_id}),
                )
            }
        })
    }

    /// A refused write whose effect is already there (a label or milestone that exists, a
    /// link already made, something already deleted) counts as done.
    async fn converged_anyway(&self, c: &Change, e: &GitHubError) -> anyhow::Result<Option<Value>> {
        match (e.status(), c.action) {
            (Some(422), _) | (Some(404), Action::Delete) => self.effect_present(c).await,
            _ => Ok(None),
        }
    }

    /// Whether `c` has already taken effect on GitHub, found by reading; returns what to
    /// record (the object, or null for links and deletions). Resolves steps left in flight
    /// by a crash without sending them again.
    async fn effect_present(&self, c: &Change) -> anyhow::Result<Option<Value>> {
        let b = base(self.a.repo);
        match (&c.target, c.action) {
            (Target::Label { name }, Action::Delete) => {
                let gone = self
                    .fetch(&format!("{b}/labels/{}", encode(name)))
                    .await?
                    .is_none();
                Ok(gone.then_some(Value::Null))
            }
            (Target::Label { name }, _) => {
                let found = self.fetch(&format!("{b}/labels/{}", encode(name))).await?;
                Ok(found.filter(|l| {
                    c.action == Action::Create
                        || c.fields.iter().all(|f| match f.field.as_str() {
                            "color" => {
                                l["color"].as_str().map(str::to_lowercase)
                                    == f.after.as_str().map(str::to_lowercase)
                            }
                            other => l[other] == f.after,
                        })
                }))
            }
            (Target::Milestone { title }, _) => {
                let list = self
                    .fetch(&format!("{b}/milestones?state=all&per_page=100"))
                    .await?
                    .unwrap_or(Value::Null);
                let found = list.as_array().and_then(|a| {
                    a.iter()
                        .find(|m| {
                            m["title"]
                                .as_str()
                                .is_some_and(|t| t.eq_ignore_ascii_case(title))
                        })
                        .cloned()
                });
                Ok(match c.action {
                    Action::Delete => found.is_none().then_some(Value::Null),
                    Action::Create => found,
                    _ => found.filter(|m| {
                        c.fields.iter().all(|f| match f.field.as_str() {
                            "due_on" => {
                                m["due_on"].as_str().map(|d| &d[..d.len().min(10)])
                                    == f.after.as_str()
                            }
                            other => m[other] == f.after,
                        })
                    }),
                })
            }
            (Target::Issue { key, .. }, Action::Create) => self.find_issue_by_key(key).await,
            (Target::Issue { .. }, _) => {
                let Some(issue) = self
                    .fetch(&format!("{b}/issues/{}", c.number.unwrap_or_default()))
                    .await?
                else {
                    return Ok(None);
                };
                let names = |v: &Value| -> Vec<String> {
                    v.as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| {
                                    x["name"].as_str().or(x["login"].as_str()).or(x.as_str())
                                })
                                .map(str::to_lowercase)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let done = c.fields.iter().all(|f| match f.field.as_str() {
                    "labels" | "assignees" => {
                        let have = names(&issue[f.field.as_str()]);
                        names(&f.after).iter().all(|n| have.contains(n))
                    }
                    "milestone" => {
                        issue["milestone"]["title"].as_str().map(str::to_lowercase)
                            == f.after.as_str().map(str::to_lowercase)
                    }
                    "type" => {
                        issue["type"]["name"].as_str().map(str::to_lowercase)
                            == f.after.as_str().map(str::to_lowercase)
                    }
                    "body" => {
                        issue["body"].as_str().map(str::trim_end)
                            == f.after.as_str().map(str::trim_end)
                    }
                    other => issue[other] == f.after,
                });
                Ok(done.then_some(issue))
            }
            (Target::SubIssue { parent, child }, _) => {
                let (parent_id, _) = self.issue(parent)?;
                let (_, child_number) = self.issue(child)?;
                let current = self
                    .fetch(&format!("{b}/issues/{child_number}/parent"))
                    .await?;
                Ok(current
                    .filter(|p| p["id"].as_i64() == Some(parent_id))
                    .map(|_| Value::Null))
            }
            (Target::Dependency { blocked, blocking }, _) => {
                let (_, blocked_number) = self.issue(blocked)?;
                let (blocking_id, _) = self.issue(blocking)?;
                let list = self
                    .fetch(&format!(
                        "{b}/issues/{blocked_number}/dependencies/blocked_by?per_page=100"
                    ))
                    .await?
                    .unwrap_or(Value::Null);
                let there = list
                    .as_array()
                    .is_some_and(|a| a.iter().any(|i| i["id"].as_i64() == Some(blocking_id)));
                Ok(there.then_some(Value::Null))
            }
        }
    }

    async fn fetch(&self, path: &str) -> anyhow::Result<Option<Value>> {
        match self.a.gh.get(path, false).await {
            Ok(Fetched::Modified { body, .. }) => Ok(Some(body)),
            Ok(Fetched::NotModified) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Looks through the repository's newest issues for one carrying `key`, back to when
    /// the step in flight was journaled.
    async fn find_issue_by_key(&self, key: &str) -> anyhow::Result<Option<Value>> {
        let mut next = Some(format!(
            "{}/issues?state=all&sort=created&direction=desc&per_page=100",
            base(self.a.repo)
        ));
        // Creates of one apply are recent: a few pages reach back far enough.
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let Fetched::Modified { body, next: n, .. } = self.a.gh.get(&url, false).await? else {
                break;
            };
            let issues = body.as_array().cloned().unwrap_or_default();
            if let Some(found) = issues.iter().find(|i| {
                i.get("pull_request").is_none()
                    && i["body"].as_str().and_then(key_in_body) == Some(key)
            }) {
                return Ok(Some(found.clone()));
            }
            // Newest first: once the page reaches issues created before the write was
            // journaled, the create did not land.
            let older = issues
                .last()
                .and_then(|i| i["created_at"].as_str())
                .is_some_and(|c| self.flight_since.as_deref().is_some_and(|since| c < since));
            if !older && pages < MAX_SEARCH_PAGES {
                next = n;
            }
        }
        Ok(None)
    }

    fn step_result(
        &self,
        c: &Change,
        response: Value,
    ) -> anyhow::Result<(StepResult, Option<Projection>)> {
        let id = response["id"].as_i64();
        let projection = match &c.target {
            _ if response.is_null() => None,
            Target::Label { .. } if c.action != Action::Delete => Some(Projection::Label(
                serde_json::from_value(response.clone()).context("reading GitHub's label")?,
            )),
            Target::Milestone { .. } if c.action != Action::Delete => Some(Projection::Milestone(
                serde_json::from_value(response.clone()).context("reading GitHub's milestone")?,
            )),
            Target::Issue { .. } => Some(Projection::Issue(Box::new(
                serde_json::from_value(response.clone()).context("reading GitHub's issue")?,
            ))),
            _ => None,
        };
        let projection = match (&c.target, c.action, projection) {
            (Target::Label { .. }, Action::Delete, _) => c.number.map(Projection::LabelGone),
            (Target::Milestone { .. }, Action::Delete, _) => {
                c.number.map(Projection::MilestoneGone)
            }
            (Target::SubIssue { parent, child }, _, _) => Some(Projection::SubIssue(
                self.issue(parent)?.0,
                self.issue(child)?.0,
            )),
            (Target::Dependency { blocked, blocking }, _, _) => Some(Projection::Dependency(
                self.issue(blocked)?.0,
                self.issue(blocking)?.0,
            )),
            (_, _, p) => p,
        };
        let after = match &c.target {
            Target::Issue { .. } => {
                json!({"number": response["number"], "fields": c.fields.iter().map(|f| (&f.field, &f.after)).collect::<HashMap<_, _>>()})
            }
            _ => json!(c
                .fields
                .iter()
                .map(|f| (&f.field, &f.after))
                .collect::<HashMap<_, _>>()),
        };
        Ok((
            StepResult {
                result_id: id,
                after,
            },
            projection,
        ))
    }

    /// Records a finished step: journal, key table, mirror and audit in one transaction.
    async fn finish(
        &mut self,
        step: i64,
        c: &Change,
        result: StepResult,
        projection: Option<Projection>,
    ) -> anyhow::Result<()> {
        let store = self.a.store;
        let repo = self.a.repo.full();
        let mut tx = store.begin_write().await?;
        if projection.is_some() {
            tx.touch_mirror();
        }
        let mut seen = Seen::default();
        match &projection {
            Some(Projection::Issue(issue)) => {
                tx.mirror()
                    .issue(&mut seen, self.repo_id, issue, None)
                    .await?;
                if let Target::Issue { key, .. } = &c.target {
                    save_key(
                        &mut tx,
                        &repo,
                        key,
                        issue.id,
                        issue.number,
                        Some(self.plan_id),
                    )
                    .await?;
                    self.keys.insert(key.clone(), (issue.id, issue.number));
                }
            }
            Some(Projection::Label(l)) => tx.mirror().label(&mut seen, self.repo_id, l).await?,
            Some(Projection::LabelGone(id)) => tx.mirror().remove_label(*id).await?,
            Some(Projection::Milestone(m)) => {
                tx.mirror().milestone(&mut seen, self.repo_id, m).await?;
                self.milestones.insert(m.title.to_lowercase(), m.number);
            }
            Some(Projection::MilestoneGone(number)) => {
                tx.mirror()
                    .remove_milestone_numbered(self.repo_id, *number)
                    .await?;
            }
            Some(Projection::SubIssue(parent, child)) => {
                tx.mirror().link_sub_issue(*parent, *child).await?
            }
            Some(Projection::Dependency(blocked, blocking)) => {
                tx.mirror().add_dependency(*blocked, *blocking).await?
            }
            None => {}
        }
        // An issue found in the key table was recorded when it was created.
        if let (Target::Issue { key, .. }, None) = (&c.target, &projection) {
            if let Some(&(id, number)) = self.keys.get(key) {
                save_key(&mut tx, &repo, key, id, number, Some(self.plan_id)).await?;
            }
        }
        journal_done(&mut tx, self.plan_id, step, result.result_id).await?;
        let before: Value = json!(c
            .fields
            .iter()
            .map(|f| (&f.field, &f.before))
            .collect::<HashMap<_, _>>());
        audit(
            &mut tx,
            NewAudit {
                repository: Some(&repo),
                actor: self.a.actor,
                action: c.action.as_str(),
                object_kind: issue_kind_name(&c.target),
                object_key: &c.target.key(),
                before: (c.action != Action::Create).then_some(&before),
                after: Some(&result.after),
                correlation_id: &self.correlation,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

enum Projection {
    Issue(Box<Issue>),
    Label(Label),
    LabelGone(i64),
    Milestone(Milestone),
    MilestoneGone(i64),
    SubIssue(i64, i64),
    Dependency(i64, i64),
}

/// How far back a search for an issue by its key goes when it does not know when the
/// create was sent (100 issues a page).
const MAX_SEARCH_PAGES: usize = 50;

/// How much earlier than the journaled time a search by key looks (clock skew between
/// ghgov and GitHub).
const SEARCH_SLACK_SECONDS: i64 = 600;

/// A failure after which the write may or may not have happened.
fn ambiguous(e: &GitHubError) -> bool {
    matches!(e, GitHubError::Transport { .. }) || e.status().is_some_and(|s| s >= 500)
}

/// GitHub rounds due dates: a day sent at noon UTC stays that day in every time zone.
fn noon(day: &str) -> String {
    if day.len() == 10 {
        format!("{day}T12:00:00Z")
    } else {
        day.to_string()
    }
}

/// A label name as a path segment.
fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_path_safe() {
        assert_eq!(encode("agent:dev"), "agent%3Adev");
        assert_eq!(encode("priority high"), "priority%20high");
        assert_eq!(noon("2026-04-05"), "2026-04-05T12:00:00Z");
    }
}
