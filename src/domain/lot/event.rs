//! Custody events as values: as sent ([`EventDraft`]) and validated ([`EventLine`]), with the
//! lots they name and the documents backing them; and the kind of facility each type of event
//! happens at.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ids::{CustodyEventId, FacilityId, LotId, PartyId};
use crate::domain::quantity::{Quantity, QuantityInput};
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType, FacilityKind};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
