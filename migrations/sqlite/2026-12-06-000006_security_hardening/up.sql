-- Security hardening (issue 17).
--
-- 1. Idempotency records belong to the API client that wrote them, not to its whole
--    organisation: another client (even of the same organisation, even with fewer scopes) can
--    never replay them. Existing records are dropped rather than migrated: they are a 24-hour
--    replay cache, and the old ones may hold a client secret in plain text.
DROP TABLE idempotency_records;
CREATE TABLE idempotency_records (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    client_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_method TEXT NOT NULL,
    request_path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    response_content_type TEXT,
    response_location TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, client_id, idempotency_key)
);
CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at);

-- 2. A lot is produced by at most one custody event: the database itself refuses a second
--    producer, whatever the isolation level of the writers.
CREATE UNIQUE INDEX custody_event_lots_one_producer_idx
    ON custody_event_lots (organisation_id, lot_id) WHERE direction = 'output';
