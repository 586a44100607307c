//! `/v1/schemes`: the certification schemes (standards), seeded as data.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::catalog::schemes;
use crate::auth::Scope;
use crate::store::scheme::Scheme;

crate::page_type!(SchemeList, Scheme);

/// Page through the schemes.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SchemeListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[a-z0-9_]{1,100}$")]
    pub cursor: Option<String>,
}

fn scheme_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Lists the certification schemes by id (scope `catalog:read`): what each certifies (ASM
/// mines, LSM mines, smelters/refiners, companies), its levels lowest first, and the minerals
/// it covers.
#[utoipa::path(
    tag = "schemes",
    operation_id = "list_schemes",
    params(SchemeListQuery),
    responses((status = 200, description = "A page of schemes, by id", body = SchemeList)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/schemes")]
pub async fn list_schemes(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<SchemeListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let page = PageRequest::keyed_by(query.0.limit, query.0.cursor.as_deref(), scheme_key)?;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| schemes::list(conn, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |s| s.id.clone());
    Ok(pagination::respond(&req, &page))
}

/// Reads a certification scheme (scope `catalog:read`).
#[utoipa::path(
    tag = "schemes",
    operation_id = "get_scheme",
    params(("id" = String, Path, description = "Scheme id, such as `irma`")),
    responses((status = 200, description = "The scheme", body = Scheme)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/schemes/{id}")]
pub async fn get_scheme(
    caller: Caller,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let id = id.into_inner();
    let found = state.db.read(move |conn| schemes::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(found))
}
