//! EPCIS capture jobs, captured events (their JSON as sent, keyed by eventID) and the
//! organisation's lot identifiers. Every query filters by the organisation.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{epcis_captures, epcis_events, epcis_lot_identifiers};
use crate::domain::ids::{CustodyEventId, EpcisCaptureId, LotId, OrganisationId};
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::CHUNK;

/// A capture job.
#[derive(Clone, Debug)]
pub struct CaptureRecord {
    pub id: EpcisCaptureId,
    pub error_behaviour: String,
    pub running: bool,
    pub success: bool,
    pub event_count: i32,
    pub captured_count: i32,
    pub duplicate_count: i32,
    /// The job's problems, a JSON array.
    pub errors: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = epcis_captures)]
struct CaptureRow {
    id: EpcisCaptureId,
    error_behaviour: String,
    running: i16,
    success: i16,
    event_count: i32,
    captured_count: i32,
    duplicate_count: i32,
    errors: String,
    created_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

/// Starts a capture job (running).
pub fn insert_capture(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: EpcisCaptureId,
    error_behaviour: &str,
    event_count: i32,
) -> Result<(), StoreError> {
    diesel::insert_into(epcis_captures::table)
        .values((
            epcis_captures::organisation_id.eq(organisation),
            epcis_captures::id.eq(id),
            epcis_captures::error_behaviour.eq(error_behaviour),
            epcis_captures::running.eq(1i16),
            epcis_captures::success.eq(0i16),
            epcis_captures::event_count.eq(event_count),
            epcis_captures::captured_count.eq(0),
            epcis_captures::duplicate_count.eq(0),
            epcis_captures::errors.eq("[]"),
            epcis_captures::created_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finishes a capture job.
pub fn finish_capture(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: EpcisCaptureId,
    success: bool,
    (captured, duplicates): (i32, i32),
    errors: &serde_json::Value,
) -> Result<(), StoreError> {
    diesel::update(
        epcis_captures::table
            .filter(epcis_captures::organisation_id.eq(organisation))
            .filter(epcis_captures::id.eq(id)),
    )
    .set((
        epcis_captures::running.eq(0i16),
        epcis_captures::success.eq(i16::from(success)),
        epcis_captures::captured_count.eq(captured),
        epcis_captures::duplicate_count.eq(duplicates),
        epcis_captures::errors.eq(errors.to_string()),
        epcis_captures::finished_at.eq(Some(time::to_db(time::now()))),
    ))
    .execute(conn)?;
    Ok(())
}

/// One of the organisation's capture jobs; another organisation's is `None`.
pub fn find_capture(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: EpcisCaptureId,
) -> Result<Option<CaptureRecord>, StoreError> {
    let row: Option<CaptureRow> = epcis_captures::table
        .filter(epcis_captures::organisation_id.eq(organisation))
        .filter(epcis_captures::id.eq(id))
        .select(CaptureRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| {
        Ok(CaptureRecord {
            id: r.id,
            error_behaviour: r.error_behaviour,
            running: r.running != 0,
            success: r.success != 0,
            event_count: r.event_count,
            captured_count: r.captured_count,
            duplicate_count: r.duplicate_count,
            errors: serde_json::from_str(&r.errors).map_err(StoreError::corrupt)?,
            created_at: time::from_db(r.created_at),
            finished_at: r.finished_at.map(time::from_db),
        })
    })
    .transpose()
}

/// A captured event: its JSON as sent and the `@context` entries of its document.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub event_id: String,
    pub custody_event_id: CustodyEventId,
    pub document: serde_json::Value,
    pub context: Vec<serde_json::Value>,
    pub recorded_at: DateTime<Utc>,
}

/// A captured event to write.
pub struct NewEvent<'a> {
    pub event_id: &'a str,
    pub custody_event_id: CustodyEventId,
    pub capture_id: EpcisCaptureId,
    pub event_type: &'a str,
    pub event_time: DateTime<Utc>,
    pub document: &'a serde_json::Value,
    pub context: &'a [serde_json::Value],
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = epcis_events)]
struct EventRow {
    event_id: String,
    custody_event_id: CustodyEventId,
    document: String,
    context: String,
    recorded_at: NaiveDateTime,
}

impl EventRow {
    fn into_stored(self) -> Result<StoredEvent, StoreError> {
        Ok(StoredEvent {
            event_id: self.event_id,
            custody_event_id: self.custody_event_id,
            document: serde_json::from_str(&self.document).map_err(StoreError::corrupt)?,
            context: serde_json::from_str(&self.context).map_err(StoreError::corrupt)?,
            recorded_at: time::from_db(self.recorded_at),
        })
    }
}

pub fn insert_event(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event: &NewEvent<'_>,
) -> Result<(), StoreError> {
    let context = serde_json::Value::Array(event.context.to_vec()).to_string();
    diesel::insert_into(epcis_events::table)
        .values((
            epcis_events::organisation_id.eq(organisation),
            epcis_events::event_id.eq(event.event_id),
            epcis_events::custody_event_id.eq(event.custody_event_id),
            epcis_events::capture_id.eq(event.capture_id),
            epcis_events::event_type.eq(event.event_type),
            epcis_events::event_time.eq(time::to_db(event.event_time)),
            epcis_events::document.eq(event.document.to_string()),
            epcis_events::context.eq(context),
            epcis_events::recorded_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The organisation's captured event with this eventID.
pub fn find_event(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_id: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    let row: Option<EventRow> = epcis_events::table
        .filter(epcis_events::organisation_id.eq(organisation))
        .filter(epcis_events::event_id.eq(event_id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?;
    row.map(EventRow::into_stored).transpose()
}

/// The captured events that became these custody events, by custody event.
pub fn events_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[CustodyEventId],
) -> Result<HashMap<CustodyEventId, StoredEvent>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<EventRow> = epcis_events::table
            .filter(epcis_events::organisation_id.eq(organisation))
            .filter(epcis_events::custody_event_id.eq_any(chunk))
            .select(EventRow::as_select())
            .load(conn)?;
        for row in rows {
            let stored = row.into_stored()?;
            found.insert(stored.custody_event_id, stored);
        }
    }
    Ok(found)
}

/// The organisation's lots named by these (canonical) identifiers.
pub fn lots_by_identifier(
    conn: &mut DbConn,
    organisation: OrganisationId,
    identifiers: &[String],
) -> Result<HashMap<String, LotId>, StoreError> {
    let mut found = HashMap::new();
    for chunk in identifiers.chunks(CHUNK) {
        let rows: Vec<(String, LotId)> = epcis_lot_identifiers::table
            .filter(epcis_lot_identifiers::organisation_id.eq(organisation))
            .filter(epcis_lot_identifiers::identifier.eq_any(chunk))
            .select((
                epcis_lot_identifiers::identifier,
                epcis_lot_identifiers::lot_id,
            ))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// One identifier of each of these lots that has one (the first, in text order).
pub fn identifiers_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lots: &[LotId],
) -> Result<HashMap<LotId, String>, StoreError> {
    let mut found = HashMap::new();
    for chunk in lots.chunks(CHUNK) {
        let rows: Vec<(LotId, String)> = epcis_lot_identifiers::table
            .filter(epcis_lot_identifiers::organisation_id.eq(organisation))
            .filter(epcis_lot_identifiers::lot_id.eq_any(chunk))
            .order(epcis_lot_identifiers::identifier)
            .select((
                epcis_lot_identifiers::lot_id,
                epcis_lot_identifiers::identifier,
            ))
            .load(conn)?;
        for (lot, identifier) in rows {
            found.entry(lot).or_insert(identifier);
        }
    }
    Ok(found)
}

/// Names a lot by an identifier.
pub fn insert_lot_identifier(
    conn: &mut DbConn,
    organisation: OrganisationId,
    identifier: &str,
    lot: LotId,
) -> Result<(), StoreError> {
    diesel::insert_into(epcis_lot_identifiers::table)
        .values((
            epcis_lot_identifiers::organisation_id.eq(organisation),
            epcis_lot_identifiers::identifier.eq(identifier),
            epcis_lot_identifiers::lot_id.eq(lot),
            epcis_lot_identifiers::created_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    Ok(())
}
