//! `GET /api/v1/events`: the domain events the mirror recorded, in id order, for consumers
//! that page through them with `after` (see `ghgov_store::events`).

use super::extract::Query;
use super::params::Whole;
use super::{ApiResult, AppState, Json};
use crate::store::events::{EventFilter, EventRow, ENTITIES, EVENT_TYPES};
use axum::extract::State;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The id to read after: 0 for the first event.
pub type After = Whole<0, { i64::MAX }>;
/// Events a page: 1 to 1000.
pub type Limit = Whole<1, 1000>;

/// A `type` filter: one of the event types ghgov records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType(pub String);

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if EVENT_TYPES.contains(&text.as_str()) {
            Ok(EventType(text))
        } else {
            Err(de::Error::custom(format!(
                "expected one of {}, got '{}'",
                EVENT_TYPES.join(", "),
                text.chars().take(40).collect::<String>()
            )))
        }
    }
}

/// An `entity` filter: `KIND:ID`, such as `issue:1234`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef(pub String, pub i64);

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.split_once(':')
            .filter(|(kind, _)| ENTITIES.contains(kind))
            .and_then(|(kind, id)| {
                id.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(|id| EntityRef(kind.to_string(), id))
            })
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "expected KIND:ID with KIND one of {} and ID a whole number of at least 1 (such as issue:1234), got '{}'",
                    ENTITIES.join(", "),
                    text.chars().take(40).collect::<String>()
                ))
            })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The events after this id (0, the default, for the first). Pass the last answer's
    /// `next_after`.
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<After>,
    /// Events per page, 1 to 1000 (default 100)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<Limit>,
    /// Only events of this type (issue.created, issue.updated, issue.closed,
    /// issue.reopened, issue.removed, issue.status_changed, issue.assigned,
    /// issue.unassigned, hierarchy.updated, dependency.added, dependency.removed,
    /// milestone.progress_changed, conflict.detected)
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<String>, pattern = r"^[a-z_]+\.[a-z_]+$")]
    event_type: Option<EventType>,
    /// Only events about this entity: KIND:ID (issue, milestone, conflict, repository), such
    /// as issue:1234
    #[param(value_type = Option<String>, pattern = r"^(issue|milestone|conflict|repository):[1-9][0-9]*$")]
    entity: Option<EntityRef>,
}

/// One change recorded in the mirror.
#[derive(Serialize, ToSchema)]
pub struct DomainEvent {
    /// Who made it, when known: a webhook's sender, a ghgov principal.
    pub actor: Option<String>,
    /// The event that caused this one (a status change causing a milestone's progress
    /// change), if any.
    pub causation_id: Option<i64>,
    /// The webhook delivery id, `sync-<operation>`, `plan-<id>` or the API request.
    pub correlation_id: Option<String>,
    /// `issue`, `milestone`, `conflict`…
    pub entity: String,
    /// The entity's id (GitHub's database id for issues and milestones).
    pub entity_id: i64,
    /// The cursor: ids grow in the order events were committed.
    pub id: i64,
    /// When the change happened (on GitHub: the issue's `updated_at`).
    pub occurred_at: String,
    /// The change's details; their fields depend on the type (README, "Domain events").
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// When ghgov recorded it.
    pub recorded_at: String,
    /// OWNER/NAME when the event was recorded.
    pub repository: Option<String>,
    pub repository_id: Option<i64>,
    /// `webhook`, `sync`, `api` or `apply`.
    pub source: String,
    /// `issue.created`, `issue.status_changed`…
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub event_type: String,
}

/// A page of events in id order, and the `after` to ask for the next one.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    pub data: Vec<DomainEvent>,
    /// The last event's id on this page, to pass as `after`; null when the page is empty
    /// (nothing after `after` yet: ask again later with the same `after`).
    pub next_after: Option<i64>,
}

fn render(r: EventRow) -> DomainEvent {
    DomainEvent {
        actor: r.actor,
        causation_id: r.causation_id,
        correlation_id: r.correlation_id,
        entity: r.entity,
        entity_id: r.entity_id,
        id: r.id,
        occurred_at: r.occurred_at,
        payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
        recorded_at: r.recorded_at,
        repository: r.repository,
        repository_id: r.repository_id,
        source: r.source,
        event_type: r.event_type,
    }
}

/// Domain events
///
/// What changed in the mirror (issues created, updated, closed, their status, assignees,
/// sub-issues, dependencies, milestones' progress), one event per change, in the order the
/// changes were committed. Page with `after`: an event committed later always has a higher
/// id, so following `next_after` skips nothing and repeats nothing. Events are kept.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "domain_events",
    tag = "events",
    params(EventsQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = EventList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<EventList>> {
    let filter = EventFilter {
        after: q.after.map_or(0, |a| a.0),
        limit: q.limit.map_or(100, |l| l.0),
        event_type: q.event_type.map(|t| t.0),
        entity: q.entity.map(|e| (e.0, e.1)),
    };
    let rows = state.store.events(&filter).await?;
    let next_after = rows.last().map(|r| r.id);
    Ok(Json(EventList {
        data: rows.into_iter().map(render).collect(),
        next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_the_parameters_as_the_query_reads_them() {
        let doc = crate::api::openapi_document();
        let op = &doc["paths"]["/api/v1/events"]["get"];
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["after", "limit", "type", "entity"]);
        let event = &doc["components"]["schemas"]["DomainEvent"]["properties"];
        assert!(event.get("type").is_some(), "{event}");
        assert!(event.get("event_type").is_none(), "{event}");
    }

    #[test]
    fn filters_are_read_strictly() {
        let q = |s: &str| {
            serde_urlencoded::from_str::<EventsQuery>(s)
                .map(|q| (q.event_type, q.entity))
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            q("type=issue.closed&entity=milestone:7").unwrap(),
            (
                Some(EventType("issue.closed".into())),
                Some(EntityRef("milestone".into(), 7))
            )
        );
        for bad in [
            "type=issue",
            "type=ISSUE.CLOSED",
            "entity=issue",
            "entity=issue:-1",
            "entity=user:1",
        ] {
            assert!(q(bad).is_err(), "{bad}");
        }
    }
}
