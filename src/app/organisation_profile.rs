//! An organisation's profile: the company information its own outgoing CMRT or EMRT states
//! (`/v1/organisations/{id}/profile`). Read by any client of the organisation (or `admin`),
//! changed by a client with `purchases:write` of the organisation (or `admin`), audited.

use serde_json::{Map, Value};

use crate::app::AppError;
use crate::auth::{Caller, Scope};
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::CompanyProfile;
use crate::domain::text;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::store::audit::{self, Actor};
use crate::store::{organisation, organisation_profile};

/// The longest text of a member (an address may be longer).
pub const MAX_TEXT: usize = 200;
pub const MAX_ADDRESS: usize = 500;

fn visible(conn: &mut DbConn, caller: &Caller, id: OrganisationId) -> Result<(), AppError> {
    let mine = id == caller.organisation_id || caller.has(Scope::Admin);
    if !mine || organisation::find(conn, id)?.is_none() {
        return Err(AppError::not_found(format!("no organisation {id}")));
    }
    Ok(())
}

/// The profile of organisation `id` (404 for another organisation's, unless `admin`).
pub fn get(
    conn: &mut DbConn,
    caller: &Caller,
    id: OrganisationId,
) -> Result<CompanyProfile, AppError> {
    visible(conn, caller, id)?;
    Ok(organisation_profile::get(conn, id)?.0)
}

/// The profile of the caller's own organisation, for the export.
pub fn own(conn: &mut DbConn, organisation: OrganisationId) -> Result<CompanyProfile, AppError> {
    Ok(organisation_profile::get(conn, organisation)?.0)
}

fn slot<'a>(profile: &'a mut CompanyProfile, member: &str) -> Option<&'a mut Option<String>> {
    Some(match member {
        "legal_name" => &mut profile.legal_name,
        "unique_id" => &mut profile.unique_id,
        "unique_id_authority" => &mut profile.unique_id_authority,
        "address" => &mut profile.address,
        "contact_name" => &mut profile.contact_name,
        "contact_email" => &mut profile.contact_email,
        "contact_phone" => &mut profile.contact_phone,
        "authorizer" => &mut profile.authorizer,
        "authorizer_title" => &mut profile.authorizer_title,
        "authorizer_email" => &mut profile.authorizer_email,
        "authorizer_phone" => &mut profile.authorizer_phone,
        "policy_url" => &mut profile.policy_url,
        _ => return None,
    })
}

fn check(member: &str, value: &str) -> Result<String, String> {
    match member {
        "policy_url" => text::http_url(value),
        "address" => text::short_text(value, MAX_ADDRESS),
        "contact_email" | "authorizer_email" => {
            let value = text::short_text(value, MAX_TEXT)?;
            let (user, host) = value.split_once('@').ok_or("must be an email address")?;
            if user.is_empty() || !host.contains('.') || value.contains(char::is_whitespace) {
                return Err("must be an email address".to_owned());
            }
            Ok(value)
        }
        _ => text::short_text(value, MAX_TEXT),
    }
}

/// Applies a JSON merge patch (RFC 7396) to the profile: a member set to text sets it, set to
/// null clears it, left out stays. Unknown members and non-text values are refused (422).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: OrganisationId,
    patch: Map<String, Value>,
) -> Result<CompanyProfile, AppError> {
    visible(conn, caller, id)?;
    if !caller.has(Scope::PurchasesWrite) && !caller.has(Scope::Admin) {
        return Err(AppError::Forbidden(
            "changing the profile needs the scope purchases:write".to_owned(),
        ));
    }
    let (mut profile, _) = organisation_profile::get(conn, id)?;
    let mut errors = FieldErrors::new();
    for (member, value) in &patch {
        let pointer = format!("/{member}");
        let Some(slot) = slot(&mut profile, member) else {
            errors.add(pointer, "is not a member of the profile");
            continue;
        };
        match value {
            Value::Null => *slot = None,
            Value::String(text) if text.trim().is_empty() => *slot = None,
            Value::String(text) => {
                if let Some(v) = errors.check(&pointer, check(member, text)) {
                    *slot = Some(v);
                }
            }
            _ => errors.add(pointer, "must be text or null"),
        }
    }
    errors.into_result()?;
    organisation_profile::put(conn, id, &profile, time::now())?;
    let actor = Actor::from(caller);
    audit::record(
        conn,
        &Actor {
            organisation_id: id,
            ..actor
        },
        "organisation.profile_updated",
        "organisation",
        &id.to_string(),
        &serde_json::to_value(&profile).map_err(AppError::internal)?,
    )?;
    Ok(profile)
}
