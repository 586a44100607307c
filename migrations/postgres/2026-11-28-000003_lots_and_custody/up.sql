-- Lots of material and the custody events between them (after GS1 EPCIS 2.0 and the UN
-- Transparency Protocol). Tenant-owned: every key includes organisation_id, so an event can
-- only reference lots of its own organisation, by construction.
-- Quantities are exact integers in milligrams; `quantity_value`/`quantity_unit` keep what was
-- entered.

CREATE TABLE lots (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    mineral TEXT NOT NULL,
    form TEXT NOT NULL,
    quantity_mg BIGINT NOT NULL CHECK (quantity_mg > 0),
    quantity_value TEXT NOT NULL,
    quantity_unit TEXT NOT NULL,
    holder_party_id TEXT REFERENCES parties (id),
    recycled SMALLINT NOT NULL DEFAULT 0,
    -- The extraction or transformation event that produced it (set when that event is recorded).
    origin_event_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, external_ref)
);
CREATE INDEX lots_origin_event_idx ON lots (organisation_id, origin_event_id);

CREATE TABLE custody_events (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    event_type TEXT NOT NULL CHECK (event_type IN ('extraction', 'transfer', 'transformation')),
    occurred_on DATE NOT NULL,
    facility_id TEXT REFERENCES facilities (id),
    from_party_id TEXT REFERENCES parties (id),
    to_party_id TEXT REFERENCES parties (id),
    chain_of_custody TEXT,
    -- JSON array of business documents: [{type, reference}] (purchase order, invoice, bill of lading).
    documents TEXT NOT NULL,
    external_ref TEXT,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, external_ref)
);
CREATE INDEX custody_events_occurred_idx ON custody_events (organisation_id, occurred_on, id);
CREATE INDEX custody_events_facility_idx ON custody_events (organisation_id, facility_id);

-- Which lots an event consumed (input), produced (output) or handed over (transferred), and how much.
CREATE TABLE custody_event_lots (
    organisation_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    lot_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output', 'transferred')),
    quantity_mg BIGINT NOT NULL CHECK (quantity_mg > 0),
    PRIMARY KEY (organisation_id, event_id, direction, lot_id),
    FOREIGN KEY (organisation_id, event_id) REFERENCES custody_events (organisation_id, id),
    FOREIGN KEY (organisation_id, lot_id) REFERENCES lots (organisation_id, id)
);
CREATE INDEX custody_event_lots_lot_idx ON custody_event_lots (organisation_id, lot_id, direction);
