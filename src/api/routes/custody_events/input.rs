//! The body of `POST /v1/custody-events`: one event, or `{"events": [...]}`, and how each event
//! becomes a validated [`EventLine`].

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::error::{ApiError, FieldError};
use crate::api::http::input::from_value;
use crate::app::batch::limits::CUSTODY_EVENT_ROWS;
use crate::app::provenance::custody_events::refused;
use crate::domain::ids::{FacilityId, LotId, PartyId};
use crate::domain::lot::{AmountDraft, Document, EventDraft, EventLine};
use crate::domain::quantity::QuantityInput;
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};
use crate::store::Rejection;

/// A quantity of one lot in an event.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotQuantityInput {
    /// One of the organisation's lots.
    pub lot_id: LotId,
    /// How much of it. For an extraction, omit it to take the lot's whole quantity.
    #[serde(default)]
    pub quantity: Option<QuantityInput>,
}

/// A custody event as sent (after GS1 EPCIS 2.0 `ObjectEvent`/`TransformationEvent` and the UN
/// Transparency Protocol's traceability events). Which members apply depends on `type`:
///
/// - `extraction`: `facility_id` (a mine) and `outputs` (exactly one lot, the lot extracted);
///   optionally `to_party_id` (the mine operator or ASM organisation holding it).
/// - `transfer`: `from_party_id`, `to_party_id` and `lots` (what passed, with quantities);
///   optionally `documents`.
/// - `transformation`: `facility_id` (a concentrator, smelter, refiner or recycler),
///   `chain_of_custody`, `inputs` (lots consumed) and `outputs` (lots produced).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustodyEventInput {
    /// `extraction`, `transfer` or `transformation`.
    #[serde(rename = "type")]
    pub event_type: CustodyEventType,
    /// The day it happened (ISO 8601).
    #[serde(deserialize_with = "crate::domain::time::strict_date::required")]
    pub occurred_on: NaiveDate,
    /// The organisation's own reference for the event, unique within it (optional).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub external_ref: Option<String>,
    /// Where it happened: the mine of an extraction, the plant of a transformation.
    #[serde(default)]
    pub facility_id: Option<FacilityId>,
    /// The party handing material over (transfer).
    #[serde(default)]
    pub from_party_id: Option<PartyId>,
    /// The party receiving it (transfer), or holding the extracted lot (extraction).
    #[serde(default)]
    pub to_party_id: Option<PartyId>,
    /// The chain-of-custody model of a transformation.
    #[serde(default)]
    pub chain_of_custody: Option<ChainOfCustody>,
    /// The lots handed over (transfer).
    #[serde(default)]
    pub lots: Vec<LotQuantityInput>,
    /// The lots consumed (transformation).
    #[serde(default)]
    pub inputs: Vec<LotQuantityInput>,
    /// The lots produced (transformation) or extracted (extraction, exactly one).
    #[serde(default)]
    pub outputs: Vec<LotQuantityInput>,
    /// Business documents: purchase orders, invoices, bills of lading.
    #[serde(default)]
    pub documents: Vec<Document>,
}

/// A batch of custody events, written all or none.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustodyEventBatch {
    /// The events, in order: an event may use lots produced by an earlier one.
    pub events: Vec<CustodyEventInput>,
}

/// One event, or `{"events": [...]}` (documentation only: the body is told apart by its
/// `events` member).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CustodyEventsRequest {
    One(CustodyEventInput),
    Batch(CustodyEventBatch),
}

fn drafts(list: Vec<LotQuantityInput>) -> Vec<AmountDraft> {
    list.into_iter()
        .map(|l| AmountDraft {
            lot: l.lot_id,
            quantity: l.quantity,
        })
        .collect()
}

impl From<CustodyEventInput> for EventDraft {
    fn from(input: CustodyEventInput) -> EventDraft {
        EventDraft {
            event_type: input.event_type,
            occurred_on: input.occurred_on,
            external_ref: input.external_ref,
            facility: input.facility_id,
            from_party: input.from_party_id,
            to_party: input.to_party_id,
            chain_of_custody: input.chain_of_custody,
            lots: drafts(input.lots),
            inputs: drafts(input.inputs),
            outputs: drafts(input.outputs),
            documents: input.documents,
        }
    }
}

/// The validated events of a body.
pub struct Events {
    pub lines: Vec<EventLine>,
    /// Whether the body was a batch (`{"events": [...]}`), answered as one.
    pub batch: bool,
}

/// The events of a body, validated: the body is parsed once into its one shape, told apart by
/// an `events` member. Refused with every bad field named (`/events/2/inputs/0/lot_id` in a
/// batch) and nothing written.
pub fn parse(body: serde_json::Value) -> Result<Events, ApiError> {
    let is_batch = body.get("events").is_some();
    let inputs: Vec<(String, CustodyEventInput)> = if is_batch {
        let batch: CustodyEventBatch = from_value("", body).map_err(one_error)?;
        if batch.events.is_empty() || batch.events.len() > CUSTODY_EVENT_ROWS {
            return Err(one_error(FieldError::at(
                "/events",
                format!("give 1 to {CUSTODY_EVENT_ROWS} events"),
            )));
        }
        batch
            .events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (format!("/events/{i}"), e))
            .collect()
    } else {
        vec![(String::new(), from_value("", body).map_err(one_error)?)]
    };
    let mut lines = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (base, input) in inputs {
        match EventLine::validate(input.into(), &base) {
            Ok(line) => lines.push(line),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(refused(errors.into_iter().map(Rejection::from).collect()).into());
    }
    Ok(Events {
        lines,
        batch: is_batch,
    })
}

fn one_error(error: FieldError) -> ApiError {
    ApiError::validation(vec![error])
}
