//! `POST /v1/parties/batch` and `oretrace import catalog --kind parties`: many parties in one
//! transaction; a row whose identifier is already known updates that party.

use std::collections::{BTreeSet, HashMap};

use actix_web::{HttpResponse, post, web};

use crate::api::error::{ApiError, FieldError};
use crate::api::http::batch::{BatchResult, BatchRows, RowOutcome};
use crate::api::http::caller::Caller;
use crate::api::routes::catalog::{batch_errors, batch_view, editable};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::ids::PartyId;
use crate::store::audit::{self, Actor, EntityType};
use crate::store::party::{self, NewParty, PartyIdentifier};

/// Creates or updates many parties at once, all or none (scope `catalog:write`).
///
/// The body is a JSON array of parties (as `POST /v1/parties`), at most 10,000 rows. A row with
/// an identifier that is already known updates that party: its name, roles and country are
/// replaced, its identifiers are added to the known ones (none is removed). Any invalid row
/// fails the whole batch with 422, listing every error with the row index first in its pointer
/// (`/17/country`); nothing is written.
#[utoipa::path(
    tag = "parties",
    operation_id = "batch_parties",
    request_body(content = Vec<super::PartyInput>, description = "The parties, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/parties/batch")]
pub async fn batch_parties(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let parsed = parse_rows(rows.0)?;
    let actor = Actor::from(&caller);
    let result = state
        .db
        .write(move |conn| apply(conn, &actor, parsed, &mut |_| {}))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Checks every row, reporting all errors at once.
pub fn parse_rows(rows: Vec<serde_json::Value>) -> Result<Vec<NewParty>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        match super::input::parse(&format!("/{i}"), row) {
            Ok(p) => parsed.push((i, p)),
            Err(e) => errors.extend(e),
        }
    }
    let mut first_row: HashMap<&PartyIdentifier, usize> = HashMap::new();
    for (i, p) in &parsed {
        let i = *i;
        for (j, identifier) in p.identifiers.iter().enumerate() {
            if let Some(first) = first_row.get(identifier)
                && *first != i
            {
                errors.push(FieldError::at(
                    format!("/{i}/identifiers/{j}"),
                    format!("{identifier} is also the identifier of row {first}"),
                ));
            } else {
                first_row.insert(identifier, i);
            }
        }
    }
    batch_errors(errors)?;
    Ok(parsed.into_iter().map(|(_, row)| row).collect())
}

/// Applies checked rows inside the caller's transaction. `progress` is told how many rows are
/// done.
pub fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<NewParty>,
    progress: &mut dyn FnMut(usize),
) -> Result<BatchResult, ApiError> {
    let all: Vec<PartyIdentifier> = rows.iter().flat_map(|p| p.identifiers.clone()).collect();
    let owners = party::owners_of(conn, &all)?;
    let mut errors = Vec::new();
    let mut targets: Vec<Option<PartyId>> = Vec::with_capacity(rows.len());
    let mut claimed: HashMap<PartyId, usize> = HashMap::new();
    for (i, p) in rows.iter().enumerate() {
        let known: BTreeSet<PartyId> = p
            .identifiers
            .iter()
            .filter_map(|id| owners.get(id).copied())
            .collect();
        let target = match known.len() {
            0 => None,
            1 => known.first().copied(),
            _ => {
                let ids: Vec<String> = known.iter().map(ToString::to_string).collect();
                errors.push(FieldError::at(
                    format!("/{i}/identifiers"),
                    format!(
                        "these identifiers belong to different parties: {}",
                        ids.join(", ")
                    ),
                ));
                None
            }
        };
        if let Some(id) = target {
            if let Some(first) = claimed.get(&id) {
                errors.push(FieldError::at(
                    format!("/{i}/identifiers"),
                    format!("names party {id}, as row {first} does"),
                ));
            } else {
                claimed.insert(id, i);
            }
        }
        targets.push(target);
    }
    batch_errors(errors)?;

    let known_ids: Vec<PartyId> = targets.iter().flatten().copied().collect();
    let existing: HashMap<PartyId, party::Party> = party::find_many(conn, &known_ids)?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut result = BatchResult::default();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut changes = Vec::new();
    for (i, (mut row, target)) in rows.into_iter().zip(targets).enumerate() {
        match target.and_then(|id| existing.get(&id)) {
            Some(current) => {
                row.identifiers.extend(current.identifiers.iter().cloned());
                let row = row.normalised();
                if row.matches(current) {
                    result.push(i, current.id.0, RowOutcome::Unchanged);
                    progress(1);
                } else {
                    result.push(i, current.id.0, RowOutcome::Updated);
                    updates.push((current.id, row));
                }
            }
            None => {
                let id = PartyId::generate();
                result.push(i, id.0, RowOutcome::Created);
                creates.push((id, row));
            }
        }
    }
    for chunk in updates.chunks(1000) {
        let updated_at = party::replace_many(conn, chunk)?;
        for (id, row) in chunk {
            let Some(current) = existing.get(id) else {
                continue;
            };
            let after = row.clone().into_view(*id, current.created_at, updated_at);
            changes.push(audit::Change {
                action: "update",
                entity_type: EntityType::Party,
                entity_id: id.to_string(),
                changes: audit::diff(
                    &serde_json::to_value(current).map_err(ApiError::internal)?,
                    &serde_json::to_value(&after).map_err(ApiError::internal)?,
                    &["updated_at"],
                ),
            });
        }
        progress(chunk.len());
    }
    let created_at = crate::domain::time::now();
    for chunk in creates.chunks(1000) {
        party::insert_many(conn, chunk)?;
        for (id, p) in chunk {
            changes.push(audit::Change {
                action: "create",
                entity_type: EntityType::Party,
                entity_id: id.to_string(),
                changes: batch_view(editable(
                    &p.clone().into_view(*id, created_at, created_at),
                    &["id", "created_at", "updated_at"],
                )?),
            });
        }
        progress(chunk.len());
    }
    audit::record_many(conn, actor, &changes)?;
    Ok(result.finish())
}
