//! The audit trail: who changed what, and when.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::audit_events;
use crate::domain::ids::{AuditEventId, OrganisationId};
use crate::domain::time;
use crate::error::ApiError;

/// Who acted.
#[derive(Clone, Debug)]
pub struct Actor {
    pub organisation_id: OrganisationId,
    /// The API client, or `None` for the command line.
    pub client_id: Option<String>,
}

impl Actor {
    pub fn cli(organisation_id: OrganisationId) -> Actor {
        Actor {
            organisation_id,
            client_id: None,
        }
    }
}

impl From<&crate::auth::Caller> for Actor {
    fn from(caller: &crate::auth::Caller) -> Actor {
        Actor {
            organisation_id: caller.organisation_id,
            client_id: Some(caller.client_id.clone()),
        }
    }
}

/// Records one change. Call it inside the transaction that makes the change.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    changes: &serde_json::Value,
) -> Result<AuditEventId, ApiError> {
    let id = AuditEventId::generate();
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(id.to_string()),
            audit_events::organisation_id.eq(actor.organisation_id.to_string()),
            audit_events::client_id.eq(actor.client_id.clone()),
            audit_events::action.eq(action),
            audit_events::entity_type.eq(entity_type),
            audit_events::entity_id.eq(entity_id),
            audit_events::changes.eq(changes.to_string()),
            audit_events::occurred_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    Ok(id)
}
