//! `GET /v1/lots/{id}/provenance`, `GET /v1/purchases/{id}/provenance` and
//! `GET /v1/parties/{id}/provenance`: the chain back to the mines of origin, the quantity and
//! exact share attributed to each, recycled and untraced shares, the graph to draw and the red
//! flags.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::charts::{self, SVG};
use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::negotiate::choose;
use crate::api::state::AppState;
use crate::app::provenance::trace::{self, MineOrigin, TraceOptions, Traced};
use crate::auth::Scope;
use crate::domain::certification::EffectiveStatus;
use crate::domain::country::CountryCode;
use crate::domain::ids::{LotId, PartyId, PurchaseId};
use crate::domain::provenance::{
    Arithmetic, Attribution, ExactShare, LotQuantity, ProvenanceGraph, TraceSummary,
};
use crate::domain::quantity::{MassUnit, Quantity};
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::{Mineral, MiningScale};
use crate::store::provenance::PurchaseScope;

crate::text_enum! {
    /// What was traced.
    pub enum TraceSubjectKind {
        /// One lot, its whole quantity.
        Lot = "lot",
        /// One purchase, its quantity through its lot.
        Purchase = "purchase",
        /// Every purchase from a supplier in a period, each through its lot.
        Party = "party",
    }
}

/// What was traced.
#[derive(Serialize, ToSchema)]
pub struct TraceSubject {
    pub kind: TraceSubjectKind,
    /// The lot, purchase or party id.
    pub id: String,
}

/// A mine's certification on the day of an extraction, under the organisation's policy.
#[derive(Serialize, ToSchema)]
pub struct CertificationOnDate {
    /// The day judged (the extraction date).
    pub date: NaiveDate,
    /// Whether a certificate the policy accepts for this mine's scale was in force.
    pub certified: bool,
    /// The accepted certificate, when certified.
    pub certificate_id: Option<String>,
    /// Its scheme.
    pub scheme: Option<String>,
    /// Its level on that day, when the scheme has levels.
    pub level: Option<String>,
    /// Its status on that day.
    pub status: Option<EffectiveStatus>,
}

/// A mine of origin and what is attributed to it through one extraction.
#[derive(Serialize, ToSchema)]
pub struct OriginView {
    pub facility_id: String,
    /// The mine's name.
    pub facility_name: Option<String>,
    /// `asm` or `lsm`.
    pub mining_scale: Option<MiningScale>,
    pub country: Option<CountryCode>,
    /// Whether the mine lies in a conflict-affected or high-risk area.
    pub cahra: bool,
    /// The extraction event.
    pub extraction_event_id: String,
    /// The day of extraction.
    pub extracted_on: NaiveDate,
    /// The extracted lot.
    pub lot_id: String,
    /// Milligrams attributed (largest remainder: all attributions add up to the traced quantity).
    pub quantity_mg: i64,
    /// The same in kilograms, as an exact decimal string.
    pub quantity_kg: String,
    /// The same, exactly, in the answer's `unit` (attributions add up to the traced quantity).
    #[schema(example = "0.6")]
    pub quantity: String,
    /// The exact share of the traced material.
    pub share: ExactShare,
    /// The mine's certification on the extraction date under the organisation's policy.
    pub certification: CertificationOnDate,
}

/// The provenance of a lot, purchase or supplier.
#[derive(Serialize, ToSchema)]
pub struct Provenance {
    pub subject: TraceSubject,
    /// The mineral judged (certificates must cover it), when known.
    pub mineral: Option<Mineral>,
    /// The traced quantity in milligrams (the nearest milligram when troy ounces are traced).
    pub quantity_mg: i64,
    /// The same in kilograms (from the nearest milligram).
    pub quantity_kg: String,
    /// The unit of every `quantity` in this answer: `unit=`, else the sourcing policy's
    /// `reporting_unit`.
    pub unit: MassUnit,
    /// The traced quantity, exactly, in `unit` (g, kg and t exact to the femtogram; troy_oz
    /// exact for troy-ounce quantities, otherwise 12 decimals, half to even).
    #[schema(example = "1")]
    pub quantity: String,
    /// The lots traced and the milligrams traced from each (a lot bought in both unit families
    /// appears once per family).
    pub roots: Vec<LotQuantity>,
    /// The mines of origin, one entry per extracted lot reached, largest first.
    pub origins: Vec<OriginView>,
    /// Mined, recycled and untraced totals with exact shares.
    pub summary: TraceSummary,
    /// Every leaf: mines, recycled lots, untraced lots (with why).
    pub attributions: Vec<Attribution>,
    /// Transformations on the longest chain reached.
    pub depth: u32,
    /// The lots, facilities and parties on the way, ready to draw.
    pub graph: ProvenanceGraph,
    /// The red flags the chain raises, most severe first, each with its evidence.
    pub red_flags: Vec<RedFlag>,
    /// How the exact apportionment was obtained.
    pub arithmetic: Arithmetic,
}

impl From<MineOrigin> for OriginView {
    fn from(o: MineOrigin) -> OriginView {
        let facts = o.facility.as_ref().map(|f| &f.facts);
        let acceptance = o.acceptance.as_ref();
        OriginView {
            mining_scale: facts.and_then(|f| f.mining_scale),
            country: facts.map(|f| f.country),
            cahra: facts.is_some_and(|f| f.cahra),
            facility_name: o.facility.as_ref().map(|f| f.name.clone()),
            facility_id: o.facility_id,
            extraction_event_id: o.extraction_event_id,
            extracted_on: o.extracted_on,
            lot_id: o.lot_id,
            quantity_mg: o.quantity_mg,
            quantity_kg: Quantity::kg_text(o.quantity_mg),
            quantity: o.quantity,
            share: o.share,
            certification: CertificationOnDate {
                date: o.extracted_on,
                certified: acceptance.is_some(),
                certificate_id: acceptance.map(|a| a.certificate_id.clone()),
                scheme: acceptance.map(|a| a.scheme.clone()),
                level: acceptance.and_then(|a| a.standing.level.clone()),
                status: acceptance.map(|a| a.standing.status),
            },
        }
    }
}

const JSON: &str = "application/json";

/// The facility names a drawing needs, read only when the answer is the drawing.
fn names_if(
    conn: &mut crate::db::DbConn,
    media: &str,
    traced: &Traced,
) -> Result<HashMap<String, String>, crate::app::AppError> {
    if media == SVG {
        trace::facility_names(conn, &traced.trace.graph)
    } else {
        Ok(HashMap::new())
    }
}

/// The provenance as JSON, or drawn (`charts::flow`).
fn respond(media: &str, view: Provenance, names: &HashMap<String, String>) -> HttpResponse {
    if media == SVG {
        HttpResponse::Ok()
            .content_type(SVG)
            .insert_header((header::VARY, "Accept"))
            .body(charts::flow::provenance(&view, names))
    } else {
        HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(view)
    }
}

/// The answer for a traced subject.
fn provenance_view(subject: TraceSubject, traced: Traced) -> Provenance {
    let Traced {
        mineral,
        trace,
        flags,
        origins,
    } = traced;
    Provenance {
        subject,
        mineral,
        quantity_mg: trace.quantity_mg,
        quantity_kg: Quantity::kg_text(trace.quantity_mg),
        unit: trace.unit,
        quantity: trace.quantity,
        roots: trace.roots,
        origins: origins.into_iter().map(OriginView::from).collect(),
        summary: trace.summary,
        attributions: trace.attributions,
        depth: trace.depth,
        graph: trace.graph,
        red_flags: flags,
        arithmetic: trace.arithmetic,
    }
}

/// Traces a lot, its whole quantity, back to its mines of origin.
///
/// Proportional mass-balance attribution through every transformation (1 kg refined from 600 g
/// of ASM ore and 400 g of LSM ore attributes 0.6 and 0.4), exact: the attributed milligrams
/// add up to the traced quantity and every share carries its exact fraction. Each origin shows
/// its mining scale, country, CAHRA status and certification on the extraction date under the
/// organisation's policy. Another organisation's lot is 404; its lots are never reached.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "trace_lot",
    params(("id" = LotId, Path, description = "Lot id"), TraceUnitQuery),
    responses(
        (status = 200, description = "The provenance", content(
            (Provenance = "application/json"),
            (String = "image/svg+xml"),
        )),
        (status = 406, description = "Neither JSON nor SVG is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lot of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/lots/{id}/provenance")]
pub async fn trace_lot(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<LotId>,
    query: ApiQuery<TraceUnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let options = TraceOptions {
        tolerance: state.config.yield_tolerance,
        unit: query.0.unit,
    };
    let media = choose(&req, &[JSON, SVG], "the provenance")?;
    let (traced, names) = state
        .db
        .read_replica(move |conn| {
            let traced = trace::lot(conn, organisation, id, options)?;
            let names = names_if(conn, media, &traced)?;
            Ok::<_, crate::app::AppError>((traced, names))
        })
        .await?;
    let subject = TraceSubject {
        kind: TraceSubjectKind::Lot,
        id: id.to_string(),
    };
    Ok(respond(media, provenance_view(subject, traced), &names))
}

/// Traces a purchase's quantity through its lot back to the mines of origin.
///
/// As `trace_lot`, for the purchase's quantity, with certification lapses judged against the
/// purchase date too. A purchase that names no lot is traced as entirely untraced
/// (`untraced_volume`). Another organisation's purchase is 404.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "trace_purchase",
    params(("id" = PurchaseId, Path, description = "Purchase id"), TraceUnitQuery),
    responses(
        (status = 200, description = "The provenance", content(
            (Provenance = "application/json"),
            (String = "image/svg+xml"),
        )),
        (status = 406, description = "Neither JSON nor SVG is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such purchase of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/purchases/{id}/provenance")]
pub async fn trace_purchase(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PurchaseId>,
    query: ApiQuery<TraceUnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let options = TraceOptions {
        tolerance: state.config.yield_tolerance,
        unit: query.0.unit,
    };
    let media = choose(&req, &[JSON, SVG], "the provenance")?;
    let (traced, names) = state
        .db
        .read_replica(move |conn| {
            let traced = trace::purchase(conn, organisation, id, options)?;
            let names = names_if(conn, media, &traced)?;
            Ok::<_, crate::app::AppError>((traced, names))
        })
        .await?;
    let subject = TraceSubject {
        kind: TraceSubjectKind::Purchase,
        id: id.to_string(),
    };
    Ok(respond(media, provenance_view(subject, traced), &names))
}

/// The period and mineral of a supplier's provenance.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartyProvenanceQuery {
    /// Only purchases of this mineral.
    pub mineral: Option<Mineral>,
    /// Purchases on or after this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Purchases on or before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// The unit of the exact quantities (default: the policy's `reporting_unit`).
    pub unit: Option<MassUnit>,
}

/// The unit of a trace's exact quantities.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TraceUnitQuery {
    /// `g`, `kg`, `t` or `troy_oz` (default: the policy's `reporting_unit`, itself `kg` by
    /// default): the unit of every `quantity` of the answer.
    pub unit: Option<MassUnit>,
}

/// Traces every purchase from a supplier in a period, each through its lot, together: what the
/// supplier's material came from, weighted by the quantities bought.
///
/// Purchases that name no lot count as untraced. 404 when the organisation bought nothing from
/// this party in the period.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "trace_party",
    params(("id" = PartyId, Path, description = "The supplier's party id"), PartyProvenanceQuery),
    responses(
        (status = 200, description = "The provenance", body = Provenance),
        (status = 400, description = "A bad parameter",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No purchase from this party in the period",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/parties/{id}/provenance")]
pub async fn trace_party(
    caller: Caller,
    id: web::Path<PartyId>,
    query: ApiQuery<PartyProvenanceQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let query = query.0;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid_parameter(
            "from",
            "must not be after `to`",
        ));
    }
    let organisation = caller.organisation_id;
    let options = TraceOptions {
        tolerance: state.config.yield_tolerance,
        unit: query.unit,
    };
    let period = PurchaseScope {
        mineral: query.mineral,
        from: query.from,
        to: query.to,
        ..Default::default()
    };
    let traced = state
        .db
        .read_replica(move |conn| trace::supplier(conn, organisation, id, period.clone(), options))
        .await?;
    let subject = TraceSubject {
        kind: TraceSubjectKind::Party,
        id: id.to_string(),
    };
    Ok(HttpResponse::Ok().json(provenance_view(subject, traced)))
}
