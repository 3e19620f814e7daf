-- Hierarchy rollup (see src/rollup.rs): estimates stored as numbers, and each issue's rollup
-- over its sub-issue tree, kept up to date by the projector in the transaction that changes
-- a status, an estimate or a sub-issue link.

-- An issue's estimate in hours, from its two sources: the governed issue's estimate a
-- governance apply recorded (`planned`) and an `estimate:N` label (`labeled`, which wins).
CREATE TABLE issue_estimates (
    issue_id BIGINT PRIMARY KEY,
    planned DOUBLE PRECISION,
    labeled DOUBLE PRECISION
);

-- One row per mirrored issue (pull requests have none). The first columns are the facts the
-- rollup was computed from (so a change is seen by comparing), the rest are derived from the
-- rows of its children only: an update walks from the changed issue up to the root.
CREATE TABLE issue_rollups (
    issue_id BIGINT PRIMARY KEY,
    repository_id BIGINT NOT NULL,
    parent_id BIGINT,
    milestone_id BIGINT,
    status TEXT NOT NULL,
    estimate DOUBLE PRECISION,
    -- Over the children that are not cancelled: their weights (estimate, else 1) and the
    -- weighted sum of their values (1 when done, else their own progress when they have
    -- children, else 0).
    weight_total DOUBLE PRECISION NOT NULL DEFAULT 0,
    weight_done DOUBLE PRECISION NOT NULL DEFAULT 0,
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- Descendants (cancelled subtrees left out).
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    in_progress BIGINT NOT NULL DEFAULT 0,
    blocked BIGINT NOT NULL DEFAULT 0,
    -- Direct children, all of them, and the closed ones: what GitHub's sub_issues_summary counts.
    children_total BIGINT NOT NULL DEFAULT 0,
    children_closed BIGINT NOT NULL DEFAULT 0,
    at_risk BIGINT NOT NULL DEFAULT 0,
    derived_status TEXT NOT NULL
);
CREATE INDEX issue_rollups_parent ON issue_rollups (parent_id);
CREATE INDEX issue_rollups_milestone ON issue_rollups (milestone_id);
CREATE INDEX issue_rollups_repository ON issue_rollups (repository_id);

-- Per milestone: its issues open and closed, and the weighted share done (cancelled issues
-- left out of the weights).
CREATE TABLE milestone_rollups (
    milestone_id BIGINT PRIMARY KEY,
    total BIGINT NOT NULL,
    open BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    weight_total DOUBLE PRECISION NOT NULL,
    weight_done DOUBLE PRECISION NOT NULL,
    progress DOUBLE PRECISION NOT NULL
);

-- A database upgraded with issues already mirrored computes every rollup once, when the
-- store opens (Store::migrate); from then on they are only updated incrementally.
CREATE TABLE rollup_rebuild (pending BIGINT NOT NULL);
INSERT INTO rollup_rebuild (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM issues);
