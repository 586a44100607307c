//! The purchase tables' rows, typed: what is inserted and what is read back.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::PurchaseRecord;
use crate::db::schema::{purchase_origins, purchases};
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::purchase::{PurchaseLine, PurchaseOrigin};
use crate::domain::quantity::MassUnit;
use crate::domain::time;
use crate::domain::vocabulary::{Mineral, OriginClass};

/// `None` is written as NULL (not "the column's default"), as binary `COPY` requires.
#[derive(Insertable)]
#[diesel(table_name = purchases, treat_none_as_default_value = false)]
pub(super) struct NewPurchaseRow {
    pub organisation_id: OrganisationId,
    pub id: PurchaseId,
    pub external_ref: String,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    pub quantity_mg: i64,
    pub quantity_uozt: i64,
    pub quantity_value: String,
    pub quantity_unit: MassUnit,
    pub purchased_on: NaiveDate,
    pub lot_id: Option<LotId>,
    pub content_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = purchase_origins, treat_none_as_default_value = false)]
pub(super) struct NewOriginRow {
    organisation_id: OrganisationId,
    purchase_id: PurchaseId,
    position: i32,
    facility_id: Option<FacilityId>,
    origin_class: OriginClass,
    country: Option<CountryCode>,
    declared: i16,
    share_ppb: i64,
    quantity_mg: i64,
    quantity_uozt: i64,
    purchased_on: NaiveDate,
    mineral: Mineral,
    supplier_party_id: PartyId,
}

/// The origin rows of a line, in order; each repeats the line's day, mineral and supplier (the
/// columns the mix reads by).
pub(super) fn origin_rows(
    organisation: OrganisationId,
    purchase: PurchaseId,
    line: &PurchaseLine,
    origins: &[PurchaseOrigin],
) -> Vec<NewOriginRow> {
    origins
        .iter()
        .enumerate()
        .map(|(position, origin)| NewOriginRow {
            organisation_id: organisation,
            purchase_id: purchase,
            position: position as i32,
            facility_id: origin.facility,
            origin_class: origin.class,
            country: origin.country,
            declared: i16::from(origin.declared),
            share_ppb: origin.share_ppb,
            quantity_mg: origin.quantity_mg,
            quantity_uozt: origin.quantity_uozt,
            purchased_on: line.purchased_on,
            mineral: line.mineral,
            supplier_party_id: line.supplier,
        })
        .collect()
}

/// A stored purchase, read by its columns' names.
#[derive(Queryable, Selectable)]
#[diesel(table_name = purchases)]
pub(super) struct PurchaseRow {
    pub id: PurchaseId,
    external_ref: String,
    supplier_party_id: PartyId,
    mineral: Mineral,
    quantity_mg: i64,
    quantity_uozt: i64,
    quantity_value: String,
    quantity_unit: MassUnit,
    purchased_on: NaiveDate,
    lot_id: Option<LotId>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl PurchaseRow {
    pub fn into_record(self, origins: Vec<PurchaseOrigin>) -> PurchaseRecord {
        PurchaseRecord {
            id: self.id,
            external_ref: self.external_ref,
            supplier: self.supplier_party_id,
            mineral: self.mineral,
            quantity_mg: self.quantity_mg,
            quantity_uozt: self.quantity_uozt,
            quantity_value: self.quantity_value,
            quantity_unit: self.quantity_unit,
            purchased_on: self.purchased_on,
            lot: self.lot_id,
            origins,
            created_at: time::from_db(self.created_at),
            updated_at: time::from_db(self.updated_at),
        }
    }
}

/// One stored origin row, read back by position.
pub(super) type OriginRow = (
    PurchaseId,
    Option<FacilityId>,
    OriginClass,
    Option<CountryCode>,
    i16,
    i64,
    i64,
    i64,
);

pub(super) fn origin_of(row: OriginRow) -> (PurchaseId, PurchaseOrigin) {
    let (purchase, facility, class, country, declared, share_ppb, quantity_mg, quantity_uozt) = row;
    let origin = PurchaseOrigin {
        facility,
        class,
        country,
        declared: declared != 0,
        share_ppb,
        quantity_mg,
        quantity_uozt,
    };
    (purchase, origin)
}
