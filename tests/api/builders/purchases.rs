//! Purchase lines and their declared origins.

use serde_json::{Value, json};

use super::json_body;

/// The CSV header of a purchase batch, without `declared_origin`.
pub const PURCHASE_CSV_HEADER: &str =
    "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on";

/// A purchase line as an ERP sends it: gold, 1 kg, bought on 2026-03-14 unless set.
#[derive(Clone, Debug)]
pub struct PurchaseLine(Value);

json_body!(PurchaseLine);

impl PurchaseLine {
    /// A line of `external_ref` bought from the supplier party `supplier`.
    pub fn new(external_ref: &str, supplier: &str) -> PurchaseLine {
        PurchaseLine(json!({
            "external_ref": external_ref,
            "supplier_party_id": supplier,
            "mineral": "gold",
            "quantity": {"value": 1, "unit": "kg"},
            "purchased_on": "2026-03-14",
        }))
    }

    /// The quantity in kilograms, written as given (`12.5`, `13`, `1.0`).
    pub fn kg(self, value: impl Into<Value>) -> PurchaseLine {
        self.quantity(value, "kg")
    }

    /// The quantity in grams.
    pub fn g(self, value: impl Into<Value>) -> PurchaseLine {
        self.quantity(value, "g")
    }

    /// The quantity in any unit.
    pub fn quantity(mut self, value: impl Into<Value>, unit: &str) -> PurchaseLine {
        self.0["quantity"] = json!({"value": value.into(), "unit": unit});
        self
    }

    /// The purchase date.
    pub fn on(mut self, date: &str) -> PurchaseLine {
        self.0["purchased_on"] = json!(date);
        self
    }

    /// The mineral.
    pub fn mineral(mut self, mineral: &str) -> PurchaseLine {
        self.0["mineral"] = json!(mineral);
        self
    }

    /// The supplier party.
    pub fn supplier(mut self, supplier: &str) -> PurchaseLine {
        self.0["supplier_party_id"] = json!(supplier);
        self
    }

    /// The lot bought.
    pub fn lot(mut self, lot_id: &str) -> PurchaseLine {
        self.0["lot_id"] = json!(lot_id);
        self
    }

    /// The supplier's declared origin, share by share.
    pub fn declared(mut self, origins: impl IntoIterator<Item = Origin>) -> PurchaseLine {
        self.0["declared_origin"] = origins.into_iter().map(|o| o.0).collect();
        self
    }
}

/// One share of a declared origin.
#[derive(Clone, Debug)]
pub struct Origin(Value);

impl Origin {
    /// A share from a catalog facility.
    pub fn facility(facility_id: &str, share: impl Into<Value>) -> Origin {
        Origin(json!({"facility_id": facility_id, "share": share.into()}))
    }

    /// A share of an origin class (`asm`, `lsm`, `recycled`…) without a facility.
    pub fn class(origin_class: &str, share: impl Into<Value>) -> Origin {
        Origin(json!({"origin_class": origin_class, "share": share.into()}))
    }
}
