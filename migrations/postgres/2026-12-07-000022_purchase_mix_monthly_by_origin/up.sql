-- The monthly rollup summed over suppliers (issue 10, docs/PERFORMANCE.md, "Mix: a monthly
-- rollup without the supplier"): the same cells as `purchase_mix_monthly` without the supplier,
-- kept current in the same transaction as every purchase write. Only an answer grouped by
-- supplier shows the supplier; every other mix reads its whole months here, about half the
-- cells of the monthly rollup on the bench's data (fewer where several suppliers sell from the
-- same mines), with no `GROUP BY` when the answer is by month.
CREATE TABLE purchase_mix_monthly_by_origin (
    organisation_id TEXT NOT NULL,
    month_start DATE NOT NULL,
    mineral TEXT NOT NULL,
    facility_key TEXT NOT NULL,
    origin_class TEXT NOT NULL,
    country_key TEXT NOT NULL,
    declared SMALLINT NOT NULL,
    has_lot SMALLINT NOT NULL,
    quantity_mg BIGINT NOT NULL,
    quantity_uozt BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, month_start, mineral, facility_key, origin_class, country_key,
                 declared, has_lot)
) WITH (fillfactor = 70);

INSERT INTO purchase_mix_monthly_by_origin (organisation_id, month_start, mineral, facility_key,
                                            origin_class, country_key, declared, has_lot,
                                            quantity_mg, quantity_uozt)
SELECT organisation_id, month_start, mineral, facility_key, origin_class, country_key, declared,
       has_lot, CAST(SUM(quantity_mg) AS BIGINT), CAST(SUM(quantity_uozt) AS BIGINT)
FROM purchase_mix_monthly
GROUP BY organisation_id, month_start, mineral, facility_key, origin_class, country_key,
         declared, has_lot;

-- The mix reads this table from the first request on: give the planner its statistics now rather
-- than when autovacuum next passes (before them, a year's mix read it 1.1-1.2 times slower).
ANALYZE purchase_mix_monthly_by_origin;
