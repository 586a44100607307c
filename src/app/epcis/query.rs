//! Querying the organisation's events as EPCIS: every custody event, as captured (its JSON as
//! sent) or rendered (`render`), in recording order, filtered by the REST binding's query
//! parameters Oretrace supports.

use std::collections::HashSet;

use chrono::{DateTime, Days, Utc};
use serde_json::Value;

use super::capture::resolve_lot;
use super::render;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::epcis::gs1::{self, Named};
use crate::domain::identifiers::facility_identifier;
use crate::domain::ids::{CustodyEventId, FacilityId, LotId, OrganisationId};
use crate::domain::vocabulary::FacilityIdentifierScheme;
use crate::store::custody_event::{self, EventFilter, EventRecord};
use crate::store::epcis as store;
use crate::store::facility::{self, FacilityIdentifier};
use crate::store::lot;
use crate::store::page::{PageRequest, fill};

/// The filters of an event query (each list: any of its values).
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    /// `eventType`.
    pub event_types: Option<Vec<String>>,
    /// `GE_eventTime`.
    pub from: Option<DateTime<Utc>>,
    /// `LT_eventTime`.
    pub before: Option<DateTime<Utc>>,
    /// `MATCH_epc`, `MATCH_anyEPC`, `MATCH_epcClass`, `MATCH_anyEPCClass`: events naming any of
    /// these lots, on any side.
    pub lots: Option<Vec<String>>,
    /// `EQ_bizLocation`, `EQ_readPoint`: events at the facility these name.
    pub locations: Vec<String>,
    /// `EQ_bizStep`.
    pub biz_steps: Option<Vec<String>>,
}

/// One event of an answer: the custody event (its id keys the pages) and its EPCIS JSON.
#[derive(Clone, Debug)]
pub struct EpcisEvent {
    pub id: CustodyEventId,
    pub json: Value,
    /// The `@context` entries of the document it was captured in.
    pub context: Vec<Value>,
    lots: HashSet<LotId>,
}

/// The facility a location names, if any.
fn location_facility(conn: &mut DbConn, uri: &str) -> Result<Option<FacilityId>, AppError> {
    let key = match gs1::location(uri) {
        Ok(Named::Id(id)) => return Ok(Some(FacilityId(id))),
        Ok(Named::Gln(gln)) => FacilityIdentifier {
            scheme: FacilityIdentifierScheme::Gln,
            value: gln,
        },
        Ok(Named::Identifier { scheme, value }) => {
            let Some(scheme) = FacilityIdentifierScheme::parse(&scheme) else {
                return Ok(None);
            };
            match facility_identifier(scheme, &value) {
                Ok(value) => FacilityIdentifier { scheme, value },
                Err(_) => return Ok(None),
            }
        }
        Err(_) => return Ok(None),
    };
    Ok(facility::owners_of(conn, std::slice::from_ref(&key))?
        .get(&key)
        .copied())
}

/// A page of the organisation's events matching `query`, in recording order (a page is filled
/// past the events a filter evaluated on the EPCIS form leaves out).
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    query: &EventQuery,
    page: &PageRequest,
) -> Result<Vec<EpcisEvent>, AppError> {
    let mut filter = EventFilter {
        lot: None,
        facility: None,
        party: None,
        event_type: None,
        from: None,
        to: None,
    };
    let mut wanted_lots: Option<HashSet<LotId>> = None;
    if let Some(identifiers) = &query.lots {
        let mut found = HashSet::new();
        for identifier in identifiers {
            let canonical = gs1::lot_identifier(identifier).unwrap_or_else(|_| identifier.clone());
            if let Some(lot) = resolve_lot(conn, organisation, &canonical)? {
                found.insert(lot);
            }
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        if found.len() == 1 {
            filter.lot = found.iter().next().copied();
        }
        wanted_lots = Some(found);
    }
    for uri in &query.locations {
        let Some(facility) = location_facility(conn, uri)? else {
            return Ok(Vec::new());
        };
        if filter.facility.is_some_and(|f| f != facility) {
            return Ok(Vec::new());
        }
        filter.facility = Some(facility);
    }
    // Days a day either side of the times, as custody events are dated by day; the exact
    // times are then compared on the events themselves.
    filter.from = query
        .from
        .and_then(|t| t.date_naive().checked_sub_days(Days::new(1)));
    filter.to = query
        .before
        .and_then(|t| t.date_naive().checked_add_days(Days::new(1)));
    let keep = |events: Vec<EpcisEvent>| -> Result<Vec<EpcisEvent>, AppError> {
        Ok(events
            .into_iter()
            .filter(|e| matches(e, query, wanted_lots.as_ref()))
            .collect())
    };
    fill(
        page,
        |after, limit| {
            let request = PageRequest {
                limit,
                after: after.map(str::to_owned),
            };
            let records = custody_event::list(conn, organisation, &filter, &request)?;
            as_epcis(conn, organisation, records)
        },
        |e| e.id.to_string(),
        keep,
    )
}

fn matches(event: &EpcisEvent, query: &EventQuery, lots: Option<&HashSet<LotId>>) -> bool {
    let text = |member: &str| event.json.get(member).and_then(Value::as_str);
    if let Some(types) = &query.event_types
        && !text("type").is_some_and(|t| types.iter().any(|w| w == t))
    {
        return false;
    }
    if let Some(steps) = &query.biz_steps {
        let step = text("bizStep").map(|s| {
            s.strip_prefix("https://ref.gs1.org/cbv/BizStep-")
                .or_else(|| s.strip_prefix("urn:epcglobal:cbv:bizstep:"))
                .unwrap_or(s)
        });
        if !step.is_some_and(|s| steps.iter().any(|w| w == s)) {
            return false;
        }
    }
    let time = text("eventTime")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if let Some(from) = query.from
        && time.is_none_or(|t| t < from)
    {
        return false;
    }
    if let Some(before) = query.before
        && time.is_none_or(|t| t >= before)
    {
        return false;
    }
    if let Some(lots) = lots
        && event.lots.is_disjoint(lots)
    {
        return false;
    }
    true
}

/// Custody events as EPCIS events: as captured, else rendered.
fn as_epcis(
    conn: &mut DbConn,
    organisation: OrganisationId,
    records: Vec<EventRecord>,
) -> Result<Vec<EpcisEvent>, AppError> {
    let ids: Vec<CustodyEventId> = records.iter().map(|r| r.id).collect();
    let captured = store::events_of(conn, organisation, &ids)?;
    let lot_ids: Vec<LotId> = records
        .iter()
        .filter(|r| !captured.contains_key(&r.id))
        .flat_map(|r| {
            r.lots
                .transferred
                .iter()
                .chain(&r.lots.inputs)
                .chain(&r.lots.outputs)
                .map(|l| l.lot_id)
        })
        .collect();
    let lots = lot::find_many(conn, organisation, &lot_ids)?;
    let identifiers = store::identifiers_of(conn, organisation, &lot_ids)?;
    Ok(records
        .into_iter()
        .map(|record| {
            let lots_named: HashSet<LotId> = record
                .lots
                .transferred
                .iter()
                .chain(&record.lots.inputs)
                .chain(&record.lots.outputs)
                .map(|l| l.lot_id)
                .collect();
            match captured.get(&record.id) {
                Some(stored) => EpcisEvent {
                    id: record.id,
                    json: render::captured(&stored.document, stored.recorded_at),
                    context: stored.context.clone(),
                    lots: lots_named,
                },
                None => EpcisEvent {
                    id: record.id,
                    json: render::event(&record, &lots, &identifiers),
                    context: Vec::new(),
                    lots: lots_named,
                },
            }
        })
        .collect())
}

/// The organisation's event with this eventID: captured under it, or a custody event whose
/// `urn:uuid:` eventID it is.
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_id: &str,
) -> Result<EpcisEvent, AppError> {
    let custody_id = match store::find_event(conn, organisation, event_id)? {
        Some(stored) => Some(stored.custody_event_id),
        None => event_id
            .strip_prefix("urn:uuid:")
            .and_then(|u| u.parse::<uuid::Uuid>().ok())
            .map(CustodyEventId),
    };
    let not_found = || AppError::not_found(format!("no event {event_id}"));
    let Some(id) = custody_id else {
        return Err(not_found());
    };
    let record = custody_event::find(conn, organisation, id)?.ok_or_else(not_found)?;
    let mut events = as_epcis(conn, organisation, vec![record])?;
    let event = events.pop().ok_or_else(not_found)?;
    // A custody event captured under another eventID is found by that one only.
    let json_id = event.json.get("eventID").and_then(Value::as_str);
    if json_id != Some(event_id) {
        return Err(not_found());
    }
    Ok(event)
}

/// The contexts of a page's captured events, each once.
pub fn contexts(events: &[EpcisEvent]) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    for entry in events.iter().flat_map(|e| &e.context) {
        if !all.contains(entry) {
            all.push(entry.clone());
        }
    }
    all
}
