DROP INDEX custody_event_lots_one_producer_idx;
DROP TABLE idempotency_records;
CREATE TABLE idempotency_records (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    idempotency_key TEXT NOT NULL,
    request_method TEXT NOT NULL,
    request_path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    response_content_type TEXT,
    response_location TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);
CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at);
