//! GitHub's REST operations ghgov uses, one typed method each. Paths are built here and
//! nowhere else; answers are read into the record types before a caller sees them.
//!
//! Lists are [`ListOf`] values: the first page of a named list, or a stored `Link: next`
//! URL ([`NextPage`]) that a sync resumes from after a restart.

use super::client::{Answer, GitHub, GitHubError, Got, Validator};
use crate::github::types::{Comment, Issue, Label, Milestone, Repository};
use crate::store::RepoName;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::marker::PhantomData;

/// A GitHub list of `T`, at the page a request starts from.
#[derive(Debug, Clone)]
pub struct ListOf<T> {
    path: String,
    item: PhantomData<fn() -> T>,
}

impl<T> ListOf<T> {
    fn at(path: String) -> Self {
        ListOf {
            path,
            item: PhantomData,
        }
    }

    /// The list from a page GitHub linked to (a sync cursor keeps it across restarts).
    pub fn resume(next: &NextPage) -> Self {
        Self::at(next.0.clone())
    }
}

impl ListOf<Label> {
    pub fn labels(repo: &RepoName) -> Self {
        Self::at(format!("/repos/{}/labels?per_page=100", repo.full()))
    }
}

impl ListOf<Milestone> {
    /// Open and closed milestones.
    pub fn milestones(repo: &RepoName) -> Self {
        Self::at(format!(
            "/repos/{}/milestones?state=all&per_page=100",
            repo.full()
        ))
    }
}

impl ListOf<Issue> {
    /// Every issue and pull request, oldest first: a stable order for full listings.
    pub fn issues_oldest_first(repo: &RepoName) -> Self {
        Self::at(format!(
            "/repos/{}/issues?state=all&sort=created&direction=asc&per_page=100",
            repo.full()
        ))
    }

    /// Every issue and pull request, newest first.
    pub fn issues_newest_first(repo: &RepoName) -> Self {
        Self::at(format!(
            "/repos/{}/issues?state=all&sort=created&direction=desc&per_page=100",
            repo.full()
        ))
    }

    /// Issues updated at or after `since` (RFC 3339), most recently updated first.
    pub fn issues_updated_since(repo: &RepoName, since: &str) -> Self {
        Self::at(format!(
            "/repos/{}/issues?state=all&sort=updated&direction=desc&per_page=100&since={since}",
            repo.full()
        ))
    }
}

impl ListOf<Comment> {
    /// Every issue comment of the repository.
    pub fn comments(repo: &RepoName) -> Self {
        Self::at(format!(
            "/repos/{}/issues/comments?per_page=100",
            repo.full()
        ))
    }

    /// The comments of issue `number`, oldest first.
    pub fn issue_comments(repo: &RepoName, number: i64) -> Self {
        Self::at(format!(
            "/repos/{}/issues/{number}/comments?per_page=100",
            repo.full()
        ))
    }

    /// Comments updated at or after `since`, most recently updated first.
    pub fn comments_updated_since(repo: &RepoName, since: &str) -> Self {
        Self::at(format!(
            "/repos/{}/issues/comments?sort=updated&direction=desc&per_page=100&since={since}",
            repo.full()
        ))
    }
}

impl ListOf<IssueRef> {
    /// The sub-issues of issue `number`.
    pub fn sub_issues(repo: &RepoName, number: i64) -> Self {
        Self::at(format!(
            "/repos/{}/issues/{number}/sub_issues?per_page=100",
            repo.full()
        ))
    }

    /// The issues that block issue `number`.
    pub fn blocked_by(repo: &RepoName, number: i64) -> Self {
        Self::at(format!(
            "/repos/{}/issues/{number}/dependencies/blocked_by?per_page=100",
            repo.full()
        ))
    }
}

/// An issue in a relation list, by the one thing the mirror keeps of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct IssueRef {
    pub id: i64,
}

/// Where a list continues: GitHub's `Link: rel="next"` URL, kept in sync cursors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage(String);

impl NextPage {
    /// A page URL read back from a cursor. It is checked against the configured API when
    /// it is requested, like every URL.
    pub fn stored(url: String) -> Self {
        NextPage(url)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub next: Option<NextPage>,
    /// The number of the last page, when GitHub says.
    pub last_page: Option<u64>,
    /// The ETag to keep once the page is committed (conditional requests only).
    pub validator: Option<Validator>,
}

/// The answer to a conditional request.
#[derive(Debug)]
pub enum Fetched<T> {
    Modified(T),
    /// GitHub says nothing changed since the ETag ghgov kept (this cost no rate limit).
    NotModified,
}

/// One object looked up by number: there, never there (404), or deleted (410).
#[derive(Debug)]
pub enum Lookup<T> {
    Found(T),
    NotFound,
    Gone,
}

/// An organization's issue type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrgIssueType {
    pub name: String,
    #[serde(default)]
    pub is_enabled: Option<bool>,
}

/// `GET /rate_limit`: what the token has left (this request itself costs nothing).
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimits {
    pub resources: RateLimitResources,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitResources {
    pub core: RateLimit,
    #[serde(default)]
    pub graphql: Option<RateLimit>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RateLimit {
    pub limit: i64,
    pub remaining: i64,
    /// Epoch seconds.
    pub reset: i64,
}

fn read_as<T: DeserializeOwned>(
    gh: &GitHub,
    path: &str,
    body: serde_json::Value,
) -> Result<T, GitHubError> {
    serde_json::from_value(body).map_err(|e| GitHubError::Decode {
        url: gh.url(path),
        message: format!("not the {} ghgov expects: {e}", short_type::<T>()),
    })
}

/// `Vec<ghgov_store::records::Issue>` → `Vec<Issue>`, for messages.
fn short_type<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::new();
    for (i, part) in full.split('<').enumerate() {
        if i > 0 {
            out.push('<');
        }
        out.push_str(part.rsplit("::").next().unwrap_or(part));
    }
    out
}

fn page_from<T: DeserializeOwned>(
    gh: &GitHub,
    path: &str,
    answer: Answer,
) -> Result<PageOf<T>, GitHubError> {
    Ok(PageOf {
        items: read_as(gh, path, answer.body)?,
        next: answer.next.map(NextPage),
        last_page: answer.last_page,
        validator: answer.validator,
    })
}

/// 404 (and 410, where given) as an answer rather than a failure.
fn found<T>(result: Result<T, GitHubError>) -> Result<Option<T>, GitHubError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if matches!(e.status(), Some(404) | Some(410)) => Ok(None),
        Err(e) => Err(e),
    }
}

impl GitHub {
    async fn object<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.read_fresh(path).await?;
        read_as(self, path, answer.body)
    }

    /// One page of a list, always in full.
    pub async fn page<T: DeserializeOwned>(
        &self,
        list: &ListOf<T>,
    ) -> Result<PageOf<T>, GitHubError> {
        let answer = self.read_fresh(&list.path).await?;
        page_from(self, &list.path, answer)
    }

    /// One page of a list, asked with the ETag kept for it: unchanged pages cost nothing.
    pub async fn page_if_changed<T: DeserializeOwned>(
        &self,
        list: &ListOf<T>,
    ) -> Result<Fetched<PageOf<T>>, GitHubError> {
        match self.read(&list.path, true).await? {
            Got::Unchanged => Ok(Fetched::NotModified),
            Got::Fresh(answer) => Ok(Fetched::Modified(page_from(self, &list.path, answer)?)),
        }
    }

    /// Every item of a list, following its pages.
    pub async fn all<T: DeserializeOwned>(&self, list: &ListOf<T>) -> Result<Vec<T>, GitHubError> {
        let mut items = Vec::new();
        let mut page = self.page(list).await?;
        loop {
            items.append(&mut page.items);
            match page.next.take() {
                Some(next) => page = self.page(&ListOf::<T>::resume(&next)).await?,
                None => return Ok(items),
            }
        }
    }

    /// How many items a list holds, from one request of one item a page (GitHub's `last`
    /// page link then counts the items).
    async fn total(&self, path: &str) -> Result<i64, GitHubError> {
        let answer = self.read_fresh(path).await?;
        Ok(match answer.last_page {
            Some(n) => n as i64,
            None => answer.body.as_array().map_or(0, |a| a.len() as i64),
        })
    }

    /// Issues and pull requests of the repository, open and closed.
    pub async fn issue_total(&self, repo: &RepoName) -> Result<i64, GitHubError> {
        self.total(&format!(
            "/repos/{}/issues?state=all&per_page=1",
            repo.full()
        ))
        .await
    }

    /// Issue comments of the repository.
    pub async fn comment_total(&self, repo: &RepoName) -> Result<i64, GitHubError> {
        self.total(&format!(
            "/repos/{}/issues/comments?per_page=1",
            repo.full()
        ))
        .await
    }

    pub async fn rate_limit(&self) -> Result<RateLimits, GitHubError> {
        self.object("/rate_limit").await
    }

    pub async fn repository(&self, repo: &RepoName) -> Result<Repository, GitHubError> {
        self.object(&format!("/repos/{}", repo.full())).await
    }

    /// The repository, asked with the ETag kept for it. The answer's validator is to be
    /// remembered once the repository is stored.
    pub async fn repository_if_changed(
        &self,
        repo: &RepoName,
    ) -> Result<Fetched<(Repository, Option<Validator>)>, GitHubError> {
        let path = format!("/repos/{}", repo.full());
        match self.read(&path, true).await? {
            Got::Unchanged => Ok(Fetched::NotModified),
            Got::Fresh(answer) => Ok(Fetched::Modified((
                read_as(self, &path, answer.body)?,
                answer.validator,
            ))),
        }
    }

    /// Forgets the repository's ETag: its next conditional request fetches in full.
    pub async fn forget_repository_etag(&self, repo: &RepoName) {
        self.forget(&format!("/repos/{}", repo.full())).await
    }

    /// Issue (or pull request) `number`.
    pub async fn issue(&self, repo: &RepoName, number: i64) -> Result<Lookup<Issue>, GitHubError> {
        match self
            .object(&format!("/repos/{}/issues/{number}", repo.full()))
            .await
        {
            Ok(issue) => Ok(Lookup::Found(issue)),
            Err(e) if e.status() == Some(404) => Ok(Lookup::NotFound),
            Err(e) if e.status() == Some(410) => Ok(Lookup::Gone),
            Err(e) => Err(e),
        }
    }

    /// The label called `name`, if the repository has one.
    pub async fn label(&self, repo: &RepoName, name: &str) -> Result<Option<Label>, GitHubError> {
        found(
            self.object(&format!(
                "/repos/{}/labels/{}",
                repo.full(),
                path_segment(name)
            ))
            .await,
        )
    }

    /// The parent of issue `number`, if it is someone's sub-issue.
    pub async fn parent_of(
        &self,
        repo: &RepoName,
        number: i64,
    ) -> Result<Option<Issue>, GitHubError> {
        found(
            self.object(&format!("/repos/{}/issues/{number}/parent", repo.full()))
                .await,
        )
    }

    /// The organization's issue types; none where the owner has none (a user, or an
    /// organization without the feature: GitHub answers 404 or 403).
    pub async fn org_issue_types(&self, org: &str) -> Result<Vec<OrgIssueType>, GitHubError> {
        match self
            .object::<Vec<OrgIssueType>>(&format!("/orgs/{org}/issue-types"))
            .await
        {
            Ok(types) => Ok(types),
            Err(e) if matches!(e.status(), Some(404) | Some(403)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

/// A name (a label's) as one path segment.
pub(super) fn path_segment(name: &str) -> String {
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
        assert_eq!(path_segment("agent:dev"), "agent%3Adev");
        assert_eq!(path_segment("priority high"), "priority%20high");
    }

    #[test]
    fn decode_errors_name_the_type() {
        assert_eq!(short_type::<Vec<Issue>>(), "Vec<Issue>");
        assert_eq!(short_type::<Repository>(), "Repository");
    }
}
