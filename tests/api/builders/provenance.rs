//! Lots and custody events.

use serde_json::{Value, json};

use super::{json_body, push};

/// A lot: 1 kg of gold ore unless set.
#[derive(Clone, Debug)]
pub struct Lot(Value);

json_body!(Lot);

impl Lot {
    /// A lot of `external_ref`.
    pub fn new(external_ref: &str) -> Lot {
        Lot(
            json!({"external_ref": external_ref, "mineral": "gold", "form": "ore",
                   "quantity": {"value": 1, "unit": "kg"}}),
        )
    }

    /// The quantity in grams, written as given.
    pub fn grams(self, value: impl Into<Value>) -> Lot {
        self.quantity(value, "g")
    }

    /// The quantity in kilograms, written as given.
    pub fn kg(self, value: impl Into<Value>) -> Lot {
        self.quantity(value, "kg")
    }

    /// The quantity in any unit.
    pub fn quantity(mut self, value: impl Into<Value>, unit: &str) -> Lot {
        self.0["quantity"] = json!({"value": value.into(), "unit": unit});
        self
    }

    /// The form (`ore`, `dore`, `metal`, `scrap`…).
    pub fn form(mut self, form: &str) -> Lot {
        self.0["form"] = json!(form);
        self
    }

    /// The party holding the lot.
    pub fn holder(mut self, party_id: &str) -> Lot {
        self.0["holder_party_id"] = json!(party_id);
        self
    }
}

/// A custody event: an extraction, a transformation or a transfer.
#[derive(Clone, Debug)]
pub struct Event(Value);

json_body!(Event);

impl Event {
    /// An extraction at the mine `facility_id` on `on`.
    pub fn extraction(on: &str, facility_id: &str) -> Event {
        Event(json!({"type": "extraction", "occurred_on": on, "facility_id": facility_id}))
    }

    /// A transformation at `facility_id` on `on` under a mass-balance chain of custody.
    pub fn transformation(on: &str, facility_id: &str) -> Event {
        Event(
            json!({"type": "transformation", "occurred_on": on, "facility_id": facility_id,
                     "chain_of_custody": "mass_balance"}),
        )
    }

    /// A transfer from one party to another on `on`.
    pub fn transfer(on: &str, from_party_id: &str, to_party_id: &str) -> Event {
        Event(
            json!({"type": "transfer", "occurred_on": on, "from_party_id": from_party_id,
                     "to_party_id": to_party_id}),
        )
    }

    /// The chain of custody of a transformation (`segregated`, `mass_balance`…).
    pub fn chain_of_custody(mut self, model: &str) -> Event {
        self.0["chain_of_custody"] = json!(model);
        self
    }

    /// Consumes `grams` of a lot.
    pub fn input(mut self, lot_id: &str, g: impl Into<Value>) -> Event {
        push(&mut self.0, "inputs", grams(lot_id, g));
        self
    }

    /// Consumes `value` `unit` of a lot (`troy_oz`, `g`, …).
    pub fn input_in(mut self, lot_id: &str, value: impl Into<Value>, unit: &str) -> Event {
        push(&mut self.0, "inputs", amount(lot_id, value, unit));
        self
    }

    /// Produces a lot (its whole quantity).
    pub fn output(mut self, lot_id: &str) -> Event {
        push(&mut self.0, "outputs", json!({"lot_id": lot_id}));
        self
    }

    /// Produces `grams` of a lot.
    pub fn output_grams(mut self, lot_id: &str, g: impl Into<Value>) -> Event {
        push(&mut self.0, "outputs", grams(lot_id, g));
        self
    }

    /// Hands over a whole lot.
    pub fn lot(mut self, lot_id: &str) -> Event {
        push(&mut self.0, "lots", json!({"lot_id": lot_id}));
        self
    }

    /// Hands over `grams` of a lot.
    pub fn lot_grams(mut self, lot_id: &str, g: impl Into<Value>) -> Event {
        push(&mut self.0, "lots", grams(lot_id, g));
        self
    }

    /// A document of the event.
    pub fn document(mut self, kind: &str, reference: &str) -> Event {
        push(
            &mut self.0,
            "documents",
            json!({"type": kind, "reference": reference}),
        );
        self
    }

    /// The body of a batch of events: `{"events": [...]}`.
    pub fn batch(events: impl IntoIterator<Item = Event>) -> Value {
        json!({"events": events.into_iter().map(|e| e.0).collect::<Vec<_>>()})
    }
}

/// A lot reference with a quantity in grams.
pub fn grams(lot_id: &str, g: impl Into<Value>) -> Value {
    amount(lot_id, g, "g")
}

/// A lot reference with a quantity in `unit`.
pub fn amount(lot_id: &str, value: impl Into<Value>, unit: &str) -> Value {
    json!({"lot_id": lot_id, "quantity": {"value": value.into(), "unit": unit}})
}
