//! Reading the organisation's purchases.

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::store::page::PageRequest;
use crate::store::purchase::{self, PurchaseFilter, PurchaseRecord};

/// The organisation's purchase `id`; another organisation's is not found.
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
) -> Result<PurchaseRecord, AppError> {
    purchase::find(conn, organisation, id)?
        .ok_or_else(|| AppError::not_found(format!("no purchase {id}")))
}

/// A page of the organisation's purchases, oldest first, with filters.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &PurchaseFilter,
    page: &PageRequest,
) -> Result<Vec<PurchaseRecord>, AppError> {
    Ok(purchase::list(conn, organisation, filter, page)?)
}
