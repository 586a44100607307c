//! Custody events: writing them (checked against what is recorded, in the caller's
//! transaction, all or none) and listing them. Every query filters by the organisation.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events, facilities, lots, parties};
use crate::domain::ids::{CustodyEventId, OrganisationId};
use crate::domain::lot::{Document, EventLine, LotAmount};
use crate::domain::provenance::{
    LotQuantity, TransferEdge, YieldTolerance, consumed_before_exists, consumed_beyond_quantity,
    transferred_beyond_quantity, would_create_cycle, yield_excess,
};
use crate::domain::red_flags::{Evidence, EvidenceKind, RedFlag};
use crate::domain::time;
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{
    ChainOfCustody, CustodyEventType, FacilityKind, RedFlagKind, Severity,
};
use crate::store::catalog::{CHUNK, parse_stored};
use crate::store::lot::{self, LotRecord};
use crate::store::lot_graph::{self, MAX_DEPTH};
use crate::store::page::PageRequest;
use crate::store::{Rejection, StoreError};

/// One lot of a stored event and how much of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLot {
    pub lot_id: String,
    pub quantity_mg: i64,
}

/// A stored custody event.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub id: String,
    pub event_type: CustodyEventType,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub facility_id: Option<String>,
    pub from_party_id: Option<String>,
    pub to_party_id: Option<String>,
    pub chain_of_custody: Option<ChainOfCustody>,
    pub lots: Vec<EventLot>,
    pub inputs: Vec<EventLot>,
    pub outputs: Vec<EventLot>,
    pub documents: Vec<Document>,
    pub recorded_at: DateTime<Utc>,
}

/// An event written, with what looks suspicious about it (accepted, flagged).
#[derive(Clone, Debug)]
pub struct Written {
    pub event: EventRecord,
    pub flags: Vec<RedFlag>,
}

fn evidence(kind: EvidenceKind, id: &str) -> Evidence {
    Evidence {
        kind,
        id: id.to_owned(),
    }
}

fn mass_balance(message: String, evidence: Vec<Evidence>) -> RedFlag {
    RedFlag {
        kind: RedFlagKind::MassBalanceExceeded,
        severity: Severity::Medium,
        message,
        evidence,
    }
}

/// The amount of an entry: as given, or the lot's whole quantity.
fn amount(entry: &LotAmount, lot: Option<&LotRecord>) -> i64 {
    entry
        .quantity
        .map(|q| q.mg)
        .or_else(|| lot.map(|l| l.quantity_mg))
        .unwrap_or(0)
}

/// Writes events in order, each checked against what is recorded including the events before
/// it. Impossible events are refused: the whole list is, with every error named by pointer.
pub fn record(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[EventLine],
    tolerance: YieldTolerance,
) -> Result<Vec<Written>, StoreError> {
    let org = organisation.to_string();
    // The checks below read the lots and their graph, then insert: two transactions of the
    // same organisation running them side by side under READ COMMITTED could each pass
    // ("not produced yet", "no cycle") and both write. One at a time per organisation; the
    // unique index on a lot's producer backs the first check up in the schema itself.
    crate::db::lock_for_organisation(conn, "custody_events", &org)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut written = Vec::with_capacity(lines.len());
    let mut refs_in_batch: HashMap<&str, &str> = HashMap::new();
    for line in lines {
        if let Some(r) = &line.external_ref
            && let Some(first) = refs_in_batch.insert(r, &line.base)
        {
            errors.push(FieldError::at(
                format!("{}/external_ref", line.base),
                format!("the same external_ref as {first}"),
            ));
            continue;
        }
        match record_one(conn, &org, line, tolerance)? {
            Ok(w) => written.push(w),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(written)
    } else {
        let count = errors.len();
        Err(StoreError::Rejected {
            rejections: errors.into_iter().map(Rejection::from).collect(),
            detail: Some(format!(
                "{count} error(s) in the events; nothing was written"
            )),
        })
    }
}

type Refused = Vec<FieldError>;

fn record_one(
    conn: &mut DbConn,
    org: &str,
    line: &EventLine,
    tolerance: YieldTolerance,
) -> Result<Result<Written, Refused>, StoreError> {
    let base = &line.base;
    let mut errors = Vec::new();
    let all: Vec<&LotAmount> = line
        .lots
        .iter()
        .chain(&line.inputs)
        .chain(&line.outputs)
        .collect();
    let ids: Vec<String> = all.iter().map(|a| a.lot.to_string()).collect();
    let found = lot::find_many(conn, org, &ids)?;
    for entry in &all {
        if !found.contains_key(&entry.lot.to_string()) {
            errors.push(FieldError::at(
                format!("{}/lot_id", entry.pointer),
                "no lot with this id",
            ));
        }
    }
    if let Some(facility) = line.facility {
        let kind: Option<String> = facilities::table
            .find(facility.to_string())
            .select(facilities::kind)
            .first(conn)
            .optional()?;
        let pointer = format!("{base}/facility_id");
        match kind.as_deref().and_then(FacilityKind::parse) {
            None => errors.push(FieldError::at(pointer, "no facility with this id")),
            Some(kind) => match line.event_type {
                CustodyEventType::Extraction if kind != FacilityKind::Mine => {
                    errors.push(FieldError::at(
                        pointer,
                        format!("an extraction happens at a mine, not a {kind}"),
                    ))
                }
                CustodyEventType::Transformation
                    if !matches!(
                        kind,
                        FacilityKind::Concentrator
                            | FacilityKind::Smelter
                            | FacilityKind::Refiner
                            | FacilityKind::Recycler
                    ) =>
                {
                    errors.push(FieldError::at(
                        pointer,
                        format!(
                            "a transformation happens at a concentrator, smelter, refiner or \
                             recycler, not a {kind}"
                        ),
                    ))
                }
                _ => {}
            },
        }
    }
    for (party, field) in [
        (line.from_party, "from_party_id"),
        (line.to_party, "to_party_id"),
    ] {
        if let Some(party) = party {
            let n: i64 = parties::table
                .filter(parties::id.eq(party.to_string()))
                .count()
                .get_result(conn)?;
            if n == 0 {
                errors.push(FieldError::at(
                    format!("{base}/{field}"),
                    "no party with this id in the catalog",
                ));
            }
        }
    }
    if let Some(external_ref) = &line.external_ref {
        let n: i64 = custody_events::table
            .filter(custody_events::organisation_id.eq(org))
            .filter(custody_events::external_ref.eq(external_ref))
            .count()
            .get_result(conn)?;
        if n > 0 {
            errors.push(FieldError::at(
                format!("{base}/external_ref"),
                "the organisation already has an event with this external_ref",
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    // Every lot named exists and is the organisation's from here on.
    let lot_of = |entry: &LotAmount| found.get(&entry.lot.to_string());
    for output in &line.outputs {
        if let Some(lot) = lot_of(output)
            && let Some(event) = &lot.origin_event_id
        {
            errors.push(FieldError::at(
                format!("{}/lot_id", output.pointer),
                format!("this lot was already produced by event {event}"),
            ));
        }
    }
    // A lot is used (consumed or handed over) only once it exists.
    let used: Vec<&LotAmount> = line.inputs.iter().chain(&line.lots).collect();
    if !used.is_empty() {
        let used_ids: Vec<String> = used.iter().map(|a| a.lot.to_string()).collect();
        // The whole ancestry is needed to find cycles; a transfer only needs the lots' origins.
        let depth = match line.event_type {
            CustodyEventType::Transformation => MAX_DEPTH,
            _ => 0,
        };
        let loaded = lot_graph::load(conn, org, &used_ids, depth)?;
        let early: BTreeSet<String> =
            consumed_before_exists(&loaded.graph, &used_ids, line.occurred_on)
                .into_iter()
                .collect();
        for entry in &used {
            if early.contains(&entry.lot.to_string()) {
                errors.push(FieldError::at(
                    format!("{}/lot_id", entry.pointer),
                    format!(
                        "this lot came to exist after {}: it cannot be used before it exists",
                        line.occurred_on
                    ),
                ));
            }
        }
        if line.event_type == CustodyEventType::Transformation {
            let input_ids: Vec<String> = line.inputs.iter().map(|a| a.lot.to_string()).collect();
            let output_ids: Vec<String> = line.outputs.iter().map(|a| a.lot.to_string()).collect();
            if would_create_cycle(&loaded.graph, &input_ids, &output_ids) {
                errors.push(FieldError::at(
                    format!("{base}/outputs"),
                    "an output is an ancestor of an input: the lot would be made from itself \
                     (cycle)",
                ));
            }
        }
    }
    // A lot produced here must not have been used before it exists.
    let output_ids: Vec<String> = line.outputs.iter().map(|a| a.lot.to_string()).collect();
    for chunk in output_ids.chunks(CHUNK) {
        let earlier: Vec<String> = custody_event_lots::table
            .inner_join(
                custody_events::table.on(custody_events::organisation_id
                    .eq(custody_event_lots::organisation_id)
                    .and(custody_events::id.eq(custody_event_lots::event_id))),
            )
            .filter(custody_event_lots::organisation_id.eq(org))
            .filter(custody_event_lots::lot_id.eq_any(chunk))
            .filter(custody_event_lots::direction.ne("output"))
            .filter(custody_events::occurred_on.lt(line.occurred_on))
            .select(custody_event_lots::lot_id)
            .load(conn)?;
        for output in &line.outputs {
            if earlier.contains(&output.lot.to_string()) {
                errors.push(FieldError::at(
                    format!("{}/lot_id", output.pointer),
                    format!(
                        "this lot was already consumed or handed over before {}: it cannot be \
                         produced after it was used",
                        line.occurred_on
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let side = |list: &[LotAmount]| -> Vec<LotQuantity> {
        list.iter()
            .map(|entry| LotQuantity {
                lot_id: entry.lot.to_string(),
                quantity_mg: amount(entry, lot_of(entry)),
            })
            .collect()
    };
    let lots_q = side(&line.lots);
    let inputs_q = side(&line.inputs);
    let outputs_q = side(&line.outputs);
    let id = line.id.unwrap_or_else(CustodyEventId::generate).to_string();
    let now = time::to_db(time::now());
    let documents = serde_json::to_string(&line.documents).map_err(StoreError::corrupt)?;
    diesel::insert_into(custody_events::table)
        .values((
            custody_events::organisation_id.eq(org),
            custody_events::id.eq(&id),
            custody_events::event_type.eq(line.event_type.as_str()),
            custody_events::occurred_on.eq(line.occurred_on),
            custody_events::facility_id.eq(line.facility.map(|f| f.to_string())),
            custody_events::from_party_id.eq(line.from_party.map(|p| p.to_string())),
            custody_events::to_party_id.eq(line.to_party.map(|p| p.to_string())),
            custody_events::chain_of_custody.eq(line.chain_of_custody.map(|c| c.as_str())),
            custody_events::documents.eq(&documents),
            custody_events::external_ref.eq(line.external_ref.clone()),
            custody_events::recorded_at.eq(now),
        ))
        .execute(conn)?;
    for (direction, list) in [
        ("transferred", &lots_q),
        ("input", &inputs_q),
        ("output", &outputs_q),
    ] {
        for q in list {
            diesel::insert_into(custody_event_lots::table)
                .values((
                    custody_event_lots::organisation_id.eq(org),
                    custody_event_lots::event_id.eq(&id),
                    custody_event_lots::lot_id.eq(&q.lot_id),
                    custody_event_lots::direction.eq(direction),
                    custody_event_lots::quantity_mg.eq(q.quantity_mg),
                ))
                .execute(conn)?;
        }
    }
    for chunk in output_ids.chunks(CHUNK) {
        diesel::update(
            lots::table
                .filter(lots::organisation_id.eq(org))
                .filter(lots::id.eq_any(chunk)),
        )
        .set(lots::origin_event_id.eq(&id))
        .execute(conn)?;
    }
    let receiving = match line.event_type {
        CustodyEventType::Transfer => Some(&lots_q),
        CustodyEventType::Extraction => Some(&outputs_q),
        CustodyEventType::Transformation => None,
    };
    if let (Some(list), Some(to)) = (receiving, line.to_party) {
        let ids: Vec<&str> = list.iter().map(|q| q.lot_id.as_str()).collect();
        diesel::update(
            lots::table
                .filter(lots::organisation_id.eq(org))
                .filter(lots::id.eq_any(ids)),
        )
        .set(lots::holder_party_id.eq(to.to_string()))
        .execute(conn)?;
    }
    let flags = suspicious(
        conn,
        org,
        &id,
        line,
        &found,
        (&lots_q, &inputs_q, &outputs_q),
        tolerance,
    )?;
    let event = find(conn, org, &id)?
        .ok_or_else(|| StoreError::corrupt("an event just written cannot be read"))?;
    Ok(Ok(Written { event, flags }))
}

/// What is accepted but flagged: outputs heavier than inputs beyond the tolerance, a lot
/// consumed in total beyond its quantity, a party handing over more of a lot than it holds.
fn suspicious(
    conn: &mut DbConn,
    org: &str,
    event_id: &str,
    line: &EventLine,
    found: &HashMap<String, LotRecord>,
    (lots_q, inputs_q, outputs_q): (&Vec<LotQuantity>, &Vec<LotQuantity>, &Vec<LotQuantity>),
    tolerance: YieldTolerance,
) -> Result<Vec<RedFlag>, StoreError> {
    let mut flags = Vec::new();
    let event = evidence(EvidenceKind::Event, event_id);
    if line.event_type == CustodyEventType::Transformation
        && let Some(excess) = yield_excess(inputs_q, outputs_q, tolerance)
    {
        flags.push(mass_balance(
            format!(
                "the outputs ({} mg) outweigh the inputs ({} mg) beyond the yield tolerance \
                 ({} ppm)",
                excess.output_mg, excess.input_mg, excess.tolerance_ppm
            ),
            vec![event.clone()],
        ));
    }
    if !inputs_q.is_empty() {
        let ids: Vec<String> = inputs_q.iter().map(|q| q.lot_id.clone()).collect();
        let mut queries = 0;
        let totals: HashMap<String, i64> = lot_graph::consumed(conn, org, &ids, &mut queries)?
            .into_iter()
            .collect();
        for q in inputs_q {
            let Some(lot) = found.get(&q.lot_id) else {
                continue;
            };
            let total = totals.get(&q.lot_id).copied().unwrap_or(0);
            if let Some(total) = consumed_beyond_quantity(lot.quantity_mg, &[total]) {
                flags.push(mass_balance(
                    format!(
                        "lot {} has been consumed {total} mg in total, beyond its {} mg",
                        lot.external_ref, lot.quantity_mg
                    ),
                    vec![evidence(EvidenceKind::Lot, &q.lot_id), event.clone()],
                ));
            }
        }
    }
    if line.event_type == CustodyEventType::Transfer {
        let ids: Vec<String> = lots_q.iter().map(|q| q.lot_id.clone()).collect();
        let loaded = lot_graph::load(conn, org, &ids, 0)?;
        for q in lots_q {
            let Some(lot) = found.get(&q.lot_id) else {
                continue;
            };
            let transfers: Vec<TransferEdge> = loaded.graph.transfers_of(&q.lot_id).to_vec();
            for overdraw in transferred_beyond_quantity(lot.quantity_mg, &transfers) {
                if line.from_party.map(|p| p.to_string()) != Some(overdraw.from_party.clone()) {
                    continue;
                }
                let mut proof = vec![
                    evidence(EvidenceKind::Lot, &q.lot_id),
                    evidence(EvidenceKind::Party, &overdraw.from_party),
                ];
                proof.extend(
                    overdraw
                        .event_ids
                        .iter()
                        .map(|e| evidence(EvidenceKind::Event, e)),
                );
                flags.push(mass_balance(
                    format!(
                        "party {} has handed over {} mg of lot {} in total, beyond its {} mg",
                        overdraw.from_party,
                        overdraw.transferred_mg,
                        lot.external_ref,
                        lot.quantity_mg
                    ),
                    proof,
                ));
            }
        }
    }
    Ok(flags)
}

#[derive(Queryable)]
struct EventRow {
    id: String,
    event_type: String,
    occurred_on: NaiveDate,
    facility_id: Option<String>,
    from_party_id: Option<String>,
    to_party_id: Option<String>,
    chain_of_custody: Option<String>,
    documents: String,
    external_ref: Option<String>,
    recorded_at: NaiveDateTime,
}

type EventColumns = (
    custody_events::id,
    custody_events::event_type,
    custody_events::occurred_on,
    custody_events::facility_id,
    custody_events::from_party_id,
    custody_events::to_party_id,
    custody_events::chain_of_custody,
    custody_events::documents,
    custody_events::external_ref,
    custody_events::recorded_at,
);

const EVENT_COLUMNS: EventColumns = (
    custody_events::id,
    custody_events::event_type,
    custody_events::occurred_on,
    custody_events::facility_id,
    custody_events::from_party_id,
    custody_events::to_party_id,
    custody_events::chain_of_custody,
    custody_events::documents,
    custody_events::external_ref,
    custody_events::recorded_at,
);

fn with_lots(
    conn: &mut DbConn,
    org: &str,
    rows: Vec<EventRow>,
) -> Result<Vec<EventRecord>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut sides: HashMap<String, [Vec<EventLot>; 3]> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(String, String, String, i64)> = custody_event_lots::table
            .filter(custody_event_lots::organisation_id.eq(org))
            .filter(custody_event_lots::event_id.eq_any(chunk))
            .order((custody_event_lots::event_id, custody_event_lots::lot_id))
            .select((
                custody_event_lots::event_id,
                custody_event_lots::direction,
                custody_event_lots::lot_id,
                custody_event_lots::quantity_mg,
            ))
            .load(conn)?;
        for (event, direction, lot_id, quantity_mg) in found {
            let index = match direction.as_str() {
                "transferred" => 0,
                "input" => 1,
                _ => 2,
            };
            sides.entry(event).or_default()[index].push(EventLot {
                lot_id,
                quantity_mg,
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            let [lots, inputs, outputs] = sides.remove(&row.id).unwrap_or_default();
            Ok(EventRecord {
                event_type: parse_stored("event type", &row.event_type)?,
                chain_of_custody: row
                    .chain_of_custody
                    .as_deref()
                    .map(|c| parse_stored("chain of custody", c))
                    .transpose()?,
                documents: serde_json::from_str(&row.documents)
                    .map_err(|e| StoreError::corrupt(format!("stored documents: {e}")))?,
                id: row.id,
                occurred_on: row.occurred_on,
                external_ref: row.external_ref,
                facility_id: row.facility_id,
                from_party_id: row.from_party_id,
                to_party_id: row.to_party_id,
                lots,
                inputs,
                outputs,
                recorded_at: time::from_db(row.recorded_at),
            })
        })
        .collect()
}

/// One of the organisation's events.
pub fn find(conn: &mut DbConn, org: &str, id: &str) -> Result<Option<EventRecord>, StoreError> {
    let row: Option<EventRow> = custody_events::table
        .filter(custody_events::organisation_id.eq(org))
        .filter(custody_events::id.eq(id))
        .select(EVENT_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(with_lots(conn, org, row.into_iter().collect())?.pop())
}

/// Filters of `GET /v1/custody-events`.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub lot: Option<String>,
    pub facility: Option<String>,
    /// Either side of a transfer, or the holder named by an extraction.
    pub party: Option<String>,
    pub event_type: Option<CustodyEventType>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A keyset page of the organisation's events, in id (recording) order.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &EventFilter,
    page: &PageRequest,
) -> Result<Vec<EventRecord>, StoreError> {
    let org = organisation.to_string();
    let mut query = custody_events::table
        .filter(custody_events::organisation_id.eq(&org))
        .select(EVENT_COLUMNS)
        .order(custody_events::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(custody_events::id.gt(after.clone()));
    }
    if let Some(lot) = &filter.lot {
        let events = custody_event_lots::table
            .filter(custody_event_lots::organisation_id.eq(org.clone()))
            .filter(custody_event_lots::lot_id.eq(lot.clone()))
            .select(custody_event_lots::event_id);
        query = query.filter(custody_events::id.eq_any(events));
    }
    if let Some(facility) = &filter.facility {
        query = query.filter(custody_events::facility_id.eq(facility.clone()));
    }
    if let Some(party) = &filter.party {
        query = query.filter(
            custody_events::from_party_id
                .eq(party.clone())
                .or(custody_events::to_party_id.eq(party.clone())),
        );
    }
    if let Some(event_type) = filter.event_type {
        query = query.filter(custody_events::event_type.eq(event_type.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(custody_events::occurred_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(custody_events::occurred_on.le(to));
    }
    let rows: Vec<EventRow> = query.load(conn)?;
    with_lots(conn, &org, rows)
}
