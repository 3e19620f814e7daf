-- GitHub's timestamps have whole seconds, so a webhook can carry the same `updated_at` as
-- GitHub's answer to one of ghgov's own writes: the late echo of an earlier write of that
-- second, or someone else's change in that second. The timestamp cannot tell them apart;
-- the content can. For the second of ghgov's latest confirmed write, the fingerprints of
-- every state GitHub answered ghgov's writes with in that second: a same-second fact with
-- one of them is an echo and changes nothing; any other is someone's change and is taken.
ALTER TABLE issues ADD COLUMN confirmed_updated_at TEXT;
ALTER TABLE issues ADD COLUMN confirmed_fingerprints TEXT;
