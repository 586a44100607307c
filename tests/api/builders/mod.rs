//! Request bodies with defaults and setters, so that a test names only what it is about:
//! `PurchaseLine::new("SAP-1", &supplier).kg(12.5).on("2026-03-14")`.
//!
//! Each builder holds the JSON body it stands for; `with` and `without` reach any member,
//! hostile or unknown ones included, and the builder serialises to exactly that body.

mod catalog;
mod provenance;
mod purchases;
mod rmi_workbook;

pub use catalog::{Certification, Facility, Party};
pub use provenance::{Event, Lot, grams};
pub use purchases::{Origin, PURCHASE_CSV_HEADER, PurchaseLine};
pub use rmi_workbook::{Cmrt, Emrt, Field, SmelterRow};

/// What every body builder shares: `with`, `without`, `json`, `Serialize`, `Display` (the
/// JSON) and `Into<Value>`.
macro_rules! json_body {
    ($builder:ident) => {
        impl $builder {
            /// Sets (or replaces) a member, for what no setter covers.
            pub fn with(mut self, member: &str, value: impl Into<serde_json::Value>) -> Self {
                self.0[member] = value.into();
                self
            }

            /// Removes a member.
            pub fn without(mut self, member: &str) -> Self {
                self.0.as_object_mut().expect("an object").remove(member);
                self
            }

            /// The body as JSON.
            pub fn json(&self) -> serde_json::Value {
                self.0.clone()
            }
        }

        impl serde::Serialize for $builder {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl std::fmt::Display for $builder {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$builder> for serde_json::Value {
            fn from(builder: $builder) -> serde_json::Value {
                builder.0
            }
        }
    };
}

pub(crate) use json_body;

/// Appends `item` to the array member `member` of `body`, creating it when absent.
fn push(body: &mut serde_json::Value, member: &str, item: serde_json::Value) {
    match body[member].as_array_mut() {
        Some(items) => items.push(item),
        None => body[member] = serde_json::Value::Array(vec![item]),
    }
}
