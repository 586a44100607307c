//! `/v1/purchases`: the organisation's purchase lines from its ERP.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, FieldError};
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery, media_type, read_body};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, PartyId, PurchaseId};
use crate::domain::purchase::{PurchaseInput, PurchaseLine};
use crate::domain::quantity::{Quantity, QuantityView};
use crate::domain::shares::PPB as ONE_PPB;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::import::purchases::{self as batch, BatchError, Format};
use crate::store::audit::{self, Actor};
use crate::store::purchase::{self, OriginRecord, Outcome, PurchaseFilter, PurchaseRecord};

crate::page_type!(PurchaseList, Purchase);

/// A purchase line as stored.
#[derive(Serialize, ToSchema)]
pub struct Purchase {
    pub id: PurchaseId,
    /// The ERP's id for the line, unique within the organisation.
    pub external_ref: String,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    /// The quantity as entered, and the exact milligrams stored.
    pub quantity: QuantityView,
    pub purchased_on: NaiveDate,
    pub lot_id: Option<LotId>,
    /// The declared origin shares with the quantity allocated to each (they add up to the
    /// purchase's quantity exactly); null when no origin was declared.
    pub declared_origin: Option<Vec<OriginShare>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One declared origin share.
#[derive(Serialize, ToSchema)]
pub struct OriginShare {
    /// The origin facility (a mine or recycler), when one was named.
    pub facility_id: Option<FacilityId>,
    /// The origin class: from the facility's mining scale, or as declared.
    pub origin_class: OriginClass,
    pub country: Option<CountryCode>,
    /// The declared fraction of the purchase.
    pub share: f64,
    /// The part of the purchase's stored quantity allocated to this share, in milligrams
    /// (largest-remainder allocation: the parts add up exactly).
    pub quantity_mg: i64,
    /// The same in kilograms, as an exact decimal string.
    pub quantity_kg: String,
}

/// What writing a line did.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteResult {
    /// A new purchase (201).
    Created,
    /// The purchase with this external_ref was changed (200).
    Updated,
    /// The purchase with this external_ref already said exactly this (200).
    Unchanged,
}

/// The answer to `POST /v1/purchases`.
#[derive(Serialize, ToSchema)]
pub struct PurchaseWriteResult {
    pub result: WriteResult,
    pub purchase: Purchase,
}

/// The answer to a batch.
#[derive(Serialize, ToSchema)]
// Not `BatchResult`: the catalog batches answer a schema of that name, and two schemas of one
// name silently replace each other in the document (found by schemathesis).
#[schema(as = PurchaseBatchResult)]
pub struct BatchResult {
    /// Rows in the batch.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Filters of the purchase list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurchaseQuery {
    pub mineral: Option<Mineral>,
    /// Only purchases from this supplier.
    pub supplier_party_id: Option<PartyId>,
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
    /// The ERP line id.
    pub external_ref: Option<String>,
    /// Purchases of this lot.
    pub lot_id: Option<LotId>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

fn origin_view(origin: &OriginRecord) -> OriginShare {
    OriginShare {
        facility_id: origin.facility,
        origin_class: origin.class,
        country: origin.country,
        share: origin.share_ppb as f64 / ONE_PPB as f64,
        quantity_mg: origin.quantity_mg,
        quantity_kg: Quantity::kg_text(origin.quantity_mg),
    }
}

impl From<PurchaseRecord> for Purchase {
    fn from(record: PurchaseRecord) -> Purchase {
        let declared = record.origins.iter().any(|o| o.declared);
        Purchase {
            id: record.id,
            external_ref: record.external_ref,
            supplier_party_id: record.supplier,
            mineral: record.mineral,
            quantity: QuantityView::new(
                record.quantity_mg,
                &record.quantity_value,
                record.quantity_unit,
            ),
            purchased_on: record.purchased_on,
            lot_id: record.lot,
            declared_origin: declared.then(|| record.origins.iter().map(origin_view).collect()),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

fn not_found(id: PurchaseId) -> ApiError {
    ApiError::not_found(format!("no purchase {id}"))
}

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
    let line = PurchaseLine::validate(&body.0, "").map_err(ApiError::validation)?;
    let organisation = caller.organisation_id;
    let actor = Actor::from(&caller);
    let (record, outcome) = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let (record, outcome) = purchase::upsert(conn, organisation, &line)?;
            if outcome == Outcome::Updated {
                audit::record(
                    conn,
                    &actor,
                    "update",
                    "purchase",
                    &record.id.to_string(),
                    &serde_json::json!({"external_ref": record.external_ref}),
                )?;
            }
            Ok((record, outcome))
        })
        .await?;
    let location = format!("/v1/purchases/{}", record.id);
    let (status, result) = match outcome {
        Outcome::Created => (StatusCode::CREATED, WriteResult::Created),
        Outcome::Updated => (StatusCode::OK, WriteResult::Updated),
        Outcome::Unchanged => (StatusCode::OK, WriteResult::Unchanged),
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .json(PurchaseWriteResult {
            result,
            purchase: record.into(),
        }))
}

/// Lists the organisation's purchases, oldest first, with filters.
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
    let query = query.0;
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let filter = PurchaseFilter {
        mineral: query.mineral,
        supplier: query.supplier_party_id,
        from: query.from,
        to: query.to,
        external_ref: query.external_ref,
        lot: query.lot_id,
    };
    let organisation = caller.organisation_id;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| purchase::list(conn, organisation, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |p| p.id.to_string()).map(Purchase::from);
    Ok(pagination::respond(&req, &page))
}

/// Reads one of the organisation's purchases. Another organisation's purchase is 404.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_purchase",
    params(("id" = PurchaseId, Path, description = "Purchase id")),
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
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let found = state
        .db
        .read(move |conn| purchase::find(conn, organisation, id))
        .await?;
    found
        .map(|p| HttpResponse::Ok().json(Purchase::from(p)))
        .ok_or_else(|| not_found(id))
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
    let organisation = caller.organisation_id;
    let actor = Actor::from(&caller);
    let deleted = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let deleted = purchase::delete(conn, organisation, id)?;
            if let Some(record) = &deleted {
                let view = Purchase::from(record.clone());
                audit::record(
                    conn,
                    &actor,
                    "delete",
                    "purchase",
                    &id.to_string(),
                    &serde_json::to_value(&view).map_err(ApiError::internal)?,
                )?;
            }
            Ok(deleted)
        })
        .await?;
    deleted
        .map(|_| HttpResponse::NoContent().finish())
        .ok_or_else(|| not_found(id))
}

/// Parses and validates a batch body into lines; every bad row and field is named.
pub fn parse_batch(format: Format, body: &[u8]) -> Result<Vec<(usize, PurchaseLine)>, ApiError> {
    let rows = batch::parse(format, body).map_err(|error| match error {
        BatchError::Malformed(detail) => ApiError::malformed(detail),
        BatchError::Invalid(errors) => ApiError::validation(errors),
        BatchError::TooManyRows(count) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::api::error::ProblemType::PayloadTooLarge,
            format!(
                "the batch has {count} rows or more; at most {} rows per batch",
                batch::MAX_ROWS
            ),
        ),
    })?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut errors: Vec<FieldError> = Vec::new();
    for (index, row) in rows {
        match row.and_then(|input| PurchaseLine::validate(&input, &format!("/{index}"))) {
            Ok(line) => lines.push((index, line)),
            Err(row_errors) if format == Format::Csv => {
                errors.extend(row_errors.into_iter().map(csv_column_pointer));
            }
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(batch_errors(errors))
    }
}

/// A CSV row names its columns, not the JSON members: `/3/quantity/value` is `/3/quantity_value`.
fn csv_column_pointer(mut error: FieldError) -> FieldError {
    if let Some(pointer) = &mut error.pointer {
        *pointer = pointer
            .replace("/quantity/value", "/quantity_value")
            .replace("/quantity/unit", "/quantity_unit");
        if let Some(at) = pointer.find("/declared_origin/") {
            pointer.truncate(at + "/declared_origin".len());
        }
    }
    error
}

/// A batch's row errors (pointers that start with the row index) as the one batch problem.
pub fn batch_errors(errors: Vec<FieldError>) -> ApiError {
    crate::api::error::rejected(
        errors
            .into_iter()
            .map(crate::store::Rejection::from_row_pointer)
            .collect(),
        None,
    )
}

/// Records many purchase lines at once, all or none.
///
/// The body is a JSON array of purchase lines (`application/json`), one line per row
/// (`application/x-ndjson`), or CSV (`text/csv`; columns `external_ref, supplier_party_id,
/// mineral, quantity_value, quantity_unit, purchased_on` and optionally `lot_id,
/// declared_origin` — see docs/PURCHASES.md). Up to 100,000 rows, in one transaction: when any
/// row is bad, nothing is written and the problem lists each bad row's field by pointer
/// (`/17/quantity_value`, 0-based) with its 1-based row number in the detail. Lines whose
/// `external_ref` exists are updated if they changed; re-sending the same batch changes
/// nothing.
#[utoipa::path(
    tag = "purchases",
    operation_id = "create_purchases_batch",
    request_body(content(
        (Vec<PurchaseInput> = "application/json"),
        (String = "application/x-ndjson"),
        (String = "text/csv"),
    )),
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
    let format = media_type(&req)
        .as_deref()
        .and_then(Format::from_media_type)
        .ok_or_else(|| {
            ApiError::unsupported_media_type(
                "send the batch as application/json (an array), application/x-ndjson or text/csv",
            )
        })?;
    let body = read_body(
        &req,
        &mut payload.into_inner(),
        state.config.batch_body_limit,
    )
    .await?;
    let lines = web::block(move || parse_batch(format, &body))
        .await
        .map_err(|_| ApiError::unavailable("the server is shutting down"))??;
    let rows = lines.len();
    let organisation = caller.organisation_id;
    let actor = Actor::from(&caller);
    let counts = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let counts = purchase::apply_batch(conn, organisation, &lines, &|_| {})?;
            audit::record(
                conn,
                &actor,
                "batch",
                "purchase_batch",
                &uuid::Uuid::now_v7().to_string(),
                &serde_json::json!({
                    "rows": rows, "created": counts.created,
                    "updated": counts.updated, "unchanged": counts.unchanged,
                }),
            )?;
            Ok(counts)
        })
        .await?;
    Ok(HttpResponse::Ok().json(BatchResult {
        rows,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_name_rows_from_one() {
        let problem = batch_errors(vec![FieldError::at("/3000/quantity_value", "bad")]);
        assert_eq!(problem.errors[0].detail, "row 3001: bad");
        assert!(problem.detail.contains("nothing was written"));
    }

    #[test]
    fn units_are_listed() {
        use crate::domain::quantity::MassUnit;
        assert_eq!(MassUnit::expected(), "g, kg, t or troy_oz");
    }
}
