//! `/v1/organisations`: the operator registers purchaser organisations and their API clients.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::idempotency::ShownOnce;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::{organisation_profile, organisations};
use crate::auth::Scope;
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::CompanyProfile;
use crate::store::api_client::ApiClient;
use crate::store::audit::Actor;
use crate::store::organisation::{Organisation, OrganisationKind};

crate::page_type!(OrganisationList, Organisation);
crate::page_type!(ApiClientList, ApiClient);

/// A new organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Display name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `purchaser` (default) or `operator`.
    #[serde(default = "default_kind")]
    pub kind: OrganisationKind,
}

fn default_kind() -> OrganisationKind {
    OrganisationKind::Purchaser
}

/// A new API client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    /// A label for people, such as "SAP nightly import" (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Scopes the client may request. Purchasers may not hold `admin` or `catalog:write`.
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

/// A new client's credentials. The secret is shown this once and stored only as a hash.
#[derive(Serialize, ToSchema)]
pub struct ClientCredentials {
    /// The OAuth `client_id`.
    pub client_id: String,
    /// The OAuth `client_secret`: store it now, it cannot be shown again. Present in the first
    /// answer only: a replay of the same `Idempotency-Key` (`Idempotent-Replayed: true`) answers
    /// the same client without it, because the secret is never stored. If the first answer was
    /// lost, revoke that client and create another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes it may request.
    pub scopes: Vec<Scope>,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Page through a list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// Registers an organisation (scope `admin`).
#[utoipa::path(
    tag = "organisations",
    operation_id = "create_organisation",
    request_body = NewOrganisation,
    responses((status = 201, description = "Created", body = Organisation,
               headers(("Location" = String, description = "The new organisation")))),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[post("/v1/organisations")]
pub async fn create_organisation(
    caller: Caller,
    body: ApiJson<NewOrganisation>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let body = body.0;
    let actor = Actor::from(&caller);
    let created = state
        .db
        .write(move |conn| organisations::register(conn, Some(&actor), &body.name, body.kind))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/organisations/{}", created.id),
        ))
        .json(created))
}

/// Lists every organisation (scope `admin`), oldest first.
#[utoipa::path(
    tag = "organisations",
    operation_id = "list_organisations",
    params(ListQuery),
    responses((status = 200, description = "A page of organisations", body = OrganisationList)),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/v1/organisations")]
pub async fn list_organisations(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| organisations::list(conn, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |o| o.id.to_string());
    Ok(pagination::respond(&req, &page))
}

/// Reads an organisation. Any caller may read its own organisation; `admin` may read any;
/// any other organisation answers 404.
#[utoipa::path(
    tag = "organisations",
    operation_id = "get_organisation",
    params(("id" = OrganisationId, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The organisation", body = Organisation),
        (status = 404, description = "No such organisation, or not the caller's",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
#[get("/v1/organisations/{id}")]
pub async fn get_organisation(
    caller: Caller,
    id: web::Path<OrganisationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .read(move |conn| organisations::find_visible(conn, &caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Creates an API client for an organisation (scope `admin`). The answer carries the client
/// secret, the only time it is ever shown.
#[utoipa::path(
    tag = "organisations",
    operation_id = "create_client",
    params(("id" = OrganisationId, Path, description = "Organisation id")),
    request_body = NewApiClient,
    responses(
        (status = 201, description = "Created; store the secret now", body = ClientCredentials),
        (status = 404, description = "No such organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[post("/v1/organisations/{id}/clients")]
pub async fn create_client(
    caller: Caller,
    id: web::Path<OrganisationId>,
    body: ApiJson<NewApiClient>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let id = id.into_inner();
    let body = body.0;
    let actor = Actor::from(&caller);
    let (client, secret) = state
        .db
        .write(move |conn| organisations::create_client(conn, &actor, id, &body.name, &body.scopes))
        .await?;
    let mut response = HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/organisations/{id}/clients/{}", client.client_id),
        ))
        .json(ClientCredentials {
            client_id: client.client_id,
            client_secret: Some(secret),
            scopes: client.scopes,
            organisation_id: client.organisation_id,
            name: client.name,
            created_at: client.created_at,
        });
    response
        .extensions_mut()
        .insert(ShownOnce(&["client_secret"]));
    Ok(response)
}

/// Lists an organisation's API clients, without secrets (scope `admin`).
#[utoipa::path(
    tag = "organisations",
    operation_id = "list_clients",
    params(("id" = OrganisationId, Path, description = "Organisation id"), ListQuery),
    responses(
        (status = 200, description = "A page of clients", body = ApiClientList),
        (status = 404, description = "No such organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/v1/organisations/{id}/clients")]
pub async fn list_clients(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<OrganisationId>,
    query: ApiQuery<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let id = id.into_inner();
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| organisations::list_clients(conn, id, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |c| c.client_id.clone());
    Ok(pagination::respond(&req, &page))
}

/// Revokes an API client (scope `admin`): it gets no new tokens. Tokens already issued stay
/// valid until they expire (`ORETRACE_TOKEN_TTL_SECONDS`).
#[utoipa::path(
    tag = "organisations",
    operation_id = "revoke_client",
    params(
        ("id" = OrganisationId, Path, description = "Organisation id"),
        ("client_id" = String, Path, description = "Client id")
    ),
    responses(
        (status = 200, description = "Revoked", body = ApiClient),
        (status = 404, description = "No such client of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[delete("/v1/organisations/{id}/clients/{client_id}")]
pub async fn revoke_client(
    caller: Caller,
    path: web::Path<(OrganisationId, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let (id, client_id) = path.into_inner();
    let actor = Actor::from(&caller);
    let revoked = state
        .db
        .write(move |conn| organisations::revoke_client(conn, &actor, id, &client_id))
        .await?;
    Ok(HttpResponse::Ok().json(revoked))
}

/// Reads an organisation's profile: the company information its own outgoing CMRT or EMRT
/// states (`GET /v1/declarations/outgoing`). Any client of the organisation may read it,
/// `admin` any organisation's; another organisation's answers 404.
#[utoipa::path(
    tag = "organisations",
    operation_id = "get_organisation_profile",
    params(("id" = OrganisationId, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The profile (members never set are null)", body = CompanyProfile),
        (status = 404, description = "No such organisation, or not the caller's",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
#[get("/v1/organisations/{id}/profile")]
pub async fn get_profile(
    caller: Caller,
    id: web::Path<OrganisationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let profile = state
        .db
        .read(move |conn| organisation_profile::get(conn, &caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}

/// Changes an organisation's profile with a JSON merge patch (RFC 7396; sent as
/// `application/json` or `application/merge-patch+json`): a member set to text
/// sets it, set to null (or empty text) clears it, left out stays. Texts are at most 200
/// characters (the address 500); emails must look like one, `policy_url` must be an http(s)
/// URL. Needs `purchases:write` of the organisation (or `admin`); audited.
#[utoipa::path(
    tag = "organisations",
    operation_id = "update_organisation_profile",
    params(("id" = OrganisationId, Path, description = "Organisation id")),
    request_body = CompanyProfile,
    responses(
        (status = 200, description = "The profile as changed", body = CompanyProfile),
        (status = 404, description = "No such organisation, or not the caller's",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["purchases:write"]), ("oauth2" = ["purchases:write"]))
)]
#[patch("/v1/organisations/{id}/profile")]
pub async fn update_profile(
    caller: Caller,
    id: web::Path<OrganisationId>,
    body: ApiJson<serde_json::Map<String, serde_json::Value>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, patch) = (id.into_inner(), body.0);
    let profile = state
        .db
        .write(move |conn| organisation_profile::update(conn, &caller, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}
