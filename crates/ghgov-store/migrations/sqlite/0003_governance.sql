-- The governance engine's own tables: configuration versions, plans, the write journal,
-- the key table and the audit trail. None of them is a projection of GitHub: they record
-- what ghgov decided and did.

-- Every version of a repository's governance configuration is kept (who, when, what).
CREATE TABLE governance_configs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    version BIGINT NOT NULL,
    config TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Which top-level parts changed against the previous version.
    changes TEXT NOT NULL,
    -- Two writers saving at once cannot both get the same version number.
    UNIQUE (repository, version)
);

CREATE TABLE governance_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    status TEXT NOT NULL,
    plan TEXT NOT NULL,
    config_version BIGINT,
    spec_digest TEXT NOT NULL,
    needs_approval TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    updated_at TEXT NOT NULL,
    adds BIGINT NOT NULL DEFAULT 0,
    changes BIGINT NOT NULL DEFAULT 0,
    destroys BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX governance_plans_repo ON governance_plans (repository, id);

-- One row per write of an apply: written as an intent before the request is sent, and
-- completed with the outcome after. An intent without an outcome is a write that may or
-- may not have reached GitHub; a resumed apply resolves it before going on.
CREATE TABLE governance_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id BIGINT NOT NULL,
    step BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    action TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    result_id BIGINT,
    error TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    -- A step is journaled once; a retry of the same step updates its row.
    UNIQUE (plan_id, step)
);

-- Which GitHub issue carries which specification key (the body marker says the same; the
-- table survives a body edited by hand).
CREATE TABLE governance_keys (
    repository TEXT NOT NULL,
    issue_key TEXT NOT NULL,
    issue_id BIGINT NOT NULL,
    issue_number BIGINT NOT NULL,
    plan_id BIGINT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (repository, issue_key)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_key TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    correlation_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX audit_log_correlation ON audit_log (correlation_id);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_key);
