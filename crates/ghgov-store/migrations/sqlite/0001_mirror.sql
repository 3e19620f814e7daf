-- The mirror: every table a projection of what GitHub told us (see src/mirror/projector.rs).
-- Timestamps are ISO-8601 UTC text (GitHub's own format), which sorts correctly as text.
-- Booleans are 0/1 integers so both backends read them the same way.

CREATE TABLE repositories (
    id BIGINT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    -- Lookups by name are case-insensitive, as on GitHub.
    full_name_lc TEXT NOT NULL UNIQUE,
    private BIGINT NOT NULL DEFAULT 0,
    default_branch TEXT,
    html_url TEXT,
    open_issues_count BIGINT NOT NULL DEFAULT 0,
    created_at TEXT,
    updated_at TEXT,
    pushed_at TEXT
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    login TEXT NOT NULL,
    user_type TEXT NOT NULL DEFAULT 'User',
    avatar_url TEXT,
    html_url TEXT
);

CREATE TABLE issues (
    id BIGINT PRIMARY KEY,
    repository_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    node_id TEXT,
    title TEXT NOT NULL,
    body TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    is_pull_request BIGINT NOT NULL DEFAULT 0,
    user_login TEXT,
    milestone_id BIGINT,
    issue_type TEXT,
    comments_count BIGINT NOT NULL DEFAULT 0,
    locked BIGINT NOT NULL DEFAULT 0,
    html_url TEXT,
    sub_issues_total BIGINT NOT NULL DEFAULT 0,
    sub_issues_completed BIGINT NOT NULL DEFAULT 0,
    blocked_by_total BIGINT NOT NULL DEFAULT 0,
    blocking_total BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    -- The full sync generation that last saw this issue (finds deleted issues).
    seen_generation BIGINT NOT NULL DEFAULT 0,
    -- Set when the issue changed and its sub-issues or dependencies must be fetched again.
    relations_dirty BIGINT NOT NULL DEFAULT 0,
    UNIQUE (repository_id, number)
);
CREATE INDEX issues_repo_state_updated ON issues (repository_id, state, updated_at);
CREATE INDEX issues_updated ON issues (updated_at);
CREATE INDEX issues_milestone ON issues (milestone_id);
CREATE INDEX issues_dirty ON issues (repository_id, relations_dirty);

-- Issues GitHub told us are gone; an older event must not bring them back.
CREATE TABLE issue_tombstones (
    issue_id BIGINT PRIMARY KEY,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE labels (
    id BIGINT PRIMARY KEY,
    repository_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    color TEXT NOT NULL DEFAULT 'ededed',
    description TEXT,
    is_default BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX labels_repo_name ON labels (repository_id, name_lc);

CREATE TABLE issue_labels (
    issue_id BIGINT NOT NULL,
    label_id BIGINT NOT NULL,
    PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX issue_labels_label ON issue_labels (label_id, issue_id);

CREATE TABLE issue_assignees (
    issue_id BIGINT NOT NULL,
    login TEXT NOT NULL,
    PRIMARY KEY (issue_id, login)
);
CREATE INDEX issue_assignees_login ON issue_assignees (login, issue_id);

CREATE TABLE milestones (
    id BIGINT PRIMARY KEY,
    repository_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    state TEXT NOT NULL,
    due_on TEXT,
    open_issues BIGINT NOT NULL DEFAULT 0,
    closed_issues BIGINT NOT NULL DEFAULT 0,
    created_at TEXT,
    updated_at TEXT,
    closed_at TEXT,
    UNIQUE (repository_id, number)
);

CREATE TABLE comments (
    id BIGINT PRIMARY KEY,
    repository_id BIGINT NOT NULL,
    issue_number BIGINT NOT NULL,
    user_login TEXT,
    body TEXT,
    html_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seen_generation BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX comments_issue ON comments (repository_id, issue_number);

-- One parent per sub-issue (GitHub's rule), so the child is the key.
CREATE TABLE sub_issue_links (
    child_id BIGINT PRIMARY KEY,
    parent_id BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX sub_issue_links_parent ON sub_issue_links (parent_id, position);

CREATE TABLE dependencies (
    blocked_id BIGINT NOT NULL,
    blocking_id BIGINT NOT NULL,
    PRIMARY KEY (blocked_id, blocking_id)
);
CREATE INDEX dependencies_blocking ON dependencies (blocking_id);

CREATE TABLE sync_cursors (
    repository TEXT NOT NULL,
    resource TEXT NOT NULL,
    since TEXT,
    -- Where an interrupted sync resumes: the next page URL, and the full-sync generation.
    next_url TEXT,
    generation BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (repository, resource)
);

-- Conditional-request cache: survives restarts so a restarted ghgov still gets 304s.
CREATE TABLE etags (
    request_key TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    action TEXT,
    repository TEXT,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT
);
CREATE INDEX deliveries_status ON deliveries (status, id);

CREATE TABLE sync_operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_type TEXT NOT NULL,
    direction TEXT NOT NULL DEFAULT 'pull',
    repository TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    records_processed BIGINT NOT NULL DEFAULT 0,
    records_failed BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    not_modified BIGINT NOT NULL DEFAULT 0,
    cursor TEXT,
    error TEXT
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
