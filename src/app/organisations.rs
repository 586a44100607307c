//! Organisations and their API clients: the operator registers purchasers (and other operator
//! organisations) and the clients that act for them. Used by `/v1/organisations` and by
//! `oretrace orgs` / `oretrace clients`.

use crate::app::AppError;
use crate::auth::{Caller, Scope, ScopeSet};
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::OrganisationKind;
use crate::domain::text;
use crate::store::api_client::{self, ApiClient};
use crate::store::audit::{self, Actor};
use crate::store::organisation::{self, Organisation};
use crate::store::page::PageRequest;
use crate::store::{Rejection, StoreError};

fn not_found(id: OrganisationId) -> AppError {
    AppError::not_found(format!("no organisation {id}"))
}

/// What an audit record of the command line says about where the change came from.
fn with_origin(actor: &Actor, mut changes: serde_json::Value) -> serde_json::Value {
    if actor.client_id.is_none()
        && let Some(object) = changes.as_object_mut()
    {
        object.insert("via".into(), "cli".into());
    }
    changes
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
pub fn valid_name(field: &str, name: &str) -> Result<String, AppError> {
    text::name(name).map_err(|reason| AppError::rejected(field, reason))
}

/// Scopes a client of an organisation of `kind` may hold: known, allowed for the kind, at least
/// one.
pub fn valid_scopes(kind: OrganisationKind, scopes: &[Scope]) -> Result<ScopeSet, AppError> {
    let mut refused = Vec::new();
    if scopes.is_empty() {
        refused.push(Rejection::at("/scopes", "must name at least one scope"));
    }
    for (i, scope) in scopes.iter().enumerate() {
        if !scope.allowed_for(kind) {
            refused.push(Rejection::at(
                format!("/scopes/{i}"),
                format!("a {} organisation may not hold `{scope}`", kind.as_str()),
            ));
        }
    }
    StoreError::check(refused)?;
    Ok(scopes.iter().copied().collect())
}

/// Registers an organisation, audited. `actor` is the operator's client; `None` is the command
/// line, which is recorded as acting for the organisation it registers.
pub fn register(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    name: &str,
    kind: OrganisationKind,
) -> Result<Organisation, AppError> {
    let name = valid_name("/name", name)?;
    let created = organisation::insert(conn, &name, kind)?;
    let actor = actor.cloned().unwrap_or_else(|| Actor::cli(created.id));
    audit::record(
        conn,
        &actor,
        "create",
        "organisation",
        &created.id.to_string(),
        &with_origin(
            &actor,
            serde_json::json!({"name": created.name, "kind": created.kind}),
        ),
    )?;
    Ok(created)
}

/// An organisation as `caller` may see it: its own, or any with `admin`; another answers
/// not found, so that its existence does not leak.
pub fn find_visible(
    conn: &mut DbConn,
    caller: &Caller,
    id: OrganisationId,
) -> Result<Organisation, AppError> {
    if id != caller.organisation_id && !caller.has(Scope::Admin) {
        return Err(not_found(id));
    }
    organisation::find(conn, id)?.ok_or_else(|| not_found(id))
}

/// The organisation `id`, if it exists.
pub fn find(conn: &mut DbConn, id: OrganisationId) -> Result<Option<Organisation>, AppError> {
    Ok(organisation::find(conn, id)?)
}

/// Every organisation, oldest first.
pub fn list(conn: &mut DbConn, page: &PageRequest) -> Result<Vec<Organisation>, AppError> {
    Ok(organisation::list(conn, page)?)
}

/// Whether `id` names an existing organisation (a token's organisation is checked with it).
pub fn exists(conn: &mut DbConn, id: OrganisationId) -> Result<bool, StoreError> {
    Ok(organisation::find(conn, id)?.is_some())
}

/// Creates a client of `id` holding `scopes`, audited; its secret is returned this once and
/// stored only as a hash.
pub fn create_client(
    conn: &mut DbConn,
    actor: &Actor,
    id: OrganisationId,
    name: &str,
    scopes: &[Scope],
) -> Result<(ApiClient, String), AppError> {
    let name = valid_name("/name", name)?;
    let organisation = organisation::find(conn, id)?.ok_or_else(|| not_found(id))?;
    let scopes = valid_scopes(organisation.kind, scopes)?;
    let (client, secret) = api_client::insert(conn, id, &name, &scopes)?;
    let actor = match actor.client_id {
        None => Actor::cli(id),
        Some(_) => actor.clone(),
    };
    audit::record(
        conn,
        &actor,
        "create",
        "api_client",
        &client.client_id,
        &with_origin(
            &actor,
            serde_json::json!({"organisation_id": id, "name": client.name, "scopes": client.scopes}),
        ),
    )?;
    Ok((client, secret))
}

/// The clients of an organisation, without secrets.
pub fn list_clients(
    conn: &mut DbConn,
    id: OrganisationId,
    page: &PageRequest,
) -> Result<Vec<ApiClient>, AppError> {
    organisation::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(api_client::list(conn, id, page)?)
}

/// Revokes a client of `id`: it gets no new tokens. Audited.
pub fn revoke_client(
    conn: &mut DbConn,
    actor: &Actor,
    id: OrganisationId,
    client_id: &str,
) -> Result<ApiClient, AppError> {
    let revoked = api_client::revoke(conn, id, client_id)?
        .ok_or_else(|| AppError::not_found("no such client of this organisation"))?;
    audit::record(
        conn,
        actor,
        "revoke",
        "api_client",
        &revoked.client_id,
        &with_origin(actor, serde_json::json!({"revoked_at": revoked.revoked_at})),
    )?;
    Ok(revoked)
}

/// The client `client_id` and its secret hash, when it exists and is not revoked.
pub fn active_client(
    conn: &mut DbConn,
    client_id: &str,
) -> Result<Option<(ApiClient, String)>, AppError> {
    Ok(api_client::find_active(conn, client_id)?)
}
