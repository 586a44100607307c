//! `/v1/lots`: the organisation's lots of material.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::http::unit_query::UnitQuery;
use crate::api::state::AppState;
use crate::app::provenance::lots;
use crate::auth::Scope;
use crate::domain::ids::{CustodyEventId, LotId, PartyId};
use crate::domain::lot::{LotDraft, LotLine};
use crate::domain::quantity::{MassUnit, QuantityInput, QuantityView};
use crate::domain::vocabulary::{CustodyEventType, LotForm, Mineral};
use crate::store::audit::Actor;
use crate::store::lot::{LotFilter, LotRecord};

crate::page_type!(LotList, Lot);

/// A lot of material as recorded.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotInput {
    /// The organisation's own reference for the lot (1 to 100 characters), unique within it.
    #[schema(min_length = 1, max_length = 100)]
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    /// The lot's quantity.
    pub quantity: QuantityInput,
    /// The party holding the lot: a party of the catalog. Transfers move it.
    #[serde(default)]
    pub holder_party_id: Option<PartyId>,
    /// Whether the lot is recycled material (scrap, secondary): a trace stops there and counts
    /// it as recycled.
    #[serde(default)]
    pub recycled: bool,
}

impl From<LotInput> for LotDraft {
    fn from(input: LotInput) -> LotDraft {
        LotDraft {
            external_ref: input.external_ref,
            mineral: input.mineral,
            form: input.form,
            quantity: input.quantity,
            holder: input.holder_party_id,
            recycled: input.recycled,
        }
    }
}

/// A lot of material.
#[derive(Serialize, ToSchema)]
pub struct Lot {
    pub id: LotId,
    /// The organisation's own reference for the lot.
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    /// The quantity as entered, its milligrams, and (with `unit=`) the exact quantity in that
    /// unit.
    pub quantity: QuantityView,
    /// The party holding it (moved by transfers).
    pub holder_party_id: Option<PartyId>,
    /// Whether it is recycled material (a trace stops there).
    pub recycled: bool,
    /// The extraction or transformation that produced it; null until one is recorded.
    pub origin_event_id: Option<CustodyEventId>,
    /// The type of that event.
    pub origin_event_type: Option<CustodyEventType>,
    pub created_at: DateTime<Utc>,
}

impl From<LotRecord> for Lot {
    fn from(r: LotRecord) -> Lot {
        Lot::view(r, None)
    }
}

impl Lot {
    /// A stored lot as answers show it, its quantity also written exactly in `unit` when one
    /// is asked for.
    pub fn view(r: LotRecord, unit: Option<MassUnit>) -> Lot {
        let mass = r.mass();
        let mass = || mass;
        Lot {
            id: r.id,
            external_ref: r.external_ref,
            mineral: r.mineral,
            form: r.form,
            quantity: QuantityView::new(r.quantity_mg, &r.quantity_value, r.quantity_unit)
                .converted(mass, unit),
            holder_party_id: r.holder_party_id,
            recycled: r.recycled,
            origin_event_id: r.origin_event_id,
            origin_event_type: r.origin_event_type,
            created_at: r.created_at,
        }
    }
}

/// Filters of the lot list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LotQuery {
    /// Only lots of this mineral.
    pub mineral: Option<Mineral>,
    /// Only lots of this form.
    pub form: Option<LotForm>,
    /// Only lots held by this party.
    pub holder_party_id: Option<PartyId>,
    /// The lot with this reference.
    pub external_ref: Option<String>,
    /// Only recycled (true) or only mined (false) lots.
    pub recycled: Option<bool>,
    /// Also write each quantity exactly in this unit (`quantity.converted`).
    pub unit: Option<MassUnit>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// Records a lot of material. How it came to exist is recorded by the extraction or
/// transformation event that names it among its `outputs`.
#[utoipa::path(
    tag = "provenance",
    operation_id = "create_lot",
    request_body = LotInput,
    responses(
        (status = 201, description = "Created", body = Lot,
         headers(("Location" = String, description = "The lot"))),
        (status = 422, description = "A bad value, an external_ref already used, or an unknown holder",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:write"]), ("oauth2" = ["provenance:write"]))
)]
#[post("/v1/lots")]
pub async fn create_lot(
    caller: Caller,
    body: ApiJson<LotInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceWrite)?;
    let line = LotLine::validate(&body.0.into()).map_err(ApiError::validation)?;
    let actor = Actor::from(&caller);
    let record = state
        .db
        .write(move |conn| lots::create(conn, &actor, &line))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/lots/{}", record.id)))
        .json(Lot::from(record)))
}

/// Lists the organisation's lots, oldest first, with filters.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "list_lots",
    params(LotQuery),
    responses(
        (status = 200, description = "A page of lots", body = LotList),
        (status = 400, description = "A bad filter, limit or cursor",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/lots")]
pub async fn list_lots(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<LotQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let query = query.0;
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let filter = LotFilter {
        mineral: query.mineral,
        form: query.form,
        holder: query.holder_party_id,
        external_ref: query.external_ref,
        recycled: query.recycled,
    };
    let unit = query.unit;
    let organisation = caller.organisation_id;
    let request = page.clone();
    let rows = state
        .db
        .read_replica(move |conn| lots::list(conn, organisation, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |l| l.id.to_string()).map(|r| Lot::view(r, unit));
    Ok(pagination::respond(&req, &page))
}

/// Reads one of the organisation's lots. Another organisation's lot is 404.
#[utoipa::path(
    tag = "provenance",
    operation_id = "get_lot",
    params(("id" = LotId, Path, description = "Lot id"), UnitQuery),
    responses(
        (status = 200, description = "The lot", body = Lot),
        (status = 404, description = "No such lot of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/lots/{id}")]
pub async fn get_lot(
    caller: Caller,
    id: web::Path<LotId>,
    query: ApiQuery<UnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let found = state
        .db
        .read(move |conn| lots::get(conn, organisation, id))
        .await?;
    Ok(HttpResponse::Ok().json(Lot::view(found, query.0.unit)))
}
