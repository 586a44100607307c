-- GS1 EPCIS 2.0 capture and query (issue 13, parts 1-2; docs/EPCIS.md).
--
-- `epcis_captures`: one capture job per `POST /v1/epcis/capture` (the REST binding's capture
-- job): its error behaviour, whether it succeeded, and its errors as a JSON array of problems
-- whose pointers point into the captured document.
--
-- `epcis_events`: every captured EPCIS event, keyed by its `eventID` within the organisation
-- (the binding and the CBV treat the eventID as the event's identity, so the same eventID is
-- recorded once), with the custody event it became and the event's JSON exactly as sent (so
-- extension members come back on query) and the document's extra `@context` entries.
--
-- `epcis_lot_identifiers`: the organisation's mapping from EPCIS identifiers (class-level LGTIN
-- or GS1 Digital Link `/01/.../10/...`, instance EPCs, any other URI), in canonical form, to its
-- lots. A lot may have several identifiers; an identifier names one lot.

CREATE TABLE epcis_captures (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    error_behaviour TEXT NOT NULL CHECK (error_behaviour IN ('rollback', 'proceed')),
    running SMALLINT NOT NULL,
    success SMALLINT NOT NULL,
    event_count INTEGER NOT NULL,
    captured_count INTEGER NOT NULL,
    duplicate_count INTEGER NOT NULL,
    errors TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    PRIMARY KEY (organisation_id, id)
);

CREATE TABLE epcis_events (
    organisation_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    custody_event_id TEXT NOT NULL,
    capture_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_time TIMESTAMP NOT NULL,
    document TEXT NOT NULL,
    context TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, event_id),
    UNIQUE (organisation_id, custody_event_id),
    FOREIGN KEY (organisation_id, custody_event_id) REFERENCES custody_events (organisation_id, id),
    FOREIGN KEY (organisation_id, capture_id) REFERENCES epcis_captures (organisation_id, id)
);

CREATE TABLE epcis_lot_identifiers (
    organisation_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    lot_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, identifier),
    FOREIGN KEY (organisation_id, lot_id) REFERENCES lots (organisation_id, id)
);
CREATE INDEX epcis_lot_identifiers_lot_idx ON epcis_lot_identifiers (organisation_id, lot_id);
