//! Reading purchases: one by id, or a page with filters, each with its origin rows (loaded
//! set-wise for a page).

use std::collections::HashMap;

use diesel::prelude::*;

use super::rows::{OriginRow, PurchaseRow, origin_of};
use super::{CHUNK, PurchaseFilter, PurchaseRecord};
use crate::db::DbConn;
use crate::db::schema::{purchase_origins, purchases};
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::domain::purchase::PurchaseOrigin;
use crate::store::StoreError;
use crate::store::page::PageRequest;

fn load_origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchase_ids: &[PurchaseId],
) -> Result<HashMap<PurchaseId, Vec<PurchaseOrigin>>, StoreError> {
    let mut by_purchase: HashMap<PurchaseId, Vec<PurchaseOrigin>> = HashMap::new();
    for chunk in purchase_ids.chunks(CHUNK) {
        let rows: Vec<OriginRow> = purchase_origins::table
            .filter(purchase_origins::organisation_id.eq(organisation))
            .filter(purchase_origins::purchase_id.eq_any(chunk))
            .order((purchase_origins::purchase_id, purchase_origins::position))
            .select((
                purchase_origins::purchase_id,
                purchase_origins::facility_id,
                purchase_origins::origin_class,
                purchase_origins::country,
                purchase_origins::declared,
                purchase_origins::share_ppb,
                purchase_origins::quantity_mg,
                purchase_origins::quantity_uozt,
            ))
            .load(conn)?;
        for row in rows {
            let (purchase, origin) = origin_of(row);
            by_purchase.entry(purchase).or_default().push(origin);
        }
    }
    Ok(by_purchase)
}

fn with_origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    rows: Vec<PurchaseRow>,
) -> Result<Vec<PurchaseRecord>, StoreError> {
    let ids: Vec<PurchaseId> = rows.iter().map(|r| r.id).collect();
    let mut origins = load_origins(conn, organisation, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = origins.remove(&row.id).unwrap_or_default();
            row.into_record(own)
        })
        .collect())
}

/// The organisation's purchase with this id, if any.
pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
) -> Result<Option<PurchaseRecord>, StoreError> {
    let row: Option<PurchaseRow> = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .filter(purchases::id.eq(id))
        .select(PurchaseRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_origins(conn, organisation, row.into_iter().collect())?.pop())
}

/// A page of the organisation's purchases, in id order, with filters.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &PurchaseFilter,
    page: &PageRequest,
) -> Result<Vec<PurchaseRecord>, StoreError> {
    let mut query = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .select(PurchaseRow::as_select())
        .order(purchases::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(purchases::id.gt(after.clone()));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(purchases::mineral.eq(mineral));
    }
    if let Some(supplier) = filter.supplier {
        query = query.filter(purchases::supplier_party_id.eq(supplier));
    }
    if let Some(from) = filter.from {
        query = query.filter(purchases::purchased_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(purchases::purchased_on.le(to));
    }
    if let Some(external_ref) = &filter.external_ref {
        query = query.filter(purchases::external_ref.eq(external_ref.clone()));
    }
    if let Some(lot) = filter.lot {
        query = query.filter(purchases::lot_id.eq(lot));
    }
    let rows: Vec<PurchaseRow> = query.load(conn)?;
    with_origins(conn, organisation, rows)
}
