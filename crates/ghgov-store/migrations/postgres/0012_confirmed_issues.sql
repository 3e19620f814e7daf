-- GitHub's timestamps have whole seconds, so a webhook can carry the same `updated_at` as
-- GitHub's answer to one of ghgov's own writes: usually the late echo of an earlier write
-- of that second. The `updated_at` of the issue as GitHub last confirmed it to ghgov's
-- writer: a fact of that same second from elsewhere does not overwrite it. The writer
-- reads the issue again once that second has passed, and that read settles the second.
ALTER TABLE issues ADD COLUMN confirmed_updated_at TEXT;
