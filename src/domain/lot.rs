//! Lots and custody events as values: what was sent (a draft, its values typed by the edge) and
//! what it becomes once the rules that need no database are checked ([`LotLine`],
//! [`EventLine`]). What needs the database (do the lots exist, is the facility a mine, would it
//! make a cycle) is checked by the use case (`app::provenance::custody_events`).
//!
//! The events' values and where each can happen are in `event`, the checks of an event as sent
//! in `event_validation`.

use super::ids::PartyId;
use super::purchase::external_ref;
use super::quantity::{Quantity, QuantityInput};
use super::vocabulary::{LotForm, Mineral};
use crate::domain::validation::FieldError;

mod event;
mod event_validation;

pub use event::{
    AmountDraft, Document, EventDraft, EventLine, LotAmount, MAX_EVENT_LOTS, facility_refusal,
};

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
