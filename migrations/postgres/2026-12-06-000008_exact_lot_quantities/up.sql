-- Exact troy ounces for lots and custody events (issue 18, docs/DATA-MODEL.md): as for
-- purchases, a troy-ounce quantity is kept as whole micro troy ounces beside its nearest
-- milligram; metric quantities stay whole milligrams with `quantity_uozt` = 0.
ALTER TABLE lots ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);
ALTER TABLE custody_event_lots ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);

-- A troy-ounce lot's micro ounces from the value as entered (kept as text): exact for up to 6
-- decimals, the nearest micro ounce for a value entered with more before they were refused.
UPDATE lots
SET quantity_uozt = CAST(ROUND(CAST(quantity_value AS NUMERIC) * 1000000) AS BIGINT)
WHERE quantity_unit = 'troy_oz';

-- An event's lines kept only milligrams. A line of a troy-ounce lot that weighs the lot's own
-- (nearest) milligrams was, in all likelihood, the lot's whole quantity (what a line without a
-- quantity means): it takes the lot's micro ounces. Other lines stay metric, as entered.
UPDATE custody_event_lots
SET quantity_uozt = lots.quantity_uozt
FROM lots
WHERE lots.organisation_id = custody_event_lots.organisation_id
  AND lots.id = custody_event_lots.lot_id
  AND lots.quantity_uozt > 0
  AND custody_event_lots.quantity_mg = lots.quantity_mg;
