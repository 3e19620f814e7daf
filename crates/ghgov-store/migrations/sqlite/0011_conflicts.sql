-- Field-by-field conflicts between what a client changed through ghgov and what changed on
-- GitHub since the version the client based its change on.

-- The versions of issues clients read (`GET /api/v1/issues/{id}` and its ETag): the base a
-- later change names with If-Match, kept so the change can be merged field by field.
CREATE TABLE issue_versions (
    issue_id BIGINT NOT NULL,
    etag TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issue_id, etag)
);

-- A field changed on both sides whose strategy is `manual`: both values are kept until a
-- person settles it.
CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    repository TEXT NOT NULL,
    field TEXT NOT NULL,
    base TEXT,
    local TEXT,
    remote TEXT,
    strategy TEXT NOT NULL,
    status TEXT NOT NULL,
    operation_id BIGINT,
    resolution TEXT,
    resolved_by TEXT,
    created_at TEXT NOT NULL,
    resolved_at TEXT
);

CREATE INDEX sync_conflicts_status ON sync_conflicts (status, id);
CREATE INDEX sync_conflicts_operation ON sync_conflicts (operation_id);
