//! `/v1/purchases`: the organisation's purchase lines from its ERP.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::http::unit_query::UnitQuery;
use crate::api::state::AppState;
use crate::app::batch::Outcome;
use crate::app::purchases::batch_body::Format;
use crate::app::purchases::input::PurchaseInput;
use crate::app::purchases::{self, Via};
use crate::auth::Scope;
use crate::domain::ids::PurchaseId;
use crate::domain::purchase::PurchaseLine;
use crate::store::audit::Actor;

mod body;
mod views;

pub use views::{
    BatchFile, BatchResult, Purchase, PurchaseList, PurchaseQuery, PurchaseWriteResult,
};

/// Records a purchase line, or updates the line with the same `external_ref` (an ERP re-send).
///
/// Answers 201 with `result: created` for a new line, and 200 with `result: updated` or
/// `result: unchanged` when a line with this `external_ref` existed. The quantity is stored
/// exactly in milligrams; declared origin shares must add up to exactly 1 and are allocated
/// to whole milligrams by the largest-remainder method.
#[utoipa::path(
    tag = "purchases",
    operation_id = "create_purchase",
    request_body = PurchaseInput,
    responses(
        (status = 201, description = "Created", body = PurchaseWriteResult,
         headers(("Location" = String, description = "The purchase"))),
        (status = 200, description = "A line with this external_ref existed: updated or unchanged",
         body = PurchaseWriteResult),
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[post("/v1/purchases")]
pub async fn create_purchase(
    caller: Caller,
    body: ApiJson<PurchaseInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let line = body.0.line()?;
    let actor = Actor::from(&caller);
    let (record, outcome) = state
        .db
        .write_upsert(move |conn| purchases::single::record(conn, &actor, &line))
        .await?;
    let status = match outcome {
        Outcome::Created => StatusCode::CREATED,
        Outcome::Updated | Outcome::Unchanged => StatusCode::OK,
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, format!("/v1/purchases/{}", record.id)))
        .json(PurchaseWriteResult {
            result: outcome.into(),
            purchase: record.into(),
        }))
}

/// Lists the organisation's purchases, oldest first, with filters.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "purchases",
    operation_id = "list_purchases",
    params(PurchaseQuery),
    responses((status = 200, description = "A page of purchases", body = PurchaseList)),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/purchases")]
pub async fn list_purchases(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<PurchaseQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let filter = query.0.filter();
    let unit = query.0.unit;
    let organisation = caller.organisation_id;
    let request = page.clone();
    let rows = state
        .db
        .read_replica(move |conn| purchases::read::list(conn, organisation, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |p| p.id.to_string()).map(|r| Purchase::view(r, unit));
    Ok(pagination::respond(&req, &page))
}

/// Reads one of the organisation's purchases. Another organisation's purchase is 404.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_purchase",
    params(("id" = PurchaseId, Path, description = "Purchase id"), UnitQuery),
    responses(
        (status = 200, description = "The purchase", body = Purchase),
        (status = 404, description = "No such purchase of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/purchases/{id}")]
pub async fn get_purchase(
    caller: Caller,
    id: web::Path<PurchaseId>,
    query: ApiQuery<UnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let found = state
        .db
        .read(move |conn| purchases::read::get(conn, organisation, id))
        .await?;
    Ok(HttpResponse::Ok().json(Purchase::view(found, query.0.unit)))
}

/// Deletes a purchase: an ERP reversal. The deleted line is kept in the audit trail.
#[utoipa::path(
    tag = "purchases",
    operation_id = "delete_purchase",
    params(("id" = PurchaseId, Path, description = "Purchase id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such purchase of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[delete("/v1/purchases/{id}")]
pub async fn delete_purchase(
    caller: Caller,
    id: web::Path<PurchaseId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let id = id.into_inner();
    let actor = Actor::from(&caller);
    // The audit trail keeps the deleted line as the API showed it.
    let as_shown = |record| serde_json::to_value(Purchase::from(record));
    state
        .db
        .write(move |conn| purchases::delete::delete(conn, &actor, id, as_shown))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records many purchase lines at once, all or none.
///
/// The body is a JSON array of purchase lines. This route also reads the other batch formats
/// when the `Content-Type` names them, one line per row (`application/x-ndjson`) or CSV
/// (`text/csv`); generated clients send those to `POST /v1/purchases/batch.csv` and
/// `POST /v1/purchases/batch.ndjson`, which take the file as it is. Up to 100,000 rows, in one
/// transaction: when any row is bad, nothing is written and the problem lists each bad row's
/// field by pointer (`/17/quantity_value`, 0-based) with its 1-based row number in the detail.
/// Lines whose `external_ref` exists are updated if they changed; re-sending the same batch
/// changes nothing.
#[utoipa::path(
    tag = "purchases",
    operation_id = "create_purchases_batch",
    request_body(content((Vec<PurchaseInput> = "application/json"))),
    responses(
        (status = 200, description = "Applied: counts of created, updated and unchanged lines",
         body = BatchResult),
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[post("/v1/purchases/batch")]
pub async fn create_purchases_batch(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let lines = body::lines(&req, payload, state.config.batch_body_limit).await?;
    record_batch(&caller, lines, &state).await
}

/// Records many purchase lines at once from a CSV file, all or none.
///
/// The body is the file as it is, sent as `text/csv` (or `application/csv`) or as
/// `application/octet-stream`: a header row naming the columns `external_ref,
/// supplier_party_id, mineral, quantity_value, quantity_unit, purchased_on` and optionally
/// `lot_id, declared_origin` (see docs/PURCHASES.md), then one purchase line per row. Otherwise
/// as `POST /v1/purchases/batch` with `Content-Type: text/csv`: up to 100,000 rows in one
/// transaction, every bad row's field named by pointer (`/17/quantity_value`, 0-based), and
/// re-sending the same file changes nothing.
#[utoipa::path(
    tag = "purchases",
    operation_id = "create_purchases_batch_csv",
    request_body(content((BatchFile = "application/octet-stream"))),
    responses(
        (status = 200, description = "Applied: counts of created, updated and unchanged lines",
         body = BatchResult),
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[post("/v1/purchases/batch.csv")]
pub async fn create_purchases_batch_csv(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let limit = state.config.batch_body_limit;
    let lines = body::lines_in(&req, payload, limit, Format::Csv).await?;
    record_batch(&caller, lines, &state).await
}

/// Records many purchase lines at once from an NDJSON file, all or none.
///
/// The body is the file as it is, sent as `application/x-ndjson` (or `application/ndjson`,
/// `application/jsonl`) or as `application/octet-stream`: one purchase line (the object of
/// `POST /v1/purchases`) per line. Otherwise as `POST /v1/purchases/batch` with
/// `Content-Type: application/x-ndjson`: up to 100,000 rows in one transaction, every bad row's
/// field named by pointer (`/17/mineral`, 0-based), and re-sending the same file changes
/// nothing.
#[utoipa::path(
    tag = "purchases",
    operation_id = "create_purchases_batch_ndjson",
    request_body(content((BatchFile = "application/octet-stream"))),
    responses(
        (status = 200, description = "Applied: counts of created, updated and unchanged lines",
         body = BatchResult),
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[post("/v1/purchases/batch.ndjson")]
pub async fn create_purchases_batch_ndjson(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let limit = state.config.batch_body_limit;
    let lines = body::lines_in(&req, payload, limit, Format::Ndjson).await?;
    record_batch(&caller, lines, &state).await
}

/// Writes a batch's validated lines in one transaction and answers its counts.
async fn record_batch(
    caller: &Caller,
    lines: Vec<(usize, PurchaseLine)>,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::from(caller);
    let report = state
        .db
        .write_upsert(move |conn| purchases::batch::record(conn, &actor, &lines, Via::Api, &|_| {}))
        .await?;
    state.wake_webhooks();
    Ok(HttpResponse::Ok().json(BatchResult {
        rows: report.rows.len(),
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
    }))
}
