-- Purchase lines from the ERP, their origin shares, and the sourcing policy. Tenant-owned.

CREATE TABLE purchases (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    supplier_party_id TEXT NOT NULL REFERENCES parties (id),
    mineral TEXT NOT NULL,
    quantity_mg BIGINT NOT NULL CHECK (quantity_mg > 0),
    quantity_value TEXT NOT NULL,
    quantity_unit TEXT NOT NULL,
    purchased_on DATE NOT NULL,
    lot_id TEXT,
    -- SHA-256 of the normalised line, to tell an ERP re-send that changes nothing.
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, external_ref),
    FOREIGN KEY (organisation_id, lot_id) REFERENCES lots (organisation_id, id)
);
CREATE INDEX purchases_date_idx ON purchases (organisation_id, purchased_on, id);
CREATE INDEX purchases_supplier_idx ON purchases (organisation_id, supplier_party_id, purchased_on);
CREATE INDEX purchases_mineral_idx ON purchases (organisation_id, mineral, purchased_on);
CREATE INDEX purchases_lot_idx ON purchases (organisation_id, lot_id);

-- Every purchase has at least one origin row: its declared shares, or one `unknown` row for the
-- whole quantity. `quantity_mg` is the share of the purchase allocated exactly (the rows of a
-- purchase add up to its quantity); the purchase's date, mineral and supplier are copied here so
-- that the sourcing mix is one indexed GROUP BY over this table.
CREATE TABLE purchase_origins (
    organisation_id TEXT NOT NULL,
    purchase_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    facility_id TEXT REFERENCES facilities (id),
    origin_class TEXT NOT NULL CHECK (origin_class IN ('asm', 'lsm', 'recycled', 'unknown')),
    country TEXT,
    -- 1 for a share the supplier declared; 0 for the implicit `unknown` row of an undeclared purchase.
    declared SMALLINT NOT NULL,
    share_ppb BIGINT NOT NULL CHECK (share_ppb > 0 AND share_ppb <= 1000000000),
    quantity_mg BIGINT NOT NULL CHECK (quantity_mg >= 0),
    purchased_on DATE NOT NULL,
    mineral TEXT NOT NULL,
    supplier_party_id TEXT NOT NULL,
    PRIMARY KEY (organisation_id, purchase_id, position),
    FOREIGN KEY (organisation_id, purchase_id) REFERENCES purchases (organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX purchase_origins_mix_idx ON purchase_origins (organisation_id, purchased_on, mineral);

-- The organisation's sourcing policy as a JSON document; absent means the documented default.
CREATE TABLE sourcing_policies (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    document TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by_client_id TEXT
);
