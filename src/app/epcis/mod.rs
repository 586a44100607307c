//! GS1 EPCIS 2.0 (docs/EPCIS.md): capturing documents into custody events (`capture`), and the
//! organisation's events as EPCIS (`query`, `render`).

pub mod capture;
pub mod query;
pub mod render;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{EpcisCaptureId, OrganisationId};
use crate::store::epcis::{self as store, CaptureRecord};

pub use capture::capture;

/// One of the organisation's capture jobs; another organisation's is not found.
pub fn get_capture(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: EpcisCaptureId,
) -> Result<CaptureRecord, AppError> {
    store::find_capture(conn, organisation, id)?
        .ok_or_else(|| AppError::not_found(format!("no capture job {id}")))
}
