-- Foundation: organisations (tenants), their API clients, idempotency records and the audit trail.
-- Identifiers are UUIDv7 strings; times are UTC `timestamp`; booleans are smallint 0/1
-- (the same schema must be readable through diesel's MultiConnection on PostgreSQL and SQLite).

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (kind IN ('purchaser', 'operator')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_clients (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_clients_organisation_idx ON api_clients (organisation_id, id);

-- One row per (organisation, Idempotency-Key). `status` is NULL while the first request is in flight.
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

-- Who changed what and when. `organisation_id` is the actor's organisation.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    client_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    changes TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_organisation_idx ON audit_events (organisation_id, id);
