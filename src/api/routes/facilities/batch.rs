//! `POST /v1/facilities/batch` and `oretrace import catalog --kind facilities`: many facilities
//! in one transaction; a row whose identifier is already known updates that facility.

use std::collections::{BTreeSet, HashMap};

use actix_web::{HttpResponse, post, web};

use crate::api::error::{ApiError, FieldError};
use crate::api::http::batch::{BatchResult, BatchRows, RowOutcome};
use crate::api::http::caller::Caller;
use crate::api::routes::catalog::{batch_errors, batch_view, editable};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::ids::{FacilityId, PartyId};
use crate::store::audit::{self, Actor, EntityType};
use crate::store::facility::{self, FacilityIdentifier, NewFacility};
use crate::store::party;

/// Creates or updates many facilities at once, all or none (scope `catalog:write`).
///
/// The body is a JSON array of facilities (as `POST /v1/facilities`), at most 10,000 rows. A
/// row with an identifier that is already known (such as `rmi_cid:CID001234`) updates that
/// facility: every field is replaced by the row's, except identifiers, which are added to the
/// known ones (none is removed). Any invalid row fails the whole batch with 422, listing every
/// error with the row index first in its pointer (`/17/country`); nothing is written.
#[utoipa::path(
    tag = "facilities",
    operation_id = "batch_facilities",
    request_body(content = Vec<super::FacilityInput>, description = "The facilities, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/facilities/batch")]
pub async fn batch_facilities(
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
pub fn parse_rows(rows: Vec<serde_json::Value>) -> Result<Vec<NewFacility>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        match super::input::parse(&format!("/{i}"), row) {
            Ok(f) => parsed.push((i, f)),
            Err(e) => errors.extend(e),
        }
    }
    let mut first_row: HashMap<&FacilityIdentifier, usize> = HashMap::new();
    for (i, f) in &parsed {
        let i = *i;
        for (j, identifier) in f.identifiers.iter().enumerate() {
            match first_row.get(identifier) {
                Some(first) if *first != i => errors.push(FieldError::at(
                    format!("/{i}/identifiers/{j}"),
                    format!("{identifier} is also the identifier of row {first}"),
                )),
                _ => {
                    first_row.insert(identifier, i);
                }
            }
        }
    }
    batch_errors(errors)?;
    Ok(parsed.into_iter().map(|(_, row)| row).collect())
}

/// Applies checked rows inside the caller's transaction: one query for every identifier
/// involved, one for every party referred to, multi-row inserts for new facilities. `progress`
/// is told how many rows are done.
pub fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<NewFacility>,
    progress: &mut dyn FnMut(usize),
) -> Result<BatchResult, ApiError> {
    let party_ids: Vec<PartyId> = rows.iter().flat_map(NewFacility::party_ids).collect();
    let known_parties = party::existing(conn, &party_ids)?;
    let all: Vec<FacilityIdentifier> = rows.iter().flat_map(|f| f.identifiers.clone()).collect();
    let owners = facility::owners_of(conn, &all)?;
    let mut errors = Vec::new();
    let mut targets: Vec<Option<FacilityId>> = Vec::with_capacity(rows.len());
    let mut claimed: HashMap<FacilityId, usize> = HashMap::new();
    for (i, f) in rows.iter().enumerate() {
        errors.extend(super::input::missing_parties(
            &format!("/{i}"),
            f,
            &known_parties,
        ));
        let known: BTreeSet<FacilityId> = f
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
                        "these identifiers belong to different facilities: {}",
                        ids.join(", ")
                    ),
                ));
                None
            }
        };
        if let Some(id) = target {
            match claimed.get(&id) {
                Some(first) => errors.push(FieldError::at(
                    format!("/{i}/identifiers"),
                    format!("names facility {id}, as row {first} does"),
                )),
                None => {
                    claimed.insert(id, i);
                }
            }
        }
        targets.push(target);
    }
    batch_errors(errors)?;

    let known_ids: Vec<FacilityId> = targets.iter().flatten().copied().collect();
    let existing: HashMap<FacilityId, facility::Facility> = facility::find_many(conn, &known_ids)?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut result = BatchResult::default();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut changes = Vec::new();
    let mut left_behind = Vec::new();
    for (i, (mut row, target)) in rows.into_iter().zip(targets).enumerate() {
        match target.and_then(|id| existing.get(&id)) {
            Some(current) => {
                row.identifiers.extend(current.identifiers.iter().cloned());
                let row = row.normalised();
                if row.matches(current) {
                    result.push(i, current.id.0, RowOutcome::Unchanged);
                    progress(1);
                } else {
                    for reason in super::certificates_left_behind(conn, current, &row)? {
                        left_behind.push(FieldError::at(format!("/{i}/kind"), reason));
                    }
                    result.push(i, current.id.0, RowOutcome::Updated);
                    updates.push((current.id, row));
                }
            }
            None => {
                let id = FacilityId::generate();
                result.push(i, id.0, RowOutcome::Created);
                creates.push((id, row));
            }
        }
    }
    batch_errors(left_behind)?;
    for chunk in updates.chunks(1000) {
        let updated_at = facility::replace_many(conn, chunk)?;
        for (id, row) in chunk {
            let Some(current) = existing.get(id) else {
                continue;
            };
            let after = row.clone().into_view(*id, current.created_at, updated_at);
            changes.push(audit::Change {
                action: "update",
                entity_type: EntityType::Facility,
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
        facility::insert_many(conn, chunk)?;
        for (id, f) in chunk {
            changes.push(audit::Change {
                action: "create",
                entity_type: EntityType::Facility,
                entity_id: id.to_string(),
                changes: batch_view(editable(
                    &f.clone().into_view(*id, created_at, created_at),
                    &["id", "created_at", "updated_at"],
                )?),
            });
        }
        progress(chunk.len());
    }
    audit::record_many(conn, actor, &changes)?;
    Ok(result.finish())
}
