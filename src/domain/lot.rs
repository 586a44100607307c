//! Lots and custody events as clients send them, parsed into validated values at the edge.
//! What needs the database (do the lots exist, is the facility a mine, would it make a cycle)
//! is checked by `models::custody_event`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{CustodyEventId, FacilityId, LotId, PartyId};
use super::purchase::{external_ref, purchase_date};
use super::quantity::{Quantity, QuantityInput};
use super::vocabulary::{ChainOfCustody, CustodyEventType, LotForm, Mineral};
use crate::domain::validation::FieldError;

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

/// A validated lot.
#[derive(Clone, Debug)]
pub struct LotLine {
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    pub quantity: Quantity,
    pub holder: Option<PartyId>,
    pub recycled: bool,
}

impl LotLine {
    /// Validates a lot as sent.
    pub fn validate(input: &LotInput) -> Result<LotLine, Vec<FieldError>> {
        let mut errors = Vec::new();
        let external_ref = external_ref(&input.external_ref)
            .map_err(|e| errors.push(FieldError::at("/external_ref", e)))
            .ok();
        let quantity = Quantity::from_input(&input.quantity)
            .map_err(|e| errors.push(FieldError::at("/quantity/value", e.to_string())))
            .ok();
        match (external_ref, quantity) {
            (Some(external_ref), Some(quantity)) => Ok(LotLine {
                external_ref,
                mineral: input.mineral,
                form: input.form,
                quantity,
                holder: input.holder_party_id,
                recycled: input.recycled,
            }),
            _ => Err(errors),
        }
    }
}

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

/// A business document backing an event (EPCIS `bizTransaction`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// What kind of document: `purchase_order`, `invoice`, `bill_of_lading`, or another word.
    #[schema(example = "invoice", min_length = 1, max_length = 50)]
    #[serde(rename = "type")]
    pub kind: String,
    /// Its reference (1 to 200 characters).
    #[schema(example = "INV-2026-0042", min_length = 1, max_length = 200)]
    pub reference: String,
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

/// At most this many events in one batch.
pub const MAX_EVENTS: usize = 1000;
/// At most this many lots on one side of an event.
pub const MAX_EVENT_LOTS: usize = 1000;

/// A lot and a quantity in a validated event; `None` quantity: the lot's whole quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotAmount {
    pub lot: LotId,
    pub quantity: Option<Quantity>,
    /// The JSON pointer of this entry, for errors found later.
    pub pointer: String,
}

/// A validated custody event (syntax only: references are checked against the database).
#[derive(Clone, Debug)]
pub struct EventLine {
    /// A given id (the demo's fixed ids); `None`: a new one.
    pub id: Option<CustodyEventId>,
    pub event_type: CustodyEventType,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub facility: Option<FacilityId>,
    pub from_party: Option<PartyId>,
    pub to_party: Option<PartyId>,
    pub chain_of_custody: Option<ChainOfCustody>,
    pub lots: Vec<LotAmount>,
    pub inputs: Vec<LotAmount>,
    pub outputs: Vec<LotAmount>,
    pub documents: Vec<Document>,
    /// The pointer of the event (`` for a single event, `/events/3` in a batch).
    pub base: String,
}

fn amounts(
    list: &[LotQuantityInput],
    pointer: &str,
    quantity_required: bool,
    errors: &mut Vec<FieldError>,
) -> Vec<LotAmount> {
    if list.len() > MAX_EVENT_LOTS {
        errors.push(FieldError::at(
            pointer,
            format!("at most {MAX_EVENT_LOTS} lots"),
        ));
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        if !seen.insert(item.lot_id) {
            errors.push(FieldError::at(
                format!("{at}/lot_id"),
                "this lot is listed twice",
            ));
        }
        let quantity = match &item.quantity {
            Some(q) => match Quantity::from_input(q) {
                Ok(q) => Some(q),
                Err(e) => {
                    errors.push(FieldError::at(
                        format!("{at}/quantity/value"),
                        e.to_string(),
                    ));
                    None
                }
            },
            None if quantity_required => {
                errors.push(FieldError::at(
                    format!("{at}/quantity"),
                    "give the quantity",
                ));
                None
            }
            None => None,
        };
        out.push(LotAmount {
            lot: item.lot_id,
            quantity,
            pointer: at,
        });
    }
    out
}

fn require<T>(value: Option<T>, pointer: String, what: &str, errors: &mut Vec<FieldError>) {
    if value.is_none() {
        errors.push(FieldError::at(pointer, format!("{what} is required")));
    }
}

fn forbid(present: bool, pointer: String, event: CustodyEventType, errors: &mut Vec<FieldError>) {
    if present {
        errors.push(FieldError::at(
            pointer,
            format!("does not apply to an {event} event"),
        ));
    }
}

impl EventLine {
    /// Validates an event as sent; `base` prefixes every pointer (`/events/3` in a batch).
    pub fn validate(input: &CustodyEventInput, base: &str) -> Result<EventLine, Vec<FieldError>> {
        let mut errors = Vec::new();
        let at = |field: &str| format!("{base}/{field}");
        if let Err(e) = purchase_date(input.occurred_on) {
            errors.push(FieldError::at(at("occurred_on"), e));
        }
        let external_ref = match &input.external_ref {
            Some(r) => match external_ref(r) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(FieldError::at(at("external_ref"), e));
                    None
                }
            },
            None => None,
        };
        for (i, d) in input.documents.iter().enumerate() {
            if let Err(e) = crate::domain::text::short_text(&d.kind, 50) {
                errors.push(FieldError::at(format!("{base}/documents/{i}/type"), e));
            }
            if let Err(e) = crate::domain::text::short_text(&d.reference, 200) {
                errors.push(FieldError::at(format!("{base}/documents/{i}/reference"), e));
            }
        }
        let event = input.event_type;
        let mut lots = Vec::new();
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        match event {
            CustodyEventType::Extraction => {
                require(
                    input.facility_id,
                    at("facility_id"),
                    "the mine",
                    &mut errors,
                );
                forbid(
                    input.from_party_id.is_some(),
                    at("from_party_id"),
                    event,
                    &mut errors,
                );
                forbid(
                    input.chain_of_custody.is_some(),
                    at("chain_of_custody"),
                    event,
                    &mut errors,
                );
                forbid(!input.lots.is_empty(), at("lots"), event, &mut errors);
                forbid(!input.inputs.is_empty(), at("inputs"), event, &mut errors);
                if input.outputs.len() != 1 {
                    errors.push(FieldError::at(
                        at("outputs"),
                        "an extraction produces exactly one lot",
                    ));
                }
                outputs = amounts(&input.outputs, &at("outputs"), false, &mut errors);
            }
            CustodyEventType::Transfer => {
                require(
                    input.from_party_id,
                    at("from_party_id"),
                    "the party handing over",
                    &mut errors,
                );
                require(
                    input.to_party_id,
                    at("to_party_id"),
                    "the party receiving",
                    &mut errors,
                );
                if let (Some(from), Some(to)) = (input.from_party_id, input.to_party_id)
                    && from == to
                {
                    errors.push(FieldError::at(
                        at("to_party_id"),
                        "a transfer goes to another party",
                    ));
                }
                forbid(
                    input.chain_of_custody.is_some(),
                    at("chain_of_custody"),
                    event,
                    &mut errors,
                );
                forbid(!input.inputs.is_empty(), at("inputs"), event, &mut errors);
                forbid(!input.outputs.is_empty(), at("outputs"), event, &mut errors);
                if input.lots.is_empty() {
                    errors.push(FieldError::at(at("lots"), "a transfer hands over lots"));
                }
                lots = amounts(&input.lots, &at("lots"), false, &mut errors);
            }
            CustodyEventType::Transformation => {
                require(
                    input.facility_id,
                    at("facility_id"),
                    "the facility",
                    &mut errors,
                );
                require(
                    input.chain_of_custody,
                    at("chain_of_custody"),
                    "the chain-of-custody model",
                    &mut errors,
                );
                forbid(!input.lots.is_empty(), at("lots"), event, &mut errors);
                forbid(
                    input.from_party_id.is_some(),
                    at("from_party_id"),
                    event,
                    &mut errors,
                );
                if input.inputs.is_empty() {
                    errors.push(FieldError::at(
                        at("inputs"),
                        "a transformation consumes at least one lot",
                    ));
                }
                if input.outputs.is_empty() {
                    errors.push(FieldError::at(
                        at("outputs"),
                        "a transformation produces at least one lot",
                    ));
                }
                inputs = amounts(&input.inputs, &at("inputs"), true, &mut errors);
                outputs = amounts(&input.outputs, &at("outputs"), false, &mut errors);
                for (i, output) in outputs.iter().enumerate() {
                    if inputs.iter().any(|input| input.lot == output.lot) {
                        errors.push(FieldError::at(
                            format!("{base}/outputs/{i}/lot_id"),
                            "a lot cannot be produced from itself (cycle)",
                        ));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(EventLine {
            id: None,
            event_type: event,
            occurred_on: input.occurred_on,
            external_ref,
            facility: input.facility_id,
            from_party: input.from_party_id,
            to_party: input.to_party_id,
            chain_of_custody: input.chain_of_custody,
            lots,
            inputs,
            outputs,
            documents: input
                .documents
                .iter()
                .map(|d| Document {
                    kind: d.kind.trim().to_owned(),
                    reference: d.reference.trim().to_owned(),
                })
                .collect(),
            base: base.to_owned(),
        })
    }
}
