-- Domain events: what changed in the mirror, one row per change, written by the projector
-- (and by ghgov's writer) in the same transaction as the change itself. Consumers page
-- through them by id (GET /api/v1/events?after=ID). See src/events.rs.
--
-- The id is the cursor. It is given at commit, under a lock (PostgreSQL) or the one write
-- turn (SQLite), as MAX(id) + 1 onwards: ids follow commit order, so a reader that has seen
-- id N never later finds a newly committed event below N. Events are kept (no retention).
CREATE TABLE domain_events (
    id BIGINT PRIMARY KEY,
    -- issue.created, issue.status_changed, hierarchy.updated, milestone.progress_changed…
    event_type TEXT NOT NULL,
    -- What changed: issue, milestone, conflict…, and its id (GitHub's database id).
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    -- The repository's id and full name when the event was recorded (NULL when unknown).
    repository_id BIGINT,
    repository TEXT,
    -- JSON object: the change's details.
    payload TEXT NOT NULL,
    -- The webhook delivery id, sync-<operation>, plan-<id>, the API request.
    correlation_id TEXT,
    -- The event that caused this one (a status change causing a milestone's progress change).
    causation_id BIGINT,
    -- webhook, sync, api, apply; and who (a webhook's sender, a ghgov principal) when known.
    source TEXT NOT NULL,
    actor TEXT,
    -- When it happened (on GitHub: the issue's updated_at), and when it was recorded.
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX domain_events_type ON domain_events (event_type, id);
CREATE INDEX domain_events_entity ON domain_events (entity, entity_id, id);
-- A milestone's open and closed counts, read when a change moves them, from the index alone;
-- it serves every lookup by milestone, so it replaces the index on milestone_id alone.
CREATE INDEX issues_milestone_state ON issues (milestone_id, state);
DROP INDEX issues_milestone;
