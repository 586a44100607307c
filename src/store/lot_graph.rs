//! Loads the ancestry of lots as a [`LotGraph`] in set-based steps: one round of queries per
//! tier over the whole frontier (the lots, the events that produced them, those events' inputs
//! and outputs), never one query per lot, with a depth cap. Every query filters by the
//! organisation, so another organisation's lots are never reached.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events, lots};
use crate::domain::mass::Mass;
use crate::domain::provenance::{
    Extraction, LotGraph, LotNode, LotQuantity, Origin, TransferEdge, Transformation,
};
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};
use crate::store::StoreError;
use crate::store::custody_event::Side;

/// How many ids go into one `IN (…)` list on SQLite (well below its 32,766 bound parameters).
const CHUNK: usize = 4000;

/// How many ids go into one array parameter on PostgreSQL (one parameter, so bounded only to
/// keep each answer small).
const ARRAY_CHUNK: usize = 10_000;

/// The ids of one query: `CHUNK` on SQLite, `ARRAY_CHUNK` on PostgreSQL.
fn chunk_size(conn: &DbConn) -> usize {
    match conn {
        DbConn::Pg(_) => ARRAY_CHUNK,
        DbConn::Sqlite(_) => CHUNK,
    }
}

/// The deepest ancestry a trace follows (transformations between a lot and its mines).
pub const MAX_DEPTH: u32 = 32;

/// The graph and what the red-flag rules need besides it.
#[derive(Debug, Default)]
pub struct LoadedGraph {
    pub graph: LotGraph,
    /// For every lot loaded: the mass consumed from it by every recorded event.
    pub consumed: Vec<(String, Mass)>,
    /// Tiers loaded (the roots are tier 0).
    pub tiers: u32,
    /// Rounds of queries run (for the benchmark's account).
    pub queries: usize,
    /// The facilities of every extraction and transformation loaded, sorted, each once.
    pub facility_ids: Vec<String>,
}

type LotRow = (String, i64, i64, i16, Option<String>);
type EventRow = (
    String,
    CustodyEventType,
    NaiveDate,
    Option<String>,
    Option<ChainOfCustody>,
);

/// Loads `roots` and their ancestry, `max_depth` transformations deep (plus the tier where the
/// cap is reached, so the trace can tell a depth limit from a missing origin), with the
/// transfers of every lot loaded and the total consumed from each.
pub fn load(
    conn: &mut DbConn,
    organisation: &str,
    roots: &[String],
    max_depth: u32,
) -> Result<LoadedGraph, StoreError> {
    let mut loaded = LoadedGraph::default();
    let mut nodes: Vec<LotNode> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut frontier: Vec<String> = roots
        .iter()
        .filter(|id| seen.insert((*id).clone()))
        .cloned()
        .collect();
    let mut facilities: BTreeSet<String> = BTreeSet::new();
    let mut tier = 0;
    while !frontier.is_empty() && tier <= max_depth + 1 {
        let mut rows: Vec<LotRow> = Vec::new();
        for chunk in frontier.chunks(chunk_size(conn)) {
            rows.extend(lots_with_ids(conn, organisation, chunk)?);
            loaded.queries += 1;
        }
        let mut event_ids: Vec<String> = rows
            .iter()
            .filter(|(_, _, _, recycled, _)| *recycled == 0)
            .filter_map(|(_, _, _, _, event)| event.clone())
            .collect();
        event_ids.sort();
        event_ids.dedup();
        let origins = load_origins(conn, organisation, &event_ids, &mut loaded.queries)?;
        let mut next = Vec::new();
        for (id, quantity_mg, quantity_uozt, recycled, event) in rows {
            let origin = if recycled == 0 {
                event.and_then(|e| origins.get(&e)).cloned()
            } else {
                None
            };
            match &origin {
                Some(Origin::Extraction(x)) => facilities.insert(x.facility_id.clone()),
                Some(Origin::Transformation(t)) => facilities.insert(t.facility_id.clone()),
                None => false,
            };
            if let Some(Origin::Transformation(t)) = &origin {
                for input in &t.inputs {
                    if seen.insert(input.lot_id.clone()) {
                        next.push(input.lot_id.clone());
                    }
                }
            }
            nodes.push(LotNode {
                lot_id: id,
                quantity_mg,
                quantity_uozt,
                recycled: recycled != 0,
                origin,
            });
        }
        frontier = next;
        tier += 1;
    }
    loaded.tiers = tier;
    loaded.facility_ids = facilities.into_iter().collect();
    let ids: Vec<String> = nodes.iter().map(|n| n.lot_id.clone()).collect();
    let (transfers, consumed) = uses_of(conn, organisation, &ids, &mut loaded.queries)?;
    loaded.consumed = consumed;
    loaded.graph = LotGraph::new(nodes, transfers);
    Ok(loaded)
}

/// The lots with these ids (those of the organisation; others are not found).
fn lots_with_ids(
    conn: &mut DbConn,
    organisation: &str,
    ids: &[String],
) -> Result<Vec<LotRow>, StoreError> {
    Ok(match conn {
        DbConn::Pg(pg) => pg_sql::load::<pg_sql::LotByName>(pg, pg_sql::LOTS, organisation, ids)?,
        DbConn::Sqlite(_) => lots::table
            .filter(lots::organisation_id.eq(organisation))
            .filter(lots::id.eq_any(ids))
            .select((
                lots::id,
                lots::quantity_mg,
                lots::quantity_uozt,
                lots::recycled,
                lots::origin_event_id,
            ))
            .load::<LotRow>(conn)?,
    })
}

/// The loader's queries on PostgreSQL. Each takes the organisation (`$1`) and the ids as one
/// array parameter (`$2`), and probes its index once per id through a `LATERAL` subquery that
/// the planner cannot flatten (`LIMIT`, `OFFSET 0`). Two reasons, both measured
/// (docs/PERFORMANCE.md, "Trace"): `col = ANY($2)` makes the planner estimate every element
/// of the array (about 15 ms to plan 4,000 ids, more than running the query), where
/// `unnest($2)` costs the same whatever the length; and a plain join to `unnest` may become a
/// hash join over every row of the organisation, where a probe per id costs what the answer
/// holds, however large the organisation grows.
mod pg_sql {
    use chrono::NaiveDate;
    use diesel::pg::Pg;
    use diesel::sql_types::{Array, BigInt, Date, Nullable, SmallInt, Text};
    use diesel::{PgConnection, QueryableByName, RunQueryDsl};

    use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};

    /// A named row and the tuple the loader reads on both backends.
    pub trait IntoRow {
        type Row;
        fn into_row(self) -> Self::Row;
    }

    /// Runs one of the queries below for the organisation and these ids.
    pub fn load<R: QueryableByName<Pg> + IntoRow + 'static>(
        pg: &mut PgConnection,
        sql: &'static str,
        organisation: &str,
        ids: &[String],
    ) -> diesel::QueryResult<Vec<R::Row>> {
        Ok(diesel::sql_query(sql)
            .bind::<Text, _>(organisation)
            .bind::<Array<Text>, _>(ids)
            .load::<R>(pg)?
            .into_iter()
            .map(R::into_row)
            .collect())
    }

    pub const LOTS: &str = "SELECT l.id, l.quantity_mg, l.quantity_uozt, l.recycled, l.origin_event_id \
         FROM unnest($2::text[]) AS k(id) \
         CROSS JOIN LATERAL ( \
             SELECT l.id, l.quantity_mg, l.quantity_uozt, l.recycled, l.origin_event_id \
             FROM lots l WHERE l.organisation_id = $1 AND l.id = k.id LIMIT 1) AS l";

    /// An event's inputs and outputs with the event: one probe of the event, one range of its
    /// lots, per id.
    pub const ORIGINS: &str = "SELECT c.event_id, c.direction, c.lot_id, c.quantity_mg, c.quantity_uozt, \
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
    pub const USES: &str = "SELECT u.event_id, u.lot_id, u.direction, u.quantity_mg, u.quantity_uozt, \
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

    #[derive(QueryableByName)]
    pub struct LotByName {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = BigInt)]
        quantity_mg: i64,
        #[diesel(sql_type = BigInt)]
        quantity_uozt: i64,
        #[diesel(sql_type = SmallInt)]
        recycled: i16,
        #[diesel(sql_type = Nullable<Text>)]
        origin_event_id: Option<String>,
    }

    impl IntoRow for LotByName {
        type Row = super::LotRow;
        fn into_row(self) -> super::LotRow {
            (
                self.id,
                self.quantity_mg,
                self.quantity_uozt,
                self.recycled,
                self.origin_event_id,
            )
        }
    }

    #[derive(QueryableByName)]
    pub struct SideRow {
        #[diesel(sql_type = Text)]
        event_id: String,
        #[diesel(sql_type = Text)]
        direction: String,
        #[diesel(sql_type = Text)]
        lot_id: String,
        #[diesel(sql_type = BigInt)]
        quantity_mg: i64,
        #[diesel(sql_type = BigInt)]
        quantity_uozt: i64,
        #[diesel(sql_type = Text)]
        event_type: CustodyEventType,
        #[diesel(sql_type = Date)]
        occurred_on: NaiveDate,
        #[diesel(sql_type = Nullable<Text>)]
        facility_id: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        chain_of_custody: Option<ChainOfCustody>,
    }

    impl IntoRow for SideRow {
        type Row = (
            String,
            String,
            String,
            i64,
            i64,
            CustodyEventType,
            NaiveDate,
            Option<String>,
            Option<ChainOfCustody>,
        );
        fn into_row(self) -> Self::Row {
            (
                self.event_id,
                self.direction,
                self.lot_id,
                self.quantity_mg,
                self.quantity_uozt,
                self.event_type,
                self.occurred_on,
                self.facility_id,
                self.chain_of_custody,
            )
        }
    }

    #[derive(QueryableByName)]
    pub struct UseRow {
        #[diesel(sql_type = Text)]
        event_id: String,
        #[diesel(sql_type = Text)]
        lot_id: String,
        #[diesel(sql_type = Text)]
        direction: String,
        #[diesel(sql_type = BigInt)]
        quantity_mg: i64,
        #[diesel(sql_type = BigInt)]
        quantity_uozt: i64,
        #[diesel(sql_type = Nullable<Date>)]
        occurred_on: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Text>)]
        from_party_id: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        to_party_id: Option<String>,
    }

    impl IntoRow for UseRow {
        type Row = (
            String,
            String,
            String,
            i64,
            i64,
            Option<NaiveDate>,
            Option<String>,
            Option<String>,
        );
        fn into_row(self) -> Self::Row {
            (
                self.event_id,
                self.lot_id,
                self.direction,
                self.quantity_mg,
                self.quantity_uozt,
                self.occurred_on,
                self.from_party_id,
                self.to_party_id,
            )
        }
    }
}

/// The extractions and transformations with these ids, with their lots.
fn load_origins(
    conn: &mut DbConn,
    organisation: &str,
    event_ids: &[String],
    queries: &mut usize,
) -> Result<HashMap<String, Origin>, StoreError> {
    // Every extraction and transformation has at least one output, so joining the events to
    // their lots reads both in one query.
    type Row = (
        String,
        String,
        String,
        i64,
        i64,
        CustodyEventType,
        NaiveDate,
        Option<String>,
        Option<ChainOfCustody>,
    );
    let mut events: Vec<EventRow> = Vec::new();
    let mut sides: HashMap<String, (Vec<LotQuantity>, Vec<LotQuantity>)> = HashMap::new();
    for chunk in event_ids.chunks(chunk_size(conn)) {
        let rows: Vec<Row> = match conn {
            DbConn::Pg(pg) => {
                pg_sql::load::<pg_sql::SideRow>(pg, pg_sql::ORIGINS, organisation, chunk)?
            }
            DbConn::Sqlite(_) => custody_event_lots::table
                .inner_join(
                    custody_events::table.on(custody_events::organisation_id
                        .eq(custody_event_lots::organisation_id)
                        .and(custody_events::id.eq(custody_event_lots::event_id))),
                )
                .filter(custody_event_lots::organisation_id.eq(organisation))
                .filter(custody_event_lots::event_id.eq_any(chunk))
                .filter(custody_event_lots::direction.ne(Side::Transferred.as_str()))
                .select((
                    custody_event_lots::event_id,
                    custody_event_lots::direction,
                    custody_event_lots::lot_id,
                    custody_event_lots::quantity_mg,
                    custody_event_lots::quantity_uozt,
                    custody_events::event_type,
                    custody_events::occurred_on,
                    custody_events::facility_id,
                    custody_events::chain_of_custody,
                ))
                .load(conn)?,
        };
        *queries += 1;
        for (
            event,
            direction,
            lot_id,
            quantity_mg,
            quantity_uozt,
            event_type,
            occurred_on,
            facility,
            chain,
        ) in rows
        {
            let entry = match sides.get_mut(&event) {
                Some(entry) => entry,
                None => {
                    events.push((event.clone(), event_type, occurred_on, facility, chain));
                    sides.entry(event).or_default()
                }
            };
            let q = LotQuantity {
                lot_id,
                quantity_mg,
                quantity_uozt,
            };
            if direction == Side::Input.as_str() {
                entry.0.push(q);
            } else {
                entry.1.push(q);
            }
        }
    }
    let mut origins = HashMap::new();
    for (id, event_type, occurred_on, facility, chain) in events {
        let (mut inputs, mut outputs) = sides.remove(&id).unwrap_or_default();
        inputs.sort_by(|a, b| a.lot_id.cmp(&b.lot_id));
        outputs.sort_by(|a, b| a.lot_id.cmp(&b.lot_id));
        let facility_id = facility.unwrap_or_default();
        let origin = match event_type {
            CustodyEventType::Extraction => Origin::Extraction({
                let extracted: Mass = outputs.iter().map(LotQuantity::mass).sum();
                // Micro ounces only when all of it is in troy ounces (then exact); a mix of
                // both families shows its nearest milligram alone.
                let troy = if extracted.metric_mg() == 0 {
                    i64::try_from(extracted.troy_uozt()).unwrap_or(0)
                } else {
                    0
                };
                Extraction {
                    quantity_mg: extracted.nearest_mg_i64(),
                    quantity_uozt: troy,
                    event_id: id.clone(),
                    facility_id,
                    occurred_on,
                }
            }),
            CustodyEventType::Transformation => Origin::Transformation(Transformation {
                event_id: id.clone(),
                facility_id,
                occurred_on,
                chain_of_custody: chain.unwrap_or(ChainOfCustody::MassBalance),
                inputs,
                outputs,
            }),
            CustodyEventType::Transfer => continue,
        };
        origins.insert(id, origin);
    }
    Ok(origins)
}

/// The mass consumed from each lot, by lot id.
type Consumed = Vec<(String, Mass)>;

/// Every transfer of these lots (with its parties and date) and the milligrams consumed from
/// each by every recorded transformation, in one query per chunk.
fn uses_of(
    conn: &mut DbConn,
    organisation: &str,
    lot_ids: &[String],
    queries: &mut usize,
) -> Result<(Vec<TransferEdge>, Consumed), StoreError> {
    // The date is read for transfers only (an input's event is not joined on PostgreSQL).
    type Row = (
        String,
        String,
        String,
        i64,
        i64,
        Option<NaiveDate>,
        Option<String>,
        Option<String>,
    );
    let mut transfers = Vec::new();
    let mut totals: BTreeMap<String, Mass> = BTreeMap::new();
    for chunk in lot_ids.chunks(chunk_size(conn)) {
        let rows: Vec<Row> = match conn {
            DbConn::Pg(pg) => {
                pg_sql::load::<pg_sql::UseRow>(pg, pg_sql::USES, organisation, chunk)?
            }
            DbConn::Sqlite(_) => custody_event_lots::table
                .inner_join(
                    custody_events::table.on(custody_events::organisation_id
                        .eq(custody_event_lots::organisation_id)
                        .and(custody_events::id.eq(custody_event_lots::event_id))),
                )
                .filter(custody_event_lots::organisation_id.eq(organisation))
                .filter(custody_event_lots::lot_id.eq_any(chunk))
                .filter(custody_event_lots::direction.ne(Side::Output.as_str()))
                .select((
                    custody_event_lots::event_id,
                    custody_event_lots::lot_id,
                    custody_event_lots::direction,
                    custody_event_lots::quantity_mg,
                    custody_event_lots::quantity_uozt,
                    custody_events::occurred_on,
                    custody_events::from_party_id,
                    custody_events::to_party_id,
                ))
                .load::<(
                    String,
                    String,
                    String,
                    i64,
                    i64,
                    NaiveDate,
                    Option<String>,
                    Option<String>,
                )>(conn)?
                .into_iter()
                .map(|(e, l, d, mg, uozt, on, from, to)| (e, l, d, mg, uozt, Some(on), from, to))
                .collect(),
        };
        *queries += 1;
        for (event_id, lot_id, direction, quantity_mg, quantity_uozt, occurred_on, from, to) in rows
        {
            if direction == Side::Input.as_str() {
                *totals.entry(lot_id).or_default() += Mass::stored(quantity_mg, quantity_uozt);
            } else {
                let occurred_on = occurred_on.ok_or_else(|| {
                    StoreError::corrupt(format!("transfer {event_id} has no event"))
                })?;
                transfers.push(TransferEdge {
                    event_id,
                    lot_id,
                    from_party: from.unwrap_or_default(),
                    to_party: to.unwrap_or_default(),
                    quantity_mg,
                    quantity_uozt,
                    occurred_on,
                });
            }
        }
    }
    Ok((transfers, totals.into_iter().collect()))
}

/// The mass consumed from each of these lots by every recorded transformation.
pub fn consumed(
    conn: &mut DbConn,
    organisation: &str,
    lot_ids: &[String],
    queries: &mut usize,
) -> Result<Vec<(String, Mass)>, StoreError> {
    let mut totals: BTreeMap<String, Mass> = BTreeMap::new();
    for chunk in lot_ids.chunks(CHUNK) {
        let rows: Vec<(String, i64, i64)> = custody_event_lots::table
            .filter(custody_event_lots::organisation_id.eq(organisation))
            .filter(custody_event_lots::lot_id.eq_any(chunk))
            .filter(custody_event_lots::direction.eq(Side::Input.as_str()))
            .select((
                custody_event_lots::lot_id,
                custody_event_lots::quantity_mg,
                custody_event_lots::quantity_uozt,
            ))
            .load(conn)?;
        *queries += 1;
        for (lot, mg, uozt) in rows {
            *totals.entry(lot).or_default() += Mass::stored(mg, uozt);
        }
    }
    Ok(totals.into_iter().collect())
}

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
