//! `GET /v1/audit-events`: who changed what, and when.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::store::audit::{self, AuditEvent, AuditFilter, EntityType};

crate::page_type!(AuditEventList, AuditEvent);

/// Filters and paging of the audit trail.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditEventQuery {
    /// Only events of this kind of entity: `facility`, `party`, `certification`,
    /// `organisation` or `api_client`.
    pub entity_type: Option<EntityType>,
    /// Only events of this entity (its id).
    #[param(min_length = 1, max_length = 100)]
    pub entity_id: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// Lists audit events, oldest first.
///
/// With `catalog:write` or `admin`, the trail shows every change to the shared catalog
/// (facilities, parties, certifications) and the changes made by the caller's own organisation.
/// With only `purchases:read` or `provenance:read`, it shows the caller's own organisation's
/// changes (purchase updates, ERP reversals with the deleted line, batches, policy changes);
/// asking for a catalog entity type then is 403. Events about another organisation's own data
/// are never shown.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(AuditEventQuery),
    responses((status = 200, description = "A page of audit events", body = AuditEventList)),
    security(
        ("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]),
        ("bearer" = ["admin"]), ("oauth2" = ["admin"]),
        ("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]),
        ("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"])
    )
)]
#[get("/v1/audit-events")]
pub async fn list_audit_events(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<AuditEventQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let include_shared = caller.has(Scope::CatalogWrite) || caller.has(Scope::Admin);
    let own_only = caller.has(Scope::PurchasesRead) || caller.has(Scope::ProvenanceRead);
    if !include_shared && !own_only {
        return Err(ApiError::insufficient_scope("catalog:write"));
    }
    if !include_shared && query.0.entity_type.is_some_and(EntityType::is_shared) {
        return Err(ApiError::insufficient_scope("catalog:write"));
    }
    let q = query.0;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    if q.entity_id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.len() > 100)
    {
        return Err(ApiError::invalid_parameter(
            "entity_id",
            "must be 1 to 100 characters",
        ));
    }
    let filter = AuditFilter {
        viewer: caller.organisation_id,
        include_shared,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
    };
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| audit::list(conn, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |e| e.id.to_string());
    Ok(pagination::respond(&req, &page))
}
