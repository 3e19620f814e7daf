-- A counter bumped by every write transaction: read caches compare it to know whether the
-- mirror changed since they were filled (across every ghgov instance sharing the database).
CREATE TABLE mirror_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO mirror_version (id, version) VALUES (1, 0);
