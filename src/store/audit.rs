//! The audit trail: who changed what, and when.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::db::schema::audit_events;
use crate::domain::ids::{AuditEventId, OrganisationId};
use crate::domain::time;
use crate::store::StoreError;

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
) -> Result<AuditEventId, StoreError> {
    let id = AuditEventId::generate();
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(id),
            audit_events::organisation_id.eq(actor.organisation_id),
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

/// The kinds of entity the audit trail records, and who may read their events.
///
/// Catalog entities are shared reference data: their events are shown to every caller allowed
/// to read the trail. Every other kind, including any added later for purchasers' own data
/// (purchases, lots, custody events, policies), is owned by an organisation: its events are
/// shown only to that organisation. The match in [`EntityType::is_shared`] is exhaustive and
/// anything unknown is treated as owned, so a new kind is private until it is declared shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Facility,
    Party,
    Certification,
    Organisation,
    ApiClient,
    /// A purchase line (updates, ERP reversals with the deleted line).
    Purchase,
    /// A batch of purchase lines (its counts).
    PurchaseBatch,
    /// The organisation's sourcing policy.
    SourcingPolicy,
    /// A lot of material.
    Lot,
    /// A custody event (extraction, transfer, transformation).
    CustodyEvent,
    /// A webhook subscription (never with its secret).
    Webhook,
    /// The organisation's case of a red flag (status, assignee, due date, plan, notes).
    RedFlagCase,
    /// An EPCIS capture job (its counts; the custody events it wrote have their own records).
    EpcisCapture,
}

impl EntityType {
    pub const ALL: [EntityType; 13] = [
        EntityType::Facility,
        EntityType::Party,
        EntityType::Certification,
        EntityType::Organisation,
        EntityType::ApiClient,
        EntityType::Purchase,
        EntityType::PurchaseBatch,
        EntityType::SourcingPolicy,
        EntityType::Lot,
        EntityType::CustodyEvent,
        EntityType::Webhook,
        EntityType::RedFlagCase,
        EntityType::EpcisCapture,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Facility => "facility",
            EntityType::Party => "party",
            EntityType::Certification => "certification",
            EntityType::Organisation => "organisation",
            EntityType::ApiClient => "api_client",
            EntityType::Purchase => "purchase",
            EntityType::PurchaseBatch => "purchase_batch",
            EntityType::SourcingPolicy => "sourcing_policy",
            EntityType::Lot => "lot",
            EntityType::CustodyEvent => "custody_event",
            EntityType::Webhook => "webhook",
            EntityType::RedFlagCase => "red_flag_case",
            EntityType::EpcisCapture => "epcis_capture",
        }
    }

    /// Whether its events are shared reference data (the catalog) rather than one
    /// organisation's.
    pub fn is_shared(self) -> bool {
        match self {
            EntityType::Facility | EntityType::Party | EntityType::Certification => true,
            EntityType::Organisation
            | EntityType::ApiClient
            | EntityType::Purchase
            | EntityType::PurchaseBatch
            | EntityType::SourcingPolicy
            | EntityType::Lot
            | EntityType::CustodyEvent
            | EntityType::Webhook
            | EntityType::RedFlagCase
            | EntityType::EpcisCapture => false,
        }
    }

    pub fn shared() -> Vec<&'static str> {
        EntityType::ALL
            .into_iter()
            .filter(|t| t.is_shared())
            .map(EntityType::as_str)
            .collect()
    }
}

/// One entry of the audit trail.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// When the change was committed.
    pub occurred_at: DateTime<Utc>,
    /// The organisation that made the change.
    pub organisation_id: OrganisationId,
    /// The API client that made it; null for the command line.
    pub client_id: Option<String>,
    /// `create`, `update`, `revoke`…
    pub action: String,
    /// `facility`, `party`, `certification`, `organisation`, `api_client`…
    pub entity_type: String,
    /// The changed entity's id.
    pub entity_id: String,
    /// What changed: the created record, or `{field: {from, to}}` for each changed field.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    id: AuditEventId,
    organisation_id: OrganisationId,
    client_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    changes: String,
    occurred_at: chrono::NaiveDateTime,
}

/// One change to record with [`record_many`].
pub struct Change {
    pub action: &'static str,
    pub entity_type: EntityType,
    pub entity_id: String,
    pub changes: serde_json::Value,
}

/// Records many changes by one actor (multi-row inserts). Call it inside the transaction.
pub fn record_many(conn: &mut DbConn, actor: &Actor, changes: &[Change]) -> Result<(), StoreError> {
    let now = time::to_db(time::now());
    let rows: Vec<AuditRow> = changes
        .iter()
        .map(|c| AuditRow {
            id: AuditEventId::generate(),
            organisation_id: actor.organisation_id,
            client_id: actor.client_id.clone(),
            action: c.action.to_owned(),
            entity_type: c.entity_type.as_str().to_owned(),
            entity_id: c.entity_id.clone(),
            changes: c.changes.to_string(),
            occurred_at: now,
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::db_run!(conn => diesel::insert_into(audit_events::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// `{field: {from, to}}` for each top-level member that differs between two JSON objects,
/// ignoring `ignore` (such as `updated_at`).
pub fn diff(
    before: &serde_json::Value,
    after: &serde_json::Value,
    ignore: &[&str],
) -> serde_json::Value {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut changes = serde_json::Map::new();
    let names: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for name in names {
        if ignore.contains(&name.as_str()) {
            continue;
        }
        let from = b.get(name).unwrap_or(&serde_json::Value::Null);
        let to = a.get(name).unwrap_or(&serde_json::Value::Null);
        if from != to {
            changes.insert(name.clone(), serde_json::json!({"from": from, "to": to}));
        }
    }
    serde_json::Value::Object(changes)
}

/// Which events a caller may read: those of shared (catalog) entities and its own
/// organisation's.
#[derive(Clone, Debug)]
pub struct AuditFilter {
    pub viewer: OrganisationId,
    /// Whether the viewer may read the shared catalog's events (`catalog:write` or `admin`);
    /// otherwise only its own organisation's.
    pub include_shared: bool,
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<String>,
}

/// A page of the events `filter.viewer` may read, oldest first.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    page: &crate::store::page::PageRequest,
) -> Result<Vec<AuditEvent>, StoreError> {
    let viewer = filter.viewer;
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .order(audit_events::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(audit_events::id.gt(after.clone()));
    }
    // Visibility first, whatever else is asked: an owned kind is always the viewer's own.
    query = match filter.entity_type {
        Some(t) if t.is_shared() && filter.include_shared => {
            query.filter(audit_events::entity_type.eq(t.as_str()))
        }
        Some(t) => query
            .filter(audit_events::entity_type.eq(t.as_str()))
            .filter(audit_events::organisation_id.eq(viewer)),
        None if filter.include_shared => query.filter(
            audit_events::entity_type
                .eq_any(EntityType::shared())
                .or(audit_events::organisation_id.eq(viewer)),
        ),
        None => query.filter(audit_events::organisation_id.eq(viewer)),
    };
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(entity_id.clone()));
    }
    Ok(query
        .load(conn)?
        .into_iter()
        .map(|row: AuditRow| AuditEvent {
            id: row.id,
            occurred_at: time::from_db(row.occurred_at),
            organisation_id: row.organisation_id,
            client_id: row.client_id,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            changes: serde_json::from_str(&row.changes)
                .unwrap_or(serde_json::Value::String(row.changes)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_name_each_changed_member() {
        let before = serde_json::json!({"name": "A", "updated_at": 1, "same": true});
        let after = serde_json::json!({"name": "B", "updated_at": 2, "same": true, "new": 1});
        assert_eq!(
            diff(&before, &after, &["updated_at"]),
            serde_json::json!({"name": {"from": "A", "to": "B"}, "new": {"from": null, "to": 1}})
        );
    }

    #[test]
    fn only_catalog_kinds_are_shared() {
        assert_eq!(
            EntityType::shared(),
            vec!["facility", "party", "certification"]
        );
    }
}
