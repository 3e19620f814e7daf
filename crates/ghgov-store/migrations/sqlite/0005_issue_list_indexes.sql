-- The issue list (GET /api/v1/issues) offers four sorts, each over open, closed or all
-- issues. Every combination gets an index that yields rows already in order, ties broken by
-- id as the list does, so a page is read from the index instead of sorting the mirror.
-- The state-first indexes serve state=open|closed; the others serve state=all.
CREATE INDEX issues_state_updated_id ON issues (state, updated_at, id);
CREATE INDEX issues_state_created_id ON issues (state, created_at, id);
CREATE INDEX issues_state_number_id ON issues (state, number, id);
CREATE INDEX issues_state_comments_id ON issues (state, comments_count, id);
CREATE INDEX issues_updated_id ON issues (updated_at, id);
CREATE INDEX issues_created_id ON issues (created_at, id);
CREATE INDEX issues_number_id ON issues (number, id);
CREATE INDEX issues_comments_id ON issues (comments_count, id);
-- A narrowed list (by label, assignee…) reads the state and sort keys of the issues it
-- matches, in id order: this index holds them all, densely, so no issue row is read.
CREATE INDEX issues_sort_keys ON issues (id, state, updated_at, created_at, number, comments_count);
-- Superseded by issues_updated_id, which also orders ties.
DROP INDEX issues_updated;
