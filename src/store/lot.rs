//! Lots of material: the organisation's own, every query filtered by its organisation.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{custody_events, lots};
use crate::domain::ids::{CustodyEventId, LotId, OrganisationId, PartyId};
use crate::domain::lot::LotLine;
use crate::domain::mass::Mass;
use crate::domain::quantity::MassUnit;
use crate::domain::time;
use crate::domain::vocabulary::{CustodyEventType, LotForm, Mineral};
use crate::store::StoreError;
use crate::store::catalog::CHUNK;
use crate::store::page::PageRequest;

/// A stored lot, with the type of the event that produced it (when one is recorded).
#[derive(Clone, Debug)]
pub struct LotRecord {
    pub id: LotId,
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    /// The nearest milligram of a troy-ounce quantity (then exact in `quantity_uozt`), or the
    /// exact milligrams of a metric one.
    pub quantity_mg: i64,
    /// Micro troy ounces of a troy-ounce quantity; 0 for a metric one.
    pub quantity_uozt: i64,
    pub quantity_value: String,
    pub quantity_unit: MassUnit,
    pub holder_party_id: Option<PartyId>,
    pub recycled: bool,
    pub origin_event_id: Option<CustodyEventId>,
    pub origin_event_type: Option<CustodyEventType>,
    pub created_at: DateTime<Utc>,
}

impl LotRecord {
    /// The lot's exact mass.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = lots)]
struct LotRow {
    id: LotId,
    external_ref: String,
    mineral: Mineral,
    form: LotForm,
    quantity_mg: i64,
    quantity_uozt: i64,
    quantity_value: String,
    quantity_unit: MassUnit,
    holder_party_id: Option<PartyId>,
    recycled: i16,
    origin_event_id: Option<CustodyEventId>,
    created_at: NaiveDateTime,
}

impl LotRow {
    fn with_origin_type(self, origin_event_type: Option<CustodyEventType>) -> LotRecord {
        LotRecord {
            id: self.id,
            external_ref: self.external_ref,
            mineral: self.mineral,
            form: self.form,
            quantity_mg: self.quantity_mg,
            quantity_uozt: self.quantity_uozt,
            quantity_value: self.quantity_value,
            quantity_unit: self.quantity_unit,
            holder_party_id: self.holder_party_id,
            recycled: self.recycled != 0,
            origin_event_id: self.origin_event_id,
            origin_event_type,
            created_at: time::from_db(self.created_at),
        }
    }
}

/// The organisation's lots, each with the type of the event that produced it.
macro_rules! lots_with_origin_type {
    ($organisation:expr) => {
        lots::table
            .left_join(
                custody_events::table.on(custody_events::organisation_id
                    .eq(lots::organisation_id)
                    .and(custody_events::id.nullable().eq(lots::origin_event_id))),
            )
            .filter(lots::organisation_id.eq($organisation))
            .select((LotRow::as_select(), custody_events::event_type.nullable()))
    };
}

type Loaded = (LotRow, Option<CustodyEventType>);

fn records(rows: Vec<Loaded>) -> Vec<LotRecord> {
    rows.into_iter()
        .map(|(row, origin_type)| row.with_origin_type(origin_type))
        .collect()
}

/// Whether the organisation already has a lot with this external_ref.
pub fn external_ref_taken(
    conn: &mut DbConn,
    organisation: OrganisationId,
    external_ref: &str,
) -> Result<bool, StoreError> {
    let taken: i64 = lots::table
        .filter(lots::organisation_id.eq(organisation))
        .filter(lots::external_ref.eq(external_ref))
        .count()
        .get_result(conn)?;
    Ok(taken > 0)
}

/// Writes a new lot (checked by the caller) and reads it back.
pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
    line: &LotLine,
) -> Result<LotRecord, StoreError> {
    diesel::insert_into(lots::table)
        .values((
            lots::organisation_id.eq(organisation),
            lots::id.eq(id),
            lots::external_ref.eq(&line.external_ref),
            lots::mineral.eq(line.mineral),
            lots::form.eq(line.form),
            lots::quantity_mg.eq(line.quantity.mg),
            lots::quantity_uozt.eq(line.quantity.uozt),
            lots::quantity_value.eq(line.quantity.value.to_string()),
            lots::quantity_unit.eq(line.quantity.unit),
            lots::holder_party_id.eq(line.holder),
            lots::recycled.eq(i16::from(line.recycled)),
            lots::created_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    find(conn, organisation, id)?
        .ok_or_else(|| StoreError::corrupt("a lot just written cannot be read"))
}

/// One of the organisation's lots; another organisation's is `None`.
pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
) -> Result<Option<LotRecord>, StoreError> {
    let row: Option<Loaded> = lots_with_origin_type!(organisation)
        .filter(lots::id.eq(id))
        .first(conn)
        .optional()?;
    Ok(records(row.into_iter().collect()).pop())
}

/// The organisation's lots among `ids`, by id (unknown and foreign ids are absent).
pub fn find_many(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[LotId],
) -> Result<HashMap<LotId, LotRecord>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Loaded> = lots_with_origin_type!(organisation)
            .filter(lots::id.eq_any(chunk))
            .load(conn)?;
        found.extend(records(rows).into_iter().map(|r| (r.id, r)));
    }
    Ok(found)
}

/// Gives the lots to `holder` (the receiving party of a transfer or extraction).
pub fn set_holder(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[LotId],
    holder: PartyId,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        diesel::update(
            lots::table
                .filter(lots::organisation_id.eq(organisation))
                .filter(lots::id.eq_any(chunk)),
        )
        .set(lots::holder_party_id.eq(holder))
        .execute(conn)?;
    }
    Ok(())
}

/// Records `event` as the event that produced the lots.
pub fn set_origin(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[LotId],
    event: CustodyEventId,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        diesel::update(
            lots::table
                .filter(lots::organisation_id.eq(organisation))
                .filter(lots::id.eq_any(chunk)),
        )
        .set(lots::origin_event_id.eq(event))
        .execute(conn)?;
    }
    Ok(())
}

/// Filters of `GET /v1/lots`.
#[derive(Clone, Debug, Default)]
pub struct LotFilter {
    pub mineral: Option<Mineral>,
    pub form: Option<LotForm>,
    pub holder: Option<PartyId>,
    pub external_ref: Option<String>,
    pub recycled: Option<bool>,
}

/// A keyset page of the organisation's lots, oldest first.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &LotFilter,
    page: &PageRequest,
) -> Result<Vec<LotRecord>, StoreError> {
    let mut query = lots_with_origin_type!(organisation)
        .order(lots::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(lots::id.gt(after.clone()));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(lots::mineral.eq(mineral));
    }
    if let Some(form) = filter.form {
        query = query.filter(lots::form.eq(form));
    }
    if let Some(holder) = filter.holder {
        query = query.filter(lots::holder_party_id.eq(holder));
    }
    if let Some(external_ref) = &filter.external_ref {
        query = query.filter(lots::external_ref.eq(external_ref.clone()));
    }
    if let Some(recycled) = filter.recycled {
        query = query.filter(lots::recycled.eq(i16::from(recycled)));
    }
    Ok(records(query.load(conn)?))
}
