//! Certification schemes: seeded reference data, read-only.

use std::collections::HashMap;

use crate::app::AppError;
use crate::db::DbConn;
use crate::store::page::PageRequest;
use crate::store::scheme::{self, Scheme};

/// Every scheme by id (a dozen or so: callers load them all and look up in memory).
pub fn by_id(conn: &mut DbConn) -> Result<HashMap<String, Scheme>, AppError> {
    Ok(scheme::all(conn)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect())
}

/// A page of schemes, by id.
pub fn list(conn: &mut DbConn, page: &PageRequest) -> Result<Vec<Scheme>, AppError> {
    Ok(scheme::list(
        conn,
        page.after.as_deref(),
        page.fetch_limit(),
    )?)
}

/// A scheme; 404 when there is none.
pub fn get(conn: &mut DbConn, id: &str) -> Result<Scheme, AppError> {
    scheme::find(conn, id)?.ok_or_else(|| AppError::not_found(format!("no scheme {id}")))
}
