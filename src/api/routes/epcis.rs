//! `/v1/epcis`: GS1 EPCIS 2.0 capture and query, after the standard's REST binding
//! (docs/EPCIS.md): `POST /v1/epcis/capture` takes an `EPCISDocument` and answers `202` with the
//! capture job; `GET /v1/epcis/capture/{captureID}` reads the job; `GET /v1/epcis/events` and
//! `GET /v1/epcis/events/{eventID}` answer `EPCISQueryDocument`s.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiQuery, read_json_body};
use crate::api::http::pagination::{PageRequest, encode_cursor};
use crate::api::state::AppState;
use crate::app::batch::limits::{EPCIS_CAPTURE_BYTES, EPCIS_CAPTURE_EVENTS};
use crate::app::epcis::{self, query, render};
use crate::auth::Scope;
use crate::domain::epcis::{CBV_VERSION, EPCIS_VERSION, ErrorBehaviour, document};
use crate::domain::ids::EpcisCaptureId;
use crate::store::audit::Actor;
use crate::store::epcis::CaptureRecord;

/// The request header choosing what a refused event does to the capture.
pub const ERROR_BEHAVIOUR: &str = "GS1-Capture-Error-Behaviour";

/// Declares the `GS1-Capture-Error-Behaviour` header of `capture_epcis` in the OpenAPI document:
/// an optional string, `rollback` or `proceed` (declared here because a path macro's optional
/// header is a nullable reference, which generated clients cannot take).
pub fn document_error_behaviour(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let Some(operation) = doc
        .paths
        .paths
        .get_mut("/v1/epcis/capture")
        .and_then(|item| item.post.as_mut())
    else {
        return;
    };
    let header = ParameterBuilder::new()
        .name(ERROR_BEHAVIOUR)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "`rollback` (the default: all or none) or `proceed` (the good events are written, \
             the refused ones reported)",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["rollback", "proceed"]))
                .default(Some(serde_json::json!("rollback"))),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .insert(0, header.into());
}

/// The binding's version and limit headers, on every EPCIS answer.
fn gs1_headers(response: &mut HttpResponseBuilder) {
    response
        .insert_header(("GS1-EPCIS-Version", EPCIS_VERSION))
        .insert_header(("GS1-CBV-Version", CBV_VERSION))
        .insert_header(("GS1-EPCIS-Capture-Limit", EPCIS_CAPTURE_EVENTS.to_string()))
        .insert_header((
            "GS1-EPCIS-Capture-File-Size-Limit",
            EPCIS_CAPTURE_BYTES.to_string(),
        ));
}

/// An EPCIS 2.0 document (documentation only: the body is read as the standard defines it,
/// <https://ref.gs1.org/standards/epcis/2.0.0/>, and checked event by event).
#[derive(Deserialize, Serialize, ToSchema)]
#[schema(as = EPCISDocument)]
pub struct EpcisDocumentBody {
    /// The JSON-LD context: `https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld`
    /// and the prefixes of extension terms (Oretrace's: `{"oretrace":
    /// "https://oretrace.org/ns/epcis/"}`).
    #[serde(rename = "@context")]
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
    /// `EPCISDocument` (an `EPCISQueryDocument` is captured too).
    #[serde(rename = "type")]
    #[schema(example = "EPCISDocument")]
    pub document_type: String,
    /// `2.0`.
    #[serde(rename = "schemaVersion")]
    #[schema(example = "2.0")]
    pub schema_version: String,
    #[serde(rename = "creationDate")]
    pub creation_date: DateTime<Utc>,
    /// `{"eventList": [...]}`: ObjectEvent, TransactionEvent and TransformationEvent.
    #[serde(rename = "epcisBody")]
    #[schema(value_type = Object)]
    pub epcis_body: serde_json::Value,
}

/// The organisation's events as an EPCIS 2.0 `EPCISQueryDocument`
/// (`epcisBody.queryResults.resultsBody.eventList`).
#[derive(Serialize, ToSchema)]
#[schema(as = EPCISQueryDocument)]
pub struct EpcisQueryDocumentBody {
    /// The EPCIS context URL, then objects declaring prefixes (Oretrace's and those of the
    /// documents the events were captured in).
    #[serde(rename = "@context")]
    #[schema(value_type = Vec<Value>)]
    pub context: serde_json::Value,
    /// `EPCISQueryDocument`.
    #[serde(rename = "type")]
    pub document_type: String,
    #[serde(rename = "schemaVersion")]
    pub schema_version: String,
    #[serde(rename = "creationDate")]
    pub creation_date: DateTime<Utc>,
    /// `{"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList":
    /// [...]}}}`.
    #[serde(rename = "epcisBody")]
    #[schema(value_type = Object)]
    pub epcis_body: serde_json::Value,
}

/// A refused event of a capture: an RFC 9457 problem whose `errors` point into the captured
/// document.
#[derive(Serialize, ToSchema)]
pub struct CaptureError {
    /// `epcisException:ValidationException`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The event's eventID (given, or generated for an event sent without one).
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// The event's pointer in the document (`/epcisBody/eventList/3`).
    pub pointer: String,
    /// Each refused member: `{pointer, detail}`.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
}

/// A capture job (the REST binding's `EPCISCaptureJob`).
#[derive(Serialize, ToSchema)]
pub struct CaptureJob {
    #[serde(rename = "captureID")]
    pub capture_id: EpcisCaptureId,
    /// Whether it still runs (captures run within the request: always false when answered).
    pub running: bool,
    /// Whether every event was captured. Under `rollback`, false means nothing was written;
    /// under `proceed`, the events without errors were.
    pub success: bool,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[serde(rename = "finishedAt")]
    pub finished_at: Option<DateTime<Utc>>,
    /// `rollback` or `proceed`.
    #[serde(rename = "captureErrorBehaviour")]
    pub capture_error_behaviour: String,
    /// One problem per refused event; empty when it succeeded.
    #[schema(value_type = Vec<CaptureError>)]
    pub errors: serde_json::Value,
    /// Events in the document.
    #[serde(rename = "eventCount")]
    pub event_count: i32,
    /// Events written as custody events by this capture.
    #[serde(rename = "capturedCount")]
    pub captured_count: i32,
    /// Events the organisation had already (the same eventID and content): not written again.
    #[serde(rename = "duplicateCount")]
    pub duplicate_count: i32,
}

impl From<CaptureRecord> for CaptureJob {
    fn from(r: CaptureRecord) -> CaptureJob {
        CaptureJob {
            capture_id: r.id,
            running: r.running,
            success: r.success,
            created_at: r.created_at,
            finished_at: r.finished_at,
            capture_error_behaviour: r.error_behaviour,
            errors: r.errors,
            event_count: r.event_count,
            captured_count: r.captured_count,
            duplicate_count: r.duplicate_count,
        }
    }
}

fn error_behaviour(req: &HttpRequest) -> Result<ErrorBehaviour, ApiError> {
    match req.headers().get(ERROR_BEHAVIOUR) {
        None => Ok(ErrorBehaviour::Rollback),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(ErrorBehaviour::parse)
            .ok_or_else(|| {
                ApiError::invalid_parameter(ERROR_BEHAVIOUR, "must be rollback or proceed")
            }),
    }
}

/// Captures an EPCIS 2.0 document into custody events.
///
/// The body is an `EPCISDocument` (or an `EPCISQueryDocument`) as `application/json` or
/// `application/ld+json`, at most 1,000 events (`GS1-EPCIS-Capture-Limit`) and 4 MiB
/// (`GS1-EPCIS-Capture-File-Size-Limit`; 413 beyond). An `ObjectEvent` `ADD` at a mine is an
/// extraction, an `OBSERVE` with `bizStep` `shipping` or `receiving` a transfer between its
/// `owning_party` source and destination, a `TransactionEvent` a transfer with its business
/// transactions as documents, a `TransformationEvent` a transformation; quantities in KGM,
/// GRM, TNE or APZ. Locations, parties and lots are resolved as docs/EPCIS.md says; a lot is
/// created when an event first produces it.
///
/// A document that is not EPCIS 2.0 as a whole (its type, `schemaVersion`, `creationDate`,
/// `@context`, event list) is refused with 422 and no job. Otherwise the answer is `202` with
/// the finished capture job and its `Location`: each refused event is a problem in `errors`,
/// pointing into the document (`/epcisBody/eventList/3/inputQuantityList/0/epcClass`), with the
/// same refusals as `POST /v1/custody-events`. `GS1-Capture-Error-Behaviour: rollback` (the
/// default) writes nothing when any event is refused; `proceed` writes the others. An eventID
/// the organisation has already is not written again (`duplicateCount`).
#[utoipa::path(
    tag = "epcis",
    operation_id = "capture_epcis",
    request_body(
        description = "An EPCIS 2.0 document",
        content(
            (EpcisDocumentBody = "application/json"),
            (EpcisDocumentBody = "application/ld+json"),
        )
    ),
    responses(
        (status = 202, description = "Captured (see `success`): the capture job", body = CaptureJob,
         headers(
             ("Location" = String, description = "The capture job: /v1/epcis/capture/{captureID}"),
             ("GS1-EPCIS-Version" = String, description = "2.0.0"),
             ("GS1-CBV-Version" = String, description = "2.0.0"),
             ("GS1-EPCIS-Capture-Limit" = String, description = "Events per capture: 1000"),
             ("GS1-EPCIS-Capture-File-Size-Limit" = String, description = "Bytes per capture"),
         )),
        (status = 400, description = "Malformed JSON, or a bad GS1-Capture-Error-Behaviour",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than GS1-EPCIS-Capture-File-Size-Limit",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an EPCIS 2.0 document: nothing captured",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:write"]), ("oauth2" = ["provenance:write"]))
)]
#[post("/v1/epcis/capture")]
pub async fn capture_epcis(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceWrite)?;
    let behaviour = error_behaviour(&req)?;
    let bytes = read_json_body(&req, &mut payload.into_inner(), EPCIS_CAPTURE_BYTES).await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
    let document = document::read(&value, EPCIS_CAPTURE_EVENTS).map_err(ApiError::validation)?;
    let actor = Actor::from(&caller);
    let tolerance = state.config.yield_tolerance;
    let job = state
        .db
        .write(move |conn| epcis::capture(conn, &actor, &document, behaviour, tolerance))
        .await?;
    let mut response = HttpResponse::Accepted();
    gs1_headers(&mut response);
    response.insert_header((header::LOCATION, format!("/v1/epcis/capture/{}", job.id)));
    Ok(response.json(CaptureJob::from(job)))
}

/// Reads one of the organisation's capture jobs: whether it succeeded, and each refused event
/// with pointers into the captured document. Another organisation's job is 404.
#[utoipa::path(
    tag = "epcis",
    operation_id = "get_epcis_capture",
    params(("captureID" = EpcisCaptureId, Path, description = "The capture job's id")),
    responses(
        (status = 200, description = "The capture job", body = CaptureJob),
        (status = 404, description = "No such capture job of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/epcis/capture/{captureID}")]
pub async fn get_epcis_capture(
    caller: Caller,
    id: web::Path<EpcisCaptureId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let id = id.into_inner();
    let organisation = caller.organisation_id;
    let job = state
        .db
        .read(move |conn| epcis::get_capture(conn, organisation, id))
        .await?;
    let mut response = HttpResponse::Ok();
    gs1_headers(&mut response);
    Ok(response.json(CaptureJob::from(job)))
}

/// The query parameters of the REST binding that Oretrace supports. Lists are `|`-separated
/// (the binding's `pipeDelimited` style).
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EpcisEventQuery {
    /// Only these event types: `ObjectEvent|TransformationEvent`.
    #[serde(rename = "eventType")]
    #[param(rename = "eventType")]
    pub event_type: Option<String>,
    /// Only events at or after this time (RFC 3339; encode `+` as `%2B`).
    #[serde(rename = "GE_eventTime")]
    #[param(rename = "GE_eventTime")]
    pub ge_event_time: Option<DateTime<Utc>>,
    /// Only events before this time.
    #[serde(rename = "LT_eventTime")]
    #[param(rename = "LT_eventTime")]
    pub lt_event_time: Option<DateTime<Utc>>,
    /// Only events naming one of these lots (instance EPCs): `|`-separated identifiers.
    #[serde(rename = "MATCH_epc")]
    #[param(rename = "MATCH_epc")]
    pub match_epc: Option<String>,
    /// As `MATCH_epc`, on any side of the event.
    #[serde(rename = "MATCH_anyEPC")]
    #[param(rename = "MATCH_anyEPC")]
    pub match_any_epc: Option<String>,
    /// Only events naming one of these lots by class (`urn:epc:class:lgtin:…`, Digital Link).
    #[serde(rename = "MATCH_epcClass")]
    #[param(rename = "MATCH_epcClass")]
    pub match_epc_class: Option<String>,
    /// As `MATCH_epcClass`, on any side of the event (inputs and outputs too).
    #[serde(rename = "MATCH_anyEPCClass")]
    #[param(rename = "MATCH_anyEPCClass")]
    pub match_any_epc_class: Option<String>,
    /// Only events at the facility this location names (sgln, Digital Link `/414/`, Oretrace
    /// facility URN).
    #[serde(rename = "EQ_bizLocation")]
    #[param(rename = "EQ_bizLocation")]
    pub eq_biz_location: Option<String>,
    /// As `EQ_bizLocation`.
    #[serde(rename = "EQ_readPoint")]
    #[param(rename = "EQ_readPoint")]
    pub eq_read_point: Option<String>,
    /// Only events with one of these business steps: `shipping|receiving`.
    #[serde(rename = "EQ_bizStep")]
    #[param(rename = "EQ_bizStep")]
    pub eq_biz_step: Option<String>,
    /// Events per page, 1 to 500 (default 30).
    #[serde(rename = "perPage")]
    #[param(rename = "perPage", minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
    /// The token of the next page, from the previous page's `Link` header.
    #[serde(rename = "nextPageToken")]
    #[param(
        rename = "nextPageToken",
        pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    pub next_page_token: Option<String>,
}

fn pipe_list(name: &str, value: Option<&String>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let items: Vec<String> = value
        .split('|')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() || items.len() > 100 {
        return Err(ApiError::invalid_parameter(
            name,
            "give 1 to 100 values separated by |",
        ));
    }
    Ok(Some(items))
}

/// `<path?query with the next page token>; rel="next"`.
fn next_link(req: &HttpRequest, token: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if name != "nextPageToken" {
            query.append_pair(&name, &value);
        }
    }
    query.append_pair("nextPageToken", token);
    format!("<{}?{}>; rel=\"next\"", req.path(), query.finish())
}

/// Lists the organisation's events as an EPCIS 2.0 `EPCISQueryDocument`: the events captured
/// (as they were sent, extension members included) and the custody events recorded natively
/// (rendered as EPCIS, docs/EPCIS.md), in the order they were recorded.
///
/// Filtered by the REST binding's query parameters listed here; an unknown parameter is 400.
/// Paged as the binding says: `perPage` (default 30, at most 500) and `nextPageToken`, the next
/// page named by the `Link: <…>; rel="next"` header (absent on the last page). May be answered
/// by the read replica when one is configured.
#[utoipa::path(
    tag = "epcis",
    operation_id = "list_epcis_events",
    params(EpcisEventQuery),
    responses(
        (status = 200, description = "A page of events", body = EpcisQueryDocumentBody,
         headers(("Link" = String, description = "The next page: `<…>; rel=\"next\"`"))),
        (status = 400, description = "A bad parameter or page token",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/epcis/events")]
pub async fn list_epcis_events(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<EpcisEventQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let q = query.0;
    if let (Some(from), Some(before)) = (q.ge_event_time, q.lt_event_time)
        && from >= before
    {
        return Err(ApiError::invalid_parameter(
            "GE_eventTime",
            "must be before LT_eventTime",
        ));
    }
    let page = PageRequest::new(Some(q.per_page.unwrap_or(30)), q.next_page_token.as_deref())
        .map_err(|e| rename_page_errors(e, q.per_page.is_some()))?;
    let mut lots: Option<Vec<String>> = None;
    for (name, value) in [
        ("MATCH_epc", &q.match_epc),
        ("MATCH_anyEPC", &q.match_any_epc),
        ("MATCH_epcClass", &q.match_epc_class),
        ("MATCH_anyEPCClass", &q.match_any_epc_class),
    ] {
        if let Some(list) = pipe_list(name, value.as_ref())? {
            lots.get_or_insert_with(Vec::new).extend(list);
        }
    }
    let filter = query::EventQuery {
        event_types: pipe_list("eventType", q.event_type.as_ref())?,
        from: q.ge_event_time,
        before: q.lt_event_time,
        lots,
        locations: [q.eq_biz_location, q.eq_read_point]
            .into_iter()
            .flatten()
            .collect(),
        biz_steps: pipe_list("EQ_bizStep", q.eq_biz_step.as_ref())?,
    };
    let organisation = caller.organisation_id;
    let request = page.clone();
    let mut events = state
        .db
        .read_replica(move |conn| query::list(conn, organisation, &filter, &request))
        .await?;
    let more = events.len() as i64 > page.limit;
    events.truncate(page.limit as usize);
    let contexts = query::contexts(&events);
    let next = more
        .then(|| events.last().map(|e| encode_cursor(&e.id.to_string())))
        .flatten();
    let body = render::query_document(events.into_iter().map(|e| e.json).collect(), &contexts);
    let mut response = HttpResponse::Ok();
    gs1_headers(&mut response);
    if let Some(token) = next {
        response.insert_header((header::LINK, next_link(&req, &token)));
    }
    Ok(response.json(body))
}

/// The page errors named by this route's parameters (`perPage`, `nextPageToken`).
fn rename_page_errors(mut error: ApiError, per_page_given: bool) -> ApiError {
    for e in &mut error.errors {
        match e.parameter.as_deref() {
            Some("limit") if per_page_given => e.parameter = Some("perPage".into()),
            Some("cursor") => e.parameter = Some("nextPageToken".into()),
            _ => {}
        }
    }
    error
}

/// Reads one of the organisation's events by its eventID (URL-encoded), as an
/// `EPCISQueryDocument` of that event. Another organisation's event is 404.
#[utoipa::path(
    tag = "epcis",
    operation_id = "get_epcis_event",
    params(("eventID" = String, Path, description = "The eventID, URL-encoded")),
    responses(
        (status = 200, description = "The event", body = EpcisQueryDocumentBody),
        (status = 404, description = "No such event of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/epcis/events/{eventID}")]
pub async fn get_epcis_event(
    caller: Caller,
    event_id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let event_id = event_id.into_inner();
    if event_id.is_empty() || event_id.len() > 1000 || event_id.contains('\0') {
        return Err(ApiError::not_found("no such event"));
    }
    let organisation = caller.organisation_id;
    let event = state
        .db
        .read(move |conn| query::get(conn, organisation, &event_id))
        .await?;
    let contexts = query::contexts(std::slice::from_ref(&event));
    let body = render::query_document(vec![event.json], &contexts);
    let mut response = HttpResponse::Ok();
    gs1_headers(&mut response);
    Ok(response.json(body))
}
