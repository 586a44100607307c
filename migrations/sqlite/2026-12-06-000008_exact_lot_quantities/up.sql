-- Exact troy ounces for lots and custody events (issue 18, docs/DATA-MODEL.md): as for
-- purchases, a troy-ounce quantity is kept as whole micro troy ounces beside its nearest
-- milligram; metric quantities stay whole milligrams with `quantity_uozt` = 0.
ALTER TABLE lots ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);
ALTER TABLE custody_event_lots ADD COLUMN quantity_uozt BIGINT NOT NULL DEFAULT 0 CHECK (quantity_uozt >= 0);

-- A troy-ounce lot's micro ounces from the value as entered (kept as text, written `123.456`
-- with no exponent): whole part times 10^6 plus the first six decimals, the seventh rounding
-- half away from zero (SQLite has no exact decimal type).
UPDATE lots
SET quantity_uozt =
    CASE WHEN instr(quantity_value, '.') = 0
         THEN CAST(quantity_value AS INTEGER) * 1000000
         ELSE CAST(substr(quantity_value, 1, instr(quantity_value, '.') - 1) AS INTEGER) * 1000000
              + CAST(substr(substr(quantity_value, instr(quantity_value, '.') + 1) || '000000', 1, 6) AS INTEGER)
              + CASE WHEN substr(substr(quantity_value, instr(quantity_value, '.') + 1) || '0000000', 7, 1) >= '5'
                     THEN 1 ELSE 0 END
    END
WHERE quantity_unit = 'troy_oz';

-- An event's lines kept only milligrams. A line of a troy-ounce lot that weighs the lot's own
-- (nearest) milligrams was, in all likelihood, the lot's whole quantity (what a line without a
-- quantity means): it takes the lot's micro ounces. Other lines stay metric, as entered.
UPDATE custody_event_lots
SET quantity_uozt = (
    SELECT lots.quantity_uozt FROM lots
    WHERE lots.organisation_id = custody_event_lots.organisation_id
      AND lots.id = custody_event_lots.lot_id)
WHERE EXISTS (
    SELECT 1 FROM lots
    WHERE lots.organisation_id = custody_event_lots.organisation_id
      AND lots.id = custody_event_lots.lot_id
      AND lots.quantity_uozt > 0
      AND custody_event_lots.quantity_mg = lots.quantity_mg);
