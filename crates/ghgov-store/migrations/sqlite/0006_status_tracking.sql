-- Tracking work: each issue's current status (derived by the projector from the stored row:
-- state, state_reason and status labels, with the repository's workflow) and the history of
-- its changes. See src/tracking.rs.

-- NULL for pull requests, which the workflow does not follow.
ALTER TABLE issues ADD COLUMN status TEXT;
-- The issue list's status filter and compliance read issues by status.
CREATE INDEX issues_status ON issues (status, id);

-- One row per change of an issue's status, from whichever source saw it first. Written only
-- when the status derived from the stored row differs from the stored one, in the same
-- transaction: replays, redeliveries and reconciles that store the same facts add nothing.
CREATE TABLE issue_status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id BIGINT NOT NULL,
    repository_id BIGINT NOT NULL,
    -- NULL for the first observation of the issue.
    from_status TEXT,
    to_status TEXT NOT NULL,
    -- When it happened on GitHub (the issue's updated_at), or when the API made it.
    at TEXT NOT NULL,
    actor TEXT,
    -- webhook, sync, api, apply
    source TEXT NOT NULL,
    reason TEXT,
    correlation_id TEXT,
    -- 1 when the workflow did not allow from → to: recorded, never reverted.
    violation BIGINT NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL
);
CREATE INDEX issue_status_history_issue ON issue_status_history (issue_id, id);
-- Violations are rare: the index holds only them, so ordinary changes do not pay for it.
CREATE INDEX issue_status_history_violations ON issue_status_history (repository_id, id) WHERE violation = 1;

-- Issues mirrored before this migration get their status from the default labels, and a
-- first observation in their history.
UPDATE issues SET status = CASE
    WHEN state = 'closed' AND state_reason IN ('not_planned', 'duplicate') THEN 'cancelled'
    WHEN state = 'closed' THEN 'done'
    WHEN EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = issues.id AND l.name_lc = 'status:blocked') THEN 'blocked'
    WHEN EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = issues.id AND l.name_lc = 'status:review') THEN 'review'
    WHEN EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = issues.id AND l.name_lc = 'status:in_progress') THEN 'in_progress'
    ELSE 'planning' END
WHERE is_pull_request = 0;
INSERT INTO issue_status_history (issue_id, repository_id, from_status, to_status, at, actor, source, reason, correlation_id, violation, recorded_at)
SELECT id, repository_id, NULL, status, updated_at, NULL, 'sync',
       CASE WHEN state = 'closed' THEN state_reason END, 'migration-0006', 0,
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM issues WHERE status IS NOT NULL ORDER BY id;
