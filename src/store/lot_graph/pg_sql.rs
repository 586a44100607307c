//! The loader's queries on PostgreSQL. Each takes the organisation (`$1`) and the ids as one
//! array parameter (`$2`), and probes its index once per id through a `LATERAL` subquery that
//! the planner cannot flatten (`LIMIT`, `OFFSET 0`). Two reasons, both measured
//! (docs/PERFORMANCE.md, "Trace"): `col = ANY($2)` makes the planner estimate every element
//! of the array (about 15 ms to plan 4,000 ids, more than running the query), where the
//! `unnest($2)` join took 1.0–4.4 ms to plan for 1,500–8,000 ids; and a plain join to `unnest`
//! may become a hash join over every row of the organisation, where a probe per id costs what
//! the answer holds, however large the organisation grows.

use diesel::pg::Pg;
use diesel::sql_types::{Array, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

/// Runs one of the queries below for the organisation and these ids.
pub fn load<R: QueryableByName<Pg> + 'static>(
    pg: &mut PgConnection,
    sql: &'static str,
    organisation: &str,
    ids: &[String],
) -> diesel::QueryResult<Vec<R>> {
    diesel::sql_query(sql)
        .bind::<Text, _>(organisation)
        .bind::<Array<Text>, _>(ids)
        .load::<R>(pg)
}

pub const LOTS: &str = "SELECT l.id, l.quantity_mg, l.quantity_uozt, l.recycled, l.origin_event_id \
     FROM unnest($2::text[]) AS k(id) \
     CROSS JOIN LATERAL ( \
         SELECT l.id, l.quantity_mg, l.quantity_uozt, l.recycled, l.origin_event_id \
         FROM lots l WHERE l.organisation_id = $1 AND l.id = k.id LIMIT 1) AS l";

/// An event's inputs and outputs with the event: one probe of the event, one range of its
/// lots, per id.
pub const ORIGINS: &str = "SELECT c.event_id, c.direction = 'input' AS is_input, c.lot_id, c.quantity_mg, c.quantity_uozt, \
            e.event_type, e.occurred_on, e.facility_id, e.chain_of_custody \
     FROM unnest($2::text[]) AS k(id) \
     CROSS JOIN LATERAL ( \
         SELECT e.event_type, e.occurred_on, e.facility_id, e.chain_of_custody \
         FROM custody_events e WHERE e.organisation_id = $1 AND e.id = k.id LIMIT 1) AS e \
     CROSS JOIN LATERAL ( \
         SELECT c.event_id, c.direction, c.lot_id, c.quantity_mg, c.quantity_uozt \
         FROM custody_event_lots c \
         WHERE c.organisation_id = $1 AND c.event_id = k.id AND c.direction <> 'transferred' \
         OFFSET 0) AS c";

/// Every input and transfer naming a lot; the event (date, parties) is read for transfers
/// only (a one-time filter skips the probe for inputs).
pub const USES: &str = "SELECT u.event_id, u.lot_id, u.direction = 'input' AS is_input, u.quantity_mg, u.quantity_uozt, \
            w.occurred_on, w.from_party_id, w.to_party_id \
     FROM unnest($2::text[]) AS k(id) \
     CROSS JOIN LATERAL ( \
         SELECT u.event_id, u.lot_id, u.direction, u.quantity_mg, u.quantity_uozt \
         FROM custody_event_lots u \
         WHERE u.organisation_id = $1 AND u.lot_id = k.id AND u.direction <> 'output' \
         OFFSET 0) AS u \
     LEFT JOIN LATERAL ( \
         SELECT w.occurred_on, w.from_party_id, w.to_party_id \
         FROM custody_events w \
         WHERE u.direction = 'transferred' AND w.organisation_id = $1 AND w.id = u.event_id \
         LIMIT 1) AS w ON true";
