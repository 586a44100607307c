-- Red-flag cases (issue 12, part 1: the OECD Due Diligence Guidance's step 3, respond to each
-- identified risk; docs/PROVENANCE.md, "Red-flag cases").
--
-- A red flag is computed, not stored; the organisation's work on it is. `id` is the flag's
-- public id, a UUIDv5 of (organisation, purchase, fingerprint), so the same cause computed again
-- is the same case. The row is created by the first change a client makes to the flag and keeps
-- the flag's last seen content (kind, severity, message, evidence as JSON), so that a flag whose
-- cause is gone still shows what it was. There is no foreign key to the purchase: a case
-- outlives the purchase it was raised on. `cleared` is set by the supply sweep alone, when the
-- cause disappears; the sweep sets the case `open` again when the cause returns.
--
-- `red_flag_case_entries` is the case's dated history: notes and changes, each with the API
-- client that wrote it (null: the system), numbered from 1 without gaps (a writer locks the
-- case's row first).

CREATE TABLE red_flag_cases (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    purchase_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'under_review', 'mitigating', 'resolved',
        'accepted_risk', 'escalated', 'disengaged', 'cleared')),
    assignee TEXT,
    due_date DATE,
    mitigation_plan TEXT,
    cleared_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, purchase_id, fingerprint)
);
CREATE INDEX red_flag_cases_status_idx ON red_flag_cases (organisation_id, status);

CREATE TABLE red_flag_case_entries (
    organisation_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TIMESTAMP NOT NULL,
    client_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('note', 'change')),
    text TEXT NOT NULL,
    PRIMARY KEY (organisation_id, case_id, seq),
    FOREIGN KEY (organisation_id, case_id) REFERENCES red_flag_cases (organisation_id, id)
);
