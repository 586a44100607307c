//! The checks a custody event as sent passes before the database is consulted: the members its
//! type needs or does not have, its lots and quantities, its documents.

use std::collections::HashSet;

use super::event::{AmountDraft, Document, EventDraft, EventLine, LotAmount, MAX_EVENT_LOTS};
use crate::domain::purchase::{external_ref, purchase_date};
use crate::domain::quantity::Quantity;
use crate::domain::text::short_text;
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::CustodyEventType;

/// The refusals of one event, each at a member under the event's pointer.
struct Refusals<'a> {
    base: &'a str,
    event: CustodyEventType,
    errors: Vec<FieldError>,
}

impl Refusals<'_> {
    fn refuse(&mut self, member: &str, detail: impl Into<String>) {
        let pointer = format!("{}/{member}", self.base);
        self.errors.push(FieldError::at(pointer, detail));
    }

    fn refuse_if(&mut self, refused: bool, member: &str, detail: &str) {
        if refused {
            self.refuse(member, detail);
        }
    }

    /// `what` must be given as `member`.
    fn require(&mut self, given: bool, member: &str, what: &str) {
        self.refuse_if(!given, member, &format!("{what} is required"));
    }

    /// Each member given that this type of event does not have, in the order listed.
    fn forbid(&mut self, members: &[(bool, &str)]) {
        let detail = format!("does not apply to an {} event", self.event);
        for (given, member) in members {
            self.refuse_if(*given, member, &detail);
        }
    }

    /// The lots listed as `member`, each once; `quantity_required`: each with its quantity.
    fn amounts(
        &mut self,
        list: &[AmountDraft],
        member: &str,
        quantity_required: bool,
    ) -> Vec<LotAmount> {
        if list.len() > MAX_EVENT_LOTS {
            self.refuse(member, format!("at most {MAX_EVENT_LOTS} lots"));
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let at = format!("{member}/{i}");
            let twice = !seen.insert(item.lot);
            self.refuse_if(twice, &format!("{at}/lot_id"), "this lot is listed twice");
            let quantity = match &item.quantity {
                Some(q) => Quantity::from_input(q)
                    .map_err(|e| self.refuse(&format!("{at}/quantity/value"), e.to_string()))
                    .ok(),
                None => {
                    let missing = format!("{at}/quantity");
                    self.refuse_if(quantity_required, &missing, "give the quantity");
                    None
                }
            };
            out.push(LotAmount {
                lot: item.lot,
                quantity,
                pointer: format!("{}/{at}", self.base),
            });
        }
        out
    }
}

impl EventLine {
    /// Validates an event as sent; `base` prefixes every pointer (`/events/3` in a batch).
    pub fn validate(draft: EventDraft, base: &str) -> Result<EventLine, Vec<FieldError>> {
        let event = draft.event_type;
        let mut r = Refusals {
            base,
            event,
            errors: Vec::new(),
        };
        if let Err(e) = purchase_date(draft.occurred_on) {
            r.refuse("occurred_on", e);
        }
        let external_ref = draft.external_ref.as_deref().and_then(|given| {
            external_ref(given)
                .map_err(|e| r.refuse("external_ref", e))
                .ok()
        });
        for (i, d) in draft.documents.iter().enumerate() {
            if let Err(e) = short_text(&d.kind, 50) {
                r.refuse(&format!("documents/{i}/type"), e);
            }
            if let Err(e) = short_text(&d.reference, 200) {
                r.refuse(&format!("documents/{i}/reference"), e);
            }
        }
        let (mut lots, mut inputs, mut outputs) = (Vec::new(), Vec::new(), Vec::new());
        match event {
            CustodyEventType::Extraction => {
                r.require(draft.facility.is_some(), "facility_id", "the mine");
                r.forbid(&[
                    (draft.from_party.is_some(), "from_party_id"),
                    (draft.chain_of_custody.is_some(), "chain_of_custody"),
                    (!draft.lots.is_empty(), "lots"),
                    (!draft.inputs.is_empty(), "inputs"),
                ]);
                r.refuse_if(
                    draft.outputs.len() != 1,
                    "outputs",
                    "an extraction produces exactly one lot",
                );
                outputs = r.amounts(&draft.outputs, "outputs", false);
            }
            CustodyEventType::Transfer => {
                let from = draft.from_party;
                r.require(from.is_some(), "from_party_id", "the party handing over");
                r.require(
                    draft.to_party.is_some(),
                    "to_party_id",
                    "the party receiving",
                );
                r.refuse_if(
                    from.is_some() && from == draft.to_party,
                    "to_party_id",
                    "a transfer goes to another party",
                );
                r.forbid(&[
                    (draft.chain_of_custody.is_some(), "chain_of_custody"),
                    (!draft.inputs.is_empty(), "inputs"),
                    (!draft.outputs.is_empty(), "outputs"),
                ]);
                r.refuse_if(draft.lots.is_empty(), "lots", "a transfer hands over lots");
                lots = r.amounts(&draft.lots, "lots", false);
            }
            CustodyEventType::Transformation => {
                r.require(draft.facility.is_some(), "facility_id", "the facility");
                r.require(
                    draft.chain_of_custody.is_some(),
                    "chain_of_custody",
                    "the chain-of-custody model",
                );
                r.forbid(&[
                    (!draft.lots.is_empty(), "lots"),
                    (draft.from_party.is_some(), "from_party_id"),
                ]);
                r.refuse_if(
                    draft.inputs.is_empty(),
                    "inputs",
                    "a transformation consumes at least one lot",
                );
                r.refuse_if(
                    draft.outputs.is_empty(),
                    "outputs",
                    "a transformation produces at least one lot",
                );
                inputs = r.amounts(&draft.inputs, "inputs", true);
                outputs = r.amounts(&draft.outputs, "outputs", false);
                for (i, output) in outputs.iter().enumerate() {
                    r.refuse_if(
                        inputs.iter().any(|input| input.lot == output.lot),
                        &format!("outputs/{i}/lot_id"),
                        "a lot cannot be produced from itself (cycle)",
                    );
                }
            }
        }
        if !r.errors.is_empty() {
            return Err(r.errors);
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
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::ids::{FacilityId, LotId};
    use crate::domain::quantity::{MassUnit, QuantityInput};
    use crate::domain::vocabulary::ChainOfCustody;

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
