-- A monthly rollup beside the daily one (issue 10, docs/PERFORMANCE.md): the same cells without
-- the day, kept current in the same transaction as every purchase write. The mix reads whole
-- months of a period here, and reads days (from the daily rollup) only at the period's edges and
-- for the (facility, month) pairs in which one of the facility's certificates changes standing,
-- so that certification is still decided on the purchase date.
CREATE TABLE purchase_mix_monthly (
    organisation_id TEXT NOT NULL,
    month_start DATE NOT NULL,
    mineral TEXT NOT NULL,
    supplier_party_id TEXT NOT NULL,
    facility_key TEXT NOT NULL,
    origin_class TEXT NOT NULL,
    country_key TEXT NOT NULL,
    declared SMALLINT NOT NULL,
    has_lot SMALLINT NOT NULL,
    quantity_mg BIGINT NOT NULL,
    quantity_uozt BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, month_start, mineral, supplier_party_id, facility_key,
                 origin_class, country_key, declared, has_lot)
);

INSERT INTO purchase_mix_monthly (organisation_id, month_start, mineral, supplier_party_id,
                                  facility_key, origin_class, country_key, declared, has_lot,
                                  quantity_mg, quantity_uozt)
SELECT organisation_id, date(purchased_on, 'start of month'), mineral,
       supplier_party_id, facility_key, origin_class, country_key, declared, has_lot,
       CAST(SUM(quantity_mg) AS BIGINT), CAST(SUM(quantity_uozt) AS BIGINT)
FROM purchase_mix_daily
GROUP BY organisation_id, date(purchased_on, 'start of month'), mineral,
         supplier_party_id, facility_key, origin_class, country_key, declared, has_lot;
