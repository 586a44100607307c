-- Exact troy ounces (issue 18, docs/DATA-MODEL.md): a troy-ounce quantity is kept as whole micro
-- troy ounces beside its nearest milligram (kept for answers that show milligrams); metric
-- quantities stay whole milligrams with `quantity_uozt` = 0. Sums add each family on its own.
ALTER TABLE purchases ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);
ALTER TABLE purchase_origins ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);
ALTER TABLE purchase_mix_daily ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0;

-- The micro ounces of every stored troy-ounce line, from the value as entered (kept as text,
-- written `123.456` with no exponent): SQLite has no exact decimal type, so the digits are
-- read as text, whole part times 10^6 plus the first six decimals, the seventh rounding half
-- away from zero (values entered with more than 6 decimals before this migration refused them).
UPDATE purchases
SET quantity_uozt =
    CASE WHEN instr(quantity_value, '.') = 0
         THEN CAST(quantity_value AS INTEGER) * 1000000
         ELSE CAST(substr(quantity_value, 1, instr(quantity_value, '.') - 1) AS INTEGER) * 1000000
              + CAST(substr(substr(quantity_value, instr(quantity_value, '.') + 1) || '000000', 1, 6) AS INTEGER)
              + CASE WHEN substr(substr(quantity_value, instr(quantity_value, '.') + 1) || '0000000', 7, 1) >= '5'
                     THEN 1 ELSE 0 END
    END
WHERE quantity_unit = 'troy_oz';

-- Origin rows of troy-ounce purchases: each share's micro ounces by the largest-remainder
-- method, as `domain::purchase::PurchaseLine::origin_rows` allocates them (shares in parts per
-- billion that add up to 10^9; ties to the earlier position). u × s / 10^9 is computed as
-- (u / 10^9) × s + ((u mod 10^9) × s) / 10^9, which never leaves 64 bits.
WITH parts AS (
    SELECT o.organisation_id, o.purchase_id, o.position,
           (p.quantity_uozt / 1000000000) * o.share_ppb
             + ((p.quantity_uozt % 1000000000) * o.share_ppb) / 1000000000 AS whole,
           ((p.quantity_uozt % 1000000000) * o.share_ppb) % 1000000000 AS remainder,
           p.quantity_uozt AS total
    FROM purchase_origins o
    JOIN purchases p ON p.organisation_id = o.organisation_id AND p.id = o.purchase_id
    WHERE p.quantity_uozt > 0
),
ranked AS (
    SELECT organisation_id, purchase_id, position, whole,
           ROW_NUMBER() OVER (PARTITION BY organisation_id, purchase_id
                              ORDER BY remainder DESC, position ASC) AS place,
           total - SUM(whole) OVER (PARTITION BY organisation_id, purchase_id) AS missing
    FROM parts
)
UPDATE purchase_origins
SET quantity_uozt = ranked.whole + CASE WHEN ranked.place <= ranked.missing THEN 1 ELSE 0 END
FROM ranked
WHERE purchase_origins.organisation_id = ranked.organisation_id
  AND purchase_origins.purchase_id = ranked.purchase_id
  AND purchase_origins.position = ranked.position;

-- The rollup again, each unit family summed on its own: `quantity_mg` now holds the metric
-- rows' milligrams only (a troy-ounce row's milligrams are its nearest milligram, for display).
DELETE FROM purchase_mix_daily;
INSERT INTO purchase_mix_daily (organisation_id, purchased_on, mineral, supplier_party_id,
                                facility_key, origin_class, country_key, declared, has_lot,
                                quantity_mg, quantity_uozt)
SELECT o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
       COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
       CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END,
       CAST(SUM(CASE WHEN o.quantity_uozt = 0 THEN o.quantity_mg ELSE 0 END) AS BIGINT),
       CAST(SUM(o.quantity_uozt) AS BIGINT)
FROM purchase_origins o
JOIN purchases p ON p.organisation_id = o.organisation_id AND p.id = o.purchase_id
GROUP BY o.organisation_id, o.purchased_on, o.mineral, o.supplier_party_id,
         COALESCE(o.facility_id, ''), o.origin_class, COALESCE(o.country, ''), o.declared,
         CASE WHEN p.lot_id IS NULL THEN 0 ELSE 1 END;
