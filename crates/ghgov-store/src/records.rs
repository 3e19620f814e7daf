//! The parts of GitHub's objects the mirror keeps. Tolerant: missing optional fields and
//! timestamps given as epoch seconds (some webhook payloads) are accepted.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Normalizes a timestamp to GitHub's `2011-04-22T13:33:48Z` form; anything else is not a
/// timestamp. The mirror compares these as text (newer wins), so a string kept as it came
/// (`zzz` sorts after every date) would freeze its row forever.
pub fn normalize_time(v: &Value) -> Option<String> {
    use chrono::Datelike;
    let t = match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()?
            .with_timezone(&chrono::Utc),
        Value::Number(n) => chrono::DateTime::from_timestamp(n.as_i64()?, 0)?,
        _ => return None,
    };
    // Four-digit years only: `+10000-…` and `-0001-…` do not sort as text.
    (0..=9999).contains(&t.year()).then(|| crate::timestamp(t))
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    normalize_time(&v).ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {v}")))
}

fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(normalize_time))
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    #[serde(rename = "type", default)]
    pub user_type: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Milestone {
    pub id: i64,
    pub number: i64,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "open")]
    pub state: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub due_on: Option<String>,
    #[serde(default)]
    pub open_issues: Option<i64>,
    #[serde(default)]
    pub closed_issues: Option<i64>,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "opt_time")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "opt_time")]
    pub closed_at: Option<String>,
}

fn open() -> String {
    "open".into()
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct SubIssuesSummary {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub completed: i64,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct DependenciesSummary {
    #[serde(default)]
    pub total_blocked_by: i64,
    #[serde(default)]
    pub total_blocking: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IssueType {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub id: i64,
    pub number: i64,
    #[serde(default)]
    pub node_id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default = "open")]
    pub state: String,
    #[serde(default)]
    pub state_reason: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: Vec<Label>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub assignees: Vec<User>,
    #[serde(default)]
    pub milestone: Option<Milestone>,
    #[serde(default)]
    pub comments: Option<i64>,
    #[serde(default)]
    pub locked: Option<bool>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(deserialize_with = "time")]
    pub created_at: String,
    #[serde(deserialize_with = "time")]
    pub updated_at: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub closed_at: Option<String>,
    #[serde(default)]
    pub pull_request: Option<Value>,
    #[serde(rename = "type", default)]
    pub issue_type: Option<IssueType>,
    #[serde(default)]
    pub sub_issues_summary: Option<SubIssuesSummary>,
    #[serde(default)]
    pub issue_dependencies_summary: Option<DependenciesSummary>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: i64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    pub issue_url: String,
    #[serde(deserialize_with = "time")]
    pub created_at: String,
    #[serde(deserialize_with = "time")]
    pub updated_at: String,
}

impl Comment {
    /// The issue number, from `…/issues/{number}`.
    pub fn issue_number(&self) -> Option<i64> {
        self.issue_url.rsplit('/').next()?.parse().ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub id: i64,
    pub name: String,
    pub full_name: String,
    pub owner: User,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub open_issues_count: Option<i64>,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "opt_time")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "opt_time")]
    pub pushed_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_normalized_from_every_form() {
        assert_eq!(
            normalize_time(&Value::from("2019-05-15T15:20:41+00:00")).unwrap(),
            "2019-05-15T15:20:41Z"
        );
        assert_eq!(
            normalize_time(&Value::from(1557933565)).unwrap(),
            "2019-05-15T15:19:25Z"
        );
        assert_eq!(normalize_time(&Value::Null), None);
        for not_a_time in [
            json!("2024-13-45T00:00:00Z"),
            json!("zzz"),
            json!(""),
            json!(253_402_300_800i64),
            json!(-62_167_219_201i64),
            json!(i64::MAX),
        ] {
            assert_eq!(normalize_time(&not_a_time), None, "{not_a_time}");
        }
    }

    #[test]
    fn an_issue_with_nulls_parses() {
        let v = serde_json::json!({"id": 1, "number": 2, "title": "t", "labels": null, "assignees": null, "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-02T00:00:00Z", "closed_at": null});
        let i: Issue = serde_json::from_value(v).unwrap();
        assert_eq!(
            (i.labels.len(), i.assignees.len(), i.state.as_str()),
            (0, 0, "open")
        );
    }
}
