//! Recording and reading the organisation's lots.

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{LotId, OrganisationId};
use crate::domain::lot::LotLine;
use crate::store::audit::{self, Actor};
use crate::store::lot::{self, LotFilter, LotRecord};
use crate::store::page::PageRequest;
use crate::store::{Rejection, party};

/// Records a new lot and its audit record. Its external_ref must be new in the organisation and
/// its holder a party of the catalog; otherwise the field is refused.
pub fn create(conn: &mut DbConn, actor: &Actor, line: &LotLine) -> Result<LotRecord, AppError> {
    let record = create_with_id(conn, actor.organisation_id, LotId::generate(), line)?;
    audit::record(
        conn,
        actor,
        "create",
        audit::EntityType::Lot.as_str(),
        &record.id.to_string(),
        &serde_json::json!({"external_ref": record.external_ref}),
    )?;
    Ok(record)
}

/// [`create`] with a given id and no audit record (the demo's fixed, name-based ids).
pub fn create_with_id(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
    line: &LotLine,
) -> Result<LotRecord, AppError> {
    let mut refused = Vec::new();
    if lot::external_ref_taken(conn, organisation, &line.external_ref)? {
        refused.push(Rejection::at(
            "/external_ref",
            "the organisation already has a lot with this external_ref",
        ));
    }
    if let Some(holder) = line.holder
        && !party::existing(conn, &[holder])?.contains(&holder)
    {
        refused.push(Rejection::at(
            "/holder_party_id",
            "no party with this id in the catalog",
        ));
    }
    if !refused.is_empty() {
        return Err(AppError::Rejected {
            rejections: refused,
            detail: None,
        });
    }
    Ok(lot::insert(conn, organisation, id, line)?)
}

/// One of the organisation's lots; another organisation's is not found.
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
) -> Result<LotRecord, AppError> {
    lot::find(conn, organisation, id)?.ok_or_else(|| AppError::not_found(format!("no lot {id}")))
}

/// A page of the organisation's lots, oldest first.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &LotFilter,
    page: &PageRequest,
) -> Result<Vec<LotRecord>, AppError> {
    Ok(lot::list(conn, organisation, filter, page)?)
}
