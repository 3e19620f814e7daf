-- GitHub's timestamps have whole seconds, so a webhook can carry the same `updated_at` as
-- the answer to ghgov's own later write in the same second (the echo of an earlier write,
-- delivered late). The `updated_at` of an issue as GitHub confirmed one of ghgov's writes:
-- a fact with that same timestamp from elsewhere does not overwrite it.
ALTER TABLE issues ADD COLUMN confirmed_updated_at TEXT;
