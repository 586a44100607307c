//! Lots of material: the organisation's own, every query filtered by its organisation.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{custody_events, lots, parties};
use crate::domain::ids::{LotId, OrganisationId};
use crate::domain::lot::LotLine;
use crate::domain::quantity::MassUnit;
use crate::domain::time;
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{CustodyEventType, LotForm, Mineral};
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, parse_stored};
use crate::store::page::PageRequest;

/// A stored lot, with the type of the event that produced it (when one is recorded).
#[derive(Clone, Debug)]
pub struct LotRecord {
    pub id: String,
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    pub quantity_mg: i64,
    pub quantity_value: String,
    pub quantity_unit: MassUnit,
    pub holder_party_id: Option<String>,
    pub recycled: bool,
    pub origin_event_id: Option<String>,
    pub origin_event_type: Option<CustodyEventType>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable)]
struct LotRow {
    id: String,
    external_ref: String,
    mineral: String,
    form: String,
    quantity_mg: i64,
    quantity_value: String,
    quantity_unit: String,
    holder_party_id: Option<String>,
    recycled: i16,
    origin_event_id: Option<String>,
    created_at: NaiveDateTime,
}

type LotColumns = (
    lots::id,
    lots::external_ref,
    lots::mineral,
    lots::form,
    lots::quantity_mg,
    lots::quantity_value,
    lots::quantity_unit,
    lots::holder_party_id,
    lots::recycled,
    lots::origin_event_id,
    lots::created_at,
);

const LOT_COLUMNS: LotColumns = (
    lots::id,
    lots::external_ref,
    lots::mineral,
    lots::form,
    lots::quantity_mg,
    lots::quantity_value,
    lots::quantity_unit,
    lots::holder_party_id,
    lots::recycled,
    lots::origin_event_id,
    lots::created_at,
);

impl LotRow {
    fn into_record(self, types: &HashMap<String, String>) -> Result<LotRecord, StoreError> {
        let origin_event_type = match &self.origin_event_id {
            Some(event) => types
                .get(event)
                .map(|t| parse_stored::<CustodyEventType>("event type", t))
                .transpose()?,
            None => None,
        };
        Ok(LotRecord {
            mineral: parse_stored("mineral", &self.mineral)?,
            form: parse_stored("lot form", &self.form)?,
            quantity_unit: parse_stored("unit", &self.quantity_unit)?,
            id: self.id,
            external_ref: self.external_ref,
            quantity_mg: self.quantity_mg,
            quantity_value: self.quantity_value,
            holder_party_id: self.holder_party_id,
            recycled: self.recycled != 0,
            origin_event_id: self.origin_event_id,
            origin_event_type,
            created_at: time::from_db(self.created_at),
        })
    }
}

fn with_event_types(
    conn: &mut DbConn,
    organisation: &str,
    rows: Vec<LotRow>,
) -> Result<Vec<LotRecord>, StoreError> {
    let mut events: Vec<String> = rows
        .iter()
        .filter_map(|r| r.origin_event_id.clone())
        .collect();
    events.sort();
    events.dedup();
    let mut types = HashMap::new();
    for chunk in events.chunks(CHUNK) {
        let found: Vec<(String, String)> = custody_events::table
            .filter(custody_events::organisation_id.eq(organisation))
            .filter(custody_events::id.eq_any(chunk))
            .select((custody_events::id, custody_events::event_type))
            .load(conn)?;
        types.extend(found);
    }
    rows.into_iter().map(|r| r.into_record(&types)).collect()
}

/// Records a new lot. Its external_ref must be new in the organisation and its holder a party
/// of the catalog; otherwise 422 naming the field.
pub fn create(
    conn: &mut DbConn,
    organisation: OrganisationId,
    line: &LotLine,
) -> Result<LotRecord, StoreError> {
    create_with_id(conn, organisation, LotId::generate(), line)
}

/// [`create`] with a given id (the demo's fixed, name-based ids).
pub fn create_with_id(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
    line: &LotLine,
) -> Result<LotRecord, StoreError> {
    let org = organisation.to_string();
    let mut errors = Vec::new();
    let taken: i64 = lots::table
        .filter(lots::organisation_id.eq(&org))
        .filter(lots::external_ref.eq(&line.external_ref))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        errors.push(FieldError::at(
            "/external_ref",
            "the organisation already has a lot with this external_ref",
        ));
    }
    if let Some(holder) = line.holder {
        let found: i64 = parties::table
            .filter(parties::id.eq(holder.to_string()))
            .count()
            .get_result(conn)?;
        if found == 0 {
            errors.push(FieldError::at(
                "/holder_party_id",
                "no party with this id in the catalog",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::from(errors));
    }
    let id = id.to_string();
    diesel::insert_into(lots::table)
        .values((
            lots::organisation_id.eq(&org),
            lots::id.eq(&id),
            lots::external_ref.eq(&line.external_ref),
            lots::mineral.eq(line.mineral.as_str()),
            lots::form.eq(line.form.as_str()),
            lots::quantity_mg.eq(line.quantity.mg),
            lots::quantity_value.eq(line.quantity.value.to_string()),
            lots::quantity_unit.eq(line.quantity.unit.as_str()),
            lots::holder_party_id.eq(line.holder.map(|h| h.to_string())),
            lots::recycled.eq(i16::from(line.recycled)),
            lots::created_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    find(conn, organisation, &id)?
        .ok_or_else(|| StoreError::corrupt("a lot just written cannot be read"))
}

/// One of the organisation's lots; another organisation's is `None`.
pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: &str,
) -> Result<Option<LotRecord>, StoreError> {
    let org = organisation.to_string();
    let row: Option<LotRow> = lots::table
        .filter(lots::organisation_id.eq(&org))
        .filter(lots::id.eq(id))
        .select(LOT_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(with_event_types(conn, &org, row.into_iter().collect())?.pop())
}

/// The organisation's lots among `ids`, by id (unknown and foreign ids are absent).
pub fn find_many(
    conn: &mut DbConn,
    organisation: &str,
    ids: &[String],
) -> Result<HashMap<String, LotRecord>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<LotRow> = lots::table
            .filter(lots::organisation_id.eq(organisation))
            .filter(lots::id.eq_any(chunk))
            .select(LOT_COLUMNS)
            .load(conn)?;
        for record in with_event_types(conn, organisation, rows)? {
            found.insert(record.id.clone(), record);
        }
    }
    Ok(found)
}

/// Filters of `GET /v1/lots`.
#[derive(Clone, Debug, Default)]
pub struct LotFilter {
    pub mineral: Option<Mineral>,
    pub form: Option<LotForm>,
    pub holder: Option<String>,
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
    let org = organisation.to_string();
    let mut query = lots::table
        .filter(lots::organisation_id.eq(&org))
        .select(LOT_COLUMNS)
        .order(lots::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(lots::id.gt(after.clone()));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(lots::mineral.eq(mineral.as_str()));
    }
    if let Some(form) = filter.form {
        query = query.filter(lots::form.eq(form.as_str()));
    }
    if let Some(holder) = &filter.holder {
        query = query.filter(lots::holder_party_id.eq(holder.clone()));
    }
    if let Some(external_ref) = &filter.external_ref {
        query = query.filter(lots::external_ref.eq(external_ref.clone()));
    }
    if let Some(recycled) = filter.recycled {
        query = query.filter(lots::recycled.eq(i16::from(recycled)));
    }
    let rows: Vec<LotRow> = query.load(conn)?;
    with_event_types(conn, &org, rows)
}
