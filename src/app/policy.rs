//! The organisation's sourcing policy: read (the documented default until it sets its own) and
//! replaced after checking it against the catalog's schemes, the change audited.

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::policy::SourcingPolicy;
use crate::store::audit::{self, Actor};
use crate::store::policy::{self, StoredPolicy};
use crate::store::{Rejection, StoreError, certificate_facts};

/// The policy in force for the organisation.
pub fn get(conn: &mut DbConn, organisation: OrganisationId) -> Result<StoredPolicy, AppError> {
    Ok(policy::get(conn, organisation)?)
}

/// Replaces the actor's organisation's policy: its schemes must exist, its levels be levels of
/// their scheme, each scheme certify the class it is listed for, its targets be valid shares
/// (every problem is named). Answers the policy now in force.
pub fn put(
    conn: &mut DbConn,
    actor: &Actor,
    new_policy: SourcingPolicy,
) -> Result<StoredPolicy, AppError> {
    let schemes = certificate_facts::scheme_infos(conn)?;
    let rejections: Vec<Rejection> = new_policy
        .validate(&schemes)
        .into_iter()
        .map(|(field, detail)| Rejection::at(field, detail))
        .collect();
    StoreError::check(rejections)?;
    let organisation = actor.organisation_id;
    crate::app::webhooks::sweep::request(conn, organisation)?;
    let updated_at = policy::put(conn, organisation, &new_policy, actor.client_id.as_deref())?;
    let document = serde_json::to_value(&new_policy).map_err(AppError::internal)?;
    audit::record(
        conn,
        actor,
        "update",
        "sourcing_policy",
        &organisation.to_string(),
        &document,
    )?;
    Ok(StoredPolicy {
        policy: new_policy,
        updated_at: Some(updated_at),
    })
}
