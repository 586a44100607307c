-- The origin rows that weigh nothing (issue 10, docs/PERFORMANCE.md, "The sweep's supply without
-- reading every purchase"). Largest remainder can give a share of a tiny purchase 0 mg (and
-- 0 µozt): such a row adds nothing to the sourcing-mix rollups, so a facility named only there is
-- absent from them. The certificate watch reads the facilities in an organisation's supply from
-- the monthly rollup's non-empty cells plus these rows, where it read every origin row; this
-- partial index holds only them (usually none), so it costs purchase writes next to nothing.
-- The query's predicate repeats this one word for word, as both planners require.
CREATE INDEX purchase_origins_weightless_idx ON purchase_origins (organisation_id, facility_id)
    WHERE quantity_mg = 0 AND quantity_uozt = 0;
