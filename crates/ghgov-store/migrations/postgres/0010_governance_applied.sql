-- What the last apply wrote to each governed issue, per field (JSON: title, body's
-- generated part, milestone, labels and assignees the specification asked for). A plan
-- compares it with GitHub's current values to tell a change people made on GitHub since
-- (drift, settled by the configuration's conflict strategies) from a change of the
-- specification. NULL for issues applied before it existed: their next apply records it.
ALTER TABLE governance_keys ADD COLUMN applied TEXT;
