-- The one writer's queue: every change ghgov makes on GitHub for the API is an operation,
-- journaled here before it is sent ('queued', then 'running' once it may have been sent)
-- and settled after ('done' with the issue it produced, or 'failed' with why). A server
-- that stops mid-way finds its 'running' operations here and resolves them by reading
-- GitHub before sending anything again.
CREATE TABLE write_operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    repository TEXT NOT NULL,
    issue_id BIGINT,
    -- What it made or changed when that is not an issue (a comment, a milestone).
    result_id BIGINT,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    principal TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX write_operations_unsettled ON write_operations (status, id);
