//! `/v1/custody-events`: extraction, transfer and transformation events between the
//! organisation's lots (after GS1 EPCIS 2.0 and the UN Transparency Protocol).

pub mod input;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiBatchJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::provenance::custody_events::{self, Written};
use crate::auth::Scope;
use crate::domain::ids::{CustodyEventId, FacilityId, LotId, PartyId};
use crate::domain::lot::Document;
use crate::domain::quantity::MassUnit;
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};
use crate::store::audit::Actor;
use crate::store::custody_event::{EventFilter, EventLot, EventRecord};
use input::CustodyEventsRequest;

crate::page_type!(CustodyEventList, CustodyEvent);

/// A lot and the quantity of it an event concerns.
#[derive(Serialize, ToSchema)]
pub struct EventLotView {
    pub lot_id: LotId,
    /// Milligrams (the nearest milligram of a quantity in troy ounces).
    pub quantity_mg: i64,
    /// The same in kilograms, exactly (a quantity in troy ounces: its exact mass, to the
    /// femtogram).
    pub quantity_kg: String,
    /// Micro troy ounces, exact, of a quantity in troy ounces; absent for a metric one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 1_000_000)]
    pub quantity_uozt: Option<i64>,
}

/// A recorded custody event.
#[derive(Serialize, ToSchema)]
pub struct CustodyEvent {
    pub id: CustodyEventId,
    #[serde(rename = "type")]
    pub event_type: CustodyEventType,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    /// The mine (extraction) or plant (transformation).
    pub facility_id: Option<FacilityId>,
    pub from_party_id: Option<PartyId>,
    pub to_party_id: Option<PartyId>,
    pub chain_of_custody: Option<ChainOfCustody>,
    /// The lots handed over (transfer).
    pub lots: Vec<EventLotView>,
    /// The lots consumed (transformation).
    pub inputs: Vec<EventLotView>,
    /// The lots produced (transformation) or extracted (extraction).
    pub outputs: Vec<EventLotView>,
    /// Business documents.
    pub documents: Vec<Document>,
    pub recorded_at: DateTime<Utc>,
}

fn lot_views(list: Vec<EventLot>) -> Vec<EventLotView> {
    list.into_iter()
        .map(|l| EventLotView {
            lot_id: l.lot_id,
            quantity_mg: l.quantity_mg,
            quantity_kg: l.mass().in_unit(MassUnit::Kg).text,
            quantity_uozt: (l.quantity_uozt != 0).then_some(l.quantity_uozt),
        })
        .collect()
}

impl From<EventRecord> for CustodyEvent {
    fn from(r: EventRecord) -> CustodyEvent {
        CustodyEvent {
            id: r.id,
            event_type: r.event_type,
            occurred_on: r.occurred_on,
            external_ref: r.external_ref,
            facility_id: r.facility_id,
            from_party_id: r.from_party_id,
            to_party_id: r.to_party_id,
            chain_of_custody: r.chain_of_custody,
            lots: lot_views(r.lots.transferred),
            inputs: lot_views(r.lots.inputs),
            outputs: lot_views(r.lots.outputs),
            documents: r.documents,
            recorded_at: r.recorded_at,
        }
    }
}

/// An event as written, with what looks suspicious about it.
#[derive(Serialize, ToSchema)]
pub struct WrittenEvent {
    pub event: CustodyEvent,
    /// Accepted but suspicious: `mass_balance_exceeded` when the outputs outweigh the inputs
    /// beyond `ORETRACE_YIELD_TOLERANCE`, or a lot is consumed or handed over in total beyond
    /// its quantity. Empty when nothing is.
    pub flags: Vec<RedFlag>,
}

/// The answer to a batch.
#[derive(Serialize, ToSchema)]
pub struct WrittenEvents {
    /// The events written, in the order sent.
    pub events: Vec<WrittenEvent>,
}

/// One event written, or a batch.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CustodyEventsWritten {
    One(Box<WrittenEvent>),
    Batch(WrittenEvents),
}

impl From<Written> for WrittenEvent {
    fn from(w: Written) -> WrittenEvent {
        WrittenEvent {
            event: w.event.into(),
            flags: w.flags,
        }
    }
}

/// Records one custody event, or a batch of them (`{"events": [...]}`), all or none.
///
/// Refused with 422 and nothing written, each error named by pointer (`/events/2/inputs/0/lot_id`
/// in a batch): unknown lots and other organisations' lots, non-positive quantities, a lot used
/// before the event that produced it or produced after it was used, a lot produced twice,
/// cycles (a lot made from itself), an extraction elsewhere than at a mine, a transformation
/// elsewhere than at a concentrator, smelter, refiner or recycler, unknown facilities or
/// parties. Accepted but flagged (`flags`): outputs heavier than inputs beyond the yield
/// tolerance, a lot consumed or handed over in total beyond its quantity. Events of a batch
/// are written in order, so an event may use a lot produced by an earlier one.
#[utoipa::path(
    tag = "provenance",
    operation_id = "create_custody_events",
    request_body(content = CustodyEventsRequest, description = "One event, or `{\"events\": [...]}` (at most 1000)"),
    responses(
        (status = 201, description = "Written: one event answers a `WrittenEvent`, a batch \
         `WrittenEvents`", body = CustodyEventsWritten),
        (status = 400, description = "Malformed JSON",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An impossible event: nothing was written",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:write"]), ("oauth2" = ["provenance:write"]))
)]
#[post("/v1/custody-events")]
pub async fn create_custody_events(
    caller: Caller,
    body: ApiBatchJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceWrite)?;
    let input::Events { lines, batch } = input::parse(body.0)?;
    let actor = Actor::from(&caller);
    let tolerance = state.config.yield_tolerance;
    let written = state
        .db
        .write(move |conn| custody_events::record(conn, &actor, &lines, tolerance))
        .await?;
    let mut views: Vec<WrittenEvent> = written.into_iter().map(WrittenEvent::from).collect();
    let answer = if batch {
        CustodyEventsWritten::Batch(WrittenEvents { events: views })
    } else {
        CustodyEventsWritten::One(Box::new(
            views
                .pop()
                .ok_or_else(|| ApiError::internal("no event written"))?,
        ))
    };
    Ok(HttpResponse::Created().json(answer))
}

/// Filters of the event list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustodyEventQuery {
    /// Only events that consumed, produced or handed over this lot.
    pub lot_id: Option<LotId>,
    /// Only events at this facility.
    pub facility_id: Option<FacilityId>,
    /// Only events where this party hands over or receives.
    pub party_id: Option<PartyId>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<CustodyEventType>,
    /// Events on or after this day.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Events on or before this day.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// Lists the organisation's custody events in the order they were recorded, with filters.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "provenance",
    operation_id = "list_custody_events",
    params(CustodyEventQuery),
    responses(
        (status = 200, description = "A page of events", body = CustodyEventList),
        (status = 400, description = "A bad filter, limit or cursor",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/custody-events")]
pub async fn list_custody_events(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<CustodyEventQuery>,
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
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let filter = EventFilter {
        lot: query.lot_id,
        facility: query.facility_id,
        party: query.party_id,
        event_type: query.event_type,
        from: query.from,
        to: query.to,
    };
    let organisation = caller.organisation_id;
    let request = page.clone();
    let rows = state
        .db
        .read_replica(move |conn| custody_events::list(conn, organisation, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |e| e.id.to_string()).map(CustodyEvent::from);
    Ok(pagination::respond(&req, &page))
}
