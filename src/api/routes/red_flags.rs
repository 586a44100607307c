//! `GET /v1/red-flags`: the red flags raised by the organisation's purchases, each traced
//! through its lot.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::provenance::red_flags::{self, PurchaseFlag, RedFlagFilter, parse_key};
use crate::auth::Scope;
use crate::domain::ids::{LotId, PartyId, PurchaseId};
use crate::domain::red_flags::Evidence;
use crate::domain::vocabulary::{Mineral, RedFlagKind, Severity};
use crate::store::provenance::PurchaseScope;

crate::page_type!(RedFlagList, PurchaseRedFlag);

/// A red flag raised by one purchase's chain.
#[derive(Serialize, ToSchema)]
pub struct PurchaseRedFlag {
    /// The purchase whose chain raises it.
    pub purchase_id: PurchaseId,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    pub purchased_on: NaiveDate,
    /// The purchase's lot.
    pub lot_id: LotId,
    /// Which risk.
    pub kind: RedFlagKind,
    /// How urgent.
    pub severity: Severity,
    /// What was found, in words.
    pub message: String,
    /// The records it rests on: the main one first.
    pub evidence: Vec<Evidence>,
}

impl From<PurchaseFlag> for PurchaseRedFlag {
    fn from(f: PurchaseFlag) -> PurchaseRedFlag {
        PurchaseRedFlag {
            purchase_id: f.purchase.id,
            supplier_party_id: f.purchase.supplier_party_id,
            mineral: f.purchase.mineral,
            purchased_on: f.purchase.purchased_on,
            lot_id: f.purchase.lot_id,
            kind: f.flag.kind,
            severity: f.flag.severity,
            message: f.flag.message,
            evidence: f.flag.evidence,
        }
    }
}

/// Filters of the red-flag list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RedFlagQuery {
    /// Only flags of this kind.
    pub kind: Option<RedFlagKind>,
    /// Only flags of this severity.
    pub severity: Option<Severity>,
    /// Only purchases from this supplier.
    pub supplier_party_id: Option<PartyId>,
    /// Only purchases of this mineral.
    pub mineral: Option<Mineral>,
    /// Purchased on or after this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Purchased on or before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(
        pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9]{6,9}$"
    )]
    pub cursor: Option<String>,
}

/// Lists the red flags of the organisation's purchases that name a lot, each purchase traced
/// through its lot (as `trace_purchase`), in purchase order, with filters.
///
/// Kinds: `cahra_origin`, `uncertified_asm_origin`, `certification_lapsed`,
/// `smelter_not_conformant`, `mass_balance_exceeded`, `untraced_volume`,
/// `asm_presence_without_coexistence_agreement` (docs/PROVENANCE.md). Each names its evidence
/// (events, lots, facilities, parties, certificates) and a severity.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "list_red_flags",
    params(RedFlagQuery),
    responses(
        (status = 200, description = "A page of red flags", body = RedFlagList),
        (status = 400, description = "A bad filter, limit or cursor",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/red-flags")]
pub async fn list_red_flags(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<RedFlagQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let query = query.0;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid_parameter(
            "from",
            "must not be after `to`",
        ));
    }
    let page = PageRequest::keyed_by(query.limit, query.cursor.as_deref(), |k| {
        parse_key(k).is_some()
    })?;
    let organisation = caller.organisation_id;
    let tolerance = state.config.yield_tolerance;
    let filter = RedFlagFilter {
        kind: query.kind,
        severity: query.severity,
        purchases: PurchaseScope {
            supplier: query.supplier_party_id,
            mineral: query.mineral,
            from: query.from,
            to: query.to,
        },
    };
    let request = page.clone();
    let rows = state
        .db
        .read_replica(move |conn| red_flags::list(conn, organisation, &filter, &request, tolerance))
        .await?;
    let page = Page::from_rows(rows, &page, |f| f.key.clone()).map(PurchaseRedFlag::from);
    Ok(pagination::respond(&req, &page))
}
