-- Hardening: unique token names, repositories admitted at run time, delivery retention.

-- A token's name is its principal (`token:NAME` in plans, approvals and the audit log), so
-- two tokens may not share one. Older databases may hold duplicates: every one but the
-- oldest is renamed NAME#ID, which `ghgov token list` shows; no token is lost.
UPDATE api_tokens SET name = name || '#' || id
    WHERE id NOT IN (SELECT MIN(id) FROM api_tokens GROUP BY name);
CREATE UNIQUE INDEX api_tokens_name ON api_tokens (name);

-- Repositories an admin added to the mirrored set beyond the configured --repo patterns.
CREATE TABLE admitted_repositories (
    full_name_lc TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    admitted_by TEXT NOT NULL,
    admitted_at TEXT NOT NULL
);

-- Retention drops the payload of old processed and ignored deliveries; the row and its
-- metadata stay, and this says when the payload went.
ALTER TABLE deliveries ADD COLUMN payload_pruned_at TEXT;
CREATE INDEX deliveries_prunable ON deliveries (status, processed_at);
