//! `/v1/declarations`: suppliers' filled RMI workbooks (CMRT, EMRT) imported and read, their
//! smelters rolled up across suppliers, the coverage of the period's purchases, and the
//! organisation's own outgoing CMRT or EMRT. docs/DECLARATIONS.md.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, Utc};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiQuery, media_type, read_body};
use crate::api::http::negotiate::{prefers_csv, require_csv};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::declarations::coverage::{self, Coverage};
use crate::app::declarations::export::{self, Outgoing};
use crate::app::declarations::import::{self, Recorded};
use crate::app::declarations::read;
use crate::app::declarations::rollup::{self, Rollup, RollupFilter};
use crate::auth::Scope;
use crate::domain::ids::DeclarationId;
use crate::store::audit::Actor;
use crate::store::declaration::DeclarationFilter;

mod csv;
pub mod views;

use views::{
    CoverageQuery, DeclarationDetail, DeclarationImport, DeclarationListQuery, DeclarationSummary,
    ImportQuery, ImportResult, OutgoingQuery, RollupQuery, WorkbookFile,
};

crate::page_type!(DeclarationList, DeclarationSummary);

/// The media types a workbook may be sent as.
const WORKBOOK_TYPES: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    "application/octet-stream",
];

fn blocked<T>(result: Result<T, actix_web::error::BlockingError>) -> Result<T, ApiError> {
    result.map_err(|_| ApiError::unavailable("the server is shutting down"))
}

/// Imports a supplier's filled CMRT or EMRT.
///
/// The body is the workbook as it is (`.xlsx`, `.xlsm`, `.xls`), sent as its own media type
/// (the `.xlsx` one, or `application/vnd.ms-excel.sheet.macroEnabled.12`,
/// `application/vnd.ms-excel`) or as `application/octet-stream`, at most 16 MiB (and at most 64 MiB unpacked, 2,000,000 cells
/// read; 413 beyond). The template and its version are read from the workbook
/// (`Declaration!D2`, `J3`): CMRT 6.x and 5.x, EMRT 1.x and 2.x (docs/DECLARATIONS.md). What
/// makes it invalid (no company name or scope, question 1 or 2 unanswered for a mineral, a CID
/// that is not `CID` and six digits, a metal the template does not have, a file that is no
/// workbook) is refused with a 422 naming each cell (`Declaration!D8`); nothing is stored.
/// What is merely missing is kept as findings (status `incomplete`). The same file sent again
/// for the same supplier answers 200 with that declaration, unchanged; a newer declaration
/// (later effective date) of the same supplier and template supersedes the current one, which
/// is kept.
#[utoipa::path(
    tag = "declarations",
    operation_id = "import_declaration",
    params(ImportQuery),
    request_body(content(
        (WorkbookFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (WorkbookFile = "application/octet-stream")
    )),
    responses(
        (status = 201, description = "Stored", body = DeclarationImport,
         headers(("Location" = String, description = "The new declaration"))),
        (status = 200, description = "The same file was received before: unchanged",
         body = DeclarationImport),
        (status = 422, description = "Not a workbook, or an invalid declaration: each error \
         names its cell (`cell`: `Declaration!D8`)",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[post("/v1/declarations")]
pub async fn import_declaration(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<ImportQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesWrite)?;
    let mut query = query.0;
    // A name for people: trimmed, 1 to 255 characters, no control characters (it is shown in
    // lists and the command line's report).
    if let Some(name) = &query.file_name {
        let checked = crate::domain::text::short_text(name, 255)
            .map_err(|reason| ApiError::invalid_parameter("file_name", reason))?;
        query.file_name = Some(checked);
    }
    let sent = media_type(&req).unwrap_or_default();
    if !WORKBOOK_TYPES.contains(&sent.as_str()) {
        return Err(ApiError::unsupported_media_type(
            "send the workbook as it is, as \
             application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (or the .xlsm or \
             .xls media type) or application/octet-stream",
        ));
    }
    let limit = import::MAX_BYTES.min(state.config.batch_body_limit);
    let body = read_body(&req, &mut payload.into_inner(), limit).await?;
    let checked = blocked(web::block(move || import::check(&body)).await)??;
    let actor = Actor::from(&caller);
    let (supplier, file_name) = (query.supplier_party_id, query.file_name);
    let recorded = state
        .db
        .write(move |conn| import::record(conn, &actor, supplier, file_name, checked))
        .await?;
    Ok(match recorded {
        Recorded::Created(d) => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/declarations/{}", d.id)))
            .json(DeclarationImport {
                result: ImportResult::Created,
                declaration: DeclarationSummary::from(&d),
            }),
        Recorded::Unchanged(d) => HttpResponse::Ok().json(DeclarationImport {
            result: ImportResult::Unchanged,
            declaration: DeclarationSummary::from(&d),
        }),
    })
}

/// Lists the organisation's declarations, oldest received first.
#[utoipa::path(
    tag = "declarations",
    operation_id = "list_declarations",
    params(DeclarationListQuery),
    responses((status = 200, description = "A page of declarations", body = DeclarationList)),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations")]
pub async fn list_declarations(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<DeclarationListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let q = query.0;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (q.effective_from, q.effective_to)
        && from > to
    {
        return Err(ApiError::invalid_parameter(
            "effective_from",
            "must not be after `effective_to`",
        ));
    }
    let filter = DeclarationFilter {
        supplier: q.supplier_party_id,
        template: q.template,
        mineral: q.mineral,
        effective_from: q.effective_from,
        effective_to: q.effective_to,
        status: q.status,
    };
    let (organisation, request) = (caller.organisation_id, page.clone());
    let rows = state
        .db
        .read(move |conn| read::list(conn, organisation, &filter, &request))
        .await?;
    let page =
        Page::from_rows(rows, &page, |d| d.id.to_string()).map(|d| DeclarationSummary::from(&d));
    Ok(pagination::respond(&req, &page))
}

/// Reads a declaration: what the workbook says, its findings, and each smelter row matched to
/// the catalog (by CID, else by name and country, with the basis and confidence) with the
/// matched facility's certification under the organisation's policy on the declaration's
/// effective date and today.
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_declaration",
    params(("id" = DeclarationId, Path, description = "Declaration id")),
    responses(
        (status = 200, description = "The declaration", body = DeclarationDetail),
        (status = 404, description = "No such declaration of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/{id}")]
pub async fn get_declaration(
    caller: Caller,
    id: web::Path<DeclarationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let (organisation, id) = (caller.organisation_id, id.into_inner());
    let detail = state
        .db
        .read(move |conn| read::get(conn, organisation, id))
        .await?;
    Ok(HttpResponse::Ok().json(DeclarationDetail {
        summary: DeclarationSummary::from(&detail.stored),
        declaration: detail.stored.declaration.clone(),
        smelters: detail.smelters,
    }))
}

async fn load_rollup(
    caller: &Caller,
    query: RollupQuery,
    state: &AppState,
) -> Result<Rollup, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let filter = RollupFilter {
        template: query.template,
        metal: query.metal,
        supplier: query.supplier_party_id,
        flagged: query.flagged.unwrap_or(false),
    };
    let organisation = caller.organisation_id;
    Ok(state
        .db
        .read(move |conn| rollup::rollup(conn, organisation, &filter))
        .await?)
}

fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}.csv\""),
        ))
        .body(body)
}

/// The organisation's smelters, rolled up from its suppliers' current declarations.
///
/// Each smelter once (the catalog facility when matched, else its CID, else its name and
/// country), with the suppliers that named it, its metals, its certification under the
/// organisation's policy today, the conflict-affected mines named for it, and its red flags
/// (`not_conformant`, `unknown_smelter`, `not_a_smelter`, `recycled_claim_inconsistent`,
/// `cahra_exposure`); flagged smelters first. Rows whose supplier wrote `Smelter not yet
/// identified` are counted, not listed. Another organisation's declarations never appear.
/// `Accept: text/csv` for CSV (also `GET /v1/declarations/smelters.csv`).
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_declared_smelters",
    params(RollupQuery),
    responses(
        (status = 200, description = "The roll-up", content(
            (Rollup = "application/json"),
            (String = "text/csv")
        )),
        (status = 406, description = "Neither JSON nor CSV is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/smelters")]
pub async fn get_declared_smelters(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<RollupQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let csv = prefers_csv(&req, "the smelter roll-up")?;
    let rollup = load_rollup(&caller, query.0, &state).await?;
    Ok(if csv {
        csv_response(csv::rollup(&rollup), "declared-smelters")
    } else {
        HttpResponse::Ok().json(rollup)
    })
}

/// The smelter roll-up as CSV, one row per smelter (as `GET /v1/declarations/smelters` with
/// `Accept: text/csv`, for clients that cannot set `Accept`).
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_declared_smelters_csv",
    params(RollupQuery),
    responses(
        (status = 200, description = "The roll-up as CSV", body = String, content_type = "text/csv"),
        (status = 406, description = "CSV is not acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/smelters.csv")]
pub async fn get_declared_smelters_csv(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<RollupQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_csv(&req, "GET /v1/declarations/smelters")?;
    let rollup = load_rollup(&caller, query.0, &state).await?;
    Ok(csv_response(csv::rollup(&rollup), "declared-smelters"))
}

async fn load_coverage(
    caller: &Caller,
    query: CoverageQuery,
    state: &AppState,
) -> Result<Coverage, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let today = Utc::now().date_naive();
    let to = query.to.unwrap_or(today);
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(ApiError::invalid_parameter(
            "from",
            "must not be after `to`",
        ));
    }
    let organisation = caller.organisation_id;
    Ok(state
        .db
        .read(move |conn| coverage::coverage(conn, organisation, from, to))
        .await?)
}

/// Which suppliers of the period's purchases have a current declaration for what they sold,
/// by share of the purchased quantity, undeclared first: whom to chase.
/// `Accept: text/csv` for CSV (also `GET /v1/declarations/coverage.csv`).
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_declaration_coverage",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The coverage", content(
            (Coverage = "application/json"),
            (String = "text/csv")
        )),
        (status = 406, description = "Neither JSON nor CSV is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/coverage")]
pub async fn get_declaration_coverage(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<CoverageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let csv = prefers_csv(&req, "the declaration coverage")?;
    let coverage = load_coverage(&caller, query.0, &state).await?;
    Ok(if csv {
        csv_response(csv::coverage(&coverage), "declaration-coverage")
    } else {
        HttpResponse::Ok().json(coverage)
    })
}

/// The coverage as CSV, one row per supplier (as `GET /v1/declarations/coverage` with
/// `Accept: text/csv`).
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_declaration_coverage_csv",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The coverage as CSV", body = String, content_type = "text/csv"),
        (status = 406, description = "CSV is not acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/coverage.csv")]
pub async fn get_declaration_coverage_csv(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<CoverageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_csv(&req, "GET /v1/declarations/coverage")?;
    let coverage = load_coverage(&caller, query.0, &state).await?;
    Ok(csv_response(
        csv::coverage(&coverage),
        "declaration-coverage",
    ))
}

/// The organisation's own filled CMRT or EMRT for a year, as `.xlsx` in the template's layout.
///
/// The company information comes from the organisation's profile
/// (`PATCH /v1/organisations/{id}/profile`); the answers are derived from its purchases of the
/// year, its policy and its suppliers' current declarations, each derived answer saying where it
/// came from in its comment; what Oretrace cannot know is left unanswered with a comment. The
/// Smelter List holds the roll-up's smelters and those of the organisation's own custody events.
/// Importing the file back reads the same declaration.
#[utoipa::path(
    tag = "declarations",
    operation_id = "get_outgoing_declaration",
    params(OutgoingQuery),
    responses(
        (status = 200, description = "The workbook", body = WorkbookFile,
         content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/declarations/outgoing")]
pub async fn get_outgoing_declaration(
    caller: Caller,
    query: ApiQuery<OutgoingQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let q = query.0;
    let year = q.year.unwrap_or_else(export::this_year);
    if !(2007..=9999).contains(&year) {
        return Err(ApiError::invalid_parameter("year", "must be 2007 to 9999"));
    }
    let request = Outgoing {
        template: q.template,
        version: q
            .version
            .unwrap_or_else(|| crate::domain::declaration::layout::latest(q.template).to_owned()),
        year,
    };
    let organisation = caller.organisation_id;
    let name = export::file_name(&request);
    let (_, bytes) = state
        .db
        .read(move |conn| export::outgoing(conn, organisation, &request))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
