-- Back to milligrams only: the rollup sums every row's (nearest) milligrams again.
DELETE FROM purchase_mix_daily;
ALTER TABLE purchase_mix_daily DROP COLUMN quantity_uozt;
ALTER TABLE purchase_origins DROP COLUMN quantity_uozt;
ALTER TABLE purchases DROP COLUMN quantity_uozt;
INSERT INTO purchase_mix_daily
SELECT o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
       COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
       CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END, CAST(SUM(o.quantity_mg) AS BIGINT)
FROM purchase_origins o
JOIN purchases p ON p.organisation_id = o.organisation_id AND p.id = o.purchase_id
GROUP BY o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
         COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
         CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END;
