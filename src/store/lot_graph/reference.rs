//! The plain recursive SQL over the same data as the loader, for the benchmark and for the test
//! that the loader reads what it reads (docs/PERFORMANCE.md, "Trace: a reference that returns
//! the answer"): the closure alone (a count) and the closure with the rows a trace is built from.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::store::StoreError;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The plain recursive SQL over the same data, for the benchmark: how many distinct lots the
/// ancestry of `root` reaches within `max_depth` transformations (a `UNION` closure: each lot
/// once, no path enumeration).
pub fn ancestry_size_by_recursive_sql(
    conn: &mut DbConn,
    organisation: &str,
    root: &str,
    max_depth: i32,
) -> Result<i64, StoreError> {
    use diesel::sql_types::Integer;
    let query = "WITH RECURSIVE ancestry(lot_id, depth) AS ( \
           SELECT id, 0 FROM lots WHERE organisation_id = $1 AND id = $2 \
         UNION \
           SELECT i.lot_id, a.depth + 1 \
           FROM ancestry a \
           JOIN lots l ON l.organisation_id = $1 AND l.id = a.lot_id \
           JOIN custody_event_lots i ON i.organisation_id = $1 \
                AND i.event_id = l.origin_event_id AND i.direction = 'input' \
           WHERE a.depth < $3 AND l.recycled = 0 \
         ) \
         SELECT CAST(COUNT(DISTINCT lot_id) AS BIGINT) AS n FROM ancestry";
    let count: Count = diesel::sql_query(query)
        .bind::<Text, _>(organisation)
        .bind::<Text, _>(root)
        .bind::<Integer, _>(max_depth)
        .get_result(conn)?;
    Ok(count.n)
}

/// One row of [`ancestry_rows_by_recursive_sql`]: a side of the origin event of a lot reached
/// (`part` 0: the lot, its event and one of the event's inputs or outputs) or a use of a lot
/// reached (`part` 1: an input or transfer naming it).
#[derive(QueryableByName)]
pub struct AncestryRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub part: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub lot_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub lot_quantity_mg: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::SmallInt>)]
    pub recycled: Option<i16>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub event_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub event_type: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    pub occurred_on: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub facility_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub chain_of_custody: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub from_party_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub to_party_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub direction: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub side_lot_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub side_quantity_mg: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub side_quantity_uozt: Option<i64>,
}

/// The plain recursive SQL that returns what a trace is built from, for the benchmark: the same
/// closure as [`ancestry_size_by_recursive_sql`] carrying each lot's columns (each lot reached
/// is read once), then, in the same statement, each lot reached with its origin event and that
/// event's inputs and outputs, and every input or transfer that names a lot reached (what the
/// consumed totals come from), with the date and parties of each transfer (what the transfer
/// edges come from). This is the least work that gives the trace's answer from the database;
/// the count alone is less.
pub fn ancestry_rows_by_recursive_sql(
    conn: &mut DbConn,
    organisation: &str,
    root: &str,
    max_depth: i32,
) -> Result<Vec<AncestryRow>, StoreError> {
    use diesel::sql_types::Integer;
    const CLOSURE_AND_SIDES: &str = "WITH RECURSIVE ancestry(id, quantity_mg, recycled, origin_event_id, depth) AS ( \
           SELECT id, quantity_mg, recycled, origin_event_id, 0 \
           FROM lots WHERE organisation_id = $1 AND id = $2 \
         UNION \
           SELECT l.id, l.quantity_mg, l.recycled, l.origin_event_id, a.depth + 1 \
           FROM ancestry a CROSS JOIN custody_event_lots i CROSS JOIN lots l \
           WHERE i.organisation_id = $1 AND i.event_id = a.origin_event_id \
                AND i.direction = 'input' AND l.organisation_id = $1 AND l.id = i.lot_id \
                AND a.depth < $3 AND a.recycled = 0 \
         ), \
         reached AS (SELECT DISTINCT id, quantity_mg, recycled, origin_event_id FROM ancestry) \
         SELECT 0 AS part, r.id AS lot_id, r.quantity_mg AS lot_quantity_mg, r.recycled, \
                e.id AS event_id, e.event_type, e.occurred_on, e.facility_id, e.chain_of_custody, \
                NULL AS from_party_id, NULL AS to_party_id, c.direction, c.lot_id AS side_lot_id, \
                c.quantity_mg AS side_quantity_mg, c.quantity_uozt AS side_quantity_uozt \
         FROM reached r \
         LEFT JOIN custody_events e ON e.organisation_id = $1 AND e.id = r.origin_event_id \
              AND r.recycled = 0 \
         LEFT JOIN custody_event_lots c ON c.organisation_id = $1 AND c.event_id = e.id \
              AND c.direction <> 'transferred' \
         UNION ALL \
         SELECT 1, u.lot_id, NULL, NULL, u.event_id, NULL, w.occurred_on, NULL, NULL, \
                w.from_party_id, w.to_party_id, u.direction, NULL, u.quantity_mg, u.quantity_uozt \
         FROM reached r CROSS JOIN custody_event_lots u ";
    // The event of a use is read for transfers only: PostgreSQL skips the probe for inputs
    // with a one-time filter in a `LATERAL` subquery; SQLite (no `LATERAL`) tests the
    // direction in the join. `CROSS JOIN` keeps SQLite's join order (the lots reached drive
    // the probes: without it, SQLite's first plan for the recursive step ran for minutes);
    // PostgreSQL plans it as an inner join.
    let uses = match conn {
        DbConn::Pg(_) => {
            "LEFT JOIN LATERAL ( \
               SELECT w.occurred_on, w.from_party_id, w.to_party_id FROM custody_events w \
               WHERE u.direction = 'transferred' AND w.organisation_id = $1 AND w.id = u.event_id \
               LIMIT 1) AS w ON true \
             WHERE u.organisation_id = $1 AND u.lot_id = r.id AND u.direction <> 'output'"
        }
        DbConn::Sqlite(_) => {
            "LEFT JOIN custody_events w ON u.direction = 'transferred' \
               AND w.organisation_id = $1 AND w.id = u.event_id \
             WHERE u.organisation_id = $1 AND u.lot_id = r.id AND u.direction <> 'output'"
        }
    };
    let query = format!("{CLOSURE_AND_SIDES}{uses}");
    Ok(diesel::sql_query(query)
        .bind::<Text, _>(organisation)
        .bind::<Text, _>(root)
        .bind::<Integer, _>(max_depth)
        .load(conn)?)
}
