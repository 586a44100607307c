//! Loads the ancestry of lots as a [`LotGraph`] in set-based steps: one round of queries per
//! tier over the whole frontier (the lots, the events that produced them, those events' inputs
//! and outputs), never one query per lot, with a depth cap. Every query filters by the
//! organisation, so another organisation's lots are never reached.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events, lots};
use crate::domain::mass::Mass;
use crate::domain::provenance::{
    Extraction, LotGraph, LotNode, LotQuantity, Origin, TransferEdge, Transformation,
};
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};
use crate::store::StoreError;
use crate::store::custody_event::{Side, lots_with_events};
use rows::{LotRow, SideRow, UseRow};

mod pg_sql;
mod reference;
mod rows;
mod sqlite_sql;

pub use reference::{AncestryRow, ancestry_rows_by_recursive_sql, ancestry_size_by_recursive_sql};

/// How many ids go into one `IN (…)` list on SQLite (well below its 32,766 bound parameters),
/// where a list is still written one parameter per id ([`consumed`]).
const CHUNK: usize = 4000;

/// How many ids go into the loader's one parameter (an array on PostgreSQL, a JSON array on
/// SQLite): bounded only to keep each answer small.
const ARRAY_CHUNK: usize = 10_000;

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
        for chunk in frontier.chunks(ARRAY_CHUNK) {
            rows.extend(lots_with_ids(conn, organisation, chunk)?);
            loaded.queries += 1;
        }
        let mut event_ids: Vec<String> = rows
            .iter()
            .filter(|lot| lot.recycled == 0)
            .filter_map(|lot| lot.origin_event_id.clone())
            .collect();
        event_ids.sort();
        event_ids.dedup();
        let mut origins = TierOrigins::new(load_origins(
            conn,
            organisation,
            &event_ids,
            &mut loaded.queries,
        )?);
        for lot in rows.iter().filter(|lot| lot.recycled == 0) {
            if let Some(event) = &lot.origin_event_id {
                origins.count(event);
            }
        }
        let mut next = Vec::new();
        for lot in rows {
            let origin = if lot.recycled == 0 {
                lot.origin_event_id.and_then(|e| origins.take(&e))
            } else {
                None
            };
            if let Some(facility) = origin.as_ref().map(Origin::facility_id)
                && !facilities.contains(facility)
            {
                facilities.insert(facility.to_owned());
            }
            if let Some(Origin::Transformation(t)) = &origin {
                for input in &t.inputs {
                    if !seen.contains(&input.lot_id) {
                        seen.insert(input.lot_id.clone());
                        next.push(input.lot_id.clone());
                    }
                }
            }
            nodes.push(LotNode {
                lot_id: lot.id,
                quantity_mg: lot.quantity_mg,
                quantity_uozt: lot.quantity_uozt,
                recycled: lot.recycled != 0,
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

/// The origins of one tier, each handed to the lots it produced: moved to the last of them,
/// copied for the others (an event usually produces one lot of a tier, so this is a move).
struct TierOrigins {
    origins: HashMap<String, (usize, Origin)>,
}

impl TierOrigins {
    fn new(origins: HashMap<String, Origin>) -> TierOrigins {
        TierOrigins {
            origins: origins.into_iter().map(|(id, o)| (id, (0, o))).collect(),
        }
    }

    /// One more lot of the tier names this event as its origin.
    fn count(&mut self, event: &str) {
        if let Some((lots, _)) = self.origins.get_mut(event) {
            *lots += 1;
        }
    }

    /// The event's origin for one of the lots counted.
    fn take(&mut self, event: &str) -> Option<Origin> {
        let (lots, origin) = self.origins.get_mut(event)?;
        *lots = lots.saturating_sub(1);
        if *lots == 0 {
            self.origins.remove(event).map(|(_, origin)| origin)
        } else {
            Some(origin.clone())
        }
    }
}

/// The lots with these ids (those of the organisation; others are not found).
fn lots_with_ids(
    conn: &mut DbConn,
    organisation: &str,
    ids: &[String],
) -> Result<Vec<LotRow>, StoreError> {
    Ok(match conn {
        DbConn::Pg(pg) => pg_sql::load(pg, pg_sql::LOTS, organisation, ids)?,
        DbConn::Sqlite(_) => lots::table
            .filter(lots::organisation_id.eq(organisation))
            .filter(sqlite_sql::in_ids("lots.id", ids))
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

/// The extractions and transformations with these ids, with their lots.
fn load_origins(
    conn: &mut DbConn,
    organisation: &str,
    event_ids: &[String],
    queries: &mut usize,
) -> Result<HashMap<String, Origin>, StoreError> {
    // Every extraction and transformation has at least one output, so joining the events to
    // their lots reads both in one query.
    let mut events: Vec<EventRow> = Vec::new();
    let mut sides: HashMap<String, (Vec<LotQuantity>, Vec<LotQuantity>)> = HashMap::new();
    for chunk in event_ids.chunks(ARRAY_CHUNK) {
        let rows: Vec<SideRow> = match conn {
            DbConn::Pg(pg) => pg_sql::load(pg, pg_sql::ORIGINS, organisation, chunk)?,
            DbConn::Sqlite(_) => lots_with_events()
                .filter(custody_event_lots::organisation_id.eq(organisation))
                .filter(sqlite_sql::in_ids("custody_event_lots.event_id", chunk))
                .filter(custody_event_lots::direction.ne(Side::Transferred.as_str()))
                .select((
                    custody_event_lots::event_id,
                    custody_event_lots::direction.eq(Side::Input.as_str()),
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
        for row in rows {
            let entry = match sides.get_mut(&row.event_id) {
                Some(entry) => entry,
                None => {
                    events.push((
                        row.event_id.clone(),
                        row.event_type,
                        row.occurred_on.0,
                        row.facility_id,
                        row.chain_of_custody,
                    ));
                    sides.entry(row.event_id).or_default()
                }
            };
            let q = LotQuantity {
                lot_id: row.lot_id,
                quantity_mg: row.quantity_mg,
                quantity_uozt: row.quantity_uozt,
            };
            if row.is_input {
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
    let mut transfers = Vec::new();
    let mut totals: HashMap<String, Mass> = HashMap::new();
    for chunk in lot_ids.chunks(ARRAY_CHUNK) {
        let rows: Vec<UseRow> = match conn {
            DbConn::Pg(pg) => pg_sql::load(pg, pg_sql::USES, organisation, chunk)?,
            DbConn::Sqlite(_) => lots_with_events()
                .filter(custody_event_lots::organisation_id.eq(organisation))
                .filter(sqlite_sql::in_ids("custody_event_lots.lot_id", chunk))
                .filter(custody_event_lots::direction.ne(Side::Output.as_str()))
                .select((
                    custody_event_lots::event_id,
                    custody_event_lots::lot_id,
                    custody_event_lots::direction.eq(Side::Input.as_str()),
                    custody_event_lots::quantity_mg,
                    custody_event_lots::quantity_uozt,
                    custody_events::occurred_on.nullable(),
                    custody_events::from_party_id,
                    custody_events::to_party_id,
                ))
                .load(conn)?,
        };
        *queries += 1;
        for row in rows {
            if row.is_input {
                *totals.entry(row.lot_id).or_default() +=
                    Mass::stored(row.quantity_mg, row.quantity_uozt);
            } else {
                let occurred_on = row.occurred_on.map(|d| d.0).ok_or_else(|| {
                    StoreError::corrupt(format!("transfer {} has no event", row.event_id))
                })?;
                transfers.push(TransferEdge {
                    event_id: row.event_id,
                    lot_id: row.lot_id,
                    from_party: row.from_party_id.unwrap_or_default(),
                    to_party: row.to_party_id.unwrap_or_default(),
                    quantity_mg: row.quantity_mg,
                    quantity_uozt: row.quantity_uozt,
                    occurred_on,
                });
            }
        }
    }
    let mut consumed: Consumed = totals.into_iter().collect();
    consumed.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    Ok((transfers, consumed))
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
