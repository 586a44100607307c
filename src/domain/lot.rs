//! Lots and custody events as values: what was sent (a draft, its values typed by the edge) and
//! what it becomes once the rules that need no database are checked ([`LotLine`],
//! [`EventLine`]). What needs the database (do the lots exist, is the facility a mine, would it
//! make a cycle) is checked by the use case (`app::provenance::custody_events`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{CustodyEventId, FacilityId, LotId, PartyId};
use super::purchase::{external_ref, purchase_date};
use super::quantity::{Quantity, QuantityInput};
use super::vocabulary::{ChainOfCustody, CustodyEventType, FacilityKind, LotForm, Mineral};
use crate::domain::validation::FieldError;

/// A lot as sent.
#[derive(Clone, Debug)]
pub struct LotDraft {
    pub external_ref: String,
    pub mineral: Mineral,
    pub form: LotForm,
    pub quantity: QuantityInput,
    pub holder: Option<PartyId>,
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
    pub fn validate(draft: &LotDraft) -> Result<LotLine, Vec<FieldError>> {
        let mut errors = Vec::new();
        let external_ref = external_ref(&draft.external_ref)
            .map_err(|e| errors.push(FieldError::at("/external_ref", e)))
            .ok();
        let quantity = Quantity::from_input(&draft.quantity)
            .map_err(|e| errors.push(FieldError::at("/quantity/value", e.to_string())))
            .ok();
        match (external_ref, quantity) {
            (Some(external_ref), Some(quantity)) => Ok(LotLine {
                external_ref,
                mineral: draft.mineral,
                form: draft.form,
                quantity,
                holder: draft.holder,
                recycled: draft.recycled,
            }),
            _ => Err(errors),
        }
    }
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

/// At most this many lots on one side of an event.
pub const MAX_EVENT_LOTS: usize = 1000;

/// A lot and a quantity in an event as sent; `None`: the lot's whole quantity.
#[derive(Clone, Debug)]
pub struct AmountDraft {
    pub lot: LotId,
    pub quantity: Option<QuantityInput>,
}

/// A custody event as sent: which members apply depends on its type (see
/// [`EventLine::validate`]).
#[derive(Clone, Debug)]
pub struct EventDraft {
    pub event_type: CustodyEventType,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub facility: Option<FacilityId>,
    pub from_party: Option<PartyId>,
    pub to_party: Option<PartyId>,
    pub chain_of_custody: Option<ChainOfCustody>,
    pub lots: Vec<AmountDraft>,
    pub inputs: Vec<AmountDraft>,
    pub outputs: Vec<AmountDraft>,
    pub documents: Vec<Document>,
}

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

/// Why an event of `event_type` cannot happen at a facility of `kind`: an extraction happens at
/// a mine, a transformation at a concentrator, smelter, refiner or recycler.
pub fn facility_refusal(event_type: CustodyEventType, kind: FacilityKind) -> Option<String> {
    match event_type {
        CustodyEventType::Extraction if kind != FacilityKind::Mine => {
            Some(format!("an extraction happens at a mine, not a {kind}"))
        }
        CustodyEventType::Transformation
            if !matches!(
                kind,
                FacilityKind::Concentrator
                    | FacilityKind::Smelter
                    | FacilityKind::Refiner
                    | FacilityKind::Recycler
            ) =>
        {
            Some(format!(
                "a transformation happens at a concentrator, smelter, refiner or recycler, not a \
                 {kind}"
            ))
        }
        _ => None,
    }
}

fn amounts(
    list: &[AmountDraft],
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
        if !seen.insert(item.lot) {
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
            lot: item.lot,
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
    pub fn validate(draft: EventDraft, base: &str) -> Result<EventLine, Vec<FieldError>> {
        let mut errors = Vec::new();
        let at = |field: &str| format!("{base}/{field}");
        if let Err(e) = purchase_date(draft.occurred_on) {
            errors.push(FieldError::at(at("occurred_on"), e));
        }
        let external_ref = match &draft.external_ref {
            Some(r) => match external_ref(r) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(FieldError::at(at("external_ref"), e));
                    None
                }
            },
            None => None,
        };
        for (i, d) in draft.documents.iter().enumerate() {
            if let Err(e) = crate::domain::text::short_text(&d.kind, 50) {
                errors.push(FieldError::at(format!("{base}/documents/{i}/type"), e));
            }
            if let Err(e) = crate::domain::text::short_text(&d.reference, 200) {
                errors.push(FieldError::at(format!("{base}/documents/{i}/reference"), e));
            }
        }
        let event = draft.event_type;
        let mut lots = Vec::new();
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        match event {
            CustodyEventType::Extraction => {
                require(draft.facility, at("facility_id"), "the mine", &mut errors);
                forbid(
                    draft.from_party.is_some(),
                    at("from_party_id"),
                    event,
                    &mut errors,
                );
                forbid(
                    draft.chain_of_custody.is_some(),
                    at("chain_of_custody"),
                    event,
                    &mut errors,
                );
                forbid(!draft.lots.is_empty(), at("lots"), event, &mut errors);
                forbid(!draft.inputs.is_empty(), at("inputs"), event, &mut errors);
                if draft.outputs.len() != 1 {
                    errors.push(FieldError::at(
                        at("outputs"),
                        "an extraction produces exactly one lot",
                    ));
                }
                outputs = amounts(&draft.outputs, &at("outputs"), false, &mut errors);
            }
            CustodyEventType::Transfer => {
                require(
                    draft.from_party,
                    at("from_party_id"),
                    "the party handing over",
                    &mut errors,
                );
                require(
                    draft.to_party,
                    at("to_party_id"),
                    "the party receiving",
                    &mut errors,
                );
                if let (Some(from), Some(to)) = (draft.from_party, draft.to_party)
                    && from == to
                {
                    errors.push(FieldError::at(
                        at("to_party_id"),
                        "a transfer goes to another party",
                    ));
                }
                forbid(
                    draft.chain_of_custody.is_some(),
                    at("chain_of_custody"),
                    event,
                    &mut errors,
                );
                forbid(!draft.inputs.is_empty(), at("inputs"), event, &mut errors);
                forbid(!draft.outputs.is_empty(), at("outputs"), event, &mut errors);
                if draft.lots.is_empty() {
                    errors.push(FieldError::at(at("lots"), "a transfer hands over lots"));
                }
                lots = amounts(&draft.lots, &at("lots"), false, &mut errors);
            }
            CustodyEventType::Transformation => {
                require(
                    draft.facility,
                    at("facility_id"),
                    "the facility",
                    &mut errors,
                );
                require(
                    draft.chain_of_custody,
                    at("chain_of_custody"),
                    "the chain-of-custody model",
                    &mut errors,
                );
                forbid(!draft.lots.is_empty(), at("lots"), event, &mut errors);
                forbid(
                    draft.from_party.is_some(),
                    at("from_party_id"),
                    event,
                    &mut errors,
                );
                if draft.inputs.is_empty() {
                    errors.push(FieldError::at(
                        at("inputs"),
                        "a transformation consumes at least one lot",
                    ));
                }
                if draft.outputs.is_empty() {
                    errors.push(FieldError::at(
                        at("outputs"),
                        "a transformation produces at least one lot",
                    ));
                }
                inputs = amounts(&draft.inputs, &at("inputs"), true, &mut errors);
                outputs = amounts(&draft.outputs, &at("outputs"), false, &mut errors);
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
            occurred_on: draft.occurred_on,
            external_ref,
            facility: draft.facility,
            from_party: draft.from_party,
            to_party: draft.to_party,
            chain_of_custody: draft.chain_of_custody,
            lots,
            inputs,
            outputs,
            documents: draft
                .documents
                .into_iter()
                .map(|d| Document {
                    kind: d.kind.trim().to_owned(),
                    reference: d.reference.trim().to_owned(),
                })
                .collect(),
            base: base.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quantity::MassUnit;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    }

    fn draft(event_type: CustodyEventType) -> EventDraft {
        EventDraft {
            event_type,
            occurred_on: day(),
            external_ref: None,
            facility: None,
            from_party: None,
            to_party: None,
            chain_of_custody: None,
            lots: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            documents: Vec::new(),
        }
    }

    fn grams(lot: LotId, value: f64) -> AmountDraft {
        AmountDraft {
            lot,
            quantity: Some(QuantityInput {
                value,
                unit: MassUnit::G,
            }),
        }
    }

    fn pointers(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().filter_map(|e| e.pointer).collect()
    }

    #[test]
    fn each_event_happens_at_its_kind_of_facility() {
        use CustodyEventType::{Extraction, Transfer, Transformation};
        assert_eq!(facility_refusal(Extraction, FacilityKind::Mine), None);
        assert!(facility_refusal(Extraction, FacilityKind::Smelter).is_some());
        assert_eq!(
            facility_refusal(Transformation, FacilityKind::Recycler),
            None
        );
        assert!(facility_refusal(Transformation, FacilityKind::Mine).is_some());
        assert_eq!(facility_refusal(Transfer, FacilityKind::Warehouse), None);
    }

    #[test]
    fn a_transfer_names_both_parties_and_only_its_own_members() {
        let mut transfer = draft(CustodyEventType::Transfer);
        transfer.inputs = vec![grams(LotId::generate(), 1.0)];
        let errors = EventLine::validate(transfer, "/events/2").unwrap_err();
        assert_eq!(
            pointers(errors),
            [
                "/events/2/from_party_id",
                "/events/2/to_party_id",
                "/events/2/inputs",
                "/events/2/lots",
            ]
        );
    }

    #[test]
    fn a_transformation_never_makes_a_lot_from_itself() {
        let lot = LotId::generate();
        let mut transformation = draft(CustodyEventType::Transformation);
        transformation.facility = Some(FacilityId::generate());
        transformation.chain_of_custody = Some(ChainOfCustody::MassBalance);
        transformation.inputs = vec![grams(lot, 5.0), grams(LotId::generate(), 0.0)];
        transformation.outputs = vec![AmountDraft {
            lot,
            quantity: None,
        }];
        let errors = EventLine::validate(transformation, "").unwrap_err();
        assert_eq!(
            pointers(errors),
            ["/inputs/1/quantity/value", "/outputs/0/lot_id"]
        );
    }

    #[test]
    fn a_valid_extraction_keeps_its_pointers_for_later_checks() {
        let lot = LotId::generate();
        let mut extraction = draft(CustodyEventType::Extraction);
        extraction.facility = Some(FacilityId::generate());
        extraction.outputs = vec![AmountDraft {
            lot,
            quantity: None,
        }];
        extraction.documents = vec![Document {
            kind: " invoice ".into(),
            reference: "INV-1".into(),
        }];
        let line = EventLine::validate(extraction, "/events/0").unwrap();
        assert_eq!(line.outputs[0].pointer, "/events/0/outputs/0");
        assert_eq!(line.outputs[0].lot, lot);
        assert_eq!(line.documents[0].kind, "invoice");
    }
}
