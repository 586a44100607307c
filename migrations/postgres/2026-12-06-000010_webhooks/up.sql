-- Webhooks and the event feed (issue 11, docs/WEBHOOKS.md).
--
-- `events` is the transactional outbox and the feed: a change that announces something writes
-- its event (and one delivery per subscription that wants it) in the same transaction, so that
-- nothing is announced that did not commit and nothing committed goes unannounced.
-- `event_counters` numbers each organisation's events: the row is updated by the announcing
-- transaction and stays locked until it commits, so one organisation's events are numbered in
-- commit order and a feed reader paging by `seq` never skips an event that commits late.

CREATE TABLE event_counters (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    last_seq BIGINT NOT NULL
);

CREATE TABLE events (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (organisation_id, seq),
    UNIQUE (organisation_id, id)
);
CREATE INDEX events_occurred_idx ON events (occurred_at);

CREATE TABLE webhook_subscriptions (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    enabled SMALLINT NOT NULL,
    expiring_days INTEGER NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    failing_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id)
);

-- One event for one subscription. `pending` until a 2xx answer (`delivered`) or until the retry
-- window from `retry_since` has passed (`failed`). `lease_until` is set by the worker that
-- claimed it.
CREATE TABLE webhook_deliveries (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    event_seq BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    retry_since TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, subscription_id)
        REFERENCES webhook_subscriptions (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, event_seq) REFERENCES events (organisation_id, seq)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx
    ON webhook_deliveries (organisation_id, subscription_id, id);
CREATE INDEX webhook_deliveries_pending_idx
    ON webhook_deliveries (organisation_id, subscription_id, event_seq) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    organisation_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    PRIMARY KEY (organisation_id, delivery_id, attempt),
    FOREIGN KEY (organisation_id, delivery_id)
        REFERENCES webhook_deliveries (organisation_id, id) ON DELETE CASCADE
);

-- Red flags as last announced (`red_flag.raised` / `red_flag.cleared`). A write that may change
-- an organisation's flags requests a sweep in its own transaction (`requested_at`); a worker
-- leases the request, recomputes the flags, announces the difference and records it here.
-- `quiet`: the organisation's first sweep records its flags without announcing them (set for
-- the organisations that existed before webhooks, whose flags are not news).
CREATE TABLE supply_sweeps (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    requested_at TIMESTAMP NOT NULL,
    swept_at TIMESTAMP,
    lease_until TIMESTAMP,
    quiet SMALLINT NOT NULL
);
INSERT INTO supply_sweeps (organisation_id, requested_at, swept_at, lease_until, quiet)
SELECT id, CURRENT_TIMESTAMP, NULL, NULL, 1 FROM organisations;

CREATE TABLE red_flag_states (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    purchase_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    flag TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, purchase_id, fingerprint)
);

-- The certificates in each organisation's supply (its suppliers, its declared origins, the
-- facilities and parties of its custody events) as last seen by a sweep: their effective status
-- and level today, to announce `certification.status_changed` and `.level_changed`; and the
-- `certification.expiring` notices already given (one per certificate, last valid day and
-- notice period).
CREATE TABLE certification_states (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    certification_id TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT,
    PRIMARY KEY (organisation_id, certification_id)
);

CREATE TABLE certification_expiry_notices (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    certification_id TEXT NOT NULL,
    valid_until DATE NOT NULL,
    notice_days INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, certification_id, valid_until, notice_days)
);

-- Whether each target of the organisation's policy was met for the current period (the
-- calendar year to date) when a sweep last looked, to announce `sourcing_target.missed`.
CREATE TABLE sourcing_target_states (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    target_key TEXT NOT NULL,
    period_start DATE NOT NULL,
    met SMALLINT NOT NULL,
    PRIMARY KEY (organisation_id, target_key, period_start)
);
