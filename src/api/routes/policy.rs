//! `/v1/policy`: the organisation's sourcing policy.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiJson;
use crate::api::state::AppState;
use crate::app::policy;
use crate::auth::Scope;
use crate::domain::policy::SourcingPolicy;
use crate::store::audit::Actor;
use crate::store::policy::StoredPolicy;

/// The policy in force.
#[derive(Serialize, ToSchema)]
pub struct PolicyView {
    /// `default` until the organisation sets its own, then `organisation`.
    pub source: PolicySource,
    /// When the organisation last set it.
    pub updated_at: Option<DateTime<Utc>>,
    pub policy: SourcingPolicy,
}

/// Where the policy in force comes from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Default,
    Organisation,
}

/// The policy as the route shows it (the report embeds the same).
pub fn view(stored: StoredPolicy) -> PolicyView {
    PolicyView {
        source: if stored.updated_at.is_some() {
            PolicySource::Organisation
        } else {
            PolicySource::Default
        },
        updated_at: stored.updated_at,
        policy: stored.policy,
    }
}

/// The organisation's sourcing policy: which certifications count as responsible for ASM
/// mines, LSM mines and smelters/refiners, and the mix targets.
///
/// Until the organisation sets its own, the documented default applies: ASM `fairmined`,
/// `craft`, `fairtrade_gold`; LSM `irma` at `irma_50` or above, `copper_mark`,
/// `asi_performance`; smelters/refiners `rmi_rmap` at `conformant`, `lbma_rgg`, `rjc_coc`,
/// `asi_coc`; targets: gold at least 5% certified ASM, all minerals at most 10% unknown.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_policy",
    responses((status = 200, description = "The policy in force", body = PolicyView)),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/policy")]
pub async fn get_policy(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let organisation = caller.organisation_id;
    let stored = state
        .db
        .read(move |conn| policy::get(conn, organisation))
        .await?;
    Ok(HttpResponse::Ok().json(view(stored)))
}

/// Replaces the organisation's sourcing policy. Schemes must exist, levels must be levels of
/// their scheme, each scheme must certify the class it is listed for, and target shares are
/// from 0 to 1 with at most 6 decimals.
#[utoipa::path(
    tag = "purchases",
    operation_id = "put_policy",
    request_body = SourcingPolicy,
    responses((status = 200, description = "The policy now in force", body = PolicyView)),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[put("/v1/policy")]
pub async fn put_policy(
    caller: Caller,
    body: ApiJson<SourcingPolicy>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let actor = Actor::from(&caller);
    let stored = state
        .db
        .write(move |conn| policy::put(conn, &actor, body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view(stored)))
}
