//! Custody events: the rows of an event and of its lots, read by id or as a filtered list, and
//! written once the use case has checked them (`app::provenance::custody_events`). Every query
//! filters by the organisation.

mod write;

pub use write::insert;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events};
use crate::domain::ids::{CustodyEventId, FacilityId, LotId, OrganisationId, PartyId};
use crate::domain::lot::Document;
use crate::domain::mass::Mass;
use crate::domain::time;
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};
use crate::store::StoreError;
use crate::store::catalog::CHUNK;
use crate::store::page::PageRequest;

/// Which side of an event a lot is on: `custody_event_lots.direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Handed over (transfer).
    Transferred,
    /// Consumed (transformation).
    Input,
    /// Produced (transformation) or extracted (extraction).
    Output,
}

impl Side {
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Transferred => "transferred",
            Side::Input => "input",
            Side::Output => "output",
        }
    }

    fn from_stored(text: &str) -> Side {
        match text {
            "transferred" => Side::Transferred,
            "input" => Side::Input,
            _ => Side::Output,
        }
    }
}

/// One lot of an event and how much of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLot {
    pub lot_id: LotId,
    /// Exact milligrams of a metric quantity; the nearest milligram of a troy-ounce one.
    pub quantity_mg: i64,
    /// Micro troy ounces of a troy-ounce quantity; 0 for a metric one.
    pub quantity_uozt: i64,
}

impl EventLot {
    /// The exact mass.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

/// The lots of an event, by side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventLots {
    /// Handed over (transfer).
    pub transferred: Vec<EventLot>,
    /// Consumed (transformation).
    pub inputs: Vec<EventLot>,
    /// Produced (transformation) or extracted (extraction).
    pub outputs: Vec<EventLot>,
}

impl EventLots {
    /// The lots on one side.
    pub fn side(&self, side: Side) -> &[EventLot] {
        match side {
            Side::Transferred => &self.transferred,
            Side::Input => &self.inputs,
            Side::Output => &self.outputs,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut Vec<EventLot> {
        match side {
            Side::Transferred => &mut self.transferred,
            Side::Input => &mut self.inputs,
            Side::Output => &mut self.outputs,
        }
    }
}

/// A stored custody event.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub id: CustodyEventId,
    pub event_type: CustodyEventType,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub facility_id: Option<FacilityId>,
    pub from_party_id: Option<PartyId>,
    pub to_party_id: Option<PartyId>,
    pub chain_of_custody: Option<ChainOfCustody>,
    pub lots: EventLots,
    pub documents: Vec<Document>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = custody_events)]
struct EventRow {
    id: CustodyEventId,
    event_type: CustodyEventType,
    occurred_on: NaiveDate,
    facility_id: Option<FacilityId>,
    from_party_id: Option<PartyId>,
    to_party_id: Option<PartyId>,
    chain_of_custody: Option<ChainOfCustody>,
    documents: String,
    external_ref: Option<String>,
    recorded_at: NaiveDateTime,
}

fn with_lots(
    conn: &mut DbConn,
    organisation: OrganisationId,
    rows: Vec<EventRow>,
) -> Result<Vec<EventRecord>, StoreError> {
    let ids: Vec<CustodyEventId> = rows.iter().map(|r| r.id).collect();
    let mut sides: HashMap<CustodyEventId, EventLots> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(CustodyEventId, String, LotId, i64, i64)> = custody_event_lots::table
            .filter(custody_event_lots::organisation_id.eq(organisation))
            .filter(custody_event_lots::event_id.eq_any(chunk))
            .order((custody_event_lots::event_id, custody_event_lots::lot_id))
            .select((
                custody_event_lots::event_id,
                custody_event_lots::direction,
                custody_event_lots::lot_id,
                custody_event_lots::quantity_mg,
                custody_event_lots::quantity_uozt,
            ))
            .load(conn)?;
        for (event, direction, lot_id, quantity_mg, quantity_uozt) in found {
            sides
                .entry(event)
                .or_default()
                .side_mut(Side::from_stored(&direction))
                .push(EventLot {
                    lot_id,
                    quantity_mg,
                    quantity_uozt,
                });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(EventRecord {
                lots: sides.remove(&row.id).unwrap_or_default(),
                documents: serde_json::from_str(&row.documents)
                    .map_err(|e| StoreError::corrupt(format!("stored documents: {e}")))?,
                id: row.id,
                event_type: row.event_type,
                occurred_on: row.occurred_on,
                external_ref: row.external_ref,
                facility_id: row.facility_id,
                from_party_id: row.from_party_id,
                to_party_id: row.to_party_id,
                chain_of_custody: row.chain_of_custody,
                recorded_at: time::from_db(row.recorded_at),
            })
        })
        .collect()
}

/// One of the organisation's events.
pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: CustodyEventId,
) -> Result<Option<EventRecord>, StoreError> {
    let row: Option<EventRow> = custody_events::table
        .filter(custody_events::organisation_id.eq(organisation))
        .filter(custody_events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_lots(conn, organisation, row.into_iter().collect())?.pop())
}

/// Whether the organisation already has an event with this external_ref.
pub fn external_ref_taken(
    conn: &mut DbConn,
    organisation: OrganisationId,
    external_ref: &str,
) -> Result<bool, StoreError> {
    let n: i64 = custody_events::table
        .filter(custody_events::organisation_id.eq(organisation))
        .filter(custody_events::external_ref.eq(external_ref))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// `custody_event_lots` joined to their events (the same organisation, the same event).
pub(crate) type LotsWithEvents = diesel::dsl::InnerJoinOn<
    custody_event_lots::table,
    custody_events::table,
    diesel::dsl::And<
        diesel::dsl::Eq<custody_events::organisation_id, custody_event_lots::organisation_id>,
        diesel::dsl::Eq<custody_events::id, custody_event_lots::event_id>,
    >,
>;

/// Every lot of every event, with its event.
pub(crate) fn lots_with_events() -> LotsWithEvents {
    custody_event_lots::table.inner_join(
        custody_events::table.on(custody_events::organisation_id
            .eq(custody_event_lots::organisation_id)
            .and(custody_events::id.eq(custody_event_lots::event_id))),
    )
}

/// Which of `lots` an event before `day` consumed or handed over.
pub fn used_before(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lots: &[LotId],
    day: NaiveDate,
) -> Result<Vec<LotId>, StoreError> {
    let mut used = Vec::new();
    for chunk in lots.chunks(CHUNK) {
        used.extend(
            lots_with_events()
                .filter(custody_event_lots::organisation_id.eq(organisation))
                .filter(custody_event_lots::lot_id.eq_any(chunk))
                .filter(custody_event_lots::direction.ne(Side::Output.as_str()))
                .filter(custody_events::occurred_on.lt(day))
                .select(custody_event_lots::lot_id)
                .load::<LotId>(conn)?,
        );
    }
    Ok(used)
}

/// Filters of `GET /v1/custody-events`.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub lot: Option<LotId>,
    pub facility: Option<FacilityId>,
    /// Either side of a transfer, or the holder named by an extraction.
    pub party: Option<PartyId>,
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
    let mut query = custody_events::table
        .filter(custody_events::organisation_id.eq(organisation))
        .select(EventRow::as_select())
        .order(custody_events::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(custody_events::id.gt(after.clone()));
    }
    if let Some(lot) = filter.lot {
        let events = custody_event_lots::table
            .filter(custody_event_lots::organisation_id.eq(organisation))
            .filter(custody_event_lots::lot_id.eq(lot))
            .select(custody_event_lots::event_id);
        query = query.filter(custody_events::id.eq_any(events));
    }
    if let Some(facility) = filter.facility {
        query = query.filter(custody_events::facility_id.eq(facility));
    }
    if let Some(party) = filter.party {
        query = query.filter(
            custody_events::from_party_id
                .eq(party)
                .or(custody_events::to_party_id.eq(party)),
        );
    }
    if let Some(event_type) = filter.event_type {
        query = query.filter(custody_events::event_type.eq(event_type));
    }
    if let Some(from) = filter.from {
        query = query.filter(custody_events::occurred_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(custody_events::occurred_on.le(to));
    }
    let rows: Vec<EventRow> = query.load(conn)?;
    with_lots(conn, organisation, rows)
}
