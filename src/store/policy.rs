//! The organisation's sourcing policy; the documented default applies until it sets its own.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sourcing_policies;
use crate::domain::ids::OrganisationId;
use crate::domain::policy::SourcingPolicy;
use crate::domain::time;
use crate::store::StoreError;

/// The policy in force and where it comes from.
#[derive(Clone, Debug)]
pub struct StoredPolicy {
    pub policy: SourcingPolicy,
    /// `None` while the default applies.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The policy in force for the organisation: its own, or the default.
pub fn get(conn: &mut DbConn, organisation: OrganisationId) -> Result<StoredPolicy, StoreError> {
    let row: Option<(String, NaiveDateTime)> = sourcing_policies::table
        .find(organisation)
        .select((sourcing_policies::document, sourcing_policies::updated_at))
        .first(conn)
        .optional()?;
    match row {
        None => Ok(StoredPolicy {
            policy: SourcingPolicy::default(),
            updated_at: None,
        }),
        Some((document, updated_at)) => Ok(StoredPolicy {
            policy: serde_json::from_str(&document)
                .map_err(|e| StoreError::corrupt(format!("stored policy: {e}")))?,
            updated_at: Some(time::from_db(updated_at)),
        }),
    }
}

/// Replaces the organisation's policy; answers when it was set.
pub fn put(
    conn: &mut DbConn,
    organisation: OrganisationId,
    policy: &SourcingPolicy,
    client_id: Option<&str>,
) -> Result<DateTime<Utc>, StoreError> {
    let now = time::now();
    let document = serde_json::to_string(policy).map_err(StoreError::corrupt)?;
    diesel::delete(sourcing_policies::table.find(organisation)).execute(conn)?;
    diesel::insert_into(sourcing_policies::table)
        .values((
            sourcing_policies::organisation_id.eq(organisation),
            sourcing_policies::document.eq(document),
            sourcing_policies::updated_at.eq(time::to_db(now)),
            sourcing_policies::updated_by_client_id.eq(client_id),
        ))
        .execute(conn)?;
    Ok(now)
}
