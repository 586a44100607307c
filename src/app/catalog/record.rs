//! One catalog record at a time: created from a checked row, or changed by a JSON merge patch
//! that is then checked whole, as a creation is. The same checks as a batch's, with conflicts
//! answered as such (an identifier taken is 409 here, where a batch row would update).

use std::collections::HashMap;

use crate::app::AppError;
use crate::app::webhooks::sweep;
use crate::db::DbConn;
use crate::domain::validation::FieldError;
use crate::store::audit::{self, Actor};

use super::CatalogKind;
use super::batch::{placed, refuse};
use super::patch::{editable, patched};

/// The record `id`, or 404 (`no facility …`).
pub fn find<K: CatalogKind>(conn: &mut DbConn, id: K::Id) -> Result<K::Record, AppError> {
    (K::FIND_MANY)(conn, &[id])?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("no {} {id}", K::NAMES.0)))
}

/// Looks up what a single record's row names by other means than ids (422 when unknown).
pub fn resolved<K: CatalogKind>(conn: &mut DbConn, row: K::Row) -> Result<K::Row, AppError> {
    let mut rows = [row];
    let unresolved = K::resolve(conn, &mut rows)?;
    refused(unresolved.into_iter().map(|(_, e)| e).collect())?;
    let [row] = rows;
    Ok(row)
}

/// Refuses a single record with these errors, if any.
pub fn refused(errors: Vec<FieldError>) -> Result<(), AppError> {
    refuse(errors.into_iter().map(|e| placed(None, e)).collect())
}

/// Checks a row against the database as a single record (`current` when it changes one).
fn check<K: CatalogKind>(
    conn: &mut DbConn,
    row: K::Row,
    current: Option<&K::Record>,
) -> Result<K::Row, AppError> {
    let row = resolved::<K>(conn, row)?;
    let context = K::context(conn, std::slice::from_ref(&row))?;
    refused(K::check(&context, &row, current))?;
    Ok(row)
}

fn keys_of<K: CatalogKind>(row: &K::Row) -> Vec<K::Key> {
    K::keys(row).into_iter().map(|(_, key)| key).collect()
}

/// 409 unless each of `keys` is free or already `own`'s.
pub fn ensure_free<K: CatalogKind>(
    conn: &mut DbConn,
    own: Option<K::Id>,
    keys: Vec<K::Key>,
) -> Result<(), AppError> {
    let owners = (K::OWNERS)(conn, &keys)?;
    for key in &keys {
        if let Some(&owner) = owners.get(key)
            && Some(owner) != own
        {
            return Err(AppError::Conflict(K::taken(key, owner)));
        }
    }
    Ok(())
}

/// Creates a record with id `id` from a checked row and records `audit(created)` in the audit
/// trail: the database checks first (422), then the keys (409).
pub fn create<K: CatalogKind>(
    conn: &mut DbConn,
    actor: &Actor,
    id: K::Id,
    row: K::Row,
    audit: impl FnOnce(&K::Record) -> Result<serde_json::Value, AppError>,
) -> Result<K::Record, AppError> {
    let row = check::<K>(conn, row, None)?;
    ensure_free::<K>(conn, None, keys_of::<K>(&row))?;
    K::insert_many(conn, actor, &[(id, row)])?;
    sweep::request_all(conn)?;
    let created = find::<K>(conn, id)?;
    audit::record(
        conn,
        actor,
        "create",
        K::ENTITY.as_str(),
        &id.to_string(),
        &audit(&created)?,
    )?;
    Ok(created)
}

/// Changes record `id` with a JSON merge patch; a patch that changes nothing writes nothing.
pub fn update<K: CatalogKind>(
    conn: &mut DbConn,
    actor: &Actor,
    id: K::Id,
    patch: &serde_json::Value,
) -> Result<K::Record, AppError> {
    let current = find::<K>(conn, id)?;
    let merged = patched(editable(&current, K::READ_ONLY)?, patch, K::READ_ONLY)?;
    let row = (K::PARSE)(merged)?;
    if K::matches(&row, &current) {
        return Ok(current);
    }
    let row = check::<K>(conn, row, Some(&current))?;
    let obstacles = K::obstacles(conn, &row, &current)?;
    if !obstacles.is_empty() {
        return Err(AppError::Conflict(K::blocked(&obstacles)));
    }
    ensure_free::<K>(conn, Some(id), keys_of::<K>(&row))?;
    let known = HashMap::from([(id, current)]);
    let changes = K::replace_many(conn, actor, &[(id, row)], &known)?;
    sweep::request_all(conn)?;
    audit::record_many(conn, actor, &changes)?;
    find::<K>(conn, id)
}
