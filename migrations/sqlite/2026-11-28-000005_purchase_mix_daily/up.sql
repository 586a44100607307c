-- A daily rollup of purchase origins, kept current in the same transaction as every purchase
-- write, so that the sourcing mix reads one row per day, mineral, supplier, origin and basis
-- instead of every purchase line (docs/PERFORMANCE.md). NULL facility and country are stored as
-- '' so that they can be part of the primary key. `has_lot` separates purchases whose lot may be
-- traced through custody events from the others.
CREATE TABLE purchase_mix_daily (
    organisation_id TEXT NOT NULL,
    purchased_on DATE NOT NULL,
    mineral TEXT NOT NULL,
    supplier_party_id TEXT NOT NULL,
    facility_key TEXT NOT NULL,
    origin_class TEXT NOT NULL,
    country_key TEXT NOT NULL,
    declared SMALLINT NOT NULL,
    has_lot SMALLINT NOT NULL,
    quantity_mg BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, purchased_on, mineral, supplier_party_id, facility_key,
                 origin_class, country_key, declared, has_lot)
);

INSERT INTO purchase_mix_daily
SELECT o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
       COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
       CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END, CAST(SUM(o.quantity_mg) AS BIGINT)
FROM purchase_origins o
JOIN purchases p ON p.organisation_id = o.organisation_id AND p.id = o.purchase_id
GROUP BY o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
         COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
         CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END;
