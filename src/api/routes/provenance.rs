//! `GET /v1/lots/{id}/provenance`, `GET /v1/purchases/{id}/provenance` and
//! `GET /v1/parties/{id}/provenance`: the chain back to the mines of origin, the quantity and
//! exact share attributed to each, recycled and untraced shares, the graph to draw and the red
//! flags.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::domain::certification::EffectiveStatus;
use crate::domain::country::CountryCode;
use crate::domain::ids::{LotId, PartyId, PurchaseId};
use crate::domain::policy::PolicyClass;
use crate::domain::provenance::{
    Arithmetic, Attribution, ExactShare, LotQuantity, ProvenanceGraph, Source, TraceSummary,
};
use crate::domain::quantity::Quantity;
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::{Mineral, MiningScale};
use crate::store::provenance::{
    Evaluated, PurchaseScope, TraceContext, bought_without_lot, purchases_with_lots,
};
use crate::store::{lot, purchase};

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
    /// The traced quantity in milligrams.
    pub quantity_mg: i64,
    /// The same in kilograms.
    pub quantity_kg: String,
    /// The lots traced and the milligrams traced from each.
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

/// Builds the answer from an evaluated trace.
pub fn provenance_view(
    subject: TraceSubject,
    mineral: Option<Mineral>,
    context: &TraceContext,
    evaluated: Evaluated,
) -> Provenance {
    let Evaluated { trace, flags } = evaluated;
    let mut origins: Vec<OriginView> = trace
        .attributions
        .iter()
        .filter_map(|a| match &a.source {
            Source::Mine {
                facility_id,
                event_id,
                extracted_on,
            } => {
                let info = context.facilities.get(facility_id);
                let scale = info.and_then(|i| i.facts.mining_scale);
                let acceptance = match (info, scale) {
                    (Some(info), Some(scale)) => context.policy.accepts(
                        match scale {
                            MiningScale::Asm => PolicyClass::Asm,
                            MiningScale::Lsm => PolicyClass::Lsm,
                        },
                        &info.facts.certificates,
                        *extracted_on,
                        mineral,
                    ),
                    _ => None,
                };
                Some(OriginView {
                    facility_id: facility_id.clone(),
                    facility_name: info.map(|i| i.name.clone()),
                    mining_scale: scale,
                    country: info.map(|i| i.facts.country),
                    cahra: info.is_some_and(|i| i.facts.cahra),
                    extraction_event_id: event_id.clone(),
                    extracted_on: *extracted_on,
                    lot_id: a.lot_id.clone(),
                    quantity_mg: a.quantity_mg,
                    quantity_kg: Quantity::kg_text(a.quantity_mg),
                    share: a.share.clone(),
                    certification: CertificationOnDate {
                        date: *extracted_on,
                        certified: acceptance.is_some(),
                        certificate_id: acceptance.as_ref().map(|a| a.certificate_id.clone()),
                        scheme: acceptance.as_ref().map(|a| a.scheme.clone()),
                        level: acceptance.as_ref().and_then(|a| a.standing.level.clone()),
                        status: acceptance.as_ref().map(|a| a.standing.status),
                    },
                })
            }
            _ => None,
        })
        .collect();
    origins.sort_by(|a, b| {
        b.quantity_mg
            .cmp(&a.quantity_mg)
            .then_with(|| a.facility_id.cmp(&b.facility_id))
            .then_with(|| a.lot_id.cmp(&b.lot_id))
    });
    Provenance {
        subject,
        mineral,
        quantity_mg: trace.quantity_mg,
        quantity_kg: Quantity::kg_text(trace.quantity_mg),
        roots: trace.roots,
        origins,
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
#[utoipa::path(
    tag = "provenance",
    operation_id = "trace_lot",
    params(("id" = LotId, Path, description = "Lot id")),
    responses(
        (status = 200, description = "The provenance", body = Provenance),
        (status = 404, description = "No such lot of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/lots/{id}/provenance")]
pub async fn trace_lot(
    caller: Caller,
    id: web::Path<LotId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let tolerance = state.config.yield_tolerance;
    let view = state
        .db
        .read(move |conn| -> Result<_, ApiError> {
            let Some(found) = lot::find(conn, organisation, &id.to_string())? else {
                return Ok(None);
            };
            let context = TraceContext::load(conn, organisation, std::slice::from_ref(&found.id))?;
            let roots = [LotQuantity {
                lot_id: found.id.clone(),
                quantity_mg: found.quantity_mg,
            }];
            let evaluated = context.evaluate(&roots, Some(found.mineral), None, tolerance)?;
            let subject = TraceSubject {
                kind: TraceSubjectKind::Lot,
                id: found.id,
            };
            Ok(Some(provenance_view(
                subject,
                Some(found.mineral),
                &context,
                evaluated,
            )))
        })
        .await?;
    view.map(|v| HttpResponse::Ok().json(v))
        .ok_or_else(|| ApiError::not_found(format!("no lot {id}")))
}

/// Traces a purchase's quantity through its lot back to the mines of origin.
///
/// As `trace_lot`, for the purchase's quantity, with certification lapses judged against the
/// purchase date too. A purchase that names no lot is traced as entirely untraced
/// (`untraced_volume`). Another organisation's purchase is 404.
#[utoipa::path(
    tag = "provenance",
    operation_id = "trace_purchase",
    params(("id" = PurchaseId, Path, description = "Purchase id")),
    responses(
        (status = 200, description = "The provenance", body = Provenance),
        (status = 404, description = "No such purchase of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/purchases/{id}/provenance")]
pub async fn trace_purchase(
    caller: Caller,
    id: web::Path<PurchaseId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let tolerance = state.config.yield_tolerance;
    let view = state
        .db
        .read(move |conn| -> Result<_, ApiError> {
            let Some(found) = purchase::find(conn, organisation, id)? else {
                return Ok(None);
            };
            // A purchase without a lot is traced through a lot id that loads nothing: all of
            // it is untraced.
            let lot_id = found
                .lot
                .map(|l| l.to_string())
                .unwrap_or_else(|| format!("purchase:{}", found.id));
            let context = TraceContext::load(conn, organisation, std::slice::from_ref(&lot_id))?;
            let roots = [LotQuantity {
                lot_id,
                quantity_mg: found.quantity_mg,
            }];
            let evaluated = context.evaluate(
                &roots,
                Some(found.mineral),
                Some(found.purchased_on),
                tolerance,
            )?;
            let subject = TraceSubject {
                kind: TraceSubjectKind::Purchase,
                id: found.id.to_string(),
            };
            Ok(Some(provenance_view(
                subject,
                Some(found.mineral),
                &context,
                evaluated,
            )))
        })
        .await?;
    view.map(|v| HttpResponse::Ok().json(v))
        .ok_or_else(|| ApiError::not_found(format!("no purchase {id}")))
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
}

/// Traces every purchase from a supplier in a period, each through its lot, together: what the
/// supplier's material came from, weighted by the quantities bought.
///
/// Purchases that name no lot count as untraced. 404 when the organisation bought nothing from
/// this party in the period.
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
    let tolerance = state.config.yield_tolerance;
    let view = state
        .db
        .read(move |conn| -> Result<_, ApiError> {
            let filter = purchase::PurchaseFilter {
                mineral: query.mineral,
                supplier: Some(id),
                from: query.from,
                to: query.to,
                ..Default::default()
            };
            let total_untraced = bought_without_lot(conn, organisation, &filter)?;
            let with_lots = purchases_with_lots(
                conn,
                organisation,
                &PurchaseScope {
                    supplier: Some(id.to_string()),
                    mineral: query.mineral,
                    from: query.from,
                    to: query.to,
                    ..Default::default()
                },
            )?;
            let mut by_lot: BTreeMap<String, i64> = BTreeMap::new();
            for p in &with_lots {
                *by_lot.entry(p.lot_id.clone()).or_default() += p.quantity_mg;
            }
            if total_untraced > 0 {
                by_lot.insert(format!("party:{id}:no-lot"), total_untraced);
            }
            if by_lot.is_empty() {
                return Ok(None);
            }
            let lots: Vec<String> = by_lot.keys().cloned().collect();
            let context = TraceContext::load(conn, organisation, &lots)?;
            let roots: Vec<LotQuantity> = by_lot
                .into_iter()
                .map(|(lot_id, quantity_mg)| LotQuantity {
                    lot_id,
                    quantity_mg,
                })
                .collect();
            let evaluated = context.evaluate(&roots, query.mineral, None, tolerance)?;
            let subject = TraceSubject {
                kind: TraceSubjectKind::Party,
                id: id.to_string(),
            };
            Ok(Some(provenance_view(
                subject,
                query.mineral,
                &context,
                evaluated,
            )))
        })
        .await?;
    view.map(|v| HttpResponse::Ok().json(v))
        .ok_or_else(|| ApiError::not_found(format!("no purchase from party {id} in this period")))
}
