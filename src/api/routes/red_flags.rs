//! `GET /v1/red-flags`: the red flags raised by the organisation's purchases, each traced
//! through its lot; `GET` and `PATCH /v1/red-flags/{id}`: one flag with its case (the
//! organisation's response to the risk) and the case's dated history.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::provenance::red_flag_cases::{self, FlagDetail};
use crate::app::provenance::red_flags::{self, PurchaseFlag, RedFlagFilter, parse_key};
use crate::auth::Scope;
use crate::domain::ids::{LotId, PartyId, PurchaseId, RedFlagId};
use crate::domain::red_flags::Evidence;
use crate::domain::red_flags::case::{CaseEntryKind, CaseStatus};
use crate::domain::vocabulary::{Mineral, RedFlagKind, Severity};
use crate::store::audit::Actor;
use crate::store::provenance::PurchaseScope;
use crate::store::red_flag_case::{CaseSummary, Entry};

crate::page_type!(RedFlagList, PurchaseRedFlag);

/// Where the organisation stands with a flag, as a list shows it.
#[derive(Serialize, ToSchema)]
pub struct RedFlagCaseSummary {
    /// `open` when nobody has worked on the flag yet.
    pub status: CaseStatus,
    /// Who works on it.
    pub assignee: Option<String>,
    /// When the response is due.
    pub due_date: Option<NaiveDate>,
}

impl From<CaseSummary> for RedFlagCaseSummary {
    fn from(c: CaseSummary) -> RedFlagCaseSummary {
        RedFlagCaseSummary {
            status: c.status,
            assignee: c.assignee,
            due_date: c.due_date,
        }
    }
}

/// A red flag raised by one purchase's chain.
#[derive(Serialize, ToSchema)]
pub struct PurchaseRedFlag {
    /// The flag's id: the same while its cause (purchase, kind, evidence) stays, and when the
    /// cause returns; `GET /v1/red-flags/{id}` reads it with its case.
    pub id: RedFlagId,
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
    /// Its case.
    pub case: RedFlagCaseSummary,
}

impl From<PurchaseFlag> for PurchaseRedFlag {
    fn from(f: PurchaseFlag) -> PurchaseRedFlag {
        PurchaseRedFlag {
            id: f.id,
            purchase_id: f.purchase.id,
            supplier_party_id: f.purchase.supplier_party_id,
            mineral: f.purchase.mineral,
            purchased_on: f.purchase.purchased_on,
            lot_id: f.purchase.lot_id,
            kind: f.flag.kind,
            severity: f.flag.severity,
            message: f.flag.message,
            evidence: f.flag.evidence,
            case: f.case.into(),
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
    /// Only flags whose case has this status (a flag nobody has worked on is `open`).
    pub case_status: Option<CaseStatus>,
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
/// through its lot (as `trace_purchase`), in purchase order, with filters; each with its `id`
/// and its case's status, assignee and due date (`case_status=open` lists the flags nobody has
/// worked on yet, among others).
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
        case_status: query.case_status,
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

/// A case's editable members, as `PATCH /v1/red-flags/{id}` takes them (a JSON merge patch:
/// a member left out stays as it is, `null` removes it).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct RedFlagCasePatch {
    /// `open`, `under_review`, `mitigating`, `resolved`, `accepted_risk`, `escalated` or
    /// `disengaged` (`cleared` is set by the system alone).
    #[schema(nullable = false)]
    status: Option<CaseStatus>,
    /// Who works on it, at most 200 characters; null to remove.
    #[schema(min_length = 1, max_length = 200)]
    assignee: Option<String>,
    /// When the response is due (YYYY-MM-DD); null to remove.
    due_date: Option<NaiveDate>,
    /// The risk-management plan, at most 10,000 characters; null to remove.
    #[schema(min_length = 1, max_length = 10000)]
    mitigation_plan: Option<String>,
    /// A note to add to the case's history, at most 10,000 characters.
    #[schema(nullable = false, min_length = 1, max_length = 10000)]
    note: Option<String>,
}

/// The organisation's response to a flag.
#[derive(Serialize, ToSchema)]
pub struct RedFlagCase {
    /// `open` until someone changes it; `cleared` when the flag's cause no longer holds (set by
    /// the system, which sets it `open` again if the cause returns).
    pub status: CaseStatus,
    pub assignee: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// The risk-management plan.
    pub mitigation_plan: Option<String>,
    /// Why the case was cleared, with the date (only while `cleared`).
    pub cleared_reason: Option<String>,
    /// When the case was opened by its first change; null when nobody has worked on it.
    pub created_at: Option<DateTime<Utc>>,
    /// Its last change; null when nobody has worked on it.
    pub updated_at: Option<DateTime<Utc>>,
}

/// One dated entry of a case's history.
#[derive(Serialize, ToSchema)]
pub struct RedFlagCaseEntry {
    /// Its number in the case, from 1, without gaps.
    pub seq: i32,
    pub at: DateTime<Utc>,
    /// The API client that wrote it; null for the system (the supply sweep clearing or
    /// reopening the case).
    pub client_id: Option<String>,
    /// `note` or `change`.
    pub kind: CaseEntryKind,
    pub text: String,
}

impl From<Entry> for RedFlagCaseEntry {
    fn from(e: Entry) -> RedFlagCaseEntry {
        RedFlagCaseEntry {
            seq: e.seq,
            at: e.at,
            client_id: e.client_id,
            kind: e.kind,
            text: e.text,
        }
    }
}

/// One red flag with its case and history.
#[derive(Serialize, ToSchema)]
pub struct RedFlagDetail {
    pub id: RedFlagId,
    /// The purchase whose chain raises (or raised) it.
    pub purchase_id: PurchaseId,
    /// The purchase's supplier, mineral, date and lot; null once the purchase is gone.
    pub supplier_party_id: Option<PartyId>,
    pub mineral: Option<Mineral>,
    pub purchased_on: Option<NaiveDate>,
    pub lot_id: Option<LotId>,
    /// Whether the purchase's chain raises the flag now; when not, the flag is shown as last
    /// seen.
    pub raised: bool,
    pub kind: RedFlagKind,
    pub severity: Severity,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub case: RedFlagCase,
    /// Notes and changes, oldest first.
    pub entries: Vec<RedFlagCaseEntry>,
}

impl From<FlagDetail> for RedFlagDetail {
    fn from(d: FlagDetail) -> RedFlagDetail {
        let case = match d.case {
            Some(c) => RedFlagCase {
                status: c.fields.status,
                assignee: c.fields.assignee,
                due_date: c.fields.due_date,
                mitigation_plan: c.fields.mitigation_plan,
                cleared_reason: c.cleared_reason,
                created_at: Some(c.created_at),
                updated_at: Some(c.updated_at),
            },
            None => RedFlagCase {
                status: CaseStatus::Open,
                assignee: None,
                due_date: None,
                mitigation_plan: None,
                cleared_reason: None,
                created_at: None,
                updated_at: None,
            },
        };
        RedFlagDetail {
            id: d.id,
            purchase_id: d.purchase_id,
            supplier_party_id: d.purchase.as_ref().map(|p| p.supplier_party_id),
            mineral: d.purchase.as_ref().map(|p| p.mineral),
            purchased_on: d.purchase.as_ref().map(|p| p.purchased_on),
            lot_id: d.purchase.as_ref().map(|p| p.lot_id),
            raised: d.raised,
            kind: d.flag.kind,
            severity: d.flag.severity,
            message: d.flag.message,
            evidence: d.flag.evidence,
            case,
            entries: d.entries.into_iter().map(RedFlagCaseEntry::from).collect(),
        }
    }
}

/// Reads one red flag with its case: the flag as the purchase's chain raises it now, or, when
/// its cause is gone, as last seen (`raised: false`, the case `cleared` with the reason); the
/// case's status, assignee, due date and plan; and its dated notes and changes, each with the
/// API client that wrote it.
#[utoipa::path(
    tag = "provenance",
    operation_id = "get_red_flag",
    params(("id" = RedFlagId, Path, description = "Red flag id (from the list)")),
    responses(
        (status = 200, description = "The flag with its case", body = RedFlagDetail),
        (status = 404, description = "Neither a flag raised now nor a case of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/red-flags/{id}")]
pub async fn get_red_flag(
    caller: Caller,
    id: web::Path<RedFlagId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let (organisation, id) = (caller.organisation_id, id.into_inner());
    let tolerance = state.config.yield_tolerance;
    let found = state
        .db
        .read(move |conn| red_flag_cases::get(conn, organisation, id, tolerance))
        .await?;
    Ok(HttpResponse::Ok().json(RedFlagDetail::from(found)))
}

/// Works a red flag's case with a JSON merge patch (RFC 7396): `status`, `assignee`,
/// `due_date`, `mitigation_plan`, and `note`, a text added to the case's history. Each change
/// is written as a dated `change` entry and the note as a `note` entry, both with the caller's
/// client id, and audited, in one transaction; the case is opened on the first change, from
/// the flag as raised now. A refused member (an unknown status, `cleared`, a bad date, a text
/// too long, an unknown member) is a 422 naming it, and nothing is written. A cleared case
/// keeps its status (it reopens by itself if its cause returns) but takes notes and the other
/// members.
#[utoipa::path(
    tag = "provenance",
    operation_id = "update_red_flag",
    params(("id" = RedFlagId, Path, description = "Red flag id (from the list)")),
    request_body(content = RedFlagCasePatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The flag with its case as changed", body = RedFlagDetail),
        (status = 404, description = "Neither a flag raised now nor a case of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A refused member",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["provenance:write"]), ("oauth2" = ["provenance:write"]))
)]
#[patch("/v1/red-flags/{id}")]
pub async fn update_red_flag(
    caller: Caller,
    id: web::Path<RedFlagId>,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceWrite)?;
    let (actor, id, patch) = (Actor::from(&caller), id.into_inner(), body.0);
    let tolerance = state.config.yield_tolerance;
    let updated = state
        .db
        .write(move |conn| red_flag_cases::update(conn, &actor, id, &patch, tolerance))
        .await?;
    Ok(HttpResponse::Ok().json(RedFlagDetail::from(updated)))
}
